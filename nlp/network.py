"""The multi-task network in torch: a transformer encoder with stance, hostility and rhetoric heads.

The encoder is a small BERT built from scratch (`new_encoder_config`) or any pretrained
checkpoint loaded through `transformers.AutoModel`. Input is the pair "target [SEP] passage";
the mean of the token states feeds one linear head per task. `save_model` writes the encoder
config (config.json), the weights (model.safetensors, stored as float16 to halve the size), the
tokenizer and the meta (nlp/model.py); `load_model` reads them back. Training and the torch
inference fallback use this module; ONNX inference (nlp/onnx_runtime.py) never imports it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Mapping, Sequence

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from transformers import AutoConfig, AutoModel, BertConfig, PretrainedConfig, PreTrainedTokenizerBase

from nlp.model import WEIGHTS_FILE, ModelMeta, head_sizes, load_meta, save_meta

__all__ = ["MultiTaskClassifier", "new_encoder_config", "save_model", "load_model"]

logger = logging.getLogger(__name__)


def new_encoder_config(vocab_size: int, hidden_size: int = 192, layers: int = 4, heads: int = 4,
                       intermediate_size: int = 768, max_positions: int = 256) -> BertConfig:
    """Return the config of a small BERT encoder to train from scratch."""
    return BertConfig(vocab_size=vocab_size, hidden_size=hidden_size, num_hidden_layers=layers,
                      num_attention_heads=heads, intermediate_size=intermediate_size,
                      max_position_embeddings=max_positions, type_vocab_size=2,
                      hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)


class MultiTaskClassifier(nn.Module):
    """Encoder + mean pooling + one linear head per task; returns raw logits per head."""

    def __init__(self, encoder: nn.Module, heads: Mapping[str, int], dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        hidden = int(encoder.config.hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.heads = nn.ModuleDict({name: nn.Linear(hidden, n) for name, n in heads.items()})

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor | None = None,
                only: Sequence[str] | None = None) -> dict[str, torch.Tensor]:
        """Return logits per head (all heads, or those in `only`)."""
        kwargs: dict[str, torch.Tensor] = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None:
            kwargs["token_type_ids"] = token_type_ids
        states = self.encoder(**kwargs).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        pooled = self.dropout((states * mask).sum(1) / mask.sum(1).clamp(min=1.0))
        names = only if only is not None else list(self.heads)
        return {name: self.heads[name](pooled) for name in names}


def save_model(model: MultiTaskClassifier, tokenizer: PreTrainedTokenizerBase, meta: ModelMeta,
               directory: Path) -> None:
    """Write config, float16 weights, tokenizer and meta into `directory` (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    model.encoder.config.save_pretrained(directory)
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items()
             if v.is_floating_point()}
    state.update({k: v.contiguous() for k, v in model.state_dict().items()
                  if not v.is_floating_point()})
    save_file(state, str(directory / WEIGHTS_FILE))
    tokenizer.save_pretrained(str(directory))
    save_meta(meta, directory)


def load_model(directory: Path) -> tuple[MultiTaskClassifier, ModelMeta]:
    """Rebuild the classifier saved by `save_model` (weights back in float32, eval mode)."""
    meta = load_meta(directory)
    config: PretrainedConfig = AutoConfig.from_pretrained(str(directory))
    encoder = AutoModel.from_config(config)
    model = MultiTaskClassifier(encoder, head_sizes(meta))
    state = {k: (v.float() if v.is_floating_point() else v)
             for k, v in load_file(str(directory / WEIGHTS_FILE)).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    bad = [k for k in missing if "pooler" not in k] + list(unexpected)
    if bad:
        raise ValueError(f"{directory / WEIGHTS_FILE} does not match its config: {bad[:5]}")
    model.eval()
    return model, meta
