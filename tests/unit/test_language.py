"""Language id among ru/az/en/tr/uk, including Azerbaijani typed without "ə"."""

from __future__ import annotations

import pytest

from nlp.language import detect_language


@pytest.mark.parametrize("text, expected", [
    ("Министр иностранных дел России провел переговоры с коллегой из Азербайджана.", "ru"),
    ("Prezident İlham Əliyev Rusiya nümayəndə heyətini qəbul edib.", "az"),
    ("Russia and Azerbaijan discussed the transport corridor on Thursday.", "en"),
    ("Міністр закордонних справ України провів переговори у Києві.", "uk"),
    ("Dışişleri Bakanı bugün Ankara'da bir basın toplantısı düzenledi.", "tr"),
])
def test_detects_each_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_azerbaijani_without_schwa_is_az_for_an_az_outlet() -> None:
    text = "Rusiya mediasinda Azerbaycan eleyhine yeni kampaniya baslayib ve ekspertler sert ifadeler islediler."
    assert detect_language(text, expected=["az"]) == "az"


def test_turkish_stays_turkish_when_the_outlet_publishes_turkish() -> None:
    text = "Dışişleri Bakanı bugün Ankara'da bir basın toplantısı düzenledi."
    assert detect_language(text, expected=["az", "tr"]) == "tr"


def test_empty_text_is_undecided() -> None:
    assert detect_language("   ") == ""
