"""What flows through the item pipelines: a fetched page, then an extracted article.

Items are glue between Scrapy and the plain stages; their repr names only the URL so that
Scrapy's log lines never carry a 100 KB body.
"""

from __future__ import annotations

from dataclasses import dataclass

from datasketch import MinHash

from crawlers.extraction.article import Page
from mediawatch.documents import Article

__all__ = ["PageItem", "ArticleItem"]


@dataclass(repr=False)
class PageItem:
    """A downloaded article page of one source, before extraction."""

    source_id: str
    page: Page

    def __repr__(self) -> str:
        return f"<PageItem {self.source_id} {self.page.url}>"


@dataclass(repr=False)
class ArticleItem:
    """An extracted article with its MinHash signature (for near-duplicate grouping)."""

    source_id: str
    article: Article
    signature: MinHash | None = None

    def __repr__(self) -> str:
        return f"<ArticleItem {self.source_id} {self.article.url}>"
