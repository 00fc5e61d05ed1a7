"""Scrapy settings of the mediawatch project, derived from mediawatch's `[crawl]` settings.

The constants below are the project's fixed wiring (pipelines, middlewares). Everything a user
tunes (delays, concurrency, User-Agent, sizes) comes from mediawatch's Settings through
`build_scrapy_settings`, applied by `NewsSpider.update_settings` for `scrapy crawl news` and by
`crawlers.runner` for `mediawatch crawl`, so both entry points crawl alike.
"""

from __future__ import annotations

import logging
from typing import Any

from mediawatch.settings import Settings

__all__ = ["build_scrapy_settings", "MIN_DOWNLOAD_DELAY_S"]

logger = logging.getLogger(__name__)

#: Scrapy ignores CONCURRENT_REQUESTS_PER_DOMAIN when DOWNLOAD_DELAY is 0 (DESIGN, pitfalls).
MIN_DOWNLOAD_DELAY_S = 0.001

BOT_NAME = "mediawatch"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
ITEM_PIPELINES = {
    "crawlers.pipelines.ExtractPipeline": 100,
    "crawlers.pipelines.DedupPipeline": 200,
    "crawlers.pipelines.StorePipeline": 300,
}
DOWNLOADER_MIDDLEWARES = {
    "crawlers.middlewares.RedirectGuardMiddleware": 650,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawlers.middlewares.BackoffRetryMiddleware": 550,
}
EXTENSIONS = {"crawlers.progress.ProgressExtension": 500}
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
LOG_LEVEL = "INFO"


def build_scrapy_settings(settings: Settings) -> dict[str, Any]:
    """Return the Scrapy settings (project wiring plus the user's `[crawl]` values)."""
    crawl = settings.crawl
    delay = crawl.download_delay_s
    if delay < MIN_DOWNLOAD_DELAY_S:
        logger.warning("crawl.download_delay_s=%s would disable per-domain concurrency limits; "
                       "using %s s", delay, MIN_DOWNLOAD_DELAY_S)
        delay = MIN_DOWNLOAD_DELAY_S
    wiring = {name: value for name, value in globals().items() if name.isupper()
              and name != "MIN_DOWNLOAD_DELAY_S"}
    return wiring | {
        "MEDIAWATCH_SETTINGS": settings,
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "ROBOTSTXT_USER_AGENT": crawl.user_agent,
        "DOWNLOAD_DELAY": delay,
        "DOWNLOAD_DELAY_JITTER": 0.5,  # ±50 %, so requests to one host do not tick like a clock
        "CONCURRENT_REQUESTS": crawl.concurrent_requests,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrent_requests_per_domain,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(crawl.autothrottle_start_delay_s, delay),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(crawl.concurrent_requests_per_domain),
        "DOWNLOAD_TIMEOUT": crawl.timeout_s,
        "RETRY_TIMES": crawl.retry_times,
        "RETRY_BACKOFF_BASE": crawl.retry_backoff_s,
        "REDIRECT_MAX_TIMES": crawl.max_redirects,
        "DOWNLOAD_MAXSIZE": crawl.max_response_bytes,
        "DOWNLOAD_WARNSIZE": crawl.max_response_bytes // 2,
        "EXTRACT_WORKERS": crawl.extract_workers,
        "EXTRACT_FAST": crawl.extract_fast,
        "STORE_BATCH_SIZE": crawl.store_batch_size,
        "PROGRESS_INTERVAL": crawl.progress_interval_s,
    }
