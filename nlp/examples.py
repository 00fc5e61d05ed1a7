"""Labelled examples for the classifier: the project corpus (LABELING.md rows) and real datasets.

An `Example` is one target + one passage with whichever labels its source has; heads without a
label are masked out of the loss. The corpus rows come from nlp/data/corpus/*.jsonl (the row
format of /work/shared/LABELING.md); the real datasets are read from ../shared/data when present
(see its README) and never copied into the repository.
"""

from __future__ import annotations

import csv
import json
import logging
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from mediawatch.documents import RHETORIC_TYPES, STANCES
from mediawatch.errors import InputError
from mediawatch.settings import PROJECT_ROOT

__all__ = [
    "Example",
    "CORPUS_DIR",
    "SHARED_DATA_DIR",
    "read_examples",
    "corpus_examples",
    "rusentne_examples",
    "az_sentiment_examples",
    "detox_examples",
]

logger = logging.getLogger(__name__)

CORPUS_DIR = PROJECT_ROOT / "nlp" / "data" / "corpus"
SHARED_DATA_DIR = PROJECT_ROOT.parent / "shared" / "data"
_RUSENTNE_STANCE = {"-1": "against", "0": "neutral", "1": "favor"}
_POLARITY = {"negative": "against", "neutral": "neutral", "positive": "favor"}


@dataclass(frozen=True)
class Example:
    """One target + passage with optional labels; `task` names the head family it trains."""

    text: str
    target: str
    context: str | None = None
    stance: str | None = None
    hostility: str | None = None
    rhetoric: tuple[str, ...] | None = None
    language: str = ""
    task: str = "main"
    id: str = ""


def _example_from_row(row: dict[str, object], where: str) -> Example:
    try:
        text, target = str(row["text"]), str(row["target"])
    except KeyError as exc:
        raise InputError(f"{where}: missing key {exc.args[0]!r} (rows follow LABELING.md)") from None
    stance = row.get("stance")
    if stance is not None and stance not in STANCES:
        raise InputError(f"{where}: stance {stance!r} is not one of {', '.join(STANCES)}")
    rhetoric = row.get("rhetoric")
    if rhetoric is not None:
        unknown = set(rhetoric) - set(RHETORIC_TYPES)  # type: ignore[arg-type]
        if unknown:
            raise InputError(f"{where}: unknown rhetoric types {sorted(unknown)}")
        rhetoric = tuple(rhetoric)  # type: ignore[arg-type]
    return Example(
        text=text, target=target, context=(str(row["context"]) if row.get("context") else None),
        stance=stance,  # type: ignore[arg-type]
        hostility=row.get("hostility"),  # type: ignore[arg-type]
        rhetoric=rhetoric,  # type: ignore[arg-type]
        language=str(row.get("language") or ""), id=str(row.get("id") or ""),
    )


def read_examples(path: str | Path) -> list[Example]:
    """Read labelled rows from a JSONL file (LABELING.md format) or a RuSentNE TSV.

    Raises InputError naming the file and line on a missing file or a malformed row.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.suffix in (".tsv", ".csv"):
        return rusentne_examples(path)
    examples = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
            examples.append(_example_from_row(row, f"{path}:{number}"))
    return examples


def corpus_examples(split: str, corpus_dir: Path = CORPUS_DIR) -> list[Example]:
    """Return the project corpus rows of one split (train/dev/test), all languages, file order."""
    examples: list[Example] = []
    for path in sorted(corpus_dir.glob(f"*_{split}.jsonl")):
        examples.extend(read_examples(path))
    return examples


def rusentne_examples(path: Path) -> list[Example]:
    """Convert a RuSentNE-2023 TSV (sentence, entity, …, label -1/0/1) into stance examples.

    The marked entity's text is the target; the label is the sentiment toward it, which is our
    stance (against/neutral/favor). Hostility and rhetoric are unknown, hence masked.
    """
    examples = []
    with path.open(encoding="utf-8", newline="") as handle:
        # Written with CSV quoting ("" inside quoted fields) despite the tab separator.
        reader = csv.DictReader(handle, delimiter="\t")
        for number, row in enumerate(reader, 2):
            label = (row.get("label") or "").strip()
            if label not in _RUSENTNE_STANCE:
                continue
            if not row.get("sentence") or not row.get("entity"):
                continue
            examples.append(Example(text=row["sentence"], target=row["entity"],
                                    stance=_RUSENTNE_STANCE[label], language="ru",
                                    task="main", id=f"rusentne-{number}"))
    return examples


def az_sentiment_examples(path: Path, limit: int, seed: int = 13) -> list[Example]:
    """Sample Azerbaijani polarity rows (negative/neutral/positive) as an auxiliary `polarity` task."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("labels") in _POLARITY and r.get("text")]
    random.Random(seed).shuffle(rows)
    return [Example(text=r["text"], target="", stance=_POLARITY[r["labels"]], language="az",
                    task="polarity", id=f"azsent-{i}") for i, r in enumerate(rows[:limit])]


def detox_examples(path: Path, limit: int, seed: int = 13) -> list[Example]:
    """Pair toxic Russian comments with their neutral paraphrases as an auxiliary `toxicity` task.

    The contrast (same content, hostile vs plain wording) is what hostility detection needs.
    """
    examples: list[Example] = []
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
                if r.get("toxic_comment")]  # a few lines are truncated upstream
    random.Random(seed).shuffle(rows)
    for i, row in enumerate(rows[: limit // 2]):
        examples.append(Example(text=row["toxic_comment"], target="", hostility="hostile",
                                language="ru", task="toxicity", id=f"detox-{i}-t"))
        neutral = row.get("neutral_comment1") or ""  # may be None on a short line
        if neutral.strip():
            examples.append(Example(text=neutral, target="", hostility="none",
                                    language="ru", task="toxicity", id=f"detox-{i}-n"))
    return examples


def iter_texts(examples: Iterable[Example]) -> Iterator[str]:
    """Yield the passage texts (sentence, then context) of examples, for tokenizer training."""
    for example in examples:
        yield example.text
        if example.context:
            yield example.context
