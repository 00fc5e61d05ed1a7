"""A Scrapy extension that reports crawl progress every PROGRESS_INTERVAL seconds.

It hands a one-line text to the callable in setting PROGRESS_CALLBACK (the CLI prints it);
without one it logs the line, like Scrapy's LogStats but with mediawatch's counters.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

__all__ = ["ProgressExtension", "progress_line"]

logger = logging.getLogger(__name__)


def _total(stats: dict[str, Any], suffix: str) -> int:
    return sum(int(v) for k, v in stats.items()
               if k.startswith("source/") and (k.endswith("/" + suffix) or f"/{suffix}/" in k))


def progress_line(stats: dict[str, Any], elapsed_s: float) -> str:
    """Return a one-line progress report from the crawl's stats."""
    fetched, stored = _total(stats, "fetched"), _total(stats, "stored")
    rate = fetched / elapsed_s if elapsed_s > 0 else 0.0
    return (f"discovered {_total(stats, 'discovered')}, fetched {fetched}, stored {stored}, "
            f"skipped {_total(stats, 'skipped')}, failed {_total(stats, 'failed')} "
            f"({rate:.1f} pages/s)")


class ProgressExtension:
    """Calls PROGRESS_CALLBACK (or logs) with a progress line at a fixed interval."""

    def __init__(self, crawler: Crawler, interval_s: float,
                 callback: Callable[[str], None] | None) -> None:
        self.crawler = crawler
        self.interval_s = interval_s
        self.callback = callback or (lambda line: logger.info("%s", line))
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressExtension:
        interval = crawler.settings.getfloat("PROGRESS_INTERVAL", 0)
        if interval <= 0:
            raise NotConfigured
        extension = cls(crawler, interval, crawler.settings.get("PROGRESS_CALLBACK"))
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    def report(self) -> None:
        """Emit one progress line."""
        assert self.crawler.stats is not None
        self.callback(progress_line(self.crawler.stats.get_stats(),
                                    time.monotonic() - self.started))

    def opened(self) -> None:
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.report)
        self.loop.start(self.interval_s, now=False)

    def closed(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
