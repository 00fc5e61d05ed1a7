"""The lexical head of the final classifier: char n-gram TF-IDF + logistic regression, as arrays.

On a few thousand labelled passages, character n-grams catch cues (word stems, case endings,
loaded words) that a small from-scratch transformer learns less well, so the saved model blends
the transformer's calibrated probabilities with this head's (weights fitted on dev, see
nlp/ensemble.py). It is the same recipe as the reference baseline (nlp/baseline.py), fitted on
the same train split, but saved as plain arrays in `lexical_head.npz` (vocabulary, idf, weights)
and read back with `allow_pickle=False`: loading a model directory never unpickles anything.
Fitting uses scikit-learn; applying the head is numpy only (`CharNgramFeatures` repeats
sklearn's char_wb analyzer), which keeps scikit-learn and scipy (~85 MB RSS) out of inference.
"""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
from mediawatch.documents import HOSTILITY, RHETORIC_TYPES, STANCES
from nlp.examples import Example

if TYPE_CHECKING:
    from nlp.inference import PassageInput

__all__ = ["LexicalHead", "CharNgramFeatures", "LEXICAL_FILE"]

logger = logging.getLogger(__name__)

LEXICAL_FILE = "lexical_head.npz"
_NGRAMS = (2, 5)
_HEADS = ("stance", "hostility", "rhetoric")
_WHITE_SPACES = re.compile(r"\s\s+")  # what sklearn's analyzers collapse before splitting


def _document(example: PassageInput, target_text: str) -> str:
    passage = example.text if not example.context else f"{example.text} {example.context}"
    return f"{target_text} || {passage}"


def _char_wb_ngrams(text: str) -> list[str]:
    """Character 2–5-grams inside space-padded words, exactly as sklearn's analyzer="char_wb"."""
    ngrams: list[str] = []
    for word in _WHITE_SPACES.sub(" ", text.lower()).split():
        padded = f" {word} "
        for n in range(_NGRAMS[0], _NGRAMS[1] + 1):
            if len(padded) <= n:  # a short word counts once, at its full padded length
                ngrams.append(padded)
                break
            ngrams.extend(padded[i:i + n] for i in range(len(padded) - n + 1))
    return ngrams


class CharNgramFeatures:
    """TF-IDF rows (sublinear tf, idf, L2-normalised) over a fixed n-gram vocabulary."""

    def __init__(self, vocabulary: dict[str, int], idf: np.ndarray) -> None:
        self.vocabulary, self.idf = vocabulary, idf.astype(np.float32)

    def row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Return (column indices, values) of one document's non-zero features."""
        counts: dict[int, int] = {}
        for gram in _char_wb_ngrams(text):
            column = self.vocabulary.get(gram)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
        values = np.array([1.0 + math.log(c) for c in counts.values()], np.float32)
        values *= self.idf[columns]
        norm = float(np.sqrt((values * values).sum()))
        return columns, values / norm if norm > 0 else values

    def scores(self, texts: Sequence[str], weights_t: np.ndarray, bias: np.ndarray) -> np.ndarray:
        """Return texts × outputs linear scores for a weight matrix of features × outputs."""
        out = np.tile(bias.astype(np.float32), (len(texts), 1))
        for i, text in enumerate(texts):
            columns, values = self.row(text)
            out[i] += values @ weights_t[columns]
        return out


def _linear(model: Any, labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Return (weights n_labels×F, bias n_labels) in `labels` order as a softmax over classes.

    A binary sklearn model has one row w for the second class; softmax over (0, w) is the same
    logistic, so every head is stored and applied the same way.
    """
    classes = [str(c) for c in model.classes_]
    coef, bias = model.coef_.astype(np.float32), model.intercept_.astype(np.float32)
    if len(classes) == 2:
        coef = np.vstack([np.zeros_like(coef), coef])
        bias = np.concatenate([np.zeros(1, np.float32), bias])
    weights = np.zeros((len(labels), coef.shape[1]), np.float32)
    biases = np.full(len(labels), -30.0, np.float32)  # a class never seen in training: p ~ 0
    for row, label in enumerate(classes):
        weights[labels.index(label)], biases[labels.index(label)] = coef[row], bias[row]
    return weights, biases


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]


class LexicalHead:
    """Char 2–5-gram TF-IDF features with linear softmax/logistic heads, applied with numpy."""

    def __init__(self, features: CharNgramFeatures, weights: dict[str, np.ndarray],
                 biases: dict[str, np.ndarray], target_names: dict[str, str]) -> None:
        self.features, self.weights, self.biases = features, weights, biases
        self.target_names = target_names
        # All heads as one features × outputs matrix: one row gather per passage.
        self._weights_t = np.ascontiguousarray(np.vstack([weights[h] for h in _HEADS]).T)
        self._bias = np.concatenate([biases[h] for h in _HEADS])

    @classmethod
    def fit(cls, examples: Sequence[Example], target_names: dict[str, str],
            seed: int = 13) -> LexicalHead:
        """Fit on labelled corpus rows (rhetoric on hostile rows only, like the transformer)."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        def _logistic(seed: int) -> LogisticRegression:
            return LogisticRegression(C=4.0, class_weight="balanced", max_iter=3000,
                                      random_state=seed)

        rows = [e for e in examples if e.stance and e.hostility]
        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=_NGRAMS, min_df=2,
                                     sublinear_tf=True, lowercase=True, max_features=300_000,
                                     dtype=np.float32)
        features = vectorizer.fit_transform(
            [_document(e, target_names.get(e.target, e.target)) for e in rows])
        weights, biases = {}, {}
        weights["stance"], biases["stance"] = _linear(
            _logistic(seed).fit(features, [e.stance for e in rows]), STANCES)
        weights["hostility"], biases["hostility"] = _linear(
            _logistic(seed).fit(features, [e.hostility for e in rows]), HOSTILITY)
        hostile = np.array([e.hostility == "hostile" for e in rows])
        rhetoric_w = np.zeros((len(RHETORIC_TYPES), features.shape[1]), np.float32)
        rhetoric_b = np.full(len(RHETORIC_TYPES), -30.0, np.float32)
        for j, rhetoric_type in enumerate(RHETORIC_TYPES):
            y = np.array([rhetoric_type in (e.rhetoric or ()) for e in rows])[hostile]
            if 2 <= y.sum() < len(y):
                model = _logistic(seed).fit(features[hostile], y)
                rhetoric_w[j], rhetoric_b[j] = model.coef_[0], model.intercept_[0]
        weights["rhetoric"], biases["rhetoric"] = rhetoric_w, rhetoric_b
        logger.info("lexical head fitted on %d rows, %d features", len(rows), features.shape[1])
        return cls(CharNgramFeatures(dict(vectorizer.vocabulary_), vectorizer.idf_), weights,
                   biases, dict(target_names))

    def probabilities(self, examples: Sequence[PassageInput]) -> dict[str, np.ndarray]:
        """Return stance (n×3), hostile (n) and rhetoric (n×6) probabilities, rows in input order."""
        texts = [_document(e, self.target_names.get(e.target, e.target)) for e in examples]
        all_scores = self.features.scores(texts, self._weights_t, self._bias)
        cuts = np.cumsum([len(self.biases["stance"]), len(self.biases["hostility"])])

        def scores(head: str) -> np.ndarray:
            return np.split(all_scores, cuts, axis=1)[_HEADS.index(head)]

        return {"stance": _softmax(scores("stance")),
                "hostile": _softmax(scores("hostility"))[:, 1],
                "rhetoric": 1.0 / (1.0 + np.exp(-scores("rhetoric")))}

    def save(self, directory: Path) -> Path:
        """Write `lexical_head.npz`: n-grams, idf and float16 weights; returns the path."""
        vocabulary = self.features.vocabulary
        ngrams = np.array(sorted(vocabulary, key=vocabulary.__getitem__))
        arrays = {"ngrams": ngrams, "idf": self.features.idf,
                  "targets": np.array([f"{k}\t{v}" for k, v in self.target_names.items()])}
        for head in self.weights:
            arrays[f"{head}_weights"] = self.weights[head].astype(np.float16)
            arrays[f"{head}_bias"] = self.biases[head]
        path = directory / LEXICAL_FILE
        np.savez_compressed(path, **arrays)  # type: ignore[arg-type]
        return path

    @classmethod
    def load(cls, directory: Path) -> LexicalHead:
        """Read `lexical_head.npz` (plain arrays, no pickle) back into a usable head."""
        with np.load(directory / LEXICAL_FILE, allow_pickle=False) as data:
            features = CharNgramFeatures({str(g): i for i, g in enumerate(data["ngrams"])},
                                         data["idf"])
            weights = {h: data[f"{h}_weights"].astype(np.float32) for h in _HEADS}
            biases = {h: data[f"{h}_bias"].astype(np.float32) for h in _HEADS}
            targets = dict(str(t).split("\t", 1) for t in data["targets"])
        return cls(features, weights, biases, targets)
