"""RuOpinionNE-2024 (../shared/data/ruopinionne2024): the author's opinions -> author stance rows.

Only opinions whose source is AUTHOR are kept (closest to an outlet's stance); POS/NEG become
favor/against toward the opinion target (there is no neutral class). A target with both polarities
from the author in one sentence is dropped as contradictory. Same sentence pool as RuSentNE: never
train on one and evaluate on the other.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Iterator

from nlp.datasets.base import ExternalRow, dataset_dir, watched_target

__all__ = ["NAME", "convert"]

logger = logging.getLogger(__name__)

NAME = "ruopinionne2024"
STANCE = {"POS": "favor", "NEG": "against"}


def _author_targets(opinions: list[dict[str, Any]]) -> dict[tuple[str, int, int], set[str]]:
    """Map (target text, start, end) to the set of polarities the author expresses toward it."""
    found: dict[tuple[str, int, int], set[str]] = {}
    for opinion in opinions:
        if opinion["Source"][0] != ["AUTHOR"] or opinion.get("Polarity") not in STANCE:
            continue
        texts, offsets = opinion["Target"]
        if not texts or not offsets or ":" not in offsets[0]:
            continue
        start, end = (int(part) for part in offsets[0].split(":"))
        found.setdefault((texts[0], start, end), set()).add(opinion["Polarity"])
    return found


def _rows(record: dict[str, Any], split: str) -> Iterator[ExternalRow]:
    for index, ((target_text, start, end), polarities) in enumerate(
            sorted(_author_targets(record["opinions"]).items())):
        if len(polarities) != 1:
            continue
        yield ExternalRow(
            id=f"{NAME}-{split}-{record['sent_id']}-{index}", text=record["text"],
            target=watched_target(target_text), stance=STANCE[polarities.pop()], hostility=None,  # type: ignore[arg-type]
            language="ru", genre="report", split=split,  # type: ignore[arg-type]
            outlet_style="Russian news sentence (RuOpinionNE-2024)", source=NAME, task="author_stance",
            target_text=target_text, target_start=start, target_end=end)


def convert(data_dir: Path | None = None) -> Iterator[ExternalRow]:
    """Yield one row per (sentence, author-opinion target); nothing when the dataset is absent."""
    folder = dataset_dir(NAME, data_dir)
    if folder is None:
        return
    for file_name, split in (("train.jsonl", "train"), ("validation_labeled.jsonl", "dev")):
        path = folder / file_name
        if not path.is_file():
            continue
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield from _rows(json.loads(line), split)
