"""Running the `news` spider in-process (one reactor) and returning its per-source summary.

`mediawatch crawl` calls `run_crawl`; the scheduler runs that command in a subprocess because
a Twisted reactor cannot be started twice in one process.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings as ScrapySettings

from crawlers.registry import load_sources
from crawlers.settings import build_scrapy_settings
from crawlers.spiders.news import NewsSpider
from crawlers.summary import SourceSummary, summarize
from mediawatch.settings import Settings

__all__ = ["CrawlReport", "run_crawl", "scrapy_settings"]


@dataclass
class CrawlReport:
    """The outcome of one crawl: why it ended, how long it took, what each source gave."""

    finish_reason: str
    elapsed_s: float
    sources: list[SourceSummary]
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def completed(self) -> bool:
        """Return whether the crawl ran to its end (pages may still have failed)."""
        return self.finish_reason == "finished"


def scrapy_settings(settings: Settings, overrides: dict[str, Any] | None = None) -> ScrapySettings:
    """Return Scrapy settings: the project module, then mediawatch's values, then `overrides`."""
    result = ScrapySettings()
    result.setmodule("crawlers.settings", priority="project")
    result.setdict(build_scrapy_settings(settings) | (overrides or {}), priority="cmdline")
    return result


def run_crawl(settings: Settings, *, source_ids: list[str] | None,
              sources_file: str | Path | None = None, since: str | None = None,
              store_url: str | None = None, refresh: bool = False, classify: bool = True,
              progress: Callable[[str], None] | None = None,
              overrides: dict[str, Any] | None = None) -> CrawlReport:
    """Crawl `source_ids` (None: all) to the end or to Ctrl-C and return the report.

    Raises ConfigError for a bad sources file or an unknown source id before anything starts.
    """
    registry = load_sources(sources_file)
    selected = [s.id for s in registry.select(source_ids)]
    # The CLI configured logging already; Scrapy must not add a second root handler.
    process = CrawlerProcess(scrapy_settings(settings, {"PROGRESS_CALLBACK": progress,
                                                        "LOG_INSTALL_ROOT_HANDLER": False}
                                             | (overrides or {})))
    # Scrapy's default logging config pins the `scrapy` logger at DEBUG, which would print every
    # request whatever the CLI's -v says; let it inherit the root level instead.
    logging.getLogger("scrapy").setLevel(logging.NOTSET)
    crawler = process.create_crawler(NewsSpider)
    started = time.monotonic()
    process.crawl(crawler, source=",".join(selected),
                  sources_file=str(sources_file) if sources_file else None, since=since,
                  refresh=refresh, store=store_url, classify=classify)
    process.start()
    assert crawler.stats is not None
    stats = crawler.stats.get_stats()
    return CrawlReport(finish_reason=str(stats.get("finish_reason", "unknown")),
                       elapsed_s=time.monotonic() - started,
                       sources=summarize(stats, selected), stats=dict(stats))
