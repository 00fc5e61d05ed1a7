"""Naming why a request failed: a short stats key suffix for every Twisted/Scrapy failure.

The names are what the crawl summary and `crawl/<id>/last` show (``http_404``, ``timeout``,
``redirect_loop``, ``too_large`` ...), so each kind of bad input is counted on its own.
"""

from __future__ import annotations

import re

from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import defer
from twisted.internet.error import (
    ConnectError,
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

__all__ = ["failure_reason"]

_IGNORED = (
    ("robots.txt", "robots"),
    ("max redirections", "redirect_loop"),
    ("redirect to private", "private_redirect"),
    ("redirect loop", "redirect_loop"),
    ("off-site redirect", "offsite_redirect"),
    ("offsite", "offsite"),
    ("max size", "too_large"),
    ("maxsize", "too_large"),
    ("larger than", "too_large"),
)
# Scrapy >= 2.13 wraps download errors in its own classes; older names are kept for Twisted's.
_SCRAPY_NAMES = {
    "DownloadTimeoutError": "timeout",
    "DownloadCancelledError": "too_large",
    "ResponseDataLossError": "connection_lost",
    "DownloadConnectionRefusedError": "connection_refused",
    "CannotResolveHostError": "dns",
    "DownloadFailedError": "download_failed",
}
_TYPES: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((TimeoutError, TCPTimedOutError, defer.TimeoutError), "timeout"),
    ((DNSLookupError,), "dns"),
    ((ConnectionRefusedError,), "connection_refused"),
    ((defer.CancelledError,), "too_large"),
    ((ResponseNeverReceived, ResponseFailed, ConnectionLost), "connection_lost"),
    ((ConnectError,), "connection_error"),
)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def failure_reason(failure: Failure) -> str:
    """Return the stats suffix naming why a request failed (``http_503``, ``timeout`` ...)."""
    error = failure.value
    if isinstance(error, HttpError):
        return f"http_{error.response.status}"
    if isinstance(error, IgnoreRequest):
        message = str(error).lower()
        return next((name for marker, name in _IGNORED if marker in message), "ignored")
    if type(error).__name__ in _SCRAPY_NAMES:
        return _SCRAPY_NAMES[type(error).__name__]
    for types, name in _TYPES:
        if isinstance(error, types):
            return name
    return _snake(type(error).__name__)
