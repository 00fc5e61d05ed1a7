"""Azerbaijani sentiment (../shared/data/az_sentiment): whole-text polarity as an auxiliary task.

positive/negative/neutral become favor/against/neutral with no target ("other", task polarity):
it teaches Azerbaijani evaluative wording, not stance toward a target. The set ships as one file,
so a stable hash of the text puts 10% in dev. Texts under two words are dropped (mostly noise).
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Iterator

from nlp.datasets.base import ExternalRow, dataset_dir, hash_split

__all__ = ["NAME", "convert"]

logger = logging.getLogger(__name__)

NAME = "az_sentiment"
STANCE = {"positive": "favor", "negative": "against", "neutral": "neutral"}


def convert(data_dir: Path | None = None) -> Iterator[ExternalRow]:
    """Yield one polarity row per labelled text; nothing when the dataset is absent."""
    folder = dataset_dir(NAME, data_dir)
    path = folder / "train_42k.csv" if folder is not None else None
    if path is None or not path.is_file():
        return
    with path.open(encoding="utf-8", newline="") as handle:
        for number, record in enumerate(csv.DictReader(handle), start=1):
            text, label = (record.get("text") or "").strip(), (record.get("labels") or "").strip()
            if label not in STANCE or len(text.split()) < 2:
                continue
            yield ExternalRow(
                id=f"{NAME}-{number:05d}", text=text, target="other", stance=STANCE[label],  # type: ignore[arg-type]
                hostility=None, language="az", genre="social", split=hash_split(text),
                outlet_style="Azerbaijani short text (az sentiment 42k)", source=NAME, task="polarity")
