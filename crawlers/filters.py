"""URL filters: tiny predicates combined with all_of / any_of / negate (STYLE: registries as data).

A filter takes a URL and answers whether to keep it. The spider builds one per source from the
registry entry (`article_filter`); tests combine them freely.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from crawlers.registry import Source

__all__ = [
    "URLFilter",
    "all_of",
    "any_of",
    "negate",
    "on_domains",
    "matches",
    "has_extension",
    "article_filter",
]

URLFilter = Callable[[str], bool]
# Links in feeds that are never articles: media files and documents.
_NON_ARTICLE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".mp3", ".mp4",
                           ".pdf", ".zip", ".doc", ".docx", ".xls", ".xlsx")


def all_of(*filters: URLFilter) -> URLFilter:
    """Return a filter keeping URLs that every filter keeps."""
    return lambda url: all(f(url) for f in filters)


def any_of(*filters: URLFilter) -> URLFilter:
    """Return a filter keeping URLs that at least one filter keeps."""
    return lambda url: any(f(url) for f in filters)


def negate(inner: URLFilter) -> URLFilter:
    """Return a filter keeping exactly the URLs `inner` drops."""
    return lambda url: not inner(url)


def on_domains(domains: Iterable[str]) -> URLFilter:
    """Return a filter keeping http(s) URLs whose host is one of `domains` or a subdomain."""
    wanted = tuple(d.lower() for d in domains)

    def keep(url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        return parts.scheme in ("http", "https") and any(
            host == d or host.endswith("." + d) for d in wanted)
    return keep


def matches(pattern: str) -> URLFilter:
    """Return a filter keeping URLs in which the regular expression `pattern` is found."""
    compiled = re.compile(pattern)
    return lambda url: compiled.search(url) is not None


def has_extension(extensions: Iterable[str]) -> URLFilter:
    """Return a filter keeping URLs whose path ends with one of `extensions` (case-insensitive)."""
    wanted = tuple(e.lower() for e in extensions)
    return lambda url: urlsplit(url).path.lower().endswith(wanted)


def article_filter(source: Source) -> URLFilter:
    """Return the filter for candidate article URLs of `source`: on-site, not media, pattern."""
    parts: list[URLFilter] = [on_domains(source.allowed_domains),
                              negate(has_extension(_NON_ARTICLE_EXTENSIONS))]
    if source.extract.article_url_pattern:
        parts.append(matches(source.extract.article_url_pattern))
    return all_of(*parts)
