"""Canonical URLs: tracking parameters and fragments dropped, AMP pages mapped to their article.

An article's id is the hash of its canonical URL (mediawatch.documents.article_id), so the same
article reached through a newsletter link or an AMP page upserts one record.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml.html import HtmlElement

__all__ = ["canonicalize_url", "is_amp_url", "strip_amp", "find_canonical_url", "TRACKING_PARAMS"]

TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "yclid", "dclid", "msclkid", "_openstat", "mc_cid", "mc_eid", "igshid",
})
_TRACKING_PREFIXES = ("utm_",)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_AMP_PATH = re.compile(r"(?:/amp/?$|^/amp(?=/)|\.amp(?=$|\.html?$))")


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


def canonicalize_url(url: str) -> str:
    """Return `url` with lower-cased scheme and host, default port, fragment and tracking removed.

    The remaining query parameters keep their order: some CMSs route on parameter order.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        # A bad port or a broken IPv6 literal: keep the URL as written (minus its fragment), so
        # one malformed link is dropped later by the domain filter instead of ending discovery.
        return url.strip().split("#", 1)[0]
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    if port and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    return urlunsplit((scheme, host, parts.path or "/", urlencode(query), ""))


def is_amp_url(url: str) -> bool:
    """Return whether `url` looks like an AMP rendition (amp. host, /amp path, ?amp, .amp)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    return ((parts.hostname or "").startswith("amp.") or "amp" in query
            or _AMP_PATH.search(parts.path) is not None)


def strip_amp(url: str) -> str:
    """Return the likely non-AMP URL of an AMP rendition (used when the page names no canonical)."""
    parts = urlsplit(url)
    host = parts.netloc[4:] if parts.netloc.startswith("amp.") else parts.netloc
    path = _AMP_PATH.sub("", parts.path) or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "amp"]
    return urlunsplit((parts.scheme, host, path, urlencode(query), ""))


def _declared_canonical(tree: HtmlElement, base_url: str) -> str | None:
    for xpath in ('//link[@rel="canonical"]/@href', '//meta[@property="og:url"]/@content'):
        values = tree.xpath(xpath)
        if values and str(values[0]).strip():
            return urljoin(base_url, str(values[0]).strip())
    return None


def find_canonical_url(tree: HtmlElement | None, url: str, same_site: object = None) -> str:
    """Return the canonical URL of a page: its declared canonical when on-site, else its own URL.

    `same_site` is a predicate on URLs (the source's domain filter); a canonical pointing to
    another outlet (syndication) is ignored so that one outlet never overwrites another's record.
    """
    declared = _declared_canonical(tree, url) if tree is not None else None
    accept = same_site if callable(same_site) else (
        lambda candidate: urlsplit(candidate).hostname == urlsplit(url).hostname)
    if declared and urlsplit(declared).scheme in ("http", "https") and accept(declared):
        return canonicalize_url(declared)
    return canonicalize_url(strip_amp(url) if is_amp_url(url) else url)
