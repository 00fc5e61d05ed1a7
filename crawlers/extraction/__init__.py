"""Extraction: page bytes to `Article` (encoding, canonical URL, trafilatura, dates, overrides, dedup)."""

from crawlers.extraction.article import Page, extract_article

__all__ = ["Page", "extract_article"]
