"""The reference baseline: character n-gram TF-IDF + logistic regression, one model per head.

Trained on the same corpus train split as the transformer (in seconds, so `mediawatch eval
--baseline` trains it on the fly rather than shipping a pickle). It reads "target || passage",
so it can only learn target-specific cues that appear as surface strings.
"""

from __future__ import annotations

import logging
from typing import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from mediawatch.documents import HOSTILITY, RHETORIC_TYPES, STANCES
from nlp.examples import Example
from nlp.inference import Prediction, decide
from nlp.model import ModelMeta

__all__ = ["TfidfBaseline"]

logger = logging.getLogger(__name__)


def _document(example: Example, meta: ModelMeta) -> str:
    passage = example.text if not example.context else f"{example.text} {example.context}"
    return f"{meta.target_text(example.target)} || {passage}"


class TfidfBaseline:
    """Char 2–5-gram TF-IDF features with balanced logistic regressions for each head."""

    def __init__(self, seed: int = 13) -> None:
        self.meta = ModelMeta(name="tfidf-baseline", version="1")
        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2,
                                          sublinear_tf=True, lowercase=True, max_features=300_000)
        self.seed = seed
        self.stance: LogisticRegression | None = None
        self.hostility: LogisticRegression | None = None
        self.rhetoric: dict[str, LogisticRegression] = {}

    def _model(self) -> LogisticRegression:
        return LogisticRegression(C=4.0, class_weight="balanced", max_iter=3000,
                                  random_state=self.seed)

    def fit(self, examples: Sequence[Example]) -> TfidfBaseline:
        """Fit all heads on labelled corpus rows; returns self."""
        rows = [e for e in examples if e.stance and e.hostility]
        features = self.vectorizer.fit_transform([_document(e, self.meta) for e in rows])
        self.stance = self._model().fit(features, [e.stance for e in rows])
        self.hostility = self._model().fit(features, [e.hostility for e in rows])
        hostile = np.array([e.hostility == "hostile" for e in rows])
        for rhetoric_type in RHETORIC_TYPES:
            y = np.array([rhetoric_type in (e.rhetoric or ()) for e in rows])[hostile]
            if 2 <= y.sum() < len(y):
                self.rhetoric[rhetoric_type] = self._model().fit(features[hostile], y)
        logger.info("baseline fitted on %d rows, %d features", len(rows), features.shape[1])
        return self

    def predict(self, examples: Sequence[Example]) -> list[Prediction]:
        """Return one Prediction per example (probabilities are the regressions' own)."""
        if self.stance is None or self.hostility is None:
            raise RuntimeError("TfidfBaseline.predict called before fit")
        if not examples:
            return []
        features = self.vectorizer.transform([_document(e, self.meta) for e in examples])
        stance = self._aligned(self.stance, features, STANCES)
        hostile = self._aligned(self.hostility, features, HOSTILITY)[:, 1]
        rhetoric = np.zeros((len(examples), len(RHETORIC_TYPES)))
        for j, rhetoric_type in enumerate(RHETORIC_TYPES):
            if rhetoric_type in self.rhetoric:
                rhetoric[:, j] = self.rhetoric[rhetoric_type].predict_proba(features)[:, 1]
        return [decide(stance[i], float(hostile[i]), rhetoric[i], self.meta)
                for i in range(len(examples))]

    @staticmethod
    def _aligned(model: LogisticRegression, features: object,
                 labels: Sequence[str]) -> np.ndarray:
        """predict_proba with columns in `labels` order (a class absent in training gets 0)."""
        proba = model.predict_proba(features)
        out = np.zeros((proba.shape[0], len(labels)))
        for column, label in enumerate(model.classes_):
            out[:, labels.index(label)] = proba[:, column]
        return out
