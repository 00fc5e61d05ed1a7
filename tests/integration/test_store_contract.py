"""The Store contract, run against every backend on the real engines (SQLite, local Elasticsearch)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from indexer import SearchFilters, Store, TrendQuery
from indexer.sqlite import SqliteStore
from mediawatch.documents import Article, ClassifiedArticle, Evidence, TargetAnalysis

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=timezone.utc)  # a Monday


def make_doc(n: int, *, outlet: str = "tass", country: str = "RU", language: str = "ru",
             published: datetime | None = T0, title: str | None = None, body: str | None = None,
             targets: list[TargetAnalysis] | None = None) -> ClassifiedArticle:
    article = Article(
        url=f"https://{outlet}.example/news/{n}?utm_source=x",
        canonical_url=f"https://{outlet}.example/news/{n}",
        outlet_id=outlet, outlet_name=outlet.upper(), country=country, affiliation="state",
        language=language, title=title or f"Новость номер {n}",
        body=body or f"Текст статьи {n} о погоде и экономике.", published_at=published,
        crawled_at=T0 + timedelta(days=30), authors=["Иван Петров"], section="politics")
    return ClassifiedArticle(article, targets or [], model_name="test-model", model_version="1")


def analysis(target: str = "azerbaijan", mentions: int = 2, hostile: int = 0,
             stance_score: float = 0.0, rhetoric: tuple[str, ...] = ()) -> TargetAnalysis:
    return TargetAnalysis(
        target=target, mentions=mentions, stance="against" if stance_score < 0 else "neutral",
        stance_score=stance_score, hostility="hostile" if hostile else "none",
        hostility_score=0.9 if hostile else 0.1, hostile_mentions=hostile, rhetoric=list(rhetoric),
        evidence=[Evidence(text="Баку пожалеет.", start=0, end=14, score=0.9, stance="against",
                           rhetoric=list(rhetoric))] if hostile else [])


def corrupt_sqlite(store: Store, article_id: str) -> None:
    assert isinstance(store, SqliteStore)
    db = sqlite3.connect(store.path)
    db.execute("UPDATE articles SET doc='{not json' WHERE id=?", (article_id,))
    db.commit()
    db.close()


def corrupt_elasticsearch(store: Store, article_id: str) -> None:
    client = getattr(store, "client")
    alias = getattr(store, "write_alias")
    client.index(index=alias, id=article_id, body={"id": article_id}, refresh=True)


@pytest.fixture(params=["sqlite", "elasticsearch"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, Callable[[Store, str], None]]]:
    if request.param == "sqlite":
        store: Store = SqliteStore(tmp_path / "contract.db")
        yield store, corrupt_sqlite
        store.close()
    else:
        yield request.getfixturevalue("es_store"), corrupt_elasticsearch


@pytest.fixture
def store(backend: tuple[Store, Callable[[Store, str], None]]) -> Store:
    return backend[0]


def test_upsert_is_idempotent(store: Store) -> None:
    docs = [make_doc(i) for i in range(5)]
    assert store.upsert_many(docs).written == 5
    assert store.upsert_many(docs).written == 5
    assert store.count() == 5


def test_later_duplicate_in_one_call_wins(store: Store) -> None:
    first, second = make_doc(1, title="Старый заголовок"), make_doc(1, title="Новый заголовок")
    store.upsert_many([first, second])
    got = store.get(first.id)
    assert got is not None and got.article.title == "Новый заголовок"
    assert store.count() == 1


def test_get_roundtrips_every_field(store: Store) -> None:
    doc = make_doc(7, targets=[analysis(hostile=1, stance_score=-0.6, rhetoric=("threat",))])
    store.upsert_many([doc])
    got = store.get(doc.id)
    assert got is not None
    assert got.to_dict() == doc.to_dict()
    assert store.get("0" * 40) is None


def test_upsert_replaces_targets(store: Store) -> None:
    doc = make_doc(3, targets=[analysis(hostile=1, rhetoric=("threat",))])
    store.upsert_many([doc])
    store.upsert_many([make_doc(3, targets=[analysis(hostile=0)])])
    assert store.search(None, SearchFilters(target="azerbaijan", hostile=True)) == []
    buckets = store.trends(TrendQuery("azerbaijan", by="rhetoric"))
    assert buckets == []


def test_known_urls_matches_url_and_canonical(store: Store) -> None:
    doc = make_doc(1)
    store.upsert_many([doc])
    asked = [doc.article.url, doc.article.canonical_url, "https://tass.example/news/999"]
    assert store.known_urls(asked) == {doc.article.url, doc.article.canonical_url}
    assert store.known_urls([]) == set()


def test_known_urls_handles_many(store: Store) -> None:
    docs = [make_doc(i) for i in range(1200)]
    store.upsert_many(docs)
    asked = [d.article.canonical_url for d in docs] + [f"https://nope.example/{i}" for i in range(300)]
    assert len(store.known_urls(asked)) == 1200


def test_search_full_text_and_filters(store: Store) -> None:
    store.upsert_many([
        make_doc(1, title="Баку заявил протест", body="МИД Азербайджана вызвал посла.",
                 targets=[analysis(hostile=1, rhetoric=("threat",))]),
        make_doc(2, outlet="apa", country="AZ", language="az", title="Bakı bəyanat verdi",
                 body="Azərbaycan XİN-i açıqlama yaydı.", targets=[analysis(hostile=0)],
                 published=T0 + timedelta(days=2)),
        make_doc(3, title="Погода в Москве", body="Дожди и ветер.", published=T0 + timedelta(days=1)),
    ])
    assert [d.article.title for d in store.search("протест")] == ["Баку заявил протест"]
    assert {d.article.outlet_id for d in store.search(None, SearchFilters(target="azerbaijan"))} == {"tass", "apa"}
    hostile = store.search(None, SearchFilters(target="azerbaijan", hostile=True))
    assert [d.article.title for d in hostile] == ["Баку заявил протест"]
    assert [d.article.outlet_id for d in store.search(None, SearchFilters(outlet="apa"))] == ["apa"]
    assert len(store.search(None, SearchFilters(language="ru"))) == 2
    assert len(store.search(None, SearchFilters(since=T0 + timedelta(days=1)))) == 2
    assert len(store.search(None, SearchFilters(until=T0 + timedelta(days=1)))) == 1
    newest_first = [d.article.title for d in store.search(None)]
    assert newest_first == ["Bakı bəyanat verdi", "Погода в Москве", "Баку заявил протест"]
    assert len(store.search(None, limit=2)) == 2
    assert store.search("несуществующееслово") == []


def _trend_history() -> list[ClassifiedArticle]:
    day = timedelta(days=1)
    return [
        make_doc(1, published=T0 + timedelta(hours=1),
                 targets=[analysis(mentions=3, hostile=2, stance_score=-0.8, rhetoric=("threat", "insult")),
                          analysis(target="russia", mentions=1, stance_score=0.5)]),
        make_doc(2, published=T0 + timedelta(hours=5), targets=[analysis(mentions=1, stance_score=0.2)]),
        make_doc(3, outlet="apa", country="AZ", language="az", published=T0 + day + timedelta(hours=2),
                 targets=[analysis(mentions=2, hostile=1, stance_score=-0.4, rhetoric=("threat",))]),
        make_doc(4, published=T0 + 7 * day + timedelta(hours=3), targets=[analysis(mentions=4)]),
        make_doc(5, published=T0 + 2 * day, targets=[analysis(target="russia", mentions=2)]),
        make_doc(6, published=None, targets=[analysis(mentions=5, hostile=5, rhetoric=("threat",))]),
        make_doc(7, published=T0 - day, targets=[analysis(mentions=0)]),
    ]


def test_trends_daily(store: Store) -> None:
    store.upsert_many(_trend_history())
    got = [b.to_dict() for b in store.trends(TrendQuery("azerbaijan", "day"))]
    assert got == [
        {"start": "2026-03-02T00:00:00Z", "group": None, "articles": 2, "mentions": 4, "hostile": 2,
         "hostile_share": 0.5, "stance_mean": -0.3},
        {"start": "2026-03-03T00:00:00Z", "group": None, "articles": 1, "mentions": 2, "hostile": 1,
         "hostile_share": 0.5, "stance_mean": -0.4},
        {"start": "2026-03-09T00:00:00Z", "group": None, "articles": 1, "mentions": 4, "hostile": 0,
         "hostile_share": 0.0, "stance_mean": 0.0},
    ]


def test_trends_weekly_by_outlet(store: Store) -> None:
    store.upsert_many(_trend_history())
    got = [(b.start.isoformat(), b.group, b.articles, b.mentions, b.hostile)
           for b in store.trends(TrendQuery("azerbaijan", "week", by="outlet"))]
    assert got == [
        ("2026-03-02T00:00:00+00:00", "apa", 1, 2, 1),
        ("2026-03-02T00:00:00+00:00", "tass", 2, 4, 2),
        ("2026-03-09T00:00:00+00:00", "tass", 1, 4, 0),
    ]


def test_trends_hourly_by_rhetoric_and_window(store: Store) -> None:
    store.upsert_many(_trend_history())
    query = TrendQuery("azerbaijan", "hour", by="rhetoric", since=T0, until=T0 + timedelta(days=1))
    got = [(b.start.hour, b.group, b.mentions, b.hostile) for b in store.trends(query)]
    assert got == [(1, "insult", 3, 2), (1, "threat", 3, 2)]


def test_trends_by_country_for_other_target(store: Store) -> None:
    store.upsert_many(_trend_history())
    got = [(b.start.day, b.group, b.articles, b.mentions, b.stance_mean)
           for b in store.trends(TrendQuery("russia", "day", by="country"))]
    assert got == [(2, "RU", 1, 1, 0.5), (4, "RU", 1, 2, 0.0)]


def test_iter_articles_sorted_by_id(store: Store) -> None:
    docs = [make_doc(i) for i in range(30)]
    store.upsert_many(docs)
    ids = [d.id for d in store.iter_articles()]
    assert ids == sorted(d.id for d in docs)


def test_state_roundtrip(store: Store) -> None:
    assert store.get_state("alerts/azerbaijan/RU") is None
    store.put_state("alerts/azerbaijan/RU", {"last_sent": "2026-03-02T00:00:00Z", "n": 1})
    store.put_state("alerts/azerbaijan/RU", {"last_sent": "2026-03-03T00:00:00Z", "n": 2})
    store.put_state("alerts/russia/AZ", {"n": 3})
    store.put_state("crawl/tass/last", {"status": "ok"})
    assert store.get_state("alerts/azerbaijan/RU") == {"last_sent": "2026-03-03T00:00:00Z", "n": 2}
    assert set(store.list_state("alerts/")) == {"alerts/azerbaijan/RU", "alerts/russia/AZ"}
    assert store.list_state("nothing/") == {}


def test_corrupt_record_is_reported_not_fatal(backend: tuple[Store, Callable[[Store, str], None]]) -> None:
    store, corrupt = backend
    docs = [make_doc(i) for i in range(3)]
    store.upsert_many(docs)
    corrupt(store, docs[1].id)
    from mediawatch.errors import StoreError

    with pytest.raises(StoreError):
        store.get(docs[1].id)
    assert {d.id for d in store.iter_articles()} == {docs[0].id, docs[2].id}


def test_same_jsonl_exports_same_articles(store: Store) -> None:
    rows = [json.loads(json.dumps(d.to_dict())) for d in _trend_history()]
    store.upsert_many(ClassifiedArticle.from_dict(r) for r in rows)
    exported = [d.to_dict() for d in store.iter_articles()]
    assert exported == sorted(rows, key=lambda r: r["id"])
