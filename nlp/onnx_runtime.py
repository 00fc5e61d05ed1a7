"""The classifier's network under ONNX Runtime, tokenized with the `tokenizers` library: no torch.

`OnnxNetwork.load(model_dir, threads)` opens `model.onnx` (written by nlp/onnx_export.py) in an
InferenceSession and `tokenizer.json` with `tokenizers.Tokenizer`. Pairs are encoded exactly as
the torch path's `encode_batch` does through transformers: "[CLS] target [SEP] passage [SEP]"
with token type ids, only the passage truncated to `max_length`, padded to the batch's longest
member with the tokenizer config's pad token. Importing torch and transformers costs ~600 MB of
RSS; this module and everything it imports leave both out.

The exporter records the SHA-256 of model.safetensors in the ONNX file's metadata, so a
model.onnx left behind by weights saved again without an export is detected (`matches_weights`)
instead of silently serving the old network.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
from tokenizers import Tokenizer

from nlp.model import ONNX_FILE, WEIGHTS_FILE

if TYPE_CHECKING:
    import onnxruntime

__all__ = ["OnnxNetwork", "onnxruntime_available", "weights_sha256", "TOKENIZER_FILE",
           "TOKENIZER_CONFIG_FILE", "WEIGHTS_SHA256_KEY"]

logger = logging.getLogger(__name__)

TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_CONFIG_FILE = "tokenizer_config.json"
WEIGHTS_SHA256_KEY = "mediawatch_weights_sha256"  # ONNX metadata: the weights it was exported from
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def onnxruntime_available() -> bool:
    """Return whether onnxruntime imports here (the ONNX backend's one extra dependency)."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def weights_sha256(directory: Path) -> str | None:
    """Return the hex SHA-256 of the directory's model.safetensors, or None where it has none."""
    path = directory / WEIGHTS_FILE
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def _special_token(config: Mapping[str, Any], key: str, default: str) -> str:
    """A special token from tokenizer_config.json: a string, or an AddedToken dict (older saves)."""
    value = config.get(key) or default
    return str(value["content"] if isinstance(value, dict) else value)


class OnnxNetwork:
    """An ONNX Runtime session of the network plus its tokenizer; returns raw logits per head."""

    backend = "onnx"

    def __init__(self, session: onnxruntime.InferenceSession, tokenizer: Tokenizer,
                 config: Mapping[str, Any]) -> None:
        self.session, self.tokenizer = session, tokenizer
        self.sep_token = _special_token(config, "sep_token", "[SEP]")
        pad_token = _special_token(config, "pad_token", "[PAD]")
        pad_id = tokenizer.token_to_id(pad_token)
        if pad_id is None:
            raise ValueError(f"pad token {pad_token!r} is not in the tokenizer's vocabulary")
        self._truncation_side = str(config.get("truncation_side") or "right")
        tokenizer.enable_padding(direction=str(config.get("padding_side") or "right"),
                                 pad_id=pad_id, pad_type_id=0, pad_token=pad_token)
        tokenizer.no_truncation()
        self._max_length = 0
        self.input_names = [i.name for i in session.get_inputs()]
        self.exported_from = session.get_modelmeta().custom_metadata_map.get(WEIGHTS_SHA256_KEY)
        unknown = set(self.input_names) - set(_INPUTS)
        if unknown:
            raise ValueError(f"{ONNX_FILE} has inputs this runtime does not feed: {sorted(unknown)}")

    @classmethod
    def load(cls, directory: str | Path, threads: int,
             onnx_file: str | Path | None = None) -> OnnxNetwork:
        """Open `directory`'s model.onnx (or `onnx_file`) with `threads` intra-op threads, one
        inter-op thread, sequential execution (the CPU budget of the torch backend's `threads`)."""
        import onnxruntime

        directory = Path(directory)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        # Idle pool threads sleep instead of spinning: the classifier shares its cores with the
        # crawler and the store, and on this 2-core machine under load spinning cost throughput
        # and doubled single-passage latency.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = onnxruntime.InferenceSession(str(onnx_file or directory / ONNX_FILE), options,
                                               providers=["CPUExecutionProvider"])
        config_path = directory / TOKENIZER_CONFIG_FILE
        config = json.loads(config_path.read_text(encoding="utf-8")) if config_path.is_file() else {}
        return cls(session, Tokenizer.from_file(str(directory / TOKENIZER_FILE)), config)

    def matches_weights(self, directory: Path) -> bool:
        """Whether this network was exported from `directory`'s model.safetensors as it is now
        (true where either side is unknown: no digest recorded, no weights file)."""
        current = weights_sha256(directory)
        return self.exported_from is None or current is None or current == self.exported_from

    def encode(self, pairs: Sequence[tuple[str, str]], max_length: int) -> dict[str, np.ndarray]:
        """Tokenize (target, passage) pairs as the torch path does: truncate the passage only,
        pad to the longest pair; int64 arrays for the session's inputs."""
        if max_length != self._max_length:
            self.tokenizer.enable_truncation(max_length, strategy="only_second",
                                             direction=self._truncation_side)
            self._max_length = max_length
        encodings = self.tokenizer.encode_batch(list(pairs))
        arrays = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        return {name: arrays[name] for name in self.input_names}

    def logits(self, pairs: Sequence[tuple[str, str]], max_length: int,
               heads: Sequence[str]) -> dict[str, np.ndarray]:
        """Return float32 logits per head for one batch of pairs, rows in the pairs' order."""
        outputs = self.session.run(list(heads), self.encode(pairs, max_length))
        return {head: np.asarray(value, dtype=np.float32) for head, value in zip(heads, outputs)}
