"""The Store contract every backend meets (SqliteStore, ElasticsearchStore) and its query types.

The contract test suite in tests/integration/test_store_contract.py runs against every
backend; a new backend passes it before it is registered in `indexer.open_store`.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from mediawatch.documents import ClassifiedArticle

__all__ = [
    "Store",
    "UpsertResult",
    "SearchFilters",
    "TrendQuery",
    "TrendBucket",
    "Interval",
    "GroupBy",
    "GROUP_BY_FIELDS",
]

Interval = Literal["hour", "day", "week"]
GroupBy = Literal["outlet", "country", "language", "affiliation", "rhetoric"]
# Article field each grouping reads; "rhetoric" groups by the target's rhetoric types.
GROUP_BY_FIELDS: dict[str, str] = {
    "outlet": "outlet_id",
    "country": "country",
    "language": "language",
    "affiliation": "affiliation",
    "rhetoric": "rhetoric",
}


@dataclass
class UpsertResult:
    """Outcome of `Store.upsert_many`: how many were written and which ids failed, with why."""

    written: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class SearchFilters:
    """Filters for `Store.search`; None means 'any'. `hostile` needs `target` or means any target."""

    target: str | None = None
    hostile: bool = False
    outlet: str | None = None
    country: str | None = None
    language: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class TrendQuery:
    """A trend request: one target, time buckets of `interval`, optionally split by `by`.

    Buckets are on `published_at` in UTC; weeks start on Monday 00:00 UTC. Only articles
    that mention the target count. `since` is inclusive and `until` exclusive.
    """

    target: str
    interval: Interval = "day"
    by: GroupBy | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class TrendBucket:
    """One (bucket start, group) cell of a trend.

    articles: articles mentioning the target; mentions: sum of their mention counts;
    hostile: sum of hostile mentions; hostile_share: hostile / mentions (0 when no mentions);
    stance_mean: mean article stance_score. `group` is None when the query has no `by`.
    """

    start: datetime
    group: str | None
    articles: int
    mentions: int
    hostile: int
    hostile_share: float
    stance_mean: float

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form used by `mediawatch trends --format json`."""
        from mediawatch.documents import format_datetime

        return {
            "start": format_datetime(self.start),
            "group": self.group,
            "articles": self.articles,
            "mentions": self.mentions,
            "hostile": self.hostile,
            "hostile_share": round(self.hostile_share, 6),
            "stance_mean": round(self.stance_mean, 6),
        }


class Store(abc.ABC):
    """Where classified articles live. Backends: SqliteStore (embedded), ElasticsearchStore.

    Errors: an unreachable backend raises `StoreUnavailable` from any method; a backend that
    answers but refuses raises `StoreError`. Methods never return partial silent results.
    """

    #: URL the store was opened with, for messages (credentials stripped).
    url: str = ""

    @abc.abstractmethod
    def upsert_many(self, docs: Iterable[ClassifiedArticle]) -> UpsertResult:
        """Insert or replace articles by id; idempotent (the same docs twice store each once).

        Order within the call does not matter; a later doc with the same id in the same call
        wins. Per-document failures are reported in `UpsertResult.failed`, not raised. The
        documents are durable (searchable, countable) when the call returns.
        """

    @abc.abstractmethod
    def get(self, article_id: str) -> ClassifiedArticle | None:
        """Return the article with this id, or None when absent."""

    @abc.abstractmethod
    def known_urls(self, urls: Iterable[str]) -> set[str]:
        """Return the subset of `urls` already stored, matched on url or canonical_url."""

    @abc.abstractmethod
    def search(self, query: str | None, filters: SearchFilters = SearchFilters(),
               limit: int = 20) -> list[ClassifiedArticle]:
        """Return up to `limit` articles matching a full-text query (title and body) and filters.

        With a query, best matches first; without one, newest `published_at` first.
        """

    @abc.abstractmethod
    def trends(self, query: TrendQuery) -> list[TrendBucket]:
        """Return the trend buckets, sorted by (start, group); empty buckets are omitted."""

    @abc.abstractmethod
    def iter_articles(self) -> Iterator[ClassifiedArticle]:
        """Yield every stored article, ordered by id (stable across backends, for export)."""

    @abc.abstractmethod
    def count(self) -> int:
        """Return how many articles are stored."""

    @abc.abstractmethod
    def get_state(self, key: str) -> dict[str, Any] | None:
        """Return the JSON state document stored under `key` (alerts, crawl runs), or None."""

    @abc.abstractmethod
    def put_state(self, key: str, value: dict[str, Any]) -> None:
        """Store a JSON state document under `key`, replacing any previous one; durable on return."""

    @abc.abstractmethod
    def list_state(self, prefix: str) -> dict[str, dict[str, Any]]:
        """Return every state document whose key starts with `prefix`, keyed by full key."""

    def close(self) -> None:
        """Release connections and files. Safe to call twice."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
