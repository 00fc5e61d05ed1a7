"""Passage classification with a saved model: batched, length-sorted, calibrated.

`PassageClassifier.load(model_dir)` rebuilds the model; `predict(examples)` returns one
`Prediction` per input, in input order, with temperature-scaled probabilities and the labels the
dev-tuned thresholds give. Inputs are sorted by token length and padded per batch only to the
longest member (sorting by characters approximates sorting by word pieces), which on CPU
matters more than any other speed trick for short news sentences.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Sequence

import numpy as np
import torch
from torch import nn
from transformers import PreTrainedTokenizerBase

from nlp.calibration import sigmoid, softmax
from mediawatch.errors import ConfigError
from nlp.ensemble import blend_probabilities
from nlp.lexical import LEXICAL_FILE, LexicalHead
from nlp.model import META_FILE, ModelMeta, MultiTaskClassifier, load_model
from nlp.tokenizer import load_tokenizer

__all__ = ["PassageInput", "Prediction", "PassageClassifier", "pair_text", "encode_batch",
           "decide"]

logger = logging.getLogger(__name__)


class PassageInput(Protocol):
    """What the classifier reads from an input: the sentence, its target, optional context."""

    @property
    def text(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def context(self) -> str | None: ...


@dataclass
class Prediction:
    """The classifier's calibrated output for one passage."""

    stance: str
    stance_probs: dict[str, float]
    hostility: str
    hostile_prob: float
    rhetoric: list[str]
    rhetoric_probs: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form printed by `mediawatch classify`."""
        return {
            "stance": self.stance,
            "stance_probs": {k: round(v, 4) for k, v in self.stance_probs.items()},
            "hostility": self.hostility,
            "hostile_prob": round(self.hostile_prob, 4),
            "rhetoric": self.rhetoric,
            "rhetoric_probs": {k: round(v, 4) for k, v in self.rhetoric_probs.items()},
        }


def pair_text(example: PassageInput, meta: ModelMeta, sep_token: str) -> tuple[str, str]:
    """Return the (target, passage) pair the model reads; context follows the sentence after SEP."""
    passage = example.text if not example.context else f"{example.text} {sep_token} {example.context}"
    return meta.target_text(example.target), passage


def encode_batch(tokenizer: PreTrainedTokenizerBase, pairs: Sequence[tuple[str, str]],
                 max_length: int) -> dict[str, torch.Tensor]:
    """Tokenize pairs, truncating the passage, padded to the batch's longest member."""
    firsts = [p[0] for p in pairs]
    seconds = [p[1] for p in pairs]
    encoded = tokenizer(firsts, seconds, truncation="only_second", max_length=max_length,
                        padding=True, return_tensors="pt")
    return {k: v for k, v in encoded.items()
            if k in ("input_ids", "attention_mask", "token_type_ids")}


def decide(stance_probs: np.ndarray, hostile_prob: float, rhetoric_probs: np.ndarray,
           meta: ModelMeta) -> Prediction:
    """Turn calibrated probabilities into labels, keeping LABELING.md's consistency rules.

    Hostile implies against; rhetoric types are reported only for hostile passages, and a
    hostile passage always gets at least its most likely type.
    """
    stances, rhetoric_types = meta.labels["stance"], meta.labels["rhetoric"]
    hostile = hostile_prob >= meta.thresholds["hostility"]
    stance = "against" if hostile else stances[int(np.argmax(stance_probs))]
    rhetoric: list[str] = []
    if hostile:
        rhetoric = [t for t, p in zip(rhetoric_types, rhetoric_probs)
                    if p >= meta.thresholds["rhetoric"]]
        rhetoric = rhetoric or [rhetoric_types[int(np.argmax(rhetoric_probs))]]
    return Prediction(
        stance=stance, stance_probs=dict(zip(stances, map(float, stance_probs))),
        hostility="hostile" if hostile else "none", hostile_prob=float(hostile_prob),
        rhetoric=rhetoric, rhetoric_probs=dict(zip(rhetoric_types, map(float, rhetoric_probs))))


def _quantized(model: MultiTaskClassifier) -> MultiTaskClassifier:
    """Return `model` with int8 dynamic quantisation of its Linear layers (embeddings stay fp32)."""
    with warnings.catch_warnings():
        # torch 2.10+ marks eager-mode quantisation as deprecated in favour of torchao, which is
        # not a dependency here; the eager path still works and is what this measures.
        warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*quantiz")
        return torch.ao.quantization.quantize_dynamic(  # type: ignore[no-any-return]
            model, {nn.Linear}, dtype=torch.qint8)


class PassageClassifier:
    """A loaded model ready to classify passages; not thread-safe (torch sets global threads).

    With a `lexical` head (a model directory holding lexical_head.npz and blend weights in its
    meta), probabilities are the dev-weighted mean of the transformer's and the head's.
    """

    def __init__(self, model: MultiTaskClassifier, tokenizer: PreTrainedTokenizerBase,
                 meta: ModelMeta, batch_size: int = 64, threads: int = 2,
                 lexical: LexicalHead | None = None) -> None:
        self.model, self.tokenizer, self.meta = model, tokenizer, meta
        self.batch_size, self.threads = batch_size, threads
        self.lexical = lexical if meta.blend else None
        self.model.eval()

    @classmethod
    def load(cls, directory: str | Path, batch_size: int = 64, threads: int = 2,
             quantize: bool = False, max_length: int | None = None) -> PassageClassifier:
        """Load a model directory; `quantize` applies int8 dynamic quantisation to Linear layers.

        Raises ConfigError naming the directory and the fix when no model is there.
        `max_length` can only lower the length the model was trained with.
        """
        directory = Path(directory)
        if not (directory / META_FILE).is_file():
            raise ConfigError(f"no classifier model in {directory}", key="classifier.model",
                              fix="run `mediawatch train --from-scratch` or set classifier.model "
                                  "to a trained model directory")
        torch.set_num_threads(threads)
        model, meta = load_model(directory)
        if quantize:
            model = _quantized(model)
        if max_length:
            meta.max_length = min(meta.max_length, max_length)
        lexical = None
        if meta.blend:
            if not (directory / LEXICAL_FILE).is_file():
                raise ConfigError(f"{directory} blends a lexical head but has no {LEXICAL_FILE}",
                                  key="classifier.model",
                                  fix="retrain the model or copy the whole model directory")
            lexical = LexicalHead.load(directory)
        return cls(model, load_tokenizer(directory), meta, batch_size, threads, lexical)

    @property
    def name(self) -> str:
        """The model's name (e.g. ``default``)."""
        return self.meta.name

    @property
    def version(self) -> str:
        """The model's version string (training date and corpus size)."""
        return self.meta.version

    def logits(self, examples: Sequence[PassageInput]) -> dict[str, np.ndarray]:
        """Return raw logits per main head, rows in input order."""
        torch.set_num_threads(self.threads)
        sep = self.tokenizer.sep_token or "[SEP]"
        pairs = [pair_text(e, self.meta, sep) for e in examples]
        lengths = [len(a) + len(b) for a, b in pairs]
        order = sorted(range(len(pairs)), key=lengths.__getitem__)
        heads = list(self.meta.labels)
        out = {h: np.zeros((len(pairs), len(self.meta.labels[h])), dtype=np.float32) for h in heads}
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                index = order[start:start + self.batch_size]
                batch = encode_batch(self.tokenizer, [pairs[i] for i in index], self.meta.max_length)
                logits = self.model(**batch, only=heads)
                for head in heads:
                    out[head][index] = logits[head].float().numpy()
        return out

    def transformer_probabilities(self, examples: Sequence[PassageInput]) -> dict[str, np.ndarray]:
        """Return the transformer's own calibrated probabilities: stance (n×3), hostile (n),
        rhetoric (n×6)."""
        logits = self.logits(examples)
        t = self.meta.temperatures
        return {
            "stance": softmax(logits["stance"], t["stance"]),
            "hostile": softmax(logits["hostility"], t["hostility"])[:, 1],
            "rhetoric": sigmoid(logits["rhetoric"], t["rhetoric"]),
        }

    def probabilities(self, examples: Sequence[PassageInput]) -> dict[str, np.ndarray]:
        """Return the final probabilities: the transformer's, blended with the lexical head's
        when the model has one."""
        probs = self.transformer_probabilities(examples)
        if self.lexical is None:
            return probs
        return blend_probabilities(probs, self.lexical.probabilities(examples), self.meta.blend)

    def predict(self, examples: Sequence[PassageInput]) -> list[Prediction]:
        """Return one calibrated Prediction per example, in input order."""
        if not examples:
            return []
        probs = self.probabilities(examples)
        return [decide(probs["stance"][i], float(probs["hostile"][i]), probs["rhetoric"][i],
                       self.meta) for i in range(len(examples))]
