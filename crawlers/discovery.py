"""Discovery: article links from RSS/Atom feeds and (Google-News) sitemaps or sitemap indexes.

Feeds are parsed by feedparser only after defusedxml has checked that they declare no entities
and reference nothing external (entity bombs, XXE); sitemaps by lxml with entity resolution and
network access off. Both return plain `Link`s; which of them to fetch is the spider's business.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree
import feedparser
import lxml.etree
from defusedxml import DefusedXmlException
from scrapy.utils.gz import gunzip

from crawlers.extraction.dates import parse_date

__all__ = ["Link", "Sitemap", "DiscoveryError", "parse_feed", "parse_sitemap"]

logger = logging.getLogger(__name__)

_GZIP_MAGIC = b"\x1f\x8b"


class DiscoveryError(Exception):
    """A feed or sitemap that yields nothing; `reason` is the stats key suffix."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class Link:
    """A candidate article: its URL and what the feed or sitemap said about it."""

    url: str
    published_at: datetime | None = None
    title: str | None = None


@dataclass(frozen=True)
class Sitemap:
    """A parsed sitemap: an index (links are sub-sitemaps) or a urlset (links are articles)."""

    kind: Literal["index", "urlset"]
    links: list[Link]


def _check_entities(body: bytes) -> None:
    """Raise DiscoveryError when the XML declares entities or external references."""
    try:
        defusedxml.ElementTree.fromstring(body, forbid_dtd=False, forbid_entities=True,
                                          forbid_external=True)
    except DefusedXmlException as exc:
        raise DiscoveryError("feed_entities", type(exc).__name__) from None
    except ParseError:
        pass  # malformed XML: feedparser's lenient parser may still read it, without entities


def _entry_date(entry: feedparser.FeedParserDict) -> datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), tz=timezone.utc)
    return None


def _entry_url(entry: feedparser.FeedParserDict) -> str | None:
    link = (entry.get("link") or "").strip()
    if link.startswith(("http://", "https://")):
        return link
    guid = (entry.get("id") or "").strip()
    return guid if guid.startswith(("http://", "https://")) else None


def parse_feed(body: bytes, on_unusable_item: Callable[[str], None] | None = None) -> list[Link]:
    """Return the article links of an RSS/Atom feed, keyed by link (never by <guid>).

    Items are keyed by their link because feeds omit <guid> or repeat one for every item.
    `on_unusable_item(title)` is called for each item without a usable link, so it is counted.
    Raises DiscoveryError: feed_entities, feed_malformed (nothing readable) or feed_empty.
    """
    if body.startswith(_GZIP_MAGIC):
        raise DiscoveryError("feed_malformed", "gzip body without Content-Encoding")
    _check_entities(body)
    parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    if not parsed.entries:
        reason = "feed_malformed" if parsed.get("bozo") else "feed_empty"
        raise DiscoveryError(reason, str(parsed.get("bozo_exception", "")))
    links: dict[str, Link] = {}
    for entry in parsed.entries:
        url = _entry_url(entry)
        if url is None:
            logger.debug("feed item without a link skipped: %r", entry.get("title"))
            if on_unusable_item is not None:
                on_unusable_item(str(entry.get("title") or ""))
            continue
        title = (entry.get("title") or "").strip() or None
        links.setdefault(url, Link(url=url, published_at=_entry_date(entry), title=title))
    if not links:
        raise DiscoveryError("feed_malformed", "no item has a link")
    return list(links.values())


def _xml_parser() -> lxml.etree.XMLParser:
    return lxml.etree.XMLParser(resolve_entities=False, no_network=True, recover=True,
                                remove_comments=True, huge_tree=False, load_dtd=False)


def _child_text(node: lxml.etree._Element, name: str) -> str | None:
    for child in node.iter():
        if isinstance(child.tag, str) and lxml.etree.QName(child).localname == name and child.text:
            return child.text.strip()
    return None


def parse_sitemap(body: bytes, max_bytes: int) -> Sitemap:
    """Return the entries of a sitemap, sitemap index or Google-News sitemap (gzip accepted).

    Dates come from news:publication_date, else lastmod. Raises DiscoveryError when the
    body is not a sitemap or decompresses past `max_bytes`.
    """
    if body.startswith(_GZIP_MAGIC):
        try:
            body = gunzip(body, max_size=max_bytes)
        except EOFError as exc:  # a truncated gzip stream
            raise DiscoveryError("sitemap_malformed", f"truncated gzip: {exc}") from None
        except (ValueError, OSError) as exc:  # the size guard raises a ValueError subclass
            raise DiscoveryError("sitemap_too_large", str(exc)) from None
    try:
        root = lxml.etree.fromstring(body, parser=_xml_parser())
    except lxml.etree.XMLSyntaxError as exc:
        raise DiscoveryError("sitemap_malformed", str(exc)) from None
    if root is None or not isinstance(root.tag, str):
        raise DiscoveryError("sitemap_malformed", "no root element")
    kind = lxml.etree.QName(root).localname
    if kind not in ("sitemapindex", "urlset"):
        raise DiscoveryError("sitemap_malformed", f"root element <{kind}>")
    links = []
    for node in root:
        loc = _child_text(node, "loc") if isinstance(node.tag, str) else None
        if not loc:
            continue
        date_text = _child_text(node, "publication_date") or _child_text(node, "lastmod")
        links.append(Link(url=loc, published_at=parse_date(date_text, timezone.utc),
                          title=_child_text(node, "title")))
    return Sitemap(kind="index" if kind == "sitemapindex" else "urlset", links=links)
