"""Export a saved classifier to ONNX (`model.onnx` beside model.safetensors) for ONNX Runtime.

The graph takes the inputs the model's tokenizer gives (input_ids, attention_mask, and
token_type_ids when the tokenizer makes them; int64, dynamic batch and sequence axes) and returns
the raw logits of every main head (stance, hostility, rhetoric); calibration, the lexical blend
and thresholds stay in numpy (nlp/inference.py), shared with the torch backend.

Weights that float16 holds exactly (all of them: model.safetensors stores float16) are stored as
float16 initializers followed by a Cast to float32, which ONNX Runtime folds when it opens the
session: the file is half the size (~8 MB for the default model) and computes with the same
float32 values as the torch path. The file records the SHA-256 of the model.safetensors it came
from (nlp/onnx_runtime.py). Export needs torch and the `onnx` package (training does too); the
result is checked against torch before it replaces an earlier model.onnx.
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from transformers import PreTrainedTokenizerBase

from nlp.inference import encode_batch
from nlp.model import ONNX_FILE
from nlp.network import MultiTaskClassifier, load_model
from nlp.onnx_runtime import WEIGHTS_SHA256_KEY, OnnxNetwork, weights_sha256
from nlp.tokenizer import load_tokenizer

__all__ = ["export_onnx", "OPSET"]

logger = logging.getLogger(__name__)

OPSET = 17
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# Float16 storage only for tensors at least this large: small constants (mask fill values,
# scale factors) stay float32 as exported.
_MIN_FLOAT16_ELEMENTS = 1024
# Pairs of different lengths: the traced batch has padding, so the masking is in the graph.
_TRACE_PAIRS = (("Azerbaijan", "Baku said the statement was a provocation."),
                ("Russia", "Москва и Баку подписали соглашение о сотрудничестве в энергетике, "
                           "сообщили в министерстве."))
# Other batch and sequence sizes than the traced ones, one truncated to max_length.
_CHECK_BATCHES = ((("Russia", "Кремль ответил."),
                   ("Azerbaijan", "Azərbaycan XİN bəyanatla çıxış edib, Rusiyanı ittiham edib."),
                   ("Russia", "Баку " * 300 + "ответит на провокацию.")),
                  (("Azerbaijan", "Алиев провёл переговоры."),))
_CHECK_ATOL = 1e-4


class _Logits(torch.nn.Module):
    """The network with positional inputs and a tuple of main-head logits as outputs."""

    def __init__(self, model: MultiTaskClassifier, heads: Sequence[str],
                 inputs: Sequence[str]) -> None:
        super().__init__()
        self.model, self.heads, self.inputs = model, list(heads), list(inputs)

    def forward(self, *tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
        logits = self.model(**dict(zip(self.inputs, tensors)), only=self.heads)
        return tuple(logits[head] for head in self.heads)


def export_onnx(model_dir: str | Path, opset: int = OPSET) -> Path:
    """Write `model_dir`/model.onnx from the model saved there; return its path.

    Raises ValueError when ONNX Runtime's tokenization or logits differ from the torch path's
    (logits by more than 1e-4) on the check batches; an earlier model.onnx is then kept.
    """
    directory = Path(model_dir)
    model, meta = load_model(directory)
    tokenizer = load_tokenizer(directory)
    heads = list(meta.labels)
    example = encode_batch(tokenizer, _TRACE_PAIRS, meta.max_length)
    inputs = [name for name in _INPUTS if name in example]
    path = directory / ONNX_FILE
    handle, temporary = tempfile.mkstemp(prefix=".model-", suffix=".onnx", dir=directory)
    os.close(handle)
    try:
        converted = _export(model, heads, inputs, example, temporary, opset,
                            weights_sha256(directory))
        _check(directory, Path(temporary), model, tokenizer, heads, meta.max_length)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; a model file is not
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    logger.info("exported %s (%.1f MB, %d float16 initializers)", path,
                path.stat().st_size / 1e6, converted)
    return path


def _export(model: MultiTaskClassifier, heads: Sequence[str], inputs: Sequence[str],
            example: Mapping[str, torch.Tensor], file: str, opset: int,
            weights_digest: str | None) -> int:
    """Trace `model` into the ONNX file `file`, weights stored as float16 where exact, tagged
    with the SHA-256 of the weights file; return how many initializers became float16."""
    with warnings.catch_warnings():
        # The TorchScript exporter (dynamo=False) is deprecated in favour of the torch.export one,
        # which needs onnxscript and takes ~10x longer here; this one exports the encoder exactly.
        warnings.filterwarnings("ignore", category=DeprecationWarning,
                                message=".*(legacy TorchScript-based ONNX export|will be removed)")
        # transformers' mask helpers turn shapes into Python bools (pad the 2D mask when it is
        # shorter than the keys, never so in an encoder): the traced branch is the general one,
        # and _check runs the graph on other batch and sequence sizes.
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning,  # type: ignore[attr-defined]
                                module=r"transformers\.")
        # The mask helpers index with aranges, never with negative indices.
        warnings.filterwarnings("ignore", category=UserWarning,
                                message="Exporting aten::index operator of advanced indexing")
        torch.onnx.export(
            _Logits(model, heads, inputs).eval(), tuple(example[name] for name in inputs), file,
            dynamo=False, input_names=inputs, output_names=heads, opset_version=opset,
            dynamic_axes={**{name: {0: "batch", 1: "sequence"} for name in inputs},
                          **{head: {0: "batch"} for head in heads}})
    graph = onnx.load_model(file)
    converted = _store_float16(graph)
    if weights_digest:
        helper.set_model_props(graph, {WEIGHTS_SHA256_KEY: weights_digest})
    onnx.save_model(graph, file)
    return converted


def _store_float16(model: onnx.ModelProto) -> int:
    """Store large float32 initializers that float16 holds exactly as float16 + Cast; return how
    many were converted. The graph computes with the same float32 values as before."""
    graph = model.graph
    taken = {i.name for i in graph.initializer} | {n for node in graph.node for n in node.output}
    kept, casts = [], []
    for initializer in graph.initializer:
        values = numpy_helper.to_array(initializer)
        half = values.astype(np.float16)
        if (initializer.data_type != TensorProto.FLOAT or values.size < _MIN_FLOAT16_ELEMENTS
                or not np.array_equal(half.astype(np.float32), values)):
            kept.append(initializer)
            continue
        name = f"{initializer.name}.float16"
        while name in taken:
            name += "_"
        taken.add(name)
        kept.append(numpy_helper.from_array(half, name))
        casts.append(helper.make_node("Cast", [name], [initializer.name], to=TensorProto.FLOAT,
                                      name=f"{name}.cast"))
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    return len(casts)


def _check(directory: Path, onnx_file: Path, model: MultiTaskClassifier,
           tokenizer: PreTrainedTokenizerBase, heads: Sequence[str], max_length: int) -> None:
    """Raise ValueError unless the ONNX backend on `onnx_file` encodes the check batches as
    transformers does and gives torch's logits within 1e-4."""
    network = OnnxNetwork.load(directory, threads=1, onnx_file=onnx_file)
    for pairs in _CHECK_BATCHES:
        expected = encode_batch(tokenizer, pairs, max_length)
        encoded = network.encode(pairs, max_length)
        if any(not np.array_equal(encoded[name], expected[name].numpy()) for name in encoded):
            raise ValueError(f"{directory}: the tokenizers encoding differs from transformers'")
        got = network.logits(pairs, max_length, heads)
        with torch.inference_mode():
            want = model(**expected, only=heads)
        for head in heads:
            error = float(np.abs(got[head] - want[head].float().numpy()).max())
            if error > _CHECK_ATOL:
                raise ValueError(f"{directory}: ONNX {head} logits differ from torch's by "
                                 f"{error:.2e}")
