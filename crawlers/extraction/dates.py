"""Publication dates normalised to UTC: page meta tags and JSON-LD, then the feed, then htmldate.

Fallback order (README, "Extraction"): structured page metadata (it carries the outlet's own
offset), the date the feed gave, then htmldate's search of the page. A date without an offset
is taken in the outlet's zone (Moscow for RU, Baku for AZ), not in UTC.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import dateparser
from htmldate import find_date
from lxml.html import HtmlElement

from crawlers.extraction.metadata import meta_content

__all__ = ["parse_date", "find_published_at", "zone_for_country"]

logger = logging.getLogger(__name__)

_ZONES = {"RU": "Europe/Moscow", "AZ": "Asia/Baku"}
_META_NAMES = ("article:published_time", "mediator_published_time", "og:article:published_time",
               "datePublished", "pubdate", "publishdate", "publish-date", "dc.date.issued",
               "DC.date.issued", "dcterms.created", "sailthru.date", "parsely-pub-date")
# Plausibility bounds: the web's news archives start in the 1990s; the future is a parse error.
_EARLIEST = datetime(1990, 1, 1, tzinfo=timezone.utc)
_FUTURE_SLACK = timedelta(days=2)  # clock skew and embargoed stories, not a year-ahead typo


def zone_for_country(country: str | None) -> ZoneInfo:
    """Return the zone in which an outlet of `country` writes dates without an offset."""
    return ZoneInfo(_ZONES.get(country or "", "UTC"))


def _from_epoch(text: str) -> datetime | None:
    if text.isdigit() and len(text) in (10, 13):
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    return None


def parse_date(value: str | None, zone: ZoneInfo) -> datetime | None:
    """Parse an ISO-8601, epoch or free-text date (ru/az/en) into aware UTC; None when hopeless."""
    if not value or not value.strip():
        return None
    text = value.strip()
    parsed = _from_epoch(text)
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            parsed = dateparser.parse(text, languages=["ru", "az", "en"],
                                      settings={"PREFER_DAY_OF_MONTH": "first"})
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    parsed = parsed.astimezone(timezone.utc)
    if not _EARLIEST <= parsed <= datetime.now(timezone.utc) + _FUTURE_SLACK:
        return None
    return parsed


def _structured_date(tree: HtmlElement, json_ld: list[dict[str, Any]], meta: dict[str, str],
                     zone: ZoneInfo) -> datetime | None:
    for node in json_ld:
        found = parse_date(str(node.get("datePublished") or ""), zone)
        if found:
            return found
    found = parse_date(meta_content(meta, *_META_NAMES), zone)
    if found:
        return found
    for value in tree.xpath('//*[@itemprop="datePublished"]/@datetime'):
        found = parse_date(str(value), zone)
        if found:
            return found
    return None


def find_published_at(tree: HtmlElement, json_ld: list[dict[str, Any]], meta: dict[str, str],
                      feed_date: datetime | None, zone: ZoneInfo) -> datetime | None:
    """Return the publication time in UTC, following the module's fallback order."""
    found = _structured_date(tree, json_ld, meta, zone)
    if found or feed_date:
        return found or feed_date
    try:
        text = find_date(tree, original_date=True, extensive_search=True,
                         outputformat="%Y-%m-%dT%H:%M:%S")
    except (ValueError, TypeError) as exc:
        logger.debug("htmldate failed: %s", exc)
        return None
    return parse_date(text, zone) if text else None
