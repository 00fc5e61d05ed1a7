"""Stores for classified articles: the Store contract, SqliteStore (embedded) and ElasticsearchStore.

`open_store(url, settings)` picks the backend from the URL: ``sqlite:///path.db`` or
``http(s)://host:port``. The Elasticsearch backend is imported only when asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from indexer.store import SearchFilters, Store, TrendBucket, TrendQuery, UpsertResult
from mediawatch.errors import ConfigError

if TYPE_CHECKING:
    from mediawatch.settings import Settings

__all__ = ["Store", "SearchFilters", "TrendQuery", "TrendBucket", "UpsertResult", "open_store"]


def open_store(url: str, settings: Settings | None = None) -> Store:
    """Open the store named by `url`; raises ConfigError for an unknown scheme.

    Raises StoreUnavailable when an Elasticsearch URL does not answer.
    """
    if url.startswith("sqlite://"):
        from indexer.sqlite import SqliteStore

        return SqliteStore.from_url(url)
    if url.startswith(("http://", "https://")):
        from indexer.elasticsearch import ElasticsearchStore

        return ElasticsearchStore.from_url(url, settings)
    raise ConfigError(f"unknown store URL {url!r}", key="store.url",
                      fix="use sqlite:///path/to/file.db or http(s)://host:port")
