"""Evaluation of passage predictions against LABELING.md rows: the metrics of `mediawatch eval`.

`compute_metrics` returns the documented JSON: n, stance_macro_f1, hostile_f1,
rhetoric_micro_f1, per_language, per_target, confusion. A metric is null when the data has no
label for it (RuSentNE, for instance, labels stance only). `evaluate_file` runs a saved model or
the TF-IDF baseline over a file; `format_table` renders the result for humans.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path
from typing import Any, Protocol, Sequence

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score

from mediawatch.documents import RHETORIC_TYPES, STANCES
from nlp.examples import Example

__all__ = ["compute_metrics", "summary_metrics", "format_table", "Labelled"]

logger = logging.getLogger(__name__)

_TABLE_TARGETS = 12  # per-target rows shown in the table (JSON has them all)


class Labelled(Protocol):
    """A prediction's labels (nlp.inference.Prediction and the baseline's both fit)."""

    stance: str
    hostility: str
    rhetoric: list[str]


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def summary_metrics(gold: Sequence[Example], predicted: Sequence[Labelled]) -> dict[str, Any]:
    """Return n and the three headline F1 scores (null where the rows carry no such label)."""
    stance_rows = [(g.stance, p.stance) for g, p in zip(gold, predicted) if g.stance]
    hostile_rows = [(g.hostility == "hostile", p.hostility == "hostile")
                    for g, p in zip(gold, predicted) if g.hostility]
    rhetoric_rows = [(g.rhetoric, p.rhetoric) for g, p in zip(gold, predicted)
                     if g.rhetoric is not None and g.hostility]
    stance_f1 = None
    if stance_rows:
        y, p = zip(*stance_rows)
        present = [s for s in STANCES if s in y]
        stance_f1 = f1_score(y, p, labels=present, average="macro", zero_division=0)
    hostile_f1 = None
    if hostile_rows and any(y for y, _ in hostile_rows):
        y, p = zip(*hostile_rows)
        hostile_f1 = f1_score(y, p, zero_division=0)
    rhetoric_f1 = None
    if rhetoric_rows and any(y for y, _ in rhetoric_rows):
        gold_m = np.array([[t in y for t in RHETORIC_TYPES] for y, _ in rhetoric_rows])
        pred_m = np.array([[t in p for t in RHETORIC_TYPES] for _, p in rhetoric_rows])
        rhetoric_f1 = f1_score(gold_m, pred_m, average="micro", zero_division=0)
    return {"n": len(gold), "stance_macro_f1": _round(stance_f1), "hostile_f1": _round(hostile_f1),
            "rhetoric_micro_f1": _round(rhetoric_f1)}


def _grouped(gold: Sequence[Example], predicted: Sequence[Labelled],
             key: str) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, example in enumerate(gold):
        groups[getattr(example, key) or "unknown"].append(i)
    return {name: summary_metrics([gold[i] for i in index], [predicted[i] for i in index])
            for name, index in sorted(groups.items())}


def _confusion(gold: Sequence[Example], predicted: Sequence[Labelled]) -> dict[str, Any]:
    stance_pairs = [(g.stance, p.stance) for g, p in zip(gold, predicted) if g.stance]
    hostile_pairs = [(g.hostility, p.hostility) for g, p in zip(gold, predicted) if g.hostility]
    result: dict[str, Any] = {}
    if stance_pairs:
        y, p = zip(*stance_pairs)
        result["stance"] = {"labels": list(STANCES), "rows_gold_cols_predicted":
                            confusion_matrix(y, p, labels=list(STANCES)).tolist()}
    if hostile_pairs:
        y, p = zip(*hostile_pairs)
        result["hostility"] = {"labels": ["none", "hostile"], "rows_gold_cols_predicted":
                               confusion_matrix(y, p, labels=["none", "hostile"]).tolist()}
    return result


def compute_metrics(gold: Sequence[Example], predicted: Sequence[Labelled]) -> dict[str, Any]:
    """Return the full evaluation: headline scores, per_language, per_target, confusion."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold rows but {len(predicted)} predictions")
    result = summary_metrics(gold, predicted)
    result["per_language"] = _grouped(gold, predicted, "language")
    result["per_target"] = _grouped(gold, predicted, "target")
    result["confusion"] = _confusion(gold, predicted)
    return result


def _fmt(value: float | None) -> str:
    return "  -  " if value is None else f"{value:.3f}"


def format_table(results: dict[str, dict[str, Any]]) -> str:
    """Render {system: metrics} as a plain-text table: overall, per language, per target."""
    lines = [f"{'system':<12} {'slice':<22} {'n':>5} {'stance_F1':>10} {'hostile_F1':>10} "
             f"{'rhetoric_F1':>11}"]
    for system, metrics in results.items():
        rows = [("overall", metrics)]
        rows += [(f"lang={k}", v) for k, v in metrics["per_language"].items()]
        # RuSentNE has hundreds of distinct entity targets: show the largest groups only.
        targets = sorted(metrics["per_target"].items(), key=lambda kv: -kv[1]["n"])
        rows += [(f"target={k}", v) for k, v in targets[:_TABLE_TARGETS]]
        for label, m in rows:
            lines.append(f"{system:<12} {label[:22]:<22} {m['n']:>5} {_fmt(m['stance_macro_f1']):>10} "
                         f"{_fmt(m['hostile_f1']):>10} {_fmt(m['rhetoric_micro_f1']):>11}")
        for head, matrix in metrics["confusion"].items():
            lines.append(f"{system:<12} confusion {head} (rows gold, cols predicted: "
                         f"{' '.join(matrix['labels'])}): {matrix['rows_gold_cols_predicted']}")
    return "\n".join(lines)


def evaluate_model(model_dir: Path, examples: Sequence[Example], threads: int = 2,
                   quantize: bool = False) -> dict[str, Any]:
    """Run a saved model over `examples` and return `compute_metrics` of its predictions."""
    from nlp.inference import PassageClassifier

    classifier = PassageClassifier.load(model_dir, threads=threads, quantize=quantize)
    return compute_metrics(examples, classifier.predict(examples))
