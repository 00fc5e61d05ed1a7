"""The outlet registry: pydantic models for config/sources.yaml and the loader that validates it.

Every outlet is one data entry (README, "Sources"); `load_sources` checks the whole file once
and raises ConfigError naming the file and the offending key. `--sources-file` takes a file of
the same schema.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mediawatch.errors import ConfigError
from mediawatch.settings import CONFIG_DIR, load_yaml_model

__all__ = [
    "Source",
    "ExtractOverrides",
    "SourceRegistry",
    "DEFAULT_SOURCES_FILE",
    "load_sources",
    "parse_interval",
]

DEFAULT_SOURCES_FILE = CONFIG_DIR / "sources.yaml"
_INTERVAL = re.compile(r"^(\d+)([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
Language = Literal["ru", "az", "en", "tr", "uk"]


def parse_interval(text: str) -> timedelta:
    """Return the duration written as ``<number><unit>`` with unit s/m/h/d/w (``30m``, ``2d``)."""
    match = _INTERVAL.match(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not a duration like 30m, 2h or 1d")
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExtractOverrides(_Strict):
    """Per-outlet extraction settings; absent keys mean the generic extractor's behaviour."""

    #: Name of an override class in crawlers.extraction.overrides (e.g. ``kommersant``).
    parser: str | None = None
    #: Regular expression an article URL must match (search); others found in feeds are skipped.
    article_url_pattern: str | None = None

    @field_validator("article_url_pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            re.compile(value)
        return value

    @field_validator("parser")
    @classmethod
    def _known_parser(cls, value: str | None) -> str | None:
        from crawlers.extraction.overrides import PARSERS

        if value is not None and value not in PARSERS:
            raise ValueError(f"unknown parser {value!r}; known: {', '.join(sorted(PARSERS))}")
        return value


class Source(_Strict):
    """One outlet: identity, affiliation with evidence, where its articles are discovered."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(min_length=1)
    country: Literal["RU", "AZ"]
    languages: list[Language] = Field(min_length=1)
    affiliation: Literal["state", "state-aligned", "private", "independent", "opposition"]
    affiliation_evidence: str = Field(min_length=10)
    homepage: str
    feeds: list[str] = Field(default_factory=list)
    sitemaps: list[str] = Field(default_factory=list)
    allowed_domains: list[str] = Field(min_length=1)
    interval: timedelta
    extract: ExtractOverrides = ExtractOverrides()

    @field_validator("interval", mode="before")
    @classmethod
    def _parse_interval(cls, value: object) -> object:
        return parse_interval(value) if isinstance(value, str) else value

    @field_validator("homepage", "feeds", "sitemaps")
    @classmethod
    def _http_urls(cls, value: str | list[str]) -> str | list[str]:
        for url in [value] if isinstance(value, str) else value:
            if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
                raise ValueError(f"{url!r} is not an http(s) URL")
        return value

    @field_validator("allowed_domains")
    @classmethod
    def _bare_domains(cls, value: list[str]) -> list[str]:
        for domain in value:
            if "/" in domain or ":" in domain or not domain:
                raise ValueError(f"{domain!r} is not a bare domain (no scheme, port or path)")
        return [d.lower() for d in value]

    @model_validator(mode="after")
    def _has_discovery(self) -> Source:
        if not self.feeds and not self.sitemaps:
            raise ValueError("a source needs at least one feed or sitemap")
        return self

    def owns_url(self, url: str) -> bool:
        """Return whether `url`'s host is one of the allowed domains or a subdomain of one."""
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)


class SourceRegistry(_Strict):
    """The whole sources file: ``sources:`` is a list of outlets with unique ids."""

    sources: list[Source] = Field(min_length=1)

    @field_validator("sources")
    @classmethod
    def _unique_ids(cls, value: list[Source]) -> list[Source]:
        seen: set[str] = set()
        for source in value:
            if source.id in seen:
                raise ValueError(f"duplicate source id {source.id!r}")
            seen.add(source.id)
        return value

    def get(self, source_id: str) -> Source:
        """Return the source with this id; ConfigError listing the known ids otherwise."""
        for source in self.sources:
            if source.id == source_id:
                return source
        raise ConfigError(f"unknown source {source_id!r}", key="sources",
                          fix=f"one of: {', '.join(s.id for s in self.sources)}")

    def select(self, ids: list[str] | None) -> list[Source]:
        """Return the sources named by `ids` in that order, or every source when `ids` is None."""
        return list(self.sources) if ids is None else [self.get(i) for i in ids]


def load_sources(path: str | Path | None = None) -> SourceRegistry:
    """Load and validate a sources file (default config/sources.yaml); ConfigError on any problem."""
    return load_yaml_model(path or DEFAULT_SOURCES_FILE, SourceRegistry)
