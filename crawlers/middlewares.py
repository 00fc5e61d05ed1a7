"""Downloader middlewares: retries with exponential backoff, and no redirects into private networks.

Both follow Scrapy's conventions: built in `from_crawler`, configured by settings
(RETRY_BACKOFF_BASE; the standard RETRY_*), counted in namespaced stats.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

__all__ = ["BackoffRetryMiddleware", "PrivateRedirectMiddleware", "is_private_host"]

logger = logging.getLogger(__name__)


def is_private_host(host: str) -> bool:
    """Return whether `host` is localhost or an IP literal in a private, loopback or local range."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return (address.is_private or address.is_loopback or address.is_link_local
            or address.is_reserved or address.is_unspecified)


class PrivateRedirectMiddleware:
    """Drop a redirect that leads to another host in a private address range (SSRF guard).

    Only hosts written as IP literals (or localhost) are recognised: resolving names here
    would block the reactor. A redirect within the same host is allowed (replay tests run on
    127.0.0.1).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateRedirectMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        """Raise IgnoreRequest for a redirected request whose new host is private and different."""
        chain = request.meta.get("redirect_urls")
        if not chain:
            return None
        target = urlsplit(request.url).hostname or ""
        origin = urlsplit(chain[0]).hostname or ""
        if target != origin and is_private_host(target):
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("redirect/private_filtered")
            raise IgnoreRequest(f"redirect to private address {target!r} from {chain[0]}")
        return None


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, waiting RETRY_BACKOFF_BASE * 2**(n-1) seconds before retry n.

    The wait holds the request's downloader slot, so a struggling host also sees fewer
    requests while it recovers.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler.settings)
        self.crawler = crawler
        self.backoff_base = crawler.settings.getfloat("RETRY_BACKOFF_BASE", 2.0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        return cls(crawler)

    async def _wait(self, result: Request | Response | None) -> Request | Response | None:
        if isinstance(result, Request) and self.backoff_base > 0:
            attempt = int(result.meta.get("retry_times", 1))
            await asyncio.sleep(self.backoff_base * 2 ** (attempt - 1))
        return result

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        """Retry retryable statuses after the backoff delay."""
        result = await self._wait(super().process_response(request, response))
        assert result is not None
        return result

    async def process_exception(self, request: Request,  # type: ignore[override]
                                exception: Exception) -> Request | Response | None:
        """Retry timeouts and connection errors after the backoff delay."""
        return await self._wait(super().process_exception(request, exception))
