"""Item pipelines, glue only: extract (worker processes) -> dedup -> classify -> store in batches.

Extraction is CPU-bound (trafilatura), so `ExtractPipeline` sends pages to a process pool and
awaits the futures: the reactor keeps downloading while both cores extract. `StorePipeline`
upserts whole documents in batches (a killed crawl loses at most one unflushed batch, never
half an article) and classifies each batch first when a classifier is available; while the
store is unreachable, batches go to the outbox (mediawatch/outbox.py) and the crawl goes on,
and what earlier runs spooled is delivered when a run starts with the store reachable.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawlers.extraction.article import extract_for_crawl
from crawlers.extraction.dedup import DuplicateIndex
from crawlers.items import ArticleItem, PageItem
from crawlers.spiders.news import NewsSpider
from crawlers.summary import stat_key
from mediawatch.documents import Article, ClassifiedArticle
from mediawatch.errors import ConfigError, DropArticle, StoreError
from mediawatch.outbox import Outbox, ResilientWriter
from mediawatch.settings import Settings

__all__ = ["ExtractPipeline", "DedupPipeline", "StorePipeline", "load_classifier"]

logger = logging.getLogger(__name__)

Classify = Callable[[Sequence[Article]], list[ClassifiedArticle]]


def _ignore_sigint() -> None:
    """Worker initializer: Ctrl-C is the crawl process's to handle (graceful shutdown)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class _Glue:
    crawler: Crawler

    @property
    def spider(self) -> NewsSpider:
        spider = self.crawler.spider
        assert isinstance(spider, NewsSpider)
        return spider

    def count(self, source_id: str, *counter: str, by: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(stat_key(source_id, *counter), by)


class ExtractPipeline(_Glue):
    """PageItem -> ArticleItem in a pool of EXTRACT_WORKERS processes (0: one thread)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.workers = crawler.settings.getint("EXTRACT_WORKERS", 2)
        self.fast = crawler.settings.getbool("EXTRACT_FAST", True)
        self.executor: Executor | None = None
        self.in_flight = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        """Start the workers (spawned: forking a process that runs a reactor is unsafe)."""
        if self.workers == 0:
            self.executor = ThreadPoolExecutor(max_workers=1)
        else:
            self.executor = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_ignore_sigint)

    def close_spider(self) -> None:
        """Stop the workers; pending extractions were awaited by their items already."""
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)

    async def process_item(self, item: Any) -> ArticleItem:
        """Extract the article off the reactor thread; DropItem with the reason when none."""
        assert isinstance(item, PageItem) and self.executor is not None
        source = self.spider.sources[item.source_id]
        future = self.executor.submit(extract_for_crawl, item.page, source, self.fast)
        self.in_flight += 1
        assert self.crawler.stats is not None
        self.crawler.stats.max_value("extract/in_flight_max", self.in_flight)
        try:
            article, reason, signature = await asyncio.wrap_future(future)
        finally:
            self.in_flight -= 1
        if article is None:
            self.count(item.source_id, "failed", reason)
            logger.warning("%s: no article (%s): %s", item.source_id, reason, item.page.url)
            raise DropItem(f"{reason}: {item.page.url}")
        return ArticleItem(item.source_id, article, signature)


class DedupPipeline(_Glue):
    """Drop exact copies within an outlet; group near-duplicates across outlets (MinHash)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.index = DuplicateIndex()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> ArticleItem:
        """Return the item with its near-duplicate group set; DropItem for a duplicate."""
        assert isinstance(item, ArticleItem)
        try:
            item.article = self.index.admit(item.article, item.signature)
        except DropArticle as exc:
            self.count(item.source_id, "skipped", "duplicate")
            logger.info("%s: %s: %s", item.source_id, exc, item.article.url)
            raise DropItem(f"{exc}: {item.article.url}") from None
        return item


def load_classifier(settings: Settings) -> Classify | None:
    """Return `nlp.articles.ArticleClassifier.from_settings(settings).classify`, or None.

    None when the module is absent or the model cannot be loaded; the reason is logged once
    and articles are stored unclassified (a later `mediawatch classify` can fill them in).
    """
    try:
        from nlp.articles import ArticleClassifier  # type: ignore[import-not-found,unused-ignore]
    except ImportError as exc:
        logger.warning("classification skipped: nlp.articles is not available (%s)", exc)
        return None
    try:
        return ArticleClassifier.from_settings(settings).classify  # type: ignore[no-any-return]
    except (ConfigError, OSError, ValueError) as exc:
        logger.warning("classification skipped: the classifier cannot be loaded (%s)", exc)
        return None


class StorePipeline(_Glue):
    """Upsert articles in batches of STORE_BATCH_SIZE, classified first unless disabled."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.batch_size = crawler.settings.getint("STORE_BATCH_SIZE", 50)
        self.batch: list[ArticleItem] = []
        self.classify: Classify | None = None
        self.writer: ResilientWriter | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        """Load the classifier when asked; deliver what earlier runs spooled, if the store answers."""
        settings: Settings = self.crawler.settings["MEDIAWATCH_SETTINGS"]
        if self.spider.classify:
            self.classify = load_classifier(settings)
        self.writer = ResilientWriter(self.spider.connect_store, Outbox(settings.data_dir))
        flushed = self.writer.flush_outbox()
        if flushed is not None and flushed.delivered:
            logger.info("delivered %d article(s) spooled by earlier runs", flushed.delivered)
        if flushed is not None and flushed.error:
            logger.warning("%d spooled batch file(s) still waiting: %s", flushed.files_left,
                           flushed.error)

    async def process_item(self, item: Any) -> ArticleItem:
        """Buffer the article; write the buffer when it is full."""
        assert isinstance(item, ArticleItem)
        self.batch.append(item)
        if len(self.batch) >= self.batch_size:
            await self.flush()
        return item

    async def close_spider(self) -> None:
        """Write what is left (also on Ctrl-C: Scrapy closes the spider gracefully)."""
        await self.flush()

    def _documents(self, items: list[ArticleItem]) -> list[ClassifiedArticle]:
        articles = [i.article for i in items]
        if self.classify is None:
            return [ClassifiedArticle(a) for a in articles]
        return self.classify(articles)

    async def flush(self) -> None:
        """Classify and upsert the current batch in a thread, one batch at a time."""
        async with self._lock:
            items, self.batch = self.batch, []
            if not items:
                return
            writer = self.writer
            assert writer is not None
            spooled, failed = writer.spooled, len(writer.failed)
            try:
                await asyncio.to_thread(lambda: writer.write(self._documents(items)))
            except (StoreError, OSError) as exc:  # OSError: the outbox's disk refused too
                for item in items:
                    self.count(item.source_id, "failed", "store")
                logger.error("store write of %d articles failed: %s", len(items), exc)
                return
            outcome = "spooled" if writer.spooled > spooled else "stored"
            failed_ids = {article_id for article_id, _ in writer.failed[failed:]}
            for item in items:
                if item.article.id in failed_ids:
                    self.count(item.source_id, "failed", "store")
                else:
                    self.count(item.source_id, outcome)
            for article_id, why in writer.failed[failed:]:
                logger.error("store refused article %s: %s", article_id, why)
