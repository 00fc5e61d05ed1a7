"""The lexical head of the final classifier: TF-IDF n-grams + logistic regression, as arrays.

On a few thousand labelled passages, n-grams catch cues (word stems, case endings, loaded words
and phrases) that a small from-scratch transformer learns less well, so the saved model blends
the transformer's calibrated probabilities with this head's (weights fitted on dev, see
nlp/ensemble.py). Features are two TF-IDF blocks, each L2-normalised on its own: character
2–5-grams inside words (the reference baseline's, nlp/baseline.py) and word 1–2-grams. Every
feature also gets one copy per target ("feature augmentation", Daumé III 2007), so the same words
can weigh differently toward Azerbaijan and toward Russia; a passage labelled once per target
(LABELING.md's both-targets case) cannot be learned without that. At inference the shared and the
target's copy add up to one weight matrix per target; a target never seen in training (free-text
targets such as RuSentNE's entities) uses the shared weights plus the mean of the target copies.

Saved as plain arrays in `lexical_head.npz` (vocabularies, idf, weights) and read back with
`allow_pickle=False`: loading a model directory never unpickles anything. Fitting uses
scikit-learn; applying the head is numpy only (the analyzers repeat sklearn's "char_wb" and
"word" analyzers), which keeps scikit-learn and scipy (~85 MB RSS) out of inference. A file
written before the word block and target copies existed loads as the char block alone.
"""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np
from mediawatch.documents import HOSTILITY, RHETORIC_TYPES, STANCES
from nlp.examples import Example

if TYPE_CHECKING:
    from nlp.inference import PassageInput

__all__ = ["LexicalHead", "CharNgramFeatures", "LEXICAL_FILE"]

logger = logging.getLogger(__name__)

LEXICAL_FILE = "lexical_head.npz"
_NGRAMS = (2, 5)
_WORD_NGRAMS = (1, 2)
_C = 4.0  # inverse L2 strength of every regression (the baseline's)
_HEADS = ("stance", "hostility", "rhetoric")
_WHITE_SPACES = re.compile(r"\s\s+")  # what sklearn's analyzers collapse before splitting
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # sklearn's default token_pattern


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


def _word_ngrams(text: str) -> list[str]:
    """Word 1–2-grams of 2+-character tokens, exactly as sklearn's analyzer="word"."""
    tokens = _TOKEN.findall(text.lower())
    ngrams = list(tokens)
    for n in range(max(_WORD_NGRAMS[0], 2), _WORD_NGRAMS[1] + 1):
        ngrams.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return ngrams


class CharNgramFeatures:
    """TF-IDF rows (sublinear tf, idf, L2-normalised) over a fixed n-gram vocabulary.

    The analyzer defaults to char_wb 2–5-grams; the word block passes `_word_ngrams`.
    """

    def __init__(self, vocabulary: dict[str, int], idf: np.ndarray,
                 analyzer: Callable[[str], list[str]] = _char_wb_ngrams) -> None:
        self.vocabulary, self.idf = vocabulary, idf.astype(np.float32)
        self.analyzer = analyzer

    def __len__(self) -> int:
        return len(self.idf)

    def row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Return (column indices, values) of one document's non-zero features."""
        counts: dict[int, int] = {}
        for gram in self.analyzer(text):
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


class _Blocks:
    """Feature blocks side by side (columns offset), each normalised on its own, like hstack."""

    def __init__(self, blocks: Sequence[CharNgramFeatures]) -> None:
        self.blocks = list(blocks)
        self.offsets = np.cumsum([0] + [len(b) for b in self.blocks])[:-1]

    def row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        parts = [block.row(text) for block in self.blocks]
        return (np.concatenate([c + o for (c, _), o in zip(parts, self.offsets)]),
                np.concatenate([v for _, v in parts]))


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


def _augmented(features: Any, targets: Sequence[str], target_keys: Sequence[str]) -> Any:
    """[X, X·1(target=k) for k in target_keys]: the shared copy plus one copy per target."""
    from scipy.sparse import diags, hstack

    copies = [features]
    for key in target_keys:
        copies.append(diags(np.array([t == key for t in targets], np.float32)) @ features)
    return hstack(copies).tocsr()


class LexicalHead:
    """TF-IDF char + word n-gram features with linear softmax/logistic heads, applied with numpy.

    `weights[head]` (n_outputs × F) are the shared weights; `target_weights[head]` (one
    n_outputs × F matrix per key of `target_keys`) the per-target copies, possibly empty.
    A target outside `target_keys` is scored with the shared weights + the copies' mean.
    """

    def __init__(self, features: CharNgramFeatures, weights: dict[str, np.ndarray],
                 biases: dict[str, np.ndarray], target_names: dict[str, str],
                 words: CharNgramFeatures | None = None, target_keys: Sequence[str] = (),
                 target_weights: dict[str, np.ndarray] | None = None) -> None:
        self.features, self.words = features, words
        self.weights, self.biases = weights, biases
        self.target_names = target_names
        self.target_keys = list(target_keys)
        self.target_weights = target_weights or {}
        self._blocks = _Blocks([features] + ([words] if words is not None else []))
        # All heads as one features × outputs matrix per target (shared + that target's copy),
        # so a passage costs one row gather.
        shared = np.vstack([weights[h] for h in _HEADS]).astype(np.float32)
        self._shared_t = np.ascontiguousarray(shared.T)
        self._target_t = {
            key: np.ascontiguousarray(
                (shared + np.vstack([self.target_weights[h][k] for h in _HEADS])).T)
            for k, key in enumerate(self.target_keys)}
        # A target never seen in training: shared weights plus the mean of the target copies
        # (RuSentNE dev_disjoint stance macro-F1 0.372 against 0.351 for the shared weights alone).
        self._other_t = (np.mean(list(self._target_t.values()), axis=0, dtype=np.float32)
                         if self._target_t else self._shared_t)
        self._bias = np.concatenate([biases[h] for h in _HEADS])

    @classmethod
    def fit(cls, examples: Sequence[Example], target_names: dict[str, str], seed: int = 13,
            words: bool = True, per_target: bool = True) -> LexicalHead:
        """Fit on labelled corpus rows (rhetoric on hostile rows only, like the transformer).

        `words=False, per_target=False` gives the reference baseline's char n-gram model.
        """
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        def _logistic(seed: int) -> LogisticRegression:
            return LogisticRegression(C=_C, class_weight="balanced", max_iter=3000,
                                      random_state=seed)

        rows = [e for e in examples if e.stance and e.hostility]
        documents = [_document(e, target_names.get(e.target, e.target)) for e in rows]
        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=_NGRAMS, min_df=2,
                                     sublinear_tf=True, lowercase=True, max_features=300_000,
                                     dtype=np.float32)
        blocks = [vectorizer.fit_transform(documents)]
        word_vectorizer = None
        if words:
            word_vectorizer = TfidfVectorizer(analyzer="word", ngram_range=_WORD_NGRAMS,
                                              sublinear_tf=True, lowercase=True, dtype=np.float32)
            blocks.append(word_vectorizer.fit_transform(documents))
        features = hstack(blocks).tocsr()
        n_features = features.shape[1]
        target_keys = sorted({e.target for e in rows}) if per_target else []
        if target_keys:
            features = _augmented(features, [e.target for e in rows], target_keys)

        def split(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            """Shared weights (outputs × F) and per-target copies (targets × outputs × F)."""
            copies = weights.reshape(weights.shape[0], 1 + len(target_keys), n_features)
            return copies[:, 0], np.ascontiguousarray(copies[:, 1:].transpose(1, 0, 2))

        weights, biases, target_weights = {}, {}, {}
        full, biases["stance"] = _linear(
            _logistic(seed).fit(features, [e.stance for e in rows]), STANCES)
        weights["stance"], target_weights["stance"] = split(full)
        full, biases["hostility"] = _linear(
            _logistic(seed).fit(features, [e.hostility for e in rows]), HOSTILITY)
        weights["hostility"], target_weights["hostility"] = split(full)
        hostile = np.array([e.hostility == "hostile" for e in rows])
        rhetoric_w = np.zeros((len(RHETORIC_TYPES), features.shape[1]), np.float32)
        rhetoric_b = np.full(len(RHETORIC_TYPES), -30.0, np.float32)
        for j, rhetoric_type in enumerate(RHETORIC_TYPES):
            y = np.array([rhetoric_type in (e.rhetoric or ()) for e in rows])[hostile]
            if 2 <= y.sum() < len(y):
                model = _logistic(seed).fit(features[hostile], y)
                rhetoric_w[j], rhetoric_b[j] = model.coef_[0], model.intercept_[0]
        weights["rhetoric"], target_weights["rhetoric"] = split(rhetoric_w)
        biases["rhetoric"] = rhetoric_b
        logger.info("lexical head fitted on %d rows, %d features x %d copies", len(rows),
                    n_features, 1 + len(target_keys))
        word_features = None
        if word_vectorizer is not None:
            word_features = CharNgramFeatures(dict(word_vectorizer.vocabulary_),
                                              word_vectorizer.idf_, _word_ngrams)
        return cls(CharNgramFeatures(dict(vectorizer.vocabulary_), vectorizer.idf_), weights,
                   biases, dict(target_names), word_features, target_keys,
                   target_weights if target_keys else None)

    def probabilities(self, examples: Sequence[PassageInput]) -> dict[str, np.ndarray]:
        """Return stance (n×3), hostile (n) and rhetoric (n×6) probabilities, rows in input order."""
        all_scores = np.tile(self._bias, (len(examples), 1))
        for i, example in enumerate(examples):
            columns, values = self._blocks.row(
                _document(example, self.target_names.get(example.target, example.target)))
            weights_t = self._target_t.get(example.target, self._other_t)
            all_scores[i] += values @ weights_t[columns]
        cuts = np.cumsum([len(self.biases["stance"]), len(self.biases["hostility"])])
        stance, hostility, rhetoric = np.split(all_scores, cuts, axis=1)
        return {"stance": _softmax(stance), "hostile": _softmax(hostility)[:, 1],
                "rhetoric": 1.0 / (1.0 + np.exp(-rhetoric))}

    def save(self, directory: Path) -> Path:
        """Write `lexical_head.npz`: n-grams, idf and float16 weights; returns the path."""
        def ordered(vocabulary: dict[str, int]) -> np.ndarray:
            return np.array(sorted(vocabulary, key=vocabulary.__getitem__))

        arrays = {"ngrams": ordered(self.features.vocabulary), "idf": self.features.idf,
                  "targets": np.array([f"{k}\t{v}" for k, v in self.target_names.items()])}
        if self.words is not None:
            arrays["word_ngrams"] = ordered(self.words.vocabulary)
            arrays["word_idf"] = self.words.idf
        if self.target_keys:
            arrays["target_keys"] = np.array(self.target_keys)
        for head in self.weights:
            arrays[f"{head}_weights"] = self.weights[head].astype(np.float16)
            arrays[f"{head}_bias"] = self.biases[head]
            if self.target_keys:
                arrays[f"{head}_target_weights"] = self.target_weights[head].astype(np.float16)
        path = directory / LEXICAL_FILE
        np.savez_compressed(path, **arrays)  # type: ignore[arg-type]
        return path

    @classmethod
    def load(cls, directory: Path) -> LexicalHead:
        """Read `lexical_head.npz` (plain arrays, no pickle) back into a usable head."""
        with np.load(directory / LEXICAL_FILE, allow_pickle=False) as data:
            features = CharNgramFeatures({str(g): i for i, g in enumerate(data["ngrams"])},
                                         data["idf"])
            words = None
            if "word_ngrams" in data.files:
                words = CharNgramFeatures({str(g): i for i, g in enumerate(data["word_ngrams"])},
                                          data["word_idf"], _word_ngrams)
            # Weights stay float16 as stored; the per-target sums applied are float32.
            weights = {h: data[f"{h}_weights"] for h in _HEADS}
            biases = {h: data[f"{h}_bias"].astype(np.float32) for h in _HEADS}
            targets = dict(str(t).split("\t", 1) for t in data["targets"])
            target_keys = [str(k) for k in data["target_keys"]] if "target_keys" in data.files else []
            target_weights = ({h: data[f"{h}_target_weights"] for h in _HEADS}
                              if target_keys else None)
        return cls(features, weights, biases, targets, words, target_keys, target_weights)
