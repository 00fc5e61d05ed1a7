"""Unlabelled news text from ../shared/data/unlabeled and masked-language pretraining on it.

The text is read at training time only (its licences forbid redistribution; see that folder's
README) and split into sentence chunks. MLM pretraining runs for a wall-clock budget because
the machine is shared; the step count reached is recorded in the model card.
"""

from __future__ import annotations

import gzip
import json
import logging
import random
import re
import time
from pathlib import Path
from typing import Iterator

import torch
from torch import nn
from torch.nn import functional
from transformers import PreTrainedTokenizerBase

__all__ = ["read_unlabeled", "pretrain_mlm"]

logger = logging.getLogger(__name__)

_SENTENCE_END = re.compile(r"(?<=[.!?…»])\s+")
_CHUNK_CHARS = 280  # about 64 word pieces: the length of a news sentence with its neighbour


def _documents(folder: Path) -> Iterator[str]:
    for path in sorted(folder.glob("*.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                if path.name.startswith("sentences"):
                    yield line.strip()
                    continue
                row = json.loads(line)
                yield "\n".join(p for p in (row.get("title"), row.get("text")) if p)


def _chunks(document: str) -> Iterator[str]:
    """Split a document into runs of whole sentences of about `_CHUNK_CHARS` characters."""
    for paragraph in document.split("\n"):
        current = ""
        for sentence in _SENTENCE_END.split(paragraph.strip()):
            if current and len(current) + len(sentence) > _CHUNK_CHARS:
                yield current
                current = ""
            current = f"{current} {sentence}".strip()
        if len(current) >= 25:
            yield current


def read_unlabeled(unlabeled_dir: Path, language: str, max_chars: int, seed: int = 13) -> list[str]:
    """Return up to `max_chars` of shuffled sentence chunks in `language` (folders named lang_*).

    Each folder contributes in proportion to its size, capped so that no folder dominates;
    returns [] when the directory is absent (a fresh clone).
    """
    folders = sorted(p for p in unlabeled_dir.glob(f"{language}_*") if p.is_dir())
    if not folders:
        return []
    chunks: list[str] = []
    for folder in folders:
        chunks.extend(c for d in _documents(folder) for c in _chunks(d))
    random.Random(seed).shuffle(chunks)
    taken, total = [], 0
    for chunk in chunks:
        if total >= max_chars:
            break
        taken.append(chunk)
        total += len(chunk)
    logger.info("unlabeled %s: %d chunks, %d chars from %d folders", language, len(taken), total,
                len(folders))
    return taken


class _MaskedLMHead(nn.Module):
    """BERT's MLM head with the decoder tied to the input embeddings, run on masked rows only."""

    def __init__(self, embeddings: nn.Embedding, hidden: int) -> None:
        super().__init__()
        self.transform = nn.Sequential(nn.Linear(hidden, hidden), nn.GELU(), nn.LayerNorm(hidden))
        self.embeddings = embeddings
        self.bias = nn.Parameter(torch.zeros(embeddings.num_embeddings))

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        return self.transform(states) @ self.embeddings.weight.T + self.bias


def _mask_tokens(ids: torch.Tensor, special: torch.Tensor, tokenizer: PreTrainedTokenizerBase,
                 generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT masking: 15% of real tokens are targets; 80% become [MASK], 10% random, 10% kept."""
    targets = (torch.rand(ids.shape, generator=generator) < 0.15) & ~special
    inputs = ids.clone()
    roll = torch.rand(ids.shape, generator=generator)
    inputs[targets & (roll < 0.8)] = int(tokenizer.mask_token_id)  # type: ignore[arg-type]
    random_ids = torch.randint(len(tokenizer), ids.shape, generator=generator)
    swap = targets & (roll >= 0.8) & (roll < 0.9)
    inputs[swap] = random_ids[swap]
    return inputs, targets


def pretrain_mlm(encoder: nn.Module, tokenizer: PreTrainedTokenizerBase, texts: list[str],
                 minutes: float, batch_size: int = 64, max_length: int = 64, lr: float = 5e-4,
                 seed: int = 13) -> dict[str, float]:
    """Train `encoder` in place with masked-language modelling for `minutes` of wall time.

    Returns {"steps", "sequences", "final_loss"}; the MLM head is discarded afterwards.
    """
    encoded = tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]
    generator = torch.Generator().manual_seed(seed)
    head = _MaskedLMHead(encoder.get_input_embeddings(), int(encoder.config.hidden_size))
    params = list(encoder.parameters()) + [p for n, p in head.named_parameters()
                                           if not n.startswith("embeddings")]
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / 50))
    encoder.train()
    order = random.Random(seed)
    deadline, steps, recent = time.monotonic() + minutes * 60, 0, []
    while time.monotonic() < deadline:
        batch = tokenizer.pad({"input_ids": [encoded[order.randrange(len(encoded))]
                                             for _ in range(batch_size)]}, return_tensors="pt")
        ids, attention = batch["input_ids"], batch["attention_mask"]
        special = (attention == 0) | (ids == tokenizer.cls_token_id) | (ids == tokenizer.sep_token_id)
        inputs, targets = _mask_tokens(ids, special, tokenizer, generator)
        states = encoder(input_ids=inputs, attention_mask=attention).last_hidden_state
        loss = functional.cross_entropy(head(states[targets]), ids[targets])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        steps += 1
        recent = (recent + [float(loss.detach())])[-50:]
        if steps % 100 == 0:
            logger.info("mlm step %d loss %.3f", steps, sum(recent) / len(recent))
    final = sum(recent) / max(len(recent), 1)
    return {"steps": steps, "sequences": steps * batch_size, "final_loss": round(final, 4)}
