"""Target mentions: aliases from config/targets.yaml matched with morphology, and passages around them.

Public contract (the classifier and the article aggregator call these; keep them stable):

- `find_mentions(text, language=None, targets=None) -> list[Mention]`: every mention of a watched
  target, in text order, non-overlapping, with [start, end) character offsets into `text` and the
  index of its sentence in `split_sentences(text, language)`.
- `passages(text, language=None, targets=None) -> list[Passage]`: one passage per (sentence, target)
  with at least one mention: the sentence, its context (one sentence either side, joined by a
  space), its offsets and its mentions. This is the classifier's input unit (DESIGN.md).

`language` is ru, az or en (None: all languages' aliases, sentences split by script). `targets` is a
compiled `TargetSet`, a collection of target names to keep (from the default file), or None for
all targets of config/targets.yaml. What counts as a mention is documented in that file.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mediawatch.settings import CONFIG_DIR, load_yaml_model
from nlp.sentences import Sentence, split_sentences

__all__ = [
    "Mention",
    "Passage",
    "TargetsFile",
    "TargetSet",
    "TARGETS_FILE",
    "LANGUAGES",
    "load_targets",
    "compile_targets",
    "find_mentions",
    "passages",
]

logger = logging.getLogger(__name__)

TARGETS_FILE = CONFIG_DIR / "targets.yaml"
LANGUAGES = ("ru", "az", "en")
MACRO = re.compile(r"%(\w+)%")
WORD_BEFORE = re.compile(r"([\w.’']+)\s+$")


# --------------------------------------------------------------------------- configuration


class AliasSpec(BaseModel):
    """One alias pattern; see config/targets.yaml for the meaning of each key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pattern: str = Field(min_length=1)
    case: Literal["insensitive", "capitalized", "sensitive"] = "insensitive"
    allowed_before: list[str] | None = None
    note: str = ""


class LanguageAliases(BaseModel):
    """The aliases of one target in one language, and the phrases that veto a match."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    aliases: list[AliasSpec] = Field(min_length=1)
    exclude: list[str] = Field(default_factory=list)


class TargetSpec(BaseModel):
    """A watched target: a description and its aliases per language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    languages: dict[Literal["ru", "az", "en"], LanguageAliases]


class TargetsFile(BaseModel):
    """config/targets.yaml: macros and targets; every pattern must compile after macro expansion."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    macros: dict[str, str] = Field(default_factory=dict)
    targets: dict[str, TargetSpec] = Field(min_length=1)

    def expand(self, pattern: str) -> str:
        """Return `pattern` with %macro% references replaced by the macro's text."""
        def replace(match: re.Match[str]) -> str:
            if match.group(1) not in self.macros:
                raise ValueError(f"unknown macro %{match.group(1)}% in pattern {pattern!r}")
            return self.macros[match.group(1)].strip()
        return MACRO.sub(replace, pattern)

    @model_validator(mode="after")
    def _patterns_compile(self) -> "TargetsFile":
        for name, target in self.targets.items():
            for language, spec in target.languages.items():
                for pattern in [a.pattern for a in spec.aliases] + spec.exclude:
                    try:
                        re.compile(self.expand(pattern))
                    except re.error as exc:
                        raise ValueError(f"targets.{name}.languages.{language}: pattern {pattern!r} "
                                         f"does not compile: {exc}") from None
        return self


@dataclass(frozen=True)
class _CompiledAlias:
    target: str
    regex: re.Pattern[str]
    case: str
    allowed_before: frozenset[str] | None


@dataclass(frozen=True)
class TargetSet:
    """Compiled aliases: per language, the alias regexes and the exclusion regexes."""

    aliases: dict[str, tuple[_CompiledAlias, ...]]
    excludes: dict[str, tuple[re.Pattern[str], ...]]
    names: tuple[str, ...]

    def only(self, names: Collection[str]) -> "TargetSet":
        """Return the same aliases restricted to the targets in `names`."""
        unknown = set(names) - set(self.names)
        if unknown:
            raise ValueError(f"unknown targets {sorted(unknown)}; known: {list(self.names)}")
        return TargetSet(
            {lang: tuple(a for a in aliases if a.target in names) for lang, aliases in self.aliases.items()},
            self.excludes, tuple(n for n in self.names if n in names))


def _whole_word(pattern: str) -> str:
    return rf"(?<!\w)(?:{pattern})(?!\w)"


def compile_targets(config: TargetsFile) -> TargetSet:
    """Compile a validated targets file into a `TargetSet`."""
    aliases: dict[str, list[_CompiledAlias]] = {lang: [] for lang in LANGUAGES}
    excludes: dict[str, list[re.Pattern[str]]] = {lang: [] for lang in LANGUAGES}
    for name, target in config.targets.items():
        for language, spec in target.languages.items():
            for alias in spec.aliases:
                flags = 0 if alias.case == "sensitive" else re.IGNORECASE
                regex = re.compile(_whole_word(config.expand(alias.pattern)), flags)
                names = (frozenset(n.lower() for n in alias.allowed_before)
                         if alias.allowed_before else None)
                aliases[language].append(_CompiledAlias(name, regex, alias.case, names))
            excludes[language] += [re.compile(_whole_word(config.expand(p)), re.IGNORECASE)
                                   for p in spec.exclude]
    return TargetSet({k: tuple(v) for k, v in aliases.items()},
                     {k: tuple(v) for k, v in excludes.items()}, tuple(config.targets))


def load_targets(path: Path | str = TARGETS_FILE) -> TargetSet:
    """Read, validate and compile a targets file (ConfigError naming the key when it is wrong)."""
    return compile_targets(load_yaml_model(path, TargetsFile))


@lru_cache(maxsize=1)
def _default_targets() -> TargetSet:
    return load_targets(TARGETS_FILE)


def _resolve(targets: TargetSet | Collection[str] | None) -> TargetSet:
    if targets is None:
        return _default_targets()
    if isinstance(targets, TargetSet):
        return targets
    return _default_targets().only(list(targets))


# --------------------------------------------------------------------------- matching


@dataclass(frozen=True)
class Mention:
    """A target named in a text: [start, end) offsets, the surface form, and its sentence's index."""

    target: str
    start: int
    end: int
    surface: str
    sentence_index: int


@dataclass(frozen=True)
class Passage:
    """The classifier's input unit: a sentence naming `target`, with a sentence of context either side.

    `start`/`end` are the sentence's offsets in the article text; `context` is the previous and next
    sentence joined by a space (None when the text has a single sentence).
    """

    target: str
    text: str
    context: str | None
    sentence_index: int
    start: int
    end: int
    mentions: tuple[Mention, ...]


@dataclass(frozen=True)
class _Candidate:
    alias: _CompiledAlias
    start: int
    end: int


def _case_ok(alias: _CompiledAlias, surface: str) -> bool:
    return alias.case != "capitalized" or surface[:1].isupper()


def _is_other_person(candidate: _Candidate, text: str, sentence_start: int,
                     mention_ends: set[int]) -> bool:
    """True when a surname alias follows a capitalised word that is not in its `allowed_before`."""
    names = candidate.alias.allowed_before
    if names is None:
        return False
    before = WORD_BEFORE.search(text, max(0, candidate.start - 80), candidate.start)
    if before is None or before.start(1) < sentence_start:
        return False
    word = before.group(1)
    if not word[:1].isupper() or word.lower() in names or before.end(1) in mention_ends:
        return False
    is_initial = len(word) == 2 and word.endswith(".")
    return is_initial or word.isalpha()  # "Azerbaijan's Aliyev" names the leader


def _candidates(text: str, languages: list[str], targets: TargetSet) -> list[_Candidate]:
    found = []
    # Every language's vetoes apply: "Kazan Kremlin" must not come back through the az "Kreml-in".
    vetoed = [(m.start(), m.end()) for patterns in targets.excludes.values()
              for regex in patterns for m in regex.finditer(text)]
    for language in languages:
        for alias in targets.aliases[language]:
            for match in alias.regex.finditer(text):
                if not _case_ok(alias, match.group(0)):
                    continue
                if any(s <= match.start() and match.end() <= e for s, e in vetoed):
                    continue
                found.append(_Candidate(alias, match.start(), match.end()))
    return found


def _without_overlaps(candidates: list[_Candidate]) -> list[_Candidate]:
    """Keep the longest of overlapping matches (the same word found by two languages' aliases)."""
    kept: list[_Candidate] = []
    for candidate in sorted(candidates, key=lambda c: (c.start, -(c.end - c.start))):
        if kept and candidate.start < kept[-1].end:
            continue
        kept.append(candidate)
    return kept


def _sentence_index(sentences: list[Sentence], offset: int) -> int:
    for index, sentence in enumerate(sentences):
        if offset < sentence.end:
            return index
    return len(sentences) - 1


def _find(text: str, language: str | None, targets: TargetSet,
          sentences: list[Sentence]) -> list[Mention]:
    languages = [language] if language else list(LANGUAGES)
    if language is not None and language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES} or None, not {language!r}")
    candidates = _without_overlaps(_candidates(text, languages, targets))
    ends = {c.end for c in candidates}
    mentions = []
    for candidate in candidates:
        index = _sentence_index(sentences, candidate.start)
        sentence_start = sentences[index].start if sentences else 0
        if _is_other_person(candidate, text, sentence_start, ends):
            continue
        mentions.append(Mention(candidate.alias.target, candidate.start, candidate.end,
                                text[candidate.start:candidate.end], index))
    return mentions


def find_mentions(text: str, language: str | None = None,
                  targets: TargetSet | Collection[str] | None = None) -> list[Mention]:
    """Return every mention of a watched target in `text`, in order, with character offsets."""
    return _find(text, language, _resolve(targets), split_sentences(text, language))


def passages(text: str, language: str | None = None,
             targets: TargetSet | Collection[str] | None = None) -> list[Passage]:
    """Return one passage per (sentence, target) mentioned, in text order, targets in mention order."""
    sentences = split_sentences(text, language)
    by_key: dict[tuple[int, str], list[Mention]] = {}
    for mention in _find(text, language, _resolve(targets), sentences):
        by_key.setdefault((mention.sentence_index, mention.target), []).append(mention)
    result = []
    for (index, target), found in by_key.items():
        sentence = sentences[index]
        around = [sentences[i].text for i in (index - 1, index + 1) if 0 <= i < len(sentences)]
        result.append(Passage(target, sentence.text, " ".join(around) or None, index,
                              sentence.start, sentence.end, tuple(found)))
    return result
