"""RUSSE detox 2022 (../shared/data/russe_detox_2022): toxic comments and neutral paraphrases -> wording pairs.

Each toxic comment becomes a hostile row (rhetoric insult) and each of its neutral paraphrases a
non-hostile row, all sharing a `pair_id`, so a model can learn what makes the same content hostile.
There is no watched target (target "other", stance None). train.tsv -> train, dev.tsv -> dev; the
test file has no paraphrases and is skipped.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Iterator

from nlp.datasets.base import ExternalRow, dataset_dir

__all__ = ["NAME", "convert"]

logger = logging.getLogger(__name__)

NAME = "russe_detox_2022"
NEUTRAL_COLUMNS = ("neutral_comment1", "neutral_comment2", "neutral_comment3")


def _row(pair_id: str, suffix: str, text: str, toxic: bool, split: str) -> ExternalRow:
    return ExternalRow(
        id=f"{pair_id}-{suffix}", text=text, target="other", stance=None,
        hostility="hostile" if toxic else "none", rhetoric=["insult"] if toxic else [],
        language="ru", genre="social", split=split,  # type: ignore[arg-type]
        outlet_style="Russian social media comment (RUSSE detox 2022)", source=NAME,
        task="toxicity_pair", pair_id=pair_id)


def _rows(path: Path, split: str) -> Iterator[ExternalRow]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")  # CSV-style quoting: "" is one "
        for number, record in enumerate(reader, start=1):
            toxic = (record.get("toxic_comment") or "").strip()
            neutrals = [(record.get(c) or "").strip() for c in NEUTRAL_COLUMNS]
            neutrals = [n for n in dict.fromkeys(neutrals) if n and n != toxic]
            if not toxic or not neutrals:
                continue
            pair_id = f"{NAME}-{split}-{number:05d}"
            yield _row(pair_id, "toxic", toxic, True, split)
            for index, neutral in enumerate(neutrals, start=1):
                yield _row(pair_id, f"neutral{index}", neutral, False, split)


def convert(data_dir: Path | None = None) -> Iterator[ExternalRow]:
    """Yield toxic/neutral rows for train and dev pairs; nothing when the dataset is absent."""
    folder = dataset_dir(NAME, data_dir)
    if folder is None:
        return
    for file_name, split in (("train.tsv", "train"), ("dev.tsv", "dev")):
        if (folder / file_name).is_file():
            yield from _rows(folder / file_name, split)
