"""A tiny classifier trained in seconds on a slice of the corpus, shared by the nlp unit tests."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from nlp.examples import CORPUS_DIR, corpus_examples
from nlp.train import TrainOptions, train_model

__all__ = ["mini_corpus", "train_tiny"]


def mini_corpus(directory: Path, train: int = 240, dev: int = 60, test: int = 60) -> Path:
    """Copy an evenly spread slice of each corpus split into `directory` (one file per split)."""
    directory.mkdir(parents=True, exist_ok=True)
    for split, count in (("train", train), ("dev", dev), ("test", test)):
        rows = corpus_examples(split, CORPUS_DIR) or corpus_examples("train", CORPUS_DIR)
        step = max(1, len(rows) // count)
        with (directory / f"mix_{split}.jsonl").open("w", encoding="utf-8") as handle:
            for row in rows[::step][:count]:
                data: dict[str, Any] = asdict(row)
                data["rhetoric"] = list(row.rhetoric or [])
                handle.write(json.dumps(data, ensure_ascii=False) + "\n")
    return directory


def train_tiny(root: Path, **overrides: Any) -> tuple[Path, dict[str, Any]]:
    """Train a 1–2 layer model on a mini corpus under `root`; return (model dir, metrics)."""
    (root / "shared").mkdir(parents=True, exist_ok=True)
    options: dict[str, Any] = dict(
        output_dir=root / "model", name="tiny", epochs=2, vocab_size=1200, hidden_size=48,
        layers=1, batch_size=32, threads=1, shared_data_dir=root / "shared",
        corpus_dir=mini_corpus(root / "corpus"))
    options.update(overrides)
    metrics = train_model(TrainOptions(**options))
    return options["output_dir"], metrics
