"""Per-outlet extraction: the generic parser and the few outlet overrides that saved pages need.

A parser has one short method per field (title, published_at, authors, section, body). An
override subclasses the generic parser and replaces only the fields the generic one gets wrong
on a saved page of that outlet; a redesign gets a dated subclass (STYLE, "Extension points").
`PARSERS` maps the names used in sources.yaml (`extract.parser`) to classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from lxml.html import HtmlElement

from crawlers.extraction.body import extract_body
from crawlers.extraction.dates import find_published_at
from crawlers.extraction.metadata import find_authors, find_section, find_title

__all__ = ["ParsedPage", "GenericParser", "KommersantParser", "PARSERS", "parser_for"]


@dataclass
class ParsedPage:
    """A decoded, parsed page with what discovery knew about it; the input of every parser."""

    url: str
    tree: HtmlElement
    json_ld: list[dict[str, Any]]
    meta: dict[str, str]
    zone: ZoneInfo
    feed_published_at: datetime | None = None
    feed_title: str | None = None
    fast: bool = False


class GenericParser:
    """Structured metadata plus trafilatura: right for most outlets without any selector."""

    def title(self, page: ParsedPage) -> str | None:
        """Return the headline, falling back to the feed's title."""
        return find_title(page.tree, page.json_ld, page.meta) or page.feed_title

    def published_at(self, page: ParsedPage) -> datetime | None:
        """Return the publication time in UTC."""
        return find_published_at(page.tree, page.json_ld, page.meta, page.feed_published_at,
                                 page.zone)

    def authors(self, page: ParsedPage) -> list[str]:
        """Return the authors' names."""
        return find_authors(page.tree, page.json_ld, page.meta)

    def section(self, page: ParsedPage) -> str | None:
        """Return the rubric."""
        return find_section(page.json_ld, page.meta)

    def body(self, page: ParsedPage) -> str:
        """Return the main text; called last because trafilatura prunes the tree."""
        return extract_body(page.tree, page.url, fast=page.fast)


def _texts(tree: HtmlElement, xpath: str) -> list[str]:
    return [" ".join(node.text_content().split()) for node in tree.xpath(xpath)]


class KommersantParser(GenericParser):
    """Kommersant: authors only in ``p.document_authors`` (no meta, no JSON-LD author), which the
    generic body keeps as a last paragraph; selectors from fundus' kommersant.py (2025-05)."""

    _PARAGRAPHS = ("//div[contains(@class,'article_text_wrapper')]"
                   "/p[not(contains(@class,'document_authors'))]")
    _AUTHORS = "//p[contains(@class,'document_authors')]"

    def authors(self, page: ParsedPage) -> list[str]:
        """Return the names in the authors paragraph, else the generic authors."""
        names = [n for text in _texts(page.tree, self._AUTHORS)
                 for n in text.replace(" и ", ",").split(",") if n.strip()]
        return [n.strip() for n in names] or super().authors(page)

    def body(self, page: ParsedPage) -> str:
        """Return the text-wrapper paragraphs without the authors line."""
        paragraphs = [p for p in _texts(page.tree, self._PARAGRAPHS) if p]
        return "\n".join(paragraphs) if paragraphs else super().body(page)


PARSERS: dict[str, type[GenericParser]] = {"generic": GenericParser, "kommersant": KommersantParser}


def parser_for(name: str | None) -> GenericParser:
    """Return a parser instance for a sources.yaml `extract.parser` name (None: generic)."""
    return PARSERS[name or "generic"]()
