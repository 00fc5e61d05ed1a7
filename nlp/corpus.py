"""The labelled corpus: its row model, loading, validation and statistics (see nlp/data/README.md).

Rows follow ../shared/LABELING.md and live in nlp/data/corpus/{language}_{split}.jsonl, one JSON
object per line. `check_corpus` is what `mediawatch corpus check` (and CI) runs; `corpus_stats` is
what `mediawatch corpus stats` prints and what the data card's tables are generated from.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mediawatch.errors import InputError

__all__ = [
    "CorpusRow",
    "LoadedRow",
    "CORPUS_DIR",
    "RHETORIC_TYPES",
    "HARD_CASES",
    "load_corpus",
    "read_rows",
    "check_corpus",
    "check_loaded",
    "corpus_stats",
    "max_pairwise_similarity",
    "similar_pairs",
    "stats_markdown",
    "update_card",
    "CARD_BEGIN",
    "CARD_END",
]

logger = logging.getLogger(__name__)

CORPUS_DIR = Path(__file__).resolve().parent / "data" / "corpus"

Target = Literal["azerbaijan", "russia"]
Stance = Literal["against", "neutral", "favor"]
Hostility = Literal["none", "hostile"]
Rhetoric = Literal["threat", "insult", "sovereignty_denial", "betrayal", "puppet", "punishment_call"]
Language = Literal["ru", "az", "en"]
Genre = Literal["wire", "report", "talk-show", "op-ed", "headline", "statement", "social"]
Split = Literal["train", "dev", "test"]
HardCase = Literal[
    "negation", "irony", "reported_speech_distance", "reported_speech_no_distance",
    "headline", "both_targets", "third_party_hostile",
]

RHETORIC_TYPES: tuple[str, ...] = Rhetoric.__args__  # type: ignore[attr-defined]
HARD_CASES: tuple[str, ...] = HardCase.__args__  # type: ignore[attr-defined]
STANCES: tuple[str, ...] = Stance.__args__  # type: ignore[attr-defined]

FILE_NAME = re.compile(r"^(?P<language>ru|az|en)_(?P<split>train|dev|test)\.jsonl$")
CYRILLIC = re.compile(r"[а-яёА-ЯЁ]")
LATIN = re.compile(r"[a-zA-Zəğıöüçşİı]")
AZ_LETTERS = re.compile(r"[əğıöüçşƏĞÖÜÇŞİ]")
# Azerbaijani typed the Turkish way (no ə/ı): the corpus brief forbids it, real outlets don't do it.
AZ_PLAIN_SPELLINGS = re.compile(r"\b(?:[Aa]zerbaycan\w*|Baki(?:n|nin|ya|da|dan|ni)?)\b")
# English text never carries the schwa or dotless i; Turkish names like Erdoğan may carry ğ/ö/ü/ç/ş.
EN_FOREIGN_LETTERS = re.compile(r"[əƏı]")


class CorpusRow(BaseModel):
    """One labelled passage: exactly the keys of the corpus brief, validated strictly."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    context: str | None
    target: Target
    stance: Stance
    hostility: Hostility
    rhetoric: list[Rhetoric]
    language: Language
    genre: Genre
    split: Split
    hard_case: HardCase | None
    outlet_style: str = Field(min_length=1)


@dataclass(frozen=True)
class LoadedRow:
    """A validated row with where it came from (file name and 1-based line), for error messages."""

    row: CorpusRow
    file: str
    line: int


@dataclass(frozen=True)
class _RawRow:
    file: str
    line: int
    data: Any
    problem: str | None


def _read_raw(directory: Path) -> list[_RawRow]:
    """Every non-blank line of every *.jsonl file in `directory`, parsed or with its parse error."""
    if not directory.is_dir():
        raise InputError(f"corpus directory not found: {directory}")
    raws: list[_RawRow] = []
    for path in sorted(directory.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    raws.append(_RawRow(path.name, number, json.loads(line), None))
                except json.JSONDecodeError as exc:
                    raws.append(_RawRow(path.name, number, None, f"not valid JSON: {exc.msg}"))
    return raws


def _validation_problem(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        key = ".".join(str(p) for p in error["loc"]) or "row"
        parts.append(f"{key}: {error['msg']}")
    return "; ".join(parts)


def _validate(raws: Iterable[_RawRow]) -> tuple[list[LoadedRow], list[str]]:
    rows: list[LoadedRow] = []
    errors: list[str] = []
    for raw in raws:
        where = f"{raw.file}:{raw.line}"
        if raw.problem is not None:
            errors.append(f"{where}: {raw.problem}")
            continue
        try:
            rows.append(LoadedRow(CorpusRow.model_validate(raw.data), raw.file, raw.line))
        except ValidationError as exc:
            errors.append(f"{where}: {_validation_problem(exc)}")
    return rows, errors


def read_rows(directory: Path | str = CORPUS_DIR) -> tuple[list[LoadedRow], list[str]]:
    """Return the rows that pass the schema and one error line per row that does not."""
    return _validate(_read_raw(Path(directory)))


def load_corpus(directory: Path | str = CORPUS_DIR) -> list[CorpusRow]:
    """Return every row of the corpus; raises InputError naming the first row that breaks the schema."""
    rows, errors = read_rows(directory)
    if errors:
        raise InputError(f"corpus has {len(errors)} invalid rows, first: {errors[0]}")
    return [loaded.row for loaded in rows]


def _label_errors(row: CorpusRow) -> list[str]:
    errors = []
    if row.hostility == "hostile" and row.stance != "against":
        errors.append(f"hostility is hostile but stance is {row.stance} (hostile implies against)")
    if row.hostility == "hostile" and not row.rhetoric:
        errors.append("hostile row without rhetoric types")
    if row.hostility == "none" and row.rhetoric:
        errors.append(f"rhetoric {row.rhetoric} on a row that is not hostile")
    if len(set(row.rhetoric)) != len(row.rhetoric):
        errors.append("rhetoric lists a type twice")
    return errors


def _script_errors(row: CorpusRow) -> list[str]:
    """Language must match script: ru Cyrillic, az Latin with its own letters, en plain Latin."""
    errors = []
    for field, value in (("text", row.text), ("context", row.context)):
        if not value:
            continue
        cyrillic, latin = len(CYRILLIC.findall(value)), len(LATIN.findall(value))
        if row.language == "ru" and cyrillic <= latin:
            errors.append(f"{field}: language ru but the text is not mainly Cyrillic")
        if row.language in ("az", "en") and cyrillic:
            errors.append(f"{field}: language {row.language} but the text contains Cyrillic letters")
        elif row.language == "az":
            if AZ_PLAIN_SPELLINGS.search(value):
                errors.append(f"{field}: Azerbaijani typed without ə/ı "
                              f"({AZ_PLAIN_SPELLINGS.search(value).group(0)!r}; write Azərbaycan, Bakı)")  # type: ignore[union-attr]
            elif field == "text" and len(value.split()) >= 5 and not AZ_LETTERS.search(value):
                # A short context sentence ("Qrupa 12 deputat daxildir.") may lack them honestly.
                errors.append(f"{field}: Azerbaijani text without any of ə ğ ı ö ü ç ş")
        if row.language == "en" and EN_FOREIGN_LETTERS.search(value):
            errors.append(f"{field}: language en but the text contains Azerbaijani letters (ə/ı)")
    return errors


def _file_errors(loaded: LoadedRow) -> list[str]:
    match = FILE_NAME.match(loaded.file)
    if match is None:
        return ["file name should be <ru|az|en>_<train|dev|test>.jsonl"]
    errors = []
    if match["language"] != loaded.row.language:
        errors.append(f"language {loaded.row.language} in a {match['language']} file")
    if match["split"] != loaded.row.split:
        errors.append(f"split {loaded.row.split} in a {match['split']} file")
    return errors


def check_loaded(rows: Iterable[LoadedRow]) -> list[str]:
    """Return one line per label, script, file-name or duplicate-id problem of schema-valid rows."""
    errors: list[str] = []
    seen: dict[str, str] = {}
    seen_passage: dict[tuple[str, str], str] = {}
    for loaded in rows:
        where = f"{loaded.file}:{loaded.line}"
        problems = _label_errors(loaded.row) + _script_errors(loaded.row) + _file_errors(loaded)
        if loaded.row.id in seen:
            problems.append(f"duplicate id {loaded.row.id!r} (first at {seen[loaded.row.id]})")
        else:
            seen[loaded.row.id] = where
        passage = (" ".join(loaded.row.text.lower().split()), loaded.row.target)
        if passage in seen_passage:
            problems.append(f"same text and target as {seen_passage[passage]}")
        else:
            seen_passage[passage] = where
        errors.extend(f"{where}: {loaded.row.id}: {problem}" for problem in problems)
    return errors


def check_corpus(rows: Iterable[CorpusRow | LoadedRow]) -> list[str]:
    """Return every consistency error of `rows` (empty when the corpus is clean).

    Accepts bare rows (file-name checks are skipped for them, their position stands in for a line)
    or LoadedRow with provenance. Schema errors are reported earlier, by `read_rows`.
    """
    loaded: list[LoadedRow] = []
    bare = False
    for index, item in enumerate(rows, start=1):
        if isinstance(item, LoadedRow):
            loaded.append(item)
        else:
            bare = True
            loaded.append(LoadedRow(item, f"{item.language}_{item.split}.jsonl", index))
    errors = check_loaded(loaded)
    if bare:
        # A bare row's "file" was made up from its own fields, so file checks cannot fail; the
        # `row N` prefix is its position in the input instead of a file line.
        errors = [re.sub(r"^\w+_\w+\.jsonl:", "row ", error) for error in errors]
    return errors


# --------------------------------------------------------------------------- similarity

SHINGLE = 4


def _shingles(text: str) -> set[str]:
    text = " ".join(text.lower().split())
    if len(text) <= SHINGLE:
        return {text}
    return {text[i:i + SHINGLE] for i in range(len(text) - SHINGLE + 1)}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def similar_pairs(texts: list[str], threshold: float = 0.3,
                  num_perm: int = 64) -> list[tuple[float, int, int]]:
    """Return (exact Jaccard, i, j) for the candidate pairs MinHash LSH finds at `threshold`, best first.

    Similarity is character-4-gram Jaccard over lower-cased, whitespace-normalised text. LSH
    (datasketch) proposes the candidates and each gets its exact Jaccard, so ~4,500 rows take a
    second or two instead of ten million comparisons. Pairs below `threshold` may be missed.
    """
    from datasketch import MinHash, MinHashLSH

    shingles = [_shingles(text) for text in texts]
    # bulk() shares one set of permutations: building each MinHash alone costs most of the time.
    signatures = MinHash.bulk([[g.encode("utf-8") for g in grams] for grams in shingles],
                              num_perm=num_perm, seed=1)
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    pairs = []
    for index, (grams, signature) in enumerate(zip(shingles, signatures)):
        pairs += [(_jaccard(grams, shingles[other]), other, index) for other in lsh.query(signature)]
        lsh.insert(index, signature)
    return sorted(pairs, reverse=True)


def max_pairwise_similarity(texts: list[str], threshold: float = 0.3,
                            num_perm: int = 64) -> tuple[float, tuple[int, int] | None]:
    """Return the largest character-4-gram Jaccard between two of `texts` and their indices.

    A true maximum below `threshold` may be missed (the figure is then a lower bound), which is
    fine for its purpose: proving there are no near-duplicates.
    """
    pairs = similar_pairs(texts, threshold, num_perm)
    return (pairs[0][0], (pairs[0][1], pairs[0][2])) if pairs else (0.0, None)


# --------------------------------------------------------------------------- stats


def _shares(counter: Counter[str], keys: Iterable[str]) -> dict[str, float]:
    total = sum(counter.values())
    return {key: round(counter[key] / total, 4) if total else 0.0 for key in keys}


def corpus_stats(rows: list[CorpusRow]) -> dict[str, Any]:
    """Return the corpus's counts and its largest pairwise text similarity, as plain JSON data.

    Keys: total, by_language, hostile, by_rhetoric, stance_share_by_language, max_similarity,
    max_similarity_pair, max_similarity_across_splits(_pair) (the leak check between train, dev
    and test), pairs_above_0_6, by_split, by_language_split, by_hard_case, hard_cases, by_genre,
    by_target, by_language_target_stance_hostility ("ru/azerbaijan/against/hostile": n).
    """
    by_language = Counter(r.language for r in rows)
    stance_by_language = {lang: Counter(r.stance for r in rows if r.language == lang)
                          for lang in sorted(by_language)}
    # The same passage labelled once per target (both_targets) is one text, not a near-duplicate.
    first_row_of_text: dict[str, int] = {}
    for index, row in enumerate(rows):
        first_row_of_text.setdefault(row.text, index)
    distinct = list(first_row_of_text)
    rows_of = [rows[first_row_of_text[text]] for text in distinct]
    pairs = similar_pairs(distinct)
    similarity, pair = (pairs[0][0], pairs[0][1:]) if pairs else (0.0, None)
    across = [p for p in pairs if rows_of[p[1]].split != rows_of[p[2]].split]
    cells = Counter(f"{r.language}/{r.target}/{r.stance}/{r.hostility}" for r in rows)
    return {
        "total": len(rows),
        "by_language": dict(sorted(by_language.items())),
        "hostile": sum(r.hostility == "hostile" for r in rows),
        "by_rhetoric": {t: sum(t in r.rhetoric for r in rows) for t in RHETORIC_TYPES},
        "stance_share_by_language": {lang: _shares(c, STANCES) for lang, c in stance_by_language.items()},
        "max_similarity": round(similarity, 4),
        "max_similarity_pair": [rows_of[i].id for i in pair] if pair else None,
        "max_similarity_across_splits": round(across[0][0], 4) if across else 0.0,
        "max_similarity_across_splits_pair": [rows_of[i].id for i in across[0][1:]] if across else None,
        "pairs_above_0_6": sum(p[0] > 0.6 for p in pairs),
        "by_split": dict(sorted(Counter(r.split for r in rows).items())),
        "by_language_split": dict(sorted(Counter(f"{r.language}/{r.split}" for r in rows).items())),
        "by_target": dict(sorted(Counter(r.target for r in rows).items())),
        "by_genre": dict(sorted(Counter(r.genre for r in rows).items())),
        "hard_cases": sum(r.hard_case is not None for r in rows),
        "by_hard_case": {case: sum(r.hard_case == case for r in rows) for case in HARD_CASES},
        "by_language_target_stance_hostility": dict(sorted(cells.items())),
    }


# --------------------------------------------------------------------------- data card

CARD_BEGIN = "<!-- corpus-stats:begin (generated by `mediawatch corpus card`; do not edit) -->"
CARD_END = "<!-- corpus-stats:end -->"


def _table(header: list[str], body: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in body]
    return lines + [""]


def _cell_table(stats: dict[str, Any]) -> list[str]:
    cells: dict[str, int] = stats["by_language_target_stance_hostility"]
    body = []
    for language in stats["by_language"]:
        for target in ("azerbaijan", "russia"):
            def n(stance: str, hostility: str) -> int:
                return cells.get(f"{language}/{target}/{stance}/{hostility}", 0)
            row = [n("against", "hostile"), n("against", "none"), n("neutral", "none"), n("favor", "none")]
            body.append([language, target, *row, sum(row)])
    return _table(["language", "target", "against, hostile", "against, not hostile",
                   "neutral", "favor", "total"], body)


def stats_markdown(stats: dict[str, Any]) -> str:
    """Render `corpus_stats` output as the Markdown tables of the data card."""
    languages = list(stats["by_language"])
    lines = [f"Total **{stats['total']}** rows; hostile {stats['hostile']}; hard cases "
             f"{stats['hard_cases']}; largest pairwise similarity (character 4-gram Jaccard) "
             f"{stats['max_similarity']} ({' / '.join(stats['max_similarity_pair'] or [])}); "
             f"across splits {stats['max_similarity_across_splits']} "
             f"({' / '.join(stats['max_similarity_across_splits_pair'] or [])}); "
             f"pairs above 0.6: {stats['pairs_above_0_6']}.", ""]
    lines += ["Rows per language and split:", ""]
    lines += _table(["language", "train", "dev", "test", "total"],
                    [[lang, *(stats["by_language_split"].get(f"{lang}/{s}", 0) for s in ("train", "dev", "test")),
                      stats["by_language"][lang]] for lang in languages])
    lines += ["Language x target x stance x hostility:", ""]
    lines += _cell_table(stats)
    lines += ["Stance share per language:", ""]
    lines += _table(["language", *STANCES],
                    [[lang, *(f"{stats['stance_share_by_language'][lang][s]:.1%}" for s in STANCES)]
                     for lang in languages])
    lines += ["Rhetoric types (a hostile row may carry several):", ""]
    lines += _table(["rhetoric type", "rows"], [[t, n] for t, n in stats["by_rhetoric"].items()])
    lines += ["Hard cases:", ""]
    lines += _table(["hard case", "rows"], [[c, n] for c, n in stats["by_hard_case"].items()])
    lines += ["Genres:", ""]
    lines += _table(["genre", "rows"], [[g, n] for g, n in stats["by_genre"].items()])
    return "\n".join(lines).rstrip() + "\n"


def update_card(readme: Path, markdown: str) -> bool:
    """Replace the generated block of the data card with `markdown`; return whether it changed."""
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(CARD_BEGIN), text.find(CARD_END)
    if start < 0 or end < start:
        raise InputError(f"{readme}: markers {CARD_BEGIN!r} .. {CARD_END!r} not found")
    updated = text[:start] + CARD_BEGIN + "\n\n" + markdown + "\n" + text[end:]
    if updated != text:
        readme.write_text(updated, encoding="utf-8")
    return updated != text
