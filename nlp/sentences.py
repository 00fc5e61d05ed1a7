"""Sentence splitting with character offsets into the original text (razdel for Russian, rules for az/en).

Contract: `split_sentences(text, language)` returns `Sentence`s in order, non-overlapping, each with
`text == original[start:end]`, stripped of surrounding whitespace; a line break always ends a
sentence (crawled bodies keep one paragraph per line). Used by nlp/mentions.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from razdel import sentenize

__all__ = ["Sentence", "split_sentences", "ABBREVIATIONS"]


@dataclass(frozen=True)
class Sentence:
    """One sentence: its text and [start, end) character offsets in the text it was split from."""

    start: int
    end: int
    text: str


# Lower-cased tokens that end with a period without ending the sentence. Single letters
# (initials: "V. Putin", "İ. Əliyev") and dotted acronyms ("U.S.") are handled by rule.
ABBREVIATIONS: dict[str, frozenset[str]] = {
    "en": frozenset({
        "mr", "mrs", "ms", "dr", "prof", "st", "gen", "col", "lt", "sgt", "capt", "gov", "sen",
        "rep", "jr", "sr", "vs", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
        "sept", "oct", "nov", "dec", "inc", "ltd", "co", "corp", "approx", "est", "dept", "fig",
    }),
    "az": frozenset({
        "məs", "prof", "dos", "akad", "c", "cən", "b", "s", "bax", "küç", "prosp", "çap", "red",
        "ş", "r", "ma", "sm", "km", "mln", "mlrd",
    }),
}

PARAGRAPH = re.compile(r"[^\n]+")
# A sentence may end at . ! ? … (possibly repeated), followed by closing quotes or brackets, then
# whitespace and something that can start a sentence: a capital, a digit, an opening quote or dash.
BOUNDARY = re.compile(r"[.!?…]+[\"'»”’)\]]*(?=\s+[\"'«“„(\[—–-]*[\dA-ZƏÇĞİÖŞÜА-ЯЁ])")
TOKEN_BEFORE = re.compile(r"([\w.]+)[.!?…]*$")
INITIAL_OR_ACRONYM = re.compile(r"^(?:\w|(?:\w\.)+\w)$")


def _is_cyrillic(text: str) -> bool:
    cyrillic = sum("а" <= ch.lower() <= "я" or ch in "ёЁ" for ch in text)
    latin = sum("a" <= ch.lower() <= "z" for ch in text)
    return cyrillic > latin


def _rule_ends(paragraph: str, language: str) -> Iterator[int]:
    """Yield the end offsets of sentences inside one paragraph for az/en text."""
    abbreviations = ABBREVIATIONS.get(language, frozenset()) | ABBREVIATIONS["en"]
    for match in BOUNDARY.finditer(paragraph):
        if match.group(0).startswith(".") and not match.group(0).startswith(".."):
            token = TOKEN_BEFORE.search(paragraph[:match.start() + 1])
            word = token.group(1).rstrip(".") if token else ""
            if word.lower() in abbreviations or INITIAL_OR_ACRONYM.match(word):
                continue
            if word.lower() == "no" and paragraph[match.end():].lstrip()[:1].isdigit():
                continue  # "No. 5"
        yield match.end()
    yield len(paragraph)


def _paragraph_spans(paragraph: str, language: str) -> Iterator[tuple[int, int]]:
    if language == "ru":
        for piece in sentenize(paragraph):
            yield piece.start, piece.stop
        return
    start = 0
    for end in _rule_ends(paragraph, language):
        yield start, end
        start = end


def split_sentences(text: str, language: str | None = None) -> list[Sentence]:
    """Split `text` into sentences with offsets; `language` ru|az|en, or None to decide by script."""
    if language is None:
        language = "ru" if _is_cyrillic(text) else "en"
    sentences = []
    for paragraph in PARAGRAPH.finditer(text):
        for start, end in _paragraph_spans(paragraph.group(0), language):
            piece = paragraph.group(0)[start:end]
            stripped = piece.strip()
            if not stripped:
                continue
            begin = paragraph.start() + start + (len(piece) - len(piece.lstrip()))
            sentences.append(Sentence(begin, begin + len(stripped), stripped))
    return sentences
