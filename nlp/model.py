"""The classifier's model directory: what it holds and what its meta says, without torch.

A model directory holds the encoder config (config.json), the weights (model.safetensors,
float16), the tokenizer (tokenizer.json, tokenizer_config.json), `mediawatch_model.json` with
label maps, calibration and thresholds (`ModelMeta`), and, for ONNX Runtime inference, the same
network as `model.onnx` (nlp/onnx_export.py). The torch network itself (`MultiTaskClassifier`,
`new_encoder_config`, `save_model`, `load_model`) lives in nlp/network.py and is importable from
here too, but only imported on first use: ONNX inference reads this module and never loads torch.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from mediawatch.documents import HOSTILITY, RHETORIC_TYPES, STANCES

__all__ = [
    "MAIN_HEADS",
    "AUX_HEADS",
    "ModelMeta",
    "MultiTaskClassifier",
    "new_encoder_config",
    "save_model",
    "load_model",
    "head_sizes",
    "load_meta",
    "META_FILE",
    "save_meta",
    "WEIGHTS_FILE",
    "ONNX_FILE",
]

if TYPE_CHECKING:
    from nlp.network import MultiTaskClassifier, load_model, new_encoder_config, save_model

logger = logging.getLogger(__name__)

META_FILE = "mediawatch_model.json"
WEIGHTS_FILE = "model.safetensors"
ONNX_FILE = "model.onnx"
MAIN_HEADS: dict[str, tuple[str, ...]] = {
    "stance": STANCES, "hostility": HOSTILITY, "rhetoric": RHETORIC_TYPES}
# Auxiliary heads train on real datasets whose labels are not ours (see nlp/examples.py).
AUX_HEADS: dict[str, tuple[str, ...]] = {"polarity": STANCES, "toxicity": HOSTILITY}


@dataclass
class ModelMeta:
    """What a model directory says about itself beyond the encoder: labels, calibration, origin."""

    name: str
    version: str
    labels: dict[str, list[str]] = field(default_factory=lambda: {
        k: list(v) for k, v in MAIN_HEADS.items()})
    aux_heads: list[str] = field(default_factory=list)
    temperatures: dict[str, float] = field(default_factory=lambda: {
        "stance": 1.0, "hostility": 1.0, "rhetoric": 1.0})
    thresholds: dict[str, float] = field(default_factory=lambda: {
        "hostility": 0.5, "rhetoric": 0.5})
    max_length: int = 128
    base_model: str | None = None
    # Transformer weight per head when blended with the lexical head (nlp/ensemble.py);
    # empty: the transformer alone.
    blend: dict[str, float] = field(default_factory=dict)
    target_names: dict[str, str] = field(default_factory=lambda: {
        "azerbaijan": "Azerbaijan", "russia": "Russia"})

    def target_text(self, target: str) -> str:
        """Return the text fed as the first segment for `target` (a known key or free text)."""
        return self.target_names.get(target, target)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelMeta:
        """Build from the JSON form, ignoring unknown keys written by newer versions."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def head_sizes(meta: ModelMeta) -> dict[str, int]:
    """Return {head: number of outputs} for the main heads plus the model's auxiliary heads."""
    sizes = {name: len(labels) for name, labels in meta.labels.items()}
    sizes.update({name: len(AUX_HEADS[name]) for name in meta.aux_heads})
    return sizes


def load_meta(directory: Path) -> ModelMeta:
    """Read `mediawatch_model.json` from a model directory."""
    return ModelMeta.from_dict(json.loads((directory / META_FILE).read_text(encoding="utf-8")))


def save_meta(meta: ModelMeta, directory: Path) -> None:
    """Write `mediawatch_model.json` into a model directory."""
    (directory / META_FILE).write_text(json.dumps(asdict(meta), indent=2, ensure_ascii=False) + "\n",
                                       encoding="utf-8")


_NETWORK_NAMES = frozenset({"MultiTaskClassifier", "new_encoder_config", "save_model", "load_model"})


def __getattr__(name: str) -> Any:
    """Import the torch network's names from nlp.network on first use (PEP 562)."""
    if name in _NETWORK_NAMES:
        from nlp import network

        return getattr(network, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
