"""The generic `news` spider: discovers articles of registry sources in feeds and sitemaps.

`scrapy crawl news -a source=tass` (or `-a source=tass,ria`, `-a source=all`), optionally
`-a since=2d -a refresh=1 -a store=sqlite:///x.db -a sources_file=F -a classify=0`.
`mediawatch crawl` runs the same spider in-process. The spider only discovers and downloads;
extraction, dedup and storage are item pipelines (crawlers/pipelines.py).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import datetime, timezone
from typing import Any

import scrapy
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from crawlers.discovery import DiscoveryError, Link, parse_feed, parse_sitemap
from crawlers.extraction.article import Page
from crawlers.extraction.canonical import canonicalize_url
from crawlers.failures import failure_reason
from crawlers.filters import URLFilter, article_filter, on_domains
from crawlers.items import PageItem
from crawlers.registry import Source, load_sources, parse_interval
from crawlers.settings import build_scrapy_settings
from crawlers.summary import stat_key, summarize
from indexer import Store, open_store
from mediawatch.documents import format_datetime, parse_datetime
from mediawatch.errors import StoreUnavailable
from mediawatch.health import CrawlRun, record_crawl_run
from mediawatch.settings import Settings, load_settings

__all__ = ["NewsSpider"]

logger = logging.getLogger(__name__)

_HTML_TYPES = (b"text/html", b"application/xhtml+xml")
_MAX_SITEMAP_DEPTH = 2  # index -> index -> urlset; deeper nesting is a misconfiguration


def _truthy(value: object) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


class NewsSpider(scrapy.Spider):
    """One spider for every outlet: feeds and sitemaps in, `PageItem`s out."""

    name = "news"

    def __init__(self, source: str | None = None, sources_file: str | None = None,
                 since: str | None = None, refresh: object = False, store: str | None = None,
                 classify: object = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source_arg = source
        self.sources_file = sources_file
        self.since_arg = since
        self.refresh = _truthy(refresh)
        self.store_url = store
        self.classify = _truthy(classify)
        self.sources: dict[str, Source] = {}
        self.store: Store | None = None
        self._settings: Settings | None = None
        self._filters: dict[str, URLFilter] = {}
        self._scheduled: set[str] = set()
        self._validators: dict[str, dict[str, Any]] = {}
        self._discovery_ok: set[str] = set()
        self.started_at = datetime.now(timezone.utc)
        self.cutoff = self.started_at

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """Fill Scrapy settings from mediawatch's `[crawl]` when not run by `mediawatch crawl`."""
        super().update_settings(settings)
        if settings.get("MEDIAWATCH_SETTINGS") is None:
            settings.setdict(build_scrapy_settings(load_settings()), priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._setup(crawler.settings["MEDIAWATCH_SETTINGS"])
        crawler.signals.connect(spider._on_closed, signal=signals.spider_closed)
        return spider

    def _setup(self, settings: Settings) -> None:
        registry = load_sources(self.sources_file)
        wanted = None if self.source_arg in (None, "", "all") else str(self.source_arg).split(",")
        self.sources = {s.id: s for s in registry.select(wanted)}
        self.allowed_domains = sorted({d for s in self.sources.values() for d in s.allowed_domains})
        self._filters = {s.id: article_filter(s) for s in self.sources.values()}
        self.cutoff = self.started_at - parse_interval(self.since_arg or settings.crawl.since)
        self._settings = settings
        try:
            self.connect_store()
        except StoreUnavailable as exc:
            # The crawl goes on: articles are spooled to the outbox (StorePipeline), nothing
            # counts as known and feeds are fetched without validators until the store is back.
            logger.warning("store unreachable, crawling without it (articles go to the outbox): %s",
                           exc)

    def connect_store(self) -> Store:
        """Return the store, opening it first if it was unreachable so far (StoreUnavailable if still)."""
        if self.store is None:
            assert self._settings is not None
            self.store = open_store(self.store_url or self._settings.store_url, self._settings)
        return self.store

    # -- discovery ---------------------------------------------------------------------------

    def _count(self, source_id: str, *counter: str, by: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(stat_key(source_id, *counter), by)

    def _validator_key(self, source_id: str) -> str:
        return f"crawl/{source_id}/feeds"

    def _stored_validators(self, source_id: str) -> dict[str, Any]:
        """Return the feed validators kept by earlier runs; none while the store is unreachable."""
        if self.store is None:
            return {}
        try:
            return dict(self.store.get_state(self._validator_key(source_id)) or {})
        except StoreUnavailable as exc:
            logger.warning("%s: feed validators unavailable, fetching feeds in full: %s", source_id, exc)
            return {}

    def _known_urls(self, urls: list[str]) -> set[str]:
        """Return which of `urls` are stored; nothing while the store is unreachable (upserts are
        idempotent, so fetching a stored article again costs a request, not a duplicate)."""
        if self.refresh or self.store is None:
            return set()
        try:
            return self.store.known_urls(urls)
        except StoreUnavailable as exc:
            logger.warning("store unreachable, treating every article as new: %s", exc)
            return set()

    def _feed_request(self, source: Source, url: str) -> Request:
        if source.id not in self._validators:
            self._validators[source.id] = self._stored_validators(source.id)
        headers = {}
        known = self._validators[source.id].get(url) or {}
        if not self.refresh and known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if not self.refresh and known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        return Request(url, callback=self.parse_feed, errback=self.on_error, headers=headers,
                       priority=10, meta={"source_id": source.id, "kind": "feed",
                                          "handle_httpstatus_list": [304]})

    async def start(self) -> AsyncIterator[Request]:
        """Yield the feed and sitemap requests of every selected source."""
        for source in self.sources.values():
            for url in source.feeds:
                yield self._feed_request(source, url)
            for url in source.sitemaps:
                yield Request(url, callback=self.parse_sitemap, errback=self.on_error, priority=10,
                              meta={"source_id": source.id, "kind": "sitemap", "depth": 0})

    def _count_bad_item(self, source_id: str, feed_url: str, title: str) -> None:
        self._count(source_id, "failed", "feed_item_no_link")
        logger.info("%s: feed item without a usable link in %s: %r", source_id, feed_url, title[:80])

    def parse_feed(self, response: Response) -> Iterator[Request]:
        """Schedule the new article links of a feed; remember its validators for next time."""
        source = self.sources[response.meta["source_id"]]
        if response.status == 304:
            self._discovery_ok.add(source.id)
            self._count(source.id, "feeds", "not_modified")
            return
        try:
            links = parse_feed(response.body, lambda title: self._count_bad_item(source.id, response.url, title))
        except DiscoveryError as exc:
            self._count(source.id, "failed", exc.reason)
            logger.warning("%s: unusable feed %s: %s", source.id, response.url, exc)
            return
        self._discovery_ok.add(source.id)
        self._remember_validators(source.id, response)
        # Feeds list only their latest items, and known URLs are skipped anyway: the default
        # window would only hide a quiet outlet's older items, so it applies to feeds only when
        # --since is given. Sitemaps can reach back years and always get the window.
        yield from self._schedule(source, links, windowed=self.since_arg is not None)

    def _remember_validators(self, source_id: str, response: Response) -> None:
        etag = response.headers.get(b"ETag")
        modified = response.headers.get(b"Last-Modified")
        feed_url = (response.meta.get("redirect_urls") or [response.url])[0]
        self._validators.setdefault(source_id, {})[feed_url] = {
            "etag": etag.decode("latin-1") if etag else None,
            "last_modified": modified.decode("latin-1") if modified else None,
        }

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        """Follow a sitemap index within the date window, or schedule a urlset's articles."""
        source = self.sources[response.meta["source_id"]]
        try:
            sitemap = parse_sitemap(response.body, self.settings.getint("DOWNLOAD_MAXSIZE"))
        except DiscoveryError as exc:
            self._count(source.id, "failed", exc.reason)
            logger.warning("%s: unusable sitemap %s: %s", source.id, response.url, exc)
            return
        self._discovery_ok.add(source.id)
        if sitemap.kind == "urlset":
            yield from self._schedule(source, sitemap.links, windowed=True)
            return
        depth = response.meta["depth"] + 1
        for link in sitemap.links:
            if depth > _MAX_SITEMAP_DEPTH or not on_domains(source.allowed_domains)(link.url):
                self._count(source.id, "skipped", "sitemap_link")
            elif link.published_at is None or link.published_at >= self.cutoff:
                yield Request(link.url, callback=self.parse_sitemap, errback=self.on_error,
                              meta={"source_id": source.id, "kind": "sitemap", "depth": depth})

    def _candidates(self, source: Source, links: Iterable[Link],
                    windowed: bool) -> list[tuple[Link, str]]:
        """Return the links worth a request, with canonical URLs; count every one dropped."""
        keep = self._filters[source.id]
        wanted = []
        for link in links:
            canonical = canonicalize_url(link.url)
            if canonical in self._scheduled:
                continue  # the same article twice in a feed, or in two feeds of the run
            self._scheduled.add(canonical)
            self._count(source.id, "discovered")
            if not on_domains(source.allowed_domains)(link.url):
                self._count(source.id, "failed", "offsite")
                logger.info("%s: off-site link dropped: %s", source.id, link.url)
            elif not keep(link.url):
                self._count(source.id, "skipped", "filtered")
            elif windowed and link.published_at is not None and link.published_at < self.cutoff:
                self._count(source.id, "skipped", "old")
            else:
                wanted.append((link, canonical))
        return wanted

    def _schedule(self, source: Source, links: Iterable[Link], windowed: bool) -> Iterator[Request]:
        wanted = self._candidates(source, links, windowed)
        known = self._known_urls([u for link, canonical in wanted for u in (link.url, canonical)])
        for link, canonical in wanted:
            if link.url in known or canonical in known:
                self._count(source.id, "skipped", "known")
                continue
            yield Request(link.url, callback=self.parse_article, errback=self.on_error,
                          meta={"source_id": source.id, "kind": "article",
                                "feed_published_at": format_datetime(link.published_at),
                                "feed_title": link.title})

    # -- articles ----------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[PageItem]:
        """Hand an on-site HTML response to the pipelines; count anything else as failed."""
        source = self.sources[response.meta["source_id"]]
        content_type = response.headers.get(b"Content-Type") or b""
        if not source.owns_url(response.url):
            self._count(source.id, "failed", "offsite_redirect")
            logger.warning("%s: redirected off-site: %s", source.id, response.url)
            return
        if content_type and not content_type.lower().startswith(_HTML_TYPES):
            self._count(source.id, "failed", "content_type")
            logger.warning("%s: not HTML (%s): %s", source.id, content_type.decode("latin-1"),
                           response.url)
            return
        if not response.body.strip():
            self._count(source.id, "failed", "empty")
            logger.warning("%s: empty response: %s", source.id, response.url)
            return
        self._count(source.id, "fetched")
        yield PageItem(source.id, Page(
            url=response.url, body=response.body,
            content_type=content_type.decode("latin-1") or None,
            feed_published_at=parse_datetime(response.meta.get("feed_published_at")),
            feed_title=response.meta.get("feed_title")))

    def on_error(self, failure: Failure) -> None:
        """Count and log a failed request under its source; the crawl goes on."""
        request = failure.request  # type: ignore[attr-defined]
        source_id = request.meta["source_id"]
        kind = request.meta.get("kind", "article")
        reason = failure_reason(failure)
        self._count(source_id, "failed", reason if kind == "article" else f"{kind}_{reason}")
        logger.warning("%s: %s failed (%s): %s", source_id, kind, reason, request.url)

    # -- end of run --------------------------------------------------------------------------

    def _on_closed(self, spider: scrapy.Spider, reason: str) -> None:
        """Record each source's run in the store; persist feed validators of finished runs."""
        if self.store is None:
            logger.warning("store unreachable: this run's records and feed validators are not kept")
            return
        try:
            self._record_runs(reason)
        except StoreUnavailable as exc:
            logger.warning("store unreachable: this run's records and feed validators are not kept: %s",
                           exc)
        finally:
            self.store.close()

    def _record_runs(self, reason: str) -> None:
        assert self.crawler.stats is not None and self.store is not None
        finished = datetime.now(timezone.utc)
        summaries = summarize(self.crawler.stats.get_stats(), list(self.sources))
        for summary in summaries:
            ok = reason == "finished" and summary.source_id in self._discovery_ok
            self.store.put_state(f"crawl/{summary.source_id}/last", {
                "started": format_datetime(self.started_at),
                "finished": format_datetime(finished),
                "status": "ok" if ok else "failed",
                "reason": reason if reason != "finished" or ok else "no feed or sitemap readable",
                "counts": summary.to_dict(),
            })
            # The run history feeds gap detection: a failed or empty crawl is not calm.
            record_crawl_run(self.store, summary.source_id,
                             CrawlRun(self.started_at, finished, "ok" if ok else "failed",
                                      summary.discovered, summary.stored + summary.spooled),
                             update_last=False)
            # Validators of an interrupted run would hide its unfetched articles next time.
            if reason == "finished" and summary.source_id in self._validators:
                self.store.put_state(self._validator_key(summary.source_id),
                                     self._validators[summary.source_id])

