"""The plain records: ids, dates and the JSON round trip."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from mediawatch.documents import Article, ClassifiedArticle, TargetAnalysis, article_id, parse_datetime


def test_id_is_hash_of_canonical_url() -> None:
    a = Article(url="https://x.az/a?utm_source=t", canonical_url="https://x.az/a", outlet_id="x",
                title="t", body="b")
    assert a.id == article_id("https://x.az/a") and len(a.id) == 40


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20T10:00:00+03:00", datetime(2026, 11, 20, 7, tzinfo=timezone.utc)),
        ("2026-11-20T10:00:00Z", datetime(2026, 11, 20, 10, tzinfo=timezone.utc)),
        ("2026-11-20T10:00:00", datetime(2026, 11, 20, 10, tzinfo=timezone.utc)),
        ("2026-11-20", datetime(2026, 11, 20, tzinfo=timezone.utc)),
    ],
)
def test_parse_datetime_normalises_to_utc(text: str, expected: datetime) -> None:
    assert parse_datetime(text) == expected


def test_parse_datetime_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        parse_datetime("yesterday-ish")


def test_classified_roundtrip_keeps_targets_and_model() -> None:
    doc = ClassifiedArticle(
        Article(url="https://a.ru/1", canonical_url="", outlet_id="a", title="Т", body="Б",
                published_at=parse_datetime("2026-01-01T00:00:00Z"), authors=["A"]),
        [TargetAnalysis("azerbaijan", 2, "against", -0.7, "hostile", 0.95, 1, ["threat"])],
        model_name="m", model_version="3")
    again = ClassifiedArticle.from_dict(doc.to_dict())
    assert again.to_dict() == doc.to_dict()
    assert again.target("azerbaijan") is not None and again.target("russia") is None


def test_ingest_shorthand_outlet_is_accepted() -> None:
    a = Article.from_dict({"url": "https://a.ru/1", "outlet": "tass", "title": "t", "body": "b"})
    assert a.outlet_id == "tass" and a.canonical_url == "https://a.ru/1"
