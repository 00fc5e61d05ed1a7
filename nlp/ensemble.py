"""Blending the transformer's calibrated probabilities with the lexical head's, fitted on dev.

Per head, the final probability is w * transformer + (1 - w) * lexical. The weight w is picked on
the dev split from a coarse grid (0, 0.1, ..., 1) so that 630 dev rows cannot fit it finely; the
hostility and rhetoric thresholds are re-picked on the blended probabilities at the same time.
Ties go to the larger transformer weight. The test split plays no part.
"""

from __future__ import annotations

import logging
from typing import Mapping, Sequence

import numpy as np

from mediawatch.documents import RHETORIC_TYPES, STANCES
from nlp.calibration import pick_threshold
from nlp.examples import Example
from nlp.model import ModelMeta

__all__ = ["blend_probabilities", "fit_blend", "BLEND_GRID"]

logger = logging.getLogger(__name__)

BLEND_GRID = tuple(round(float(w), 1) for w in np.arange(0.0, 1.01, 0.1))
# Probability key of each head in PassageClassifier.probabilities() / LexicalHead.
_KEYS = {"stance": "stance", "hostility": "hostile", "rhetoric": "rhetoric"}


def blend_probabilities(transformer: Mapping[str, np.ndarray], lexical: Mapping[str, np.ndarray],
                        weights: Mapping[str, float]) -> dict[str, np.ndarray]:
    """Return the per-head weighted mean of two probability dicts (stance rows still sum to 1)."""
    return {key: weights[head] * transformer[key] + (1.0 - weights[head]) * lexical[key]
            for head, key in _KEYS.items()}


def _binary_f1(predicted: np.ndarray, gold: np.ndarray) -> float:
    tp = float((predicted & gold).sum())
    return 2 * tp / max(float(predicted.sum() + gold.sum()), 1.0)


def _best(scores: dict[float, float]) -> float:
    """The grid weight with the best score; ties prefer the larger transformer weight."""
    return float(max(scores, key=lambda w: (round(scores[w], 6), w)))


def fit_blend(transformer: Mapping[str, np.ndarray], lexical: Mapping[str, np.ndarray],
              dev: Sequence[Example], meta: ModelMeta) -> dict[str, dict[float, float]]:
    """Choose blend weights and thresholds on dev, write them into `meta`; return the dev curves.

    Hostility first (F1 of the hostile class at its best threshold), then stance (macro-F1 with
    the hostile-implies-against rule applied, as `decide` does), then rhetoric (micro-F1 over the
    gold-hostile rows at its best threshold, as in calibration).
    """
    from sklearn.metrics import f1_score  # training only: keeps sklearn out of classifying processes

    hostile_y = np.array([e.hostility == "hostile" for e in dev])
    stance_y = [e.stance or "neutral" for e in dev]
    rhetoric_y = np.array([[t in (e.rhetoric or ()) for t in RHETORIC_TYPES] for e in dev])
    curves: dict[str, dict[float, float]] = {"hostility": {}, "stance": {}, "rhetoric": {}}
    thresholds: dict[str, dict[float, float]] = {"hostility": {}, "rhetoric": {}}

    def mix(key: str, w: float) -> np.ndarray:
        return w * transformer[key] + (1.0 - w) * lexical[key]

    for w in BLEND_GRID:
        p = mix("hostile", w)
        thresholds["hostility"][w] = pick_threshold(p, hostile_y)
        curves["hostility"][w] = _binary_f1(p >= thresholds["hostility"][w], hostile_y)
    w_hostile = _best(curves["hostility"])
    predicted_hostile = mix("hostile", w_hostile) >= thresholds["hostility"][w_hostile]
    for w in BLEND_GRID:
        argmax = np.array(STANCES)[mix("stance", w).argmax(axis=1)]
        predicted = np.where(predicted_hostile, "against", argmax)
        curves["stance"][w] = float(f1_score(stance_y, predicted, labels=list(STANCES),
                                             average="macro", zero_division=0))
    rows = hostile_y
    for w in BLEND_GRID:
        p = mix("rhetoric", w)[rows]
        thresholds["rhetoric"][w] = pick_threshold(p, rhetoric_y[rows])
        curves["rhetoric"][w] = _binary_f1(p >= thresholds["rhetoric"][w], rhetoric_y[rows])
    meta.blend = {head: _best(curves[head]) for head in ("stance", "hostility", "rhetoric")}
    meta.thresholds = {"hostility": thresholds["hostility"][meta.blend["hostility"]],
                       "rhetoric": thresholds["rhetoric"][meta.blend["rhetoric"]]}
    logger.info("blend weights %s, thresholds %s", meta.blend, meta.thresholds)
    return {head: {w: round(s, 4) for w, s in curve.items()} for head, curve in curves.items()}
