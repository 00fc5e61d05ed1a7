"""RuSentNE-2023 (../shared/data/rusentne2023): sentiment toward a marked entity -> entity stance rows.

Both files are tab-separated despite `.csv`. train_data.csv -> split train, dev_disjoint.tsv ->
split dev (the 840 validation rows whose sentence is not in train). Label -1/0/1 becomes
against/neutral/favor toward the entity; the target is azerbaijan/russia when the entity is one of
their aliases or leaders (see `watched_target`), else "other". RuOpinionNE shares the sentence pool: never train
on one and evaluate on the other.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Iterator

from nlp.datasets.base import ExternalRow, dataset_dir, watched_target

__all__ = ["NAME", "convert"]

logger = logging.getLogger(__name__)

NAME = "rusentne2023"
FILES = {"train_data.csv": "train", "dev_disjoint.tsv": "dev"}
STANCE = {"-1": "against", "0": "neutral", "1": "favor"}


def _rows(path: Path, split: str) -> Iterator[ExternalRow]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")  # quoted fields: offsets count "" as one "
        for number, record in enumerate(reader, start=1):
            label = (record.get("label") or "").strip()
            if label not in STANCE or not record.get("sentence"):
                continue  # the test file ships without labels
            start, end = int(record["entity_pos_start_rel"]), int(record["entity_pos_end_rel"])
            yield ExternalRow(
                id=f"{NAME}-{split}-{number:05d}", text=record["sentence"], target=watched_target(record["entity"], record["entity_tag"]),
                stance=STANCE[label], hostility=None, language="ru", genre="report", split=split,  # type: ignore[arg-type]
                outlet_style="Russian news sentence (RuSentNE-2023)", source=NAME, task="entity_stance",
                cues=[record["entity_tag"]], target_text=record["entity"], target_start=start, target_end=end)


def convert(data_dir: Path | None = None) -> Iterator[ExternalRow]:
    """Yield RuSentNE rows (train, then dev); nothing when the dataset is absent."""
    folder = dataset_dir(NAME, data_dir)
    if folder is None:
        return
    for file_name, split in FILES.items():
        if (folder / file_name).is_file():
            yield from _rows(folder / file_name, split)
