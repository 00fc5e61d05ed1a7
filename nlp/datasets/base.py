"""The row every converter yields, and how converters find ../shared/data (or skip when it is absent).

Converted rows keep the corpus row's keys (nlp/corpus.py) so one loader serves both, with the
differences real data forces: `target` may be "other" (an entity that is neither watched target),
`stance`/`hostility` may be None when a dataset does not say, and three keys say where a row
came from and what its labels mean: `source` (dataset), `task`, and `cues` (the dataset's own
label names, e.g. persuasion techniques).
"""

from __future__ import annotations

import hashlib
import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mediawatch.settings import PROJECT_ROOT
from nlp.corpus import Genre, Hostility, Language, Rhetoric, Split, Stance
from nlp.mentions import find_mentions

__all__ = ["ExternalRow", "Task", "SHARED_DATA_DIR", "dataset_dir", "watched_target", "hash_split"]

logger = logging.getLogger(__name__)

SHARED_DATA_DIR = PROJECT_ROOT.parent / "shared" / "data"

Task = Literal[
    "entity_stance",    # sentiment of the sentence toward a marked entity (RuSentNE)
    "author_stance",    # the author's opinion toward a target (RuOpinionNE, source=AUTHOR)
    "persuasion_cues",  # paragraph-level persuasion techniques (SemEval-2023 task 3)
    "toxicity_pair",    # a toxic comment and its neutral paraphrases (RUSSE detox)
    "polarity",         # whole-text sentiment with no target (Azerbaijani sentiment)
]


class ExternalRow(BaseModel):
    """A row converted from a real dataset: the corpus keys plus source, task, cues, entity offsets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    text: str = Field(min_length=1)
    context: str | None = None
    target: Literal["azerbaijan", "russia", "other"]
    stance: Stance | None
    hostility: Hostility | None
    rhetoric: list[Rhetoric] = Field(default_factory=list)
    language: Language
    genre: Genre | None = None
    split: Split
    hard_case: None = None
    outlet_style: str
    source: str
    task: Task
    cues: list[str] = Field(default_factory=list)
    target_text: str | None = None
    target_start: int | None = None
    target_end: int | None = None
    pair_id: str | None = None


@lru_cache(maxsize=None)
def _warn_missing(name: str, path: str) -> None:
    logger.warning("dataset %s not found at %s: skipped (../shared is absent in a fresh clone)", name, path)


def dataset_dir(name: str, data_dir: Path | None = None) -> Path | None:
    """Return ../shared/data/<name> (or `data_dir`/<name>), or None after logging once that it is absent."""
    path = (data_dir if data_dir is not None else SHARED_DATA_DIR) / name
    if not path.is_dir():
        _warn_missing(name, str(path))
        return None
    return path


LEADERSHIP_TITLES = ("президент", "премьер", "глава", "министр", "пресс-секретар", "спикер", "лидер")
STATE_NAMES = re.compile(r"^(?:российск|азербайджанск)\w*\s+(?:федерац|республик)\w*$", re.IGNORECASE)


def watched_target(entity: str, tag: str | None = None,
                   language: Language = "ru") -> Literal["azerbaijan", "russia", "other"]:
    """Map a dataset entity to a watched target, else "other".

    The entity must be the target itself: an alias covering the whole entity ("России", "Кремль"),
    a person named by a leader's alias ("Владимир Путин"), or a leadership title of the target
    ("президент России"). Names that merely contain an alias ("Единая Россия", "сборная России",
    "азербайджанская оппозиция") stay "other": sentiment toward them is not stance toward the state.
    """
    entity = entity.strip()
    mentions = find_mentions(entity, language)
    if not mentions:
        return "other"
    first = mentions[0]
    whole = (first.start == 0 and first.end == len(entity)) or bool(STATE_NAMES.match(entity))
    person = tag == "PERSON" and first.end == len(entity)
    title = entity.lower().startswith(LEADERSHIP_TITLES) and first.end == len(entity)
    return first.target if whole or person or title else "other"  # type: ignore[return-value]


def hash_split(text: str, dev_share_percent: int = 10) -> Split:
    """A stable train/dev split for datasets shipped as one file: the same text always lands alike."""
    bucket = int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "dev" if bucket < dev_share_percent else "train"
