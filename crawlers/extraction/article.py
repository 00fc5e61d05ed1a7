"""From a fetched page to an `Article`: decode, parse, canonical URL, fields, language, hash.

This is the function the crawl runs in worker processes and `mediawatch extract` runs on a
saved page; both give the same result for the same bytes (README, "Extraction").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone

import lxml.etree
from datasketch import MinHash
import lxml.html

from crawlers.extraction.body import drop_leading_title
from crawlers.extraction.canonical import find_canonical_url
from crawlers.extraction.dates import zone_for_country
from crawlers.extraction.encoding import decode_html
from crawlers.extraction.metadata import read_json_ld, read_meta
from crawlers.extraction.overrides import ParsedPage, parser_for
from crawlers.registry import Source
from mediawatch.documents import Article
from mediawatch.errors import DropArticle
from nlp.language import detect_language

__all__ = ["Page", "extract_article", "extract_for_crawl", "MIN_BODY_CHARS"]

logger = logging.getLogger(__name__)

#: Shorter bodies are navigation pages, paywalls or video stubs, not articles.
MIN_BODY_CHARS = 150


@dataclass(frozen=True)
class Page:
    """A fetched page as discovery and download know it; plain and picklable for worker processes."""

    url: str
    body: bytes = field(repr=False)
    content_type: str | None = None
    feed_published_at: datetime | None = None
    feed_title: str | None = None


def _parse(text: str, url: str) -> lxml.html.HtmlElement:
    try:
        tree = lxml.html.document_fromstring(text, base_url=url)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise DropArticle(f"unparseable HTML: {exc}") from None
    if tree is None or tree.find("body") is None:
        raise DropArticle("no <body>")
    return tree


def extract_article(page: Page, source: Source | None = None, *, fast: bool = False,
                    crawled_at: datetime | None = None) -> Article:
    """Return the Article in `page`; raise DropArticle (with the reason) when there is none.

    Without a `source` the outlet fields stay empty and dates without offset are read as UTC.
    """
    _, text = decode_html(page.body, page.content_type)
    tree = _parse(text, page.url)
    parsed = ParsedPage(url=page.url, tree=tree, json_ld=read_json_ld(tree), meta=read_meta(tree),
                        zone=zone_for_country(source.country if source else None),
                        feed_published_at=page.feed_published_at, feed_title=page.feed_title,
                        fast=fast)
    parser = parser_for(source.extract.parser if source else None)
    canonical = find_canonical_url(tree, page.url, source.owns_url if source else None)
    title = parser.title(parsed) or ""
    published_at, authors, section = (parser.published_at(parsed), parser.authors(parsed),
                                      parser.section(parsed))
    body = drop_leading_title(parser.body(parsed), title)
    if len(body) < MIN_BODY_CHARS:
        raise DropArticle("no article body")
    expected = tuple(source.languages) if source else ()
    return Article(
        url=page.url, canonical_url=canonical, outlet_id=source.id if source else "",
        title=title, body=body, published_at=published_at,
        crawled_at=crawled_at or datetime.now(timezone.utc),
        outlet_name=source.name if source else "", country=source.country if source else "",
        affiliation=source.affiliation if source else "",
        language=detect_language(body or title, expected), authors=authors, section=section,
    )


def extract_for_crawl(page: Page, source: Source, fast: bool) -> tuple[Article | None, str, MinHash | None]:
    """Run `extract_article` in a worker: return (article, '', signature) or (None, reason, None).

    Never raises, so that one bad page cannot break the worker pool; `reason` is a stats key
    suffix (``no_article_body``, ``extract_error``).
    """
    from crawlers.extraction.dedup import minhash_signature

    try:
        article = extract_article(page, source, fast=fast)
    except DropArticle as exc:
        return None, _reason_key(str(exc)), None
    except Exception:  # noqa: BLE001 - a library bug on one page must not stop the crawl
        logger.exception("extraction failed on %s", page.url)
        return None, "extract_error", None
    return article, "", minhash_signature(article.body)


def _reason_key(message: str) -> str:
    head = message.split(":", 1)[0].strip().lower()
    return "_".join(head.replace("<", "").replace(">", "").split()) or "dropped"
