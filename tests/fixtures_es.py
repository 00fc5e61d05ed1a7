"""Fixtures for the es service: one real local Elasticsearch per test session, a store per test.

`es_url` reuses MEDIAWATCH_ES_URL when set (a running cluster, e.g. `mediawatch es serve`);
otherwise it builds and starts the local Elasticsearch 7.10.2 (indexer/local_es.py) once in a
temporary data dir on a free port and stops it when the session ends. `es_store` gives each
test an ElasticsearchStore with its own index prefix and deletes that prefix's indices after.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from indexer.local_es import LocalElasticsearch, find_free_port
from mediawatch.settings import Settings, load_settings

if TYPE_CHECKING:
    from indexer.elasticsearch import ElasticsearchStore


@pytest.fixture(scope="session")
def es_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a real Elasticsearch for this test session."""
    configured = os.environ.get("MEDIAWATCH_ES_URL")
    if configured:
        yield configured.rstrip("/")
        return
    node = LocalElasticsearch(tmp_path_factory.mktemp("elasticsearch"), port=find_free_port())
    node.start()
    try:
        yield node.url
    finally:
        node.stop()


@pytest.fixture
def es_settings(tmp_path: Path) -> Settings:
    """Settings built the production way (defaults + environment), with a private data dir."""
    return load_settings(overrides={"data_dir": str(tmp_path / "data")})


@pytest.fixture
def es_store(es_url: str, es_settings: Settings) -> Iterator[ElasticsearchStore]:
    """An ElasticsearchStore on `es_url` with a unique index prefix, cleaned up afterwards."""
    from indexer.elasticsearch import ElasticsearchStore

    prefix = f"mwtest-{uuid.uuid4().hex[:10]}"
    store = ElasticsearchStore.from_url(es_url, es_settings, index_prefix=prefix)
    try:
        yield store
    finally:
        store.close()  # the test may have closed it already; cleanup uses its own client
        cleaner = ElasticsearchStore.from_url(es_url, es_settings, index_prefix=prefix)
        cleaner.delete_indices()
        cleaner.close()
