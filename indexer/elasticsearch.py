"""ElasticsearchStore: the production store on Elasticsearch 7.10 .. 8.x/9.x (or OpenSearch).

Client line: the official `elasticsearch` Python client 7.13. The 8.x/9.x clients send a
compatibility media type that servers older than 8 answer with 406 and check a product
header, so they refuse the local 7.10.2 the tests run on; 7.14 .. 7.17 check the product too.
The 7.13 line sends plain JSON, has no product check, and speaks the APIs this store uses
(bulk, search and aggregations, composable index templates, aliases) to 7.10 .. 9.x and
OpenSearch. Its serializer still names ``numpy.float_`` (gone in NumPy 2), so the client is
imported with NumPy hidden: we never send NumPy values (`_import_client`).

Layout, named from `index_prefix` (README, "Elasticsearch"): an index template
``<prefix>-articles`` (indexer/templates/articles.json, strict mappings, one body field per
language with its analyzer, flat per-target fields), the write alias ``<prefix>-articles`` over
``<prefix>-articles-000001``, and a small ``<prefix>-state`` index for alert and crawl state.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import re
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import orjson

from indexer.store import SearchFilters, Store, TrendBucket, TrendQuery, UpsertResult
from mediawatch.documents import (
    Article,
    ClassifiedArticle,
    Evidence,
    TargetAnalysis,
    format_datetime,
)
from mediawatch.errors import StoreError, StoreUnavailable

if TYPE_CHECKING:
    from mediawatch.settings import ElasticsearchSettings, Settings


def _import_client() -> Any:
    """Import the 7.13 client with NumPy hidden (its serializer breaks on NumPy 2)."""
    saved = sys.modules.get("numpy")
    sys.modules["numpy"] = None  # type: ignore[assignment]  # makes `import numpy` fail
    try:
        import elasticsearch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("ElasticsearchStore needs the `elasticsearch` client 7.13: "
                          "pip install 'elasticsearch>=7.13,<7.14'") from exc
    finally:
        if saved is None:
            del sys.modules["numpy"]
        else:
            sys.modules["numpy"] = saved
    return elasticsearch


es = _import_client()

__all__ = ["ElasticsearchStore", "document_source", "stored_to_dict", "TEMPLATE_FILE",
           "MAPPING_VERSION"]

logger = logging.getLogger(__name__)

TEMPLATE_FILE = Path(__file__).resolve().parent / "templates" / "articles.json"
MAPPING_VERSION = 2  # bump with a new index behind the alias and a reindex (docs/operations.md)
# Each body is indexed under its language's field only (analysed once, by the right analyzer);
# BODY_FIELDS lists them for queries. Version 1 had one `body` field with every analyzer.
BODY_FIELD_BY_LANGUAGE = {"ru": "body_ru", "az": "body_az", "tr": "body_az", "en": "body_en"}
BODY_FIELD_OTHER = "body_other"
BODY_FIELDS = ("body_ru", "body_az", "body_en", BODY_FIELD_OTHER)
_STATE_MAPPINGS = {
    "dynamic": "strict",
    "properties": {
        "key": {"type": "keyword"},
        "value": {"type": "object", "enabled": False},  # stored, never indexed: any JSON shape
        "updated_at": {"type": "date"},
    },
}
_RETRYABLE_STATUS = {429, 502, 503, 504}
_BULK_RESPONSE_FIELDS = "items.*._id,items.*.status,items.*.error"
_PAGE = 1000  # hits per page when walking all documents with search_after
_TARGET_NAME = re.compile(r"[a-z][a-z0-9_]*")  # what a by_target.<target> field may be named
_URL_CHUNK = 500  # URLs per terms query in known_urls
_COMPOSITE_PAGE = 10000  # composite aggregation buckets per trends request
_TREND_RESPONSE_FIELDS = ",".join(f"aggregations.cells.{part}" for part in (
    "after_key", "buckets.key", "buckets.doc_count", "buckets.mentions", "buckets.hostile", "buckets.stance"))
_INITIAL_BACKOFF_S = 0.5
_MAX_BACKOFF_S = 30.0
_CONNECT_CHECK_TIMEOUT_S = 5.0
_CALENDAR_INTERVAL = {"hour": "1h", "day": "1d", "week": "1w"}  # ES weeks start on Monday
_GROUP_FIELDS = {"outlet": "outlet_id", "country": "country", "language": "language",
                 "affiliation": "affiliation"}


def _strip_credentials(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def _client_options(url: str, config: ElasticsearchSettings) -> dict[str, Any]:
    """Translate settings into client keyword arguments (auth, TLS, timeouts, retries)."""
    options: dict[str, Any] = {
        "timeout": config.request_timeout_s,
        "max_retries": config.bulk_max_retries,
        "retry_on_timeout": True,
        "http_compress": False,
    }
    if config.api_key is not None:
        options["api_key"] = config.api_key.get_secret_value()
    elif config.username:
        password = config.password.get_secret_value() if config.password else ""
        options["http_auth"] = (config.username, password)
    if url.startswith("https://"):
        options["verify_certs"] = config.verify_certs
        if config.ca_file:
            options["ca_certs"] = config.ca_file
        if not config.verify_certs:
            options["ssl_show_warn"] = False  # warned once below, not on every request
            logger.warning("TLS certificate verification is OFF for %s "
                           "(elasticsearch.verify_certs = false); use only on a trusted network",
                           _strip_credentials(url))
    return options


def _probe(url: str, shown: str, options: dict[str, Any]) -> dict[str, Any]:
    """Ask the root endpoint once, without retries, so a dead URL fails within seconds."""
    timeout = min(_CONNECT_CHECK_TIMEOUT_S, options["timeout"])
    probe = es.Elasticsearch([url], **{**options, "max_retries": 0, "timeout": timeout})
    try:
        with _translate_errors(shown):
            try:
                info = dict(probe.info())
            except es.TransportError as exc:
                if isinstance(exc, (es.ConnectionError, es.AuthenticationException,
                                    es.AuthorizationException)):
                    raise
                info = {}
        if not isinstance(info.get("version"), dict):
            raise StoreUnavailable(f"{shown} does not answer like Elasticsearch (no version on "
                                   f"its root endpoint); check the store URL")
        return info
    finally:
        probe.transport.close()


@contextlib.contextmanager
def _translate_errors(url: str) -> Iterator[None]:
    """Turn client exceptions into StoreUnavailable (cannot reach/auth) or StoreError."""
    try:
        yield
    except (es.ConnectionError, es.ConnectionTimeout) as exc:
        raise StoreUnavailable(f"Elasticsearch at {url} is unreachable: "
                               f"{_short_reason(exc)}") from None
    except (es.AuthenticationException, es.AuthorizationException) as exc:
        raise StoreUnavailable(f"Elasticsearch at {url} refused the credentials "
                               f"({exc.status_code}); check MEDIAWATCH_ES_API_KEY or "
                               f"MEDIAWATCH_ES_USERNAME/PASSWORD") from None
    except es.TransportError as exc:
        if exc.status_code in _RETRYABLE_STATUS:
            raise StoreUnavailable(f"Elasticsearch at {url} is not ready "
                                   f"({exc.status_code}): {_short_reason(exc)}") from None
        raise StoreError(f"Elasticsearch at {url} refused the request "
                         f"({exc.status_code}): {_short_reason(exc)}") from None


def _short_reason(exc: Exception) -> str:
    info = getattr(exc, "info", None)
    if isinstance(info, dict) and isinstance(info.get("error"), dict):
        error = info["error"]
        return f"{error.get('type')}: {error.get('reason')}"
    if isinstance(info, Exception):  # urllib3's, e.g. "<HTTPConnection object at 0x..>: Failed"
        return re.sub(r"<[^>]*>: ", "", str(info)) or type(info).__name__
    return str(getattr(exc, "error", "") or exc).splitlines()[0][:300]


def _item_reason(info: dict[str, Any]) -> str:
    error = info.get("error")
    if isinstance(error, dict):
        return f"{info.get('status')} {error.get('type')}: {error.get('reason')}"
    return f"{info.get('status')} {error}"


class ElasticsearchStore(Store):
    """Articles in an Elasticsearch index behind a write alias; state in a small side index.

    Build it with `from_url`; tests pass their own `index_prefix` to keep runs apart.
    """

    def __init__(self, client: Any, url: str, config: ElasticsearchSettings,
                 index_prefix: str | None = None) -> None:
        self.client = client
        self.url = url
        self.config = config
        self.index_prefix = index_prefix or config.index_prefix
        self.write_alias = f"{self.index_prefix}-articles"
        self.first_index = f"{self.index_prefix}-articles-000001"
        self.state_index = f"{self.index_prefix}-state"
        self._bulk_depth = 0
        self._bulk_lock = threading.Lock()
        self._saved_refresh: Any = None

    @classmethod
    def from_url(cls, url: str, settings: Settings | None = None,
                 index_prefix: str | None = None) -> ElasticsearchStore:
        """Connect, check the cluster answers, and create the template and indices if missing.

        Raises StoreUnavailable (one line naming the URL) when the cluster cannot be reached
        or refuses the credentials.
        """
        if settings is None:
            from mediawatch.settings import load_settings

            settings = load_settings()
        config = settings.elasticsearch
        shown = _strip_credentials(url)
        options = _client_options(url, config)
        info = _probe(url, shown, options)
        client = es.Elasticsearch([url], **options)
        version = (info.get("version") or {}).get("number", "?")
        logger.info("connected to %s (%s %s)", shown,
                    (info.get("version") or {}).get("distribution", "elasticsearch"), version)
        store = cls(client, shown, config, index_prefix)
        store.ensure_indices()
        return store

    # -- index management --------------------------------------------------------------------

    def index_template(self) -> dict[str, Any]:
        """Return the composable index template body for this prefix."""
        body = json.loads(TEMPLATE_FILE.read_text(encoding="utf-8"))
        body.pop("_comment", None)
        body["index_patterns"] = [f"{self.index_prefix}-articles-*"]
        body["priority"] = 200
        body["version"] = MAPPING_VERSION
        body["template"]["mappings"]["_meta"] = {"mediawatch_mapping_version": MAPPING_VERSION}
        return body

    def ensure_indices(self) -> None:
        """Install the template, then create the first articles index with its write alias and
        the state index unless they exist (safe when two processes race)."""
        with _translate_errors(self.url):
            self.client.indices.put_index_template(name=self.write_alias,
                                                   body=self.index_template())
            if not self.client.indices.exists_alias(name=self.write_alias):
                self._create_index(self.first_index, {
                    "aliases": {self.write_alias: {"is_write_index": True}}})
            self._check_mapping_version()
            if not self.client.indices.exists(index=self.state_index):
                self._create_index(self.state_index, {
                    "settings": {"number_of_shards": 1, "auto_expand_replicas": "0-1"},
                    "mappings": _STATE_MAPPINGS})

    def _check_mapping_version(self) -> None:
        """Refuse an index written by an older mapping: its strict mapping would refuse every
        new document, and its documents would be missing from filters and trends."""
        mappings = self.client.indices.get_mapping(index=self.write_alias)
        for index, body in mappings.items():
            version = body.get("mappings", {}).get("_meta", {}).get("mediawatch_mapping_version")
            if version != MAPPING_VERSION:
                raise StoreError(
                    f"index {index} in {self.url} has mapping version {version}, this mediawatch "
                    f"needs {MAPPING_VERSION}: create a new index behind the alias and reindex "
                    "into it as docs/operations.md ('Changing the index mapping') shows")

    def _create_index(self, name: str, body: dict[str, Any]) -> None:
        try:
            self.client.indices.create(index=name, body=body)
        except es.RequestError as exc:
            if exc.error != "resource_already_exists_exception":
                raise

    def delete_indices(self) -> None:
        """Delete this prefix's indices and template (tests and `--reset` only)."""
        with _translate_errors(self.url):
            self.client.indices.delete(index=f"{self.index_prefix}-articles-*,{self.state_index}",
                                       ignore_unavailable=True, allow_no_indices=True)
            self.client.indices.delete_index_template(name=self.write_alias, ignore=[404])

    @contextlib.contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Turn refresh off while loading many documents; restore it and refresh on exit.

        Inside the block `upsert_many` skips its per-call refresh, so documents become
        searchable when the (outermost) block ends. Nested blocks are fine.
        """
        with self._bulk_lock:
            self._bulk_depth += 1
            if self._bulk_depth == 1:
                self._saved_refresh = self._set_refresh_interval("-1")
        try:
            yield
        finally:
            with self._bulk_lock:
                self._bulk_depth -= 1
                if self._bulk_depth == 0:
                    self._set_refresh_interval(self._saved_refresh)
                    self.refresh()

    def _set_refresh_interval(self, value: Any) -> Any:
        """Set the refresh interval (and translog durability to match); return the previous interval."""
        with _translate_errors(self.url):
            current = self.client.indices.get_settings(index=self.write_alias,
                                                       name="index.refresh_interval")
            previous = next(iter(current.values()), {}).get("settings", {}).get(
                "index", {}).get("refresh_interval")
            # During a bulk load the translog is fsynced every few seconds instead of on every
            # request: a crash loses at most that window, which the idempotent re-run restores.
            durability = "async" if value == "-1" else "request"
            self.client.indices.put_settings(index=self.write_alias, body={"index": {
                "refresh_interval": value, "translog.durability": durability}})
        return previous

    def refresh(self) -> None:
        """Make every indexed document searchable now."""
        with _translate_errors(self.url):
            self.client.indices.refresh(index=self.write_alias)

    # -- writing -----------------------------------------------------------------------------

    def upsert_many(self, docs: Iterable[ClassifiedArticle]) -> UpsertResult:
        """Index documents by id through the bulk helper (see Store.upsert_many).

        Items refused with 429/503 and whole requests failing with 429/502/503/504 or a lost
        connection are retried with exponential backoff (`bulk_max_retries`); other item
        errors land in `failed`. Raises StoreUnavailable when retries run out.
        """
        pending = {doc.id: orjson.dumps(document_source(doc)) for doc in docs}
        # a later duplicate wins; sources are serialized once, whatever the retries
        result = UpsertResult()
        for attempt in range(self.config.bulk_max_retries + 1):
            if not pending:
                break
            if attempt:
                time.sleep(min(_MAX_BACKOFF_S, _INITIAL_BACKOFF_S * 2 ** (attempt - 1)))
            last_try = attempt == self.config.bulk_max_retries
            try:
                self._bulk_once(pending, result, last_try)
            except (es.ConnectionError, es.TransportError) as exc:
                status = getattr(exc, "status_code", None)
                if last_try or not (isinstance(exc, es.ConnectionError)
                                    or status in _RETRYABLE_STATUS):
                    with _translate_errors(self.url):
                        raise
                logger.warning("bulk request to %s failed (%s); retrying %d more times",
                               self.url, _short_reason(exc),
                               self.config.bulk_max_retries - attempt)
        if self._bulk_depth == 0 and result.written:
            self.refresh()
        return result

    def _bulk_once(self, pending: dict[str, bytes], result: UpsertResult,
                   last_try: bool) -> None:
        """Send `pending` once in chunks, removing each entry as it is acknowledged or fails
        for good.

        What is left afterwards (items refused with 429/503, or everything from a request that
        failed) is what the caller retries. The bulk body is joined from the pre-serialized
        sources here rather than by `helpers.streaming_bulk`, which serializes every action
        again and re-encodes each source to measure it: about a third of the client's time in
        a bulk load, on the same two cores that Elasticsearch indexes with.
        """
        ids = list(pending)
        for first in range(0, len(ids), self.config.bulk_chunk_size):
            chunk = ids[first:first + self.config.bulk_chunk_size]
            body = b"".join(b'{"index":{"_id":%s}}\n%s\n' % (orjson.dumps(doc_id), pending[doc_id])
                            for doc_id in chunk)
            response = self.client.bulk(body=body, index=self.write_alias,
                                        filter_path=_BULK_RESPONSE_FIELDS)
            for item in response.get("items", []):
                info = next(iter(item.values()))
                doc_id = str(info.get("_id"))
                status = info.get("status", 500)
                if status < 300:
                    pending.pop(doc_id, None)
                    result.written += 1
                elif status not in _RETRYABLE_STATUS or last_try:
                    pending.pop(doc_id, None)
                    result.failed.append((doc_id, _item_reason(info)))

    # -- reading -----------------------------------------------------------------------------

    def _decode(self, hit: dict[str, Any]) -> ClassifiedArticle:
        try:
            return ClassifiedArticle.from_dict(stored_to_dict(hit["_source"]))
        except (KeyError, ValueError, TypeError) as exc:
            raise StoreError(f"stored article {hit.get('_id')} in {self.url} is corrupt: "
                             f"{exc!r}") from None

    def get(self, article_id: str) -> ClassifiedArticle | None:
        """Return one article by id (real-time get); StoreError when its record is corrupt."""
        with _translate_errors(self.url):
            hit = self.client.get(index=self.write_alias, id=article_id, ignore=[404])
        return self._decode(hit) if hit.get("found") else None

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        """Return which of `urls` are stored (as url or canonical_url), asking in chunks."""
        wanted = list(dict.fromkeys(urls))
        found: set[str] = set()
        for i in range(0, len(wanted), _URL_CHUNK):
            chunk = wanted[i:i + _URL_CHUNK]
            query = {"bool": {"should": [{"terms": {"url": chunk}},
                                         {"terms": {"canonical_url": chunk}}],
                              "minimum_should_match": 1}}
            for hit in self._walk(self.write_alias, query, ["url", "canonical_url"]):
                found.update((hit["_source"].get("url"), hit["_source"].get("canonical_url")))
        return found & set(wanted)

    def _walk(self, index: str, query: dict[str, Any],
              source: list[str] | bool = True) -> Iterator[dict[str, Any]]:
        """Yield every hit of `query` ordered by `_id`-equal keyword field, page by page."""
        sort_field = "key" if index == self.state_index else "id"
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {"query": query, "sort": [{sort_field: "asc"}],
                                    "size": _PAGE, "_source": source,
                                    "track_total_hits": False}
            if after is not None:
                body["search_after"] = after
            with _translate_errors(self.url):
                hits = self.client.search(index=index, body=body)["hits"]["hits"]
            yield from hits
            if len(hits) < _PAGE:
                return
            after = hits[-1]["sort"]

    def search(self, query: str | None, filters: SearchFilters = SearchFilters(),
               limit: int = 20) -> list[ClassifiedArticle]:
        """Full-text search over title and body (Russian and Azerbaijani analyzers), filtered.

        Every query word must match (in any of the fields); best matches first, ties by id.
        Without a query, newest first.
        """
        bool_query: dict[str, Any] = {"filter": self._filters(filters)}
        if query and query.strip():
            bool_query["must"] = [{"multi_match": {
                "query": query, "type": "cross_fields", "operator": "and",
                "fields": ["title^2", "title.az^2", *BODY_FIELDS]}}]
            sort: list[Any] = ["_score", {"id": "asc"}]
        else:
            sort = [{"published_at": {"order": "desc", "missing": "_last"}}, {"id": "asc"}]
        body = {"query": {"bool": bool_query}, "sort": sort, "size": limit,
                "track_total_hits": False}
        with _translate_errors(self.url):
            hits = self.client.search(index=self.write_alias, body=body)["hits"]["hits"]
        return [self._decode(hit) for hit in hits]

    @staticmethod
    def _filters(filters: SearchFilters) -> list[dict[str, Any]]:
        clauses: list[dict[str, Any]] = []
        for field, value in (("outlet_id", filters.outlet), ("country", filters.country),
                             ("language", filters.language)):
            if value:
                clauses.append({"term": {field: value}})
        window = _range(filters.since, filters.until)
        if window:
            clauses.append(window)
        if filters.target or filters.hostile:
            clauses.append(_mentions_target(filters.target, hostile=filters.hostile))
        return clauses

    def trends(self, query: TrendQuery) -> list[TrendBucket]:
        """Aggregate natively: a composite (date histogram [, group terms]) aggregation over the
        flat `by_target.<target>` fields of the articles mentioning the target; see TrendQuery
        for definitions."""
        if not _TARGET_NAME.fullmatch(query.target):
            return []  # target ids are plain names (config/targets.yaml); none other is stored
        prefix = f"by_target.{query.target}"
        filters, sources = _trend_frame(query, _mentions_target(query.target))
        if query.by:
            field = f"{prefix}.rhetoric" if query.by == "rhetoric" else _GROUP_FIELDS[query.by]
            sources.append({"group": {"terms": {"field": field}}})
        metrics = {"mentions": {"sum": {"field": f"{prefix}.mentions"}},
                   "hostile": {"sum": {"field": f"{prefix}.hostile_mentions"}},
                   "stance": {"avg": {"field": f"{prefix}.stance_score"}}}
        body = {"size": 0, "query": {"bool": {"filter": filters}},
                "aggs": {"cells": {"composite": {"size": _COMPOSITE_PAGE, "sources": sources},
                                   "aggs": metrics}}}
        buckets = [_bucket(datetime.fromtimestamp(cell["key"]["start"] / 1000, tz=timezone.utc),
                           cell["key"].get("group"), cell["doc_count"], cell)
                   for cell in self._composite_pages(body)]
        return sorted(buckets, key=lambda b: (b.start, b.group or ""))

    def _composite_pages(self, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Yield every composite bucket, page by page; the response is trimmed to what
        `_cells_to_buckets` reads (a 90-day daily trend by outlet is ~0.8 MB untrimmed)."""
        while True:
            with _translate_errors(self.url):
                result = self.client.search(index=self.write_alias, body=body,
                                            filter_path=_TREND_RESPONSE_FIELDS)
            cells = result.get("aggregations", {}).get("cells", {})
            yield from cells.get("buckets", [])
            after = cells.get("after_key")
            if not after or len(cells["buckets"]) < _COMPOSITE_PAGE:
                return
            body["aggs"]["cells"]["composite"]["after"] = after

    def iter_articles(self) -> Iterator[ClassifiedArticle]:
        """Yield all articles ordered by id (search_after); a corrupt record is logged, skipped."""
        for hit in self._walk(self.write_alias, {"match_all": {}}):
            try:
                yield self._decode(hit)
            except StoreError as exc:
                logger.error("skipping corrupt record: %s", exc)

    def count(self) -> int:
        """Return the number of stored articles."""
        with _translate_errors(self.url):
            return int(self.client.count(index=self.write_alias)["count"])

    # -- state -------------------------------------------------------------------------------

    def get_state(self, key: str) -> dict[str, Any] | None:
        """Return the JSON state stored under `key`, or None (real-time get)."""
        with _translate_errors(self.url):
            hit = self.client.get(index=self.state_index, id=key, ignore=[404])
        return dict(hit["_source"]["value"]) if hit.get("found") else None

    def put_state(self, key: str, value: dict[str, Any]) -> None:
        """Store JSON state under `key`, replacing; refreshed so `list_state` sees it at once."""
        doc = {"key": key, "value": value,
               "updated_at": format_datetime(datetime.now(timezone.utc))}
        with _translate_errors(self.url):
            self.client.index(index=self.state_index, id=key, body=doc, refresh=True)

    def list_state(self, prefix: str) -> dict[str, dict[str, Any]]:
        """Return all state documents whose key starts with `prefix`, keyed by full key."""
        query = {"prefix": {"key": prefix}} if prefix else {"match_all": {}}
        return {hit["_source"]["key"]: dict(hit["_source"]["value"])
                for hit in self._walk(self.state_index, query)}

    def close(self) -> None:
        """Close the client's connections (idempotent)."""
        if self.client is not None:
            self.client.transport.close()
            self.client = None


_ARTICLE_FIELDS = tuple(f.name for f in dataclasses.fields(Article))
_TARGET_FIELDS = tuple(f.name for f in dataclasses.fields(TargetAnalysis) if f.name != "evidence")
_FLAT_TARGET_FIELDS = tuple(name for name in _TARGET_FIELDS if name != "target")
_EVIDENCE_FIELDS = tuple(f.name for f in dataclasses.fields(Evidence))


def document_source(doc: ClassifiedArticle) -> dict[str, Any]:
    """Return `doc.to_dict()`, built field by field: `dataclasses.asdict` deep-copies and was
    the client's bottleneck in bulk loads (about 0.3 ms a document, against 0.1 ms here)."""
    art = doc.article
    source = {name: getattr(art, name) for name in _ARTICLE_FIELDS}
    source[BODY_FIELD_BY_LANGUAGE.get(art.language, BODY_FIELD_OTHER)] = source.pop("body")
    source["id"] = doc.id
    source["published_at"] = format_datetime(art.published_at)
    source["crawled_at"] = format_datetime(art.crawled_at)
    source["targets"] = [
        {**{name: getattr(t, name) for name in _TARGET_FIELDS},
         "evidence": [{name: getattr(e, name) for name in _EVIDENCE_FIELDS} for e in t.evidence]}
        for t in doc.targets]
    source["model"] = {"name": doc.model_name, "version": doc.model_version}
    # `targets` is stored, not indexed: filters, trends and Kibana read these flat fields.
    mentioned = [t for t in doc.targets if t.mentions > 0]
    source["targets_mentioned"] = [t.target for t in mentioned]
    source["hostile_toward"] = [t.target for t in mentioned if t.hostility == "hostile"]
    source["by_target"] = {
        t.target: {**{name: getattr(t, name) for name in _FLAT_TARGET_FIELDS},
                   "evidence": [e.text for e in t.evidence]}
        for t in doc.targets}
    return source


def stored_to_dict(source: dict[str, Any]) -> dict[str, Any]:
    """Return a stored `_source` in `ClassifiedArticle.to_dict` form: the body back under
    `body` from whichever language field holds it (a version-1 `body` passes through)."""
    if "body" in source:
        return source
    data = dict(source)
    for field in BODY_FIELDS:
        if field in data:
            data["body"] = data.pop(field)
    return data


def _trend_frame(query: TrendQuery, mentions_target: dict[str, Any]
                 ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return the filters (target mentioned, dated, in the window) and the time-bucket source."""
    filters = [mentions_target, {"exists": {"field": "published_at"}}]
    window = _range(query.since, query.until)
    if window:
        filters.append(window)
    sources: list[dict[str, Any]] = [{"start": {"date_histogram": {
        "field": "published_at", "calendar_interval": _CALENDAR_INTERVAL[query.interval],
        "time_zone": "UTC"}}}]
    return filters, sources


def _range(since: datetime | None, until: datetime | None) -> dict[str, Any] | None:
    """A published_at window: `since` inclusive, `until` exclusive."""
    bounds: dict[str, str] = {}
    if since:
        bounds["gte"] = _es_time(since)
    if until:
        bounds["lt"] = _es_time(until)
    return {"range": {"published_at": bounds}} if bounds else None


def _es_time(value: datetime) -> str:
    """Millisecond-precision UTC time, so windows agree with SQLite's second-level bounds."""
    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _mentions_target(target: str | None, hostile: bool = False) -> dict[str, Any]:
    """Articles that mention `target` (or any target) [with hostile rhetoric toward it]."""
    field = "hostile_toward" if hostile else "targets_mentioned"
    return {"term": {field: target}} if target else {"exists": {"field": field}}


def _bucket(start: datetime, group: str | None, articles: int,
            metrics: dict[str, Any]) -> TrendBucket:
    mentions = int(metrics["mentions"]["value"] or 0)
    hostile = int(metrics["hostile"]["value"] or 0)
    return TrendBucket(start=start, group=group, articles=int(articles), mentions=mentions,
                       hostile=hostile, hostile_share=hostile / mentions if mentions else 0.0,
                       stance_mean=float(metrics["stance"]["value"] or 0.0))
