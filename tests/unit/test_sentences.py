"""Tests for nlp/sentences.py: boundaries in ru/az/en and offsets into the original text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.sentences import split_sentences


def texts(text: str, language: str | None) -> list[str]:
    return [s.text for s in split_sentences(text, language)]


@pytest.mark.parametrize("language, text, expected", [
    ("ru", "В. Путин встретился с И. Алиевым в г. Москве. Стороны обсудили коридор!",
     ["В. Путин встретился с И. Алиевым в г. Москве.", "Стороны обсудили коридор!"]),
    ("ru", "«Баку не уступит», — заявил он. Итог ясен.", ["«Баку не уступит», — заявил он.", "Итог ясен."]),
    ("az", "Prezident İ. Əliyev Moskvaya səfər edib. Kreml bunu təsdiqləyib! \"Bakı razılaşmır\", - deyə o bildirib.",
     ["Prezident İ. Əliyev Moskvaya səfər edib.", "Kreml bunu təsdiqləyib!", "\"Bakı razılaşmır\", - deyə o bildirib."]),
    ("az", "Qiymət 2.5 manat olub. Məs. Şəki daha ucuzdur.", ["Qiymət 2.5 manat olub.", "Məs. Şəki daha ucuzdur."]),
    ("en", "Mr. Aliyev met Dr. Smith in the U.S. on Monday. The Kremlin said no. \"Baku will not yield,\" he said.",
     ["Mr. Aliyev met Dr. Smith in the U.S. on Monday.", "The Kremlin said no.", "\"Baku will not yield,\" he said."]),
    ("en", "Resolution No. 5 passed. Then what? Nothing...", ["Resolution No. 5 passed.", "Then what?", "Nothing..."]),
    ("en", "Headline without a full stop\nFirst line of the body. Second.",
     ["Headline without a full stop", "First line of the body.", "Second."]),
    (None, "Москва ответила. Баку промолчал.", ["Москва ответила.", "Баку промолчал."]),
])
def test_boundaries(language: str | None, text: str, expected: list[str]) -> None:
    assert texts(text, language) == expected


def test_offsets_point_into_the_original_text() -> None:
    text = "  Первое предложение.   Второе!\n\n  Третье?  "
    sentences = split_sentences(text, "ru")
    assert [(s.start, s.end) for s in sentences] == [(2, 21), (24, 31), (35, 42)]
    assert all(text[s.start:s.end] == s.text for s in sentences)


def test_empty_text_has_no_sentences() -> None:
    assert split_sentences("  \n ", "en") == []


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="abcАБВəı .!?\n«»\"", max_size=80), st.sampled_from(["ru", "az", "en", None]))
def test_sentences_are_ordered_stripped_slices(text: str, language: str | None) -> None:
    previous_end = 0
    for sentence in split_sentences(text, language):
        assert text[sentence.start:sentence.end] == sentence.text == sentence.text.strip() != ""
        assert sentence.start >= previous_end
        previous_end = sentence.end
