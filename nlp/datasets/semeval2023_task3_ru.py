"""SemEval-2023 task 3, Russian (../shared/data/semeval2023_task3_ru): persuasion techniques -> hostility cues.

One row per labelled paragraph (subtask 3: article id, 1-based line, techniques). The techniques
are kept verbatim in `cues`; three of them are mapped to our rhetoric types as weak cues, and a
paragraph carrying one is marked hostile. These are cue labels, not LABELING.md labels: there is
no watched target (target "other", stance None), and persuasion is not hostility by itself.
Train only (the other splits' labels are withheld).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterator

from nlp.datasets.base import ExternalRow, dataset_dir

__all__ = ["NAME", "RHETORIC_BY_TECHNIQUE", "convert"]

logger = logging.getLogger(__name__)

NAME = "semeval2023_task3_ru"
RHETORIC_BY_TECHNIQUE = {
    "Name_Calling-Labeling": "insult",
    "Appeal_to_Fear-Prejudice": "threat",
    "Guilt_by_Association": "puppet",
}


def _labels(path: Path) -> dict[str, dict[int, list[str]]]:
    """Map article id -> line number -> techniques, from train-labels-subtask-3.txt."""
    labels: dict[str, dict[int, list[str]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 2 or not parts[1].isdigit():
            continue
        techniques = [t for t in (parts[2] if len(parts) > 2 else "").split(",") if t]
        labels.setdefault(parts[0], {})[int(parts[1])] = techniques
    return labels


def _row(article: str, number: int, text: str, techniques: list[str]) -> ExternalRow:
    rhetoric = sorted({RHETORIC_BY_TECHNIQUE[t] for t in techniques if t in RHETORIC_BY_TECHNIQUE})
    return ExternalRow(
        id=f"{NAME}-{article}-{number}", text=text, target="other", stance=None,
        hostility="hostile" if rhetoric else "none", rhetoric=rhetoric,  # type: ignore[arg-type]
        language="ru", genre=None, split="train",
        outlet_style="Russian online news paragraph (SemEval-2023 task 3)", source=NAME,
        task="persuasion_cues", cues=techniques)


def convert(data_dir: Path | None = None) -> Iterator[ExternalRow]:
    """Yield one row per labelled, non-empty paragraph; nothing when the dataset is absent."""
    folder = dataset_dir(NAME, data_dir)
    if folder is None or not (folder / "train-labels-subtask-3.txt").is_file():
        return
    for article, lines in sorted(_labels(folder / "train-labels-subtask-3.txt").items()):
        path = folder / "train-articles-subtask-3" / f"article{article}.txt"
        if not path.is_file():
            logger.debug("no text for labelled article %s", article)
            continue
        paragraphs = path.read_text(encoding="utf-8").splitlines()
        for number, techniques in sorted(lines.items()):
            if 0 < number <= len(paragraphs) and paragraphs[number - 1].strip():
                yield _row(article, number, paragraphs[number - 1].strip(), techniques)
