"""Passage classification with a saved model: batched, length-sorted, calibrated.

`PassageClassifier.load(model_dir)` rebuilds the model; `predict(examples)` returns one
`Prediction` per input, in input order, with temperature-scaled probabilities and the labels the
dev-tuned thresholds give. Inputs are sorted by token length and padded per batch only to the
longest member (sorting by characters approximates sorting by word pieces), which on CPU
matters more than any other speed trick for short news sentences.

Two backends run the network and give the same logits (within float rounding): ONNX Runtime
when the model directory has `model.onnx` (nlp/onnx_export.py) and onnxruntime imports, with the
`tokenizers` library reading tokenizer.json (nlp/onnx_runtime.py); otherwise torch. The ONNX path
imports neither torch nor transformers (~600 MB of RSS). Calibration, the lexical-head blend,
thresholds and `decide` are numpy code shared by both.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Sequence

import numpy as np

from nlp.calibration import sigmoid, softmax
from mediawatch.errors import ConfigError
from nlp.ensemble import blend_probabilities
from nlp.lexical import LEXICAL_FILE, LexicalHead
from nlp.model import META_FILE, ONNX_FILE, WEIGHTS_FILE, ModelMeta, load_meta
from nlp.onnx_runtime import OnnxNetwork, onnxruntime_available

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedTokenizerBase

    from nlp.network import MultiTaskClassifier

__all__ = ["PassageInput", "Prediction", "PassageClassifier", "TorchNetwork", "pair_text",
           "encode_batch", "decide", "BACKENDS"]

BACKENDS = ("onnx", "torch")

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
    """Tokenize pairs, truncating the passage, padded to the batch's longest member (torch
    tensors; `OnnxNetwork.encode` is the same encoding for the ONNX backend)."""
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
    import torch
    from torch import nn

    with warnings.catch_warnings():
        # torch 2.10+ marks eager-mode quantisation as deprecated in favour of torchao, which is
        # not a dependency here; the eager path still works and is what this measures.
        warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*quantiz")
        return torch.ao.quantization.quantize_dynamic(  # type: ignore[no-any-return]
            model, {nn.Linear}, dtype=torch.qint8)


class TorchNetwork:
    """The torch network with its transformers tokenizer; returns raw logits per head."""

    backend = "torch"

    def __init__(self, model: MultiTaskClassifier, tokenizer: PreTrainedTokenizerBase,
                 threads: int) -> None:
        self.model, self.tokenizer, self.threads = model, tokenizer, threads
        self.sep_token = str(tokenizer.sep_token or "[SEP]")
        self.model.eval()

    def logits(self, pairs: Sequence[tuple[str, str]], max_length: int,
               heads: Sequence[str]) -> dict[str, np.ndarray]:
        """Return float32 logits per head for one batch of pairs, rows in the pairs' order."""
        import torch

        torch.set_num_threads(self.threads)
        with torch.inference_mode():
            logits = self.model(**encode_batch(self.tokenizer, pairs, max_length), only=heads)
            return {head: logits[head].float().numpy() for head in heads}


class PassageClassifier:
    """A loaded model ready to classify passages; not thread-safe (torch sets global threads,
    the ONNX tokenizer keeps its truncation setting).

    The network is an `OnnxNetwork` (ONNX Runtime) or a torch `MultiTaskClassifier` with its
    tokenizer (wrapped in `TorchNetwork`); `backend` says which. With a `lexical` head (a model
    directory holding lexical_head.npz and blend weights in its meta), probabilities are the
    dev-weighted mean of the transformer's and the head's.
    """

    def __init__(self, model: MultiTaskClassifier | OnnxNetwork,
                 tokenizer: PreTrainedTokenizerBase | None, meta: ModelMeta, batch_size: int = 64,
                 threads: int = 2, lexical: LexicalHead | None = None) -> None:
        if isinstance(model, OnnxNetwork):
            self.network: OnnxNetwork | TorchNetwork = model
        elif tokenizer is None:
            raise TypeError("a torch model needs its tokenizer")
        else:
            self.network = TorchNetwork(model, tokenizer, threads)
        self.meta, self.batch_size, self.threads = meta, batch_size, threads
        self.lexical = lexical if meta.blend else None

    @classmethod
    def load(cls, directory: str | Path, batch_size: int = 64, threads: int = 2,
             quantize: bool = False, max_length: int | None = None,
             backend: str | None = None) -> PassageClassifier:
        """Load a model directory; `quantize` applies int8 dynamic quantisation to Linear layers.

        `backend` is "onnx" (ONNX Runtime, model.onnx), "torch", or None: ONNX Runtime when the
        directory has model.onnx exported from its current weights, onnxruntime imports and no
        `quantize` (a torch feature), else torch. Raises ConfigError naming the directory and the
        fix when no model is there, or when the asked-for backend cannot run. `max_length` can
        only lower the length the model was trained with.
        """
        directory = Path(directory)
        if not (directory / META_FILE).is_file():
            raise ConfigError(f"no classifier model in {directory}", key="classifier.model",
                              fix="run `mediawatch train --from-scratch` or set classifier.model "
                                  "to a trained model directory")
        model, tokenizer, meta = _load_network(directory, backend, threads, quantize)
        if max_length:
            meta.max_length = min(meta.max_length, max_length)
        lexical = None
        if meta.blend:
            if not (directory / LEXICAL_FILE).is_file():
                raise ConfigError(f"{directory} blends a lexical head but has no {LEXICAL_FILE}",
                                  key="classifier.model",
                                  fix="retrain the model or copy the whole model directory")
            lexical = LexicalHead.load(directory)
        return cls(model, tokenizer, meta, batch_size, threads, lexical)

    @property
    def backend(self) -> str:
        """Which runtime runs the network: ``onnx`` or ``torch``."""
        return self.network.backend

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
        pairs = [pair_text(e, self.meta, self.network.sep_token) for e in examples]
        lengths = [len(a) + len(b) for a, b in pairs]
        order = sorted(range(len(pairs)), key=lengths.__getitem__)
        heads = list(self.meta.labels)
        out = {h: np.zeros((len(pairs), len(self.meta.labels[h])), dtype=np.float32) for h in heads}
        for start in range(0, len(order), self.batch_size):
            index = order[start:start + self.batch_size]
            logits = self.network.logits([pairs[i] for i in index], self.meta.max_length, heads)
            for head in heads:
                out[head][index] = logits[head]
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


def _load_network(directory: Path, backend: str | None, threads: int, quantize: bool
                  ) -> tuple[MultiTaskClassifier | OnnxNetwork, PreTrainedTokenizerBase | None,
                             ModelMeta]:
    """Load the network with the asked-for backend, or the one `_pick_backend` picks; a torch
    model comes with its tokenizer, an OnnxNetwork carries its own (None)."""
    picked = backend or _pick_backend(directory, quantize)
    if picked not in BACKENDS:
        raise ConfigError(f"unknown classifier backend {backend!r}",
                          fix=f"use one of {', '.join(BACKENDS)}")
    if picked == "onnx":
        _check_onnx(directory, quantize)
        network = OnnxNetwork.load(directory, threads)
        if network.matches_weights(directory):
            logger.debug("classifier %s: onnx backend", directory)
            return network, None, load_meta(directory)
        problem = f"{directory / ONNX_FILE} was exported from other weights than {WEIGHTS_FILE}"
        if backend:
            raise ConfigError(problem, key="classifier.model",
                              fix=f"run `mediawatch model export-onnx {directory}`")
        logger.warning("%s: using torch (`mediawatch model export-onnx %s` re-exports it)",
                       problem, directory)
    import torch

    from nlp.network import load_model
    from nlp.tokenizer import load_tokenizer

    torch.set_num_threads(threads)
    model, meta = load_model(directory)
    if quantize:
        model = _quantized(model)
    logger.debug("classifier %s: torch backend%s", directory, " (int8)" if quantize else "")
    return model, load_tokenizer(directory), meta


def _pick_backend(directory: Path, quantize: bool) -> str:
    """ONNX Runtime where it can run this directory's model as asked, else torch."""
    if quantize or not (directory / ONNX_FILE).is_file():
        return "torch"
    if not onnxruntime_available():
        logger.warning("%s has %s but onnxruntime does not import: using torch", directory,
                       ONNX_FILE)
        return "torch"
    return "onnx"


def _check_onnx(directory: Path, quantize: bool) -> None:
    """Raise ConfigError when the ONNX backend cannot run `directory` as asked."""
    if quantize:
        raise ConfigError("int8 dynamic quantisation is a torch-backend option",
                          fix="drop --quantize or use the torch backend")
    if not (directory / ONNX_FILE).is_file():
        raise ConfigError(f"no {ONNX_FILE} in {directory}", key="classifier.model",
                          fix=f"run `mediawatch model export-onnx {directory}`")
    if not onnxruntime_available():
        raise ConfigError("onnxruntime does not import", fix="pip install onnxruntime")
