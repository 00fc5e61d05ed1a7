"""Article metadata read from the page: JSON-LD, meta tags and headings (title, authors, section).

Each finder tries structured data first (JSON-LD, then OpenGraph/article meta tags), then the
visible page; the order is the documented fallback order of README, "Extraction".
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

from lxml.html import HtmlElement

__all__ = ["read_json_ld", "read_meta", "find_title", "find_authors", "find_section", "meta_content"]

logger = logging.getLogger(__name__)

_ARTICLE_TYPES = {"newsarticle", "article", "reportagenewsarticle", "blogposting",
                  "analysisnewsarticle", "opinionnewsarticle", "webpage"}
_TITLE_SEPARATORS = re.compile(r"\s+[|—–-]\s+")
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|;|\s+и\s+|\s+və\s+|\s+and\s+)\s*")


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for item in node:
            yield from _walk(item)
    elif isinstance(node, dict):
        yield node
        yield from _walk(node.get("@graph", []))


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type", [])
    return {str(k).lower() for k in (kind if isinstance(kind, list) else [kind])}


def read_json_ld(tree: HtmlElement) -> list[dict[str, Any]]:
    """Return the JSON-LD objects describing an article, most specific type first."""
    found: list[dict[str, Any]] = []
    for script in tree.xpath('//script[@type="application/ld+json"]/text()'):
        try:
            data = json.loads(script)
        except ValueError:
            logger.debug("unparseable JSON-LD block skipped")
            continue
        found.extend(n for n in _walk(data) if _types(n) & _ARTICLE_TYPES)
    return sorted(found, key=lambda n: "webpage" in _types(n))


def read_meta(tree: HtmlElement) -> dict[str, str]:
    """Return the page's <meta> contents keyed by name, property and itemprop (first one wins).

    One pass over the page's <meta> elements, shared by every finder below.
    """
    index: dict[str, str] = {}
    for node in tree.iter("meta"):
        content = (node.get("content") or "").strip()
        if not content:
            continue
        for attribute in ("property", "name", "itemprop"):
            key = node.get(attribute)
            if key and key not in index:
                index[key] = html.unescape(content).strip()
    return index


def meta_content(meta: dict[str, str], *names: str) -> str | None:
    """Return the first non-empty <meta> content among `names` (see read_meta)."""
    return next((meta[name] for name in names if name in meta), None)


def _clean(text: str) -> str:
    return " ".join(html.unescape(text).split())


def _heading(tree: HtmlElement) -> str | None:
    for xpath in ("//article//h1", "//main//h1", "//h1"):
        headings = [_clean(h.text_content()) for h in tree.xpath(xpath)]
        headings = [h for h in headings if h]
        if len(headings) == 1:
            return headings[0]
    return None


def find_title(tree: HtmlElement, json_ld: list[dict[str, Any]], meta: dict[str, str]) -> str | None:
    """Return the headline: JSON-LD headline, the one article <h1>, og:title, then <title>."""
    for node in json_ld:
        if isinstance(node.get("headline"), str) and node["headline"].strip():
            return _clean(node["headline"])
    heading = _heading(tree)
    if heading:
        return heading
    og_title = meta_content(meta, "og:title", "twitter:title")
    if og_title:
        return _clean(og_title)
    titles = tree.xpath("//title/text()")
    if titles and str(titles[0]).strip():
        return _TITLE_SEPARATORS.split(_clean(str(titles[0])))[0]
    return None


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return _names(value.get("name"))
    if isinstance(value, list):
        return [name for item in value for name in _names(item)]
    return []


def _split_authors(values: list[str]) -> list[str]:
    authors: list[str] = []
    for value in values:
        for name in _AUTHOR_SPLIT.split(_clean(value)):
            if name and not name.startswith(("http://", "https://")) and name not in authors:
                authors.append(name)
    return authors


def find_authors(tree: HtmlElement, json_ld: list[dict[str, Any]], meta: dict[str, str]) -> list[str]:
    """Return the article's authors from JSON-LD, then author meta tags, then itemprop=author."""
    for node in json_ld:
        names = _names(node.get("author"))
        if names:
            return _split_authors(names)
    named = meta_content(meta, "author", "article:author", "mediator_author", "sailthru.author")
    if named:
        return _split_authors([named])
    visible = [e.text_content() for e in tree.xpath('//*[@itemprop="author"][not(self::meta)]')]
    return _split_authors([v for v in visible if v.strip()])


def find_section(json_ld: list[dict[str, Any]], meta: dict[str, str]) -> str | None:
    """Return the article's section (rubric) from JSON-LD articleSection or section meta tags."""
    for node in json_ld:
        section = node.get("articleSection")
        if isinstance(section, list):
            section = section[0] if section else None
        if isinstance(section, str) and section.strip():
            return _clean(section)
    section_meta = meta_content(meta, "article:section", "mediator_theme", "section")
    return _clean(section_meta) if section_meta else None
