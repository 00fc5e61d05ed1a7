"""Downloader middlewares: retries with exponential backoff; no off-site, looping or private redirects.

Both follow Scrapy's conventions: built in `from_crawler`, configured by settings
(RETRY_BACKOFF_BASE; the standard RETRY_*), counted in namespaced stats.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

__all__ = ["BackoffRetryMiddleware", "RedirectGuardMiddleware", "is_private_host"]

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


class RedirectGuardMiddleware:
    """Refuse redirects that leave the source, loop, or lead into a private network (SSRF guard).

    Sits between the downloader and Scrapy's RedirectMiddleware (order above 600) so that it
    sees the 3xx response first and the request's errback learns why: Scrapy's own offsite
    and duplicate filters would drop such redirects silently. Private hosts are recognised when
    written as IP literals or localhost (resolving names here would block the reactor); a
    redirect within the same host is allowed, so replay tests on 127.0.0.1 work.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuardMiddleware:
        return cls(crawler)

    def _on_site(self, request: Request, url: str) -> bool:
        owns = getattr(self.crawler.spider, "sources", {}).get(request.meta.get("source_id"))
        return owns is None or owns.owns_url(url)

    def process_response(self, request: Request, response: Response) -> Response:
        """Raise IgnoreRequest (reason in the message) for a redirect that must not be followed."""
        location = response.headers.get(b"Location")
        if response.status not in (301, 302, 303, 307, 308) or not location:
            return response
        target = urljoin(request.url, location.decode("latin-1"))
        chain = [*request.meta.get("redirect_urls", []), request.url]
        host, origin = urlsplit(target).hostname or "", urlsplit(chain[0]).hostname or ""
        assert self.crawler.stats is not None
        if host != origin and is_private_host(host):
            self.crawler.stats.inc_value("redirect/private_filtered")
            raise IgnoreRequest(f"redirect to private address {host!r} from {chain[0]}")
        if target in chain:
            raise IgnoreRequest(f"redirect loop back to {target}")
        if not self._on_site(request, target):
            raise IgnoreRequest(f"off-site redirect to {target}")
        return response


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
