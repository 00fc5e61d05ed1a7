"""The plain records that stages hand each other: Article, TargetAnalysis, ClassifiedArticle.

Crawlers produce `Article`, the classifier turns it into `ClassifiedArticle`, stores keep and
return `ClassifiedArticle`. `to_dict`/`from_dict` give the JSON form used by `ingest`,
`export`, the outbox spool and the Elasticsearch documents (README, "Data model").
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

__all__ = [
    "Article",
    "Evidence",
    "TargetAnalysis",
    "ClassifiedArticle",
    "article_id",
    "content_hash",
    "parse_datetime",
    "format_datetime",
    "STANCES",
    "RHETORIC_TYPES",
    "TARGETS",
]

STANCES = ("against", "neutral", "favor")
HOSTILITY = ("none", "hostile")
RHETORIC_TYPES = ("threat", "insult", "sovereignty_denial", "betrayal", "puppet", "punishment_call")
TARGETS = ("azerbaijan", "russia")


def article_id(canonical_url: str) -> str:
    """Return the stable id of an article: the SHA-1 hex digest of its canonical URL."""
    return hashlib.sha1(canonical_url.encode("utf-8")).hexdigest()


def content_hash(title: str, body: str) -> str:
    """Return a hash of the normalised title and body, for exact-duplicate detection."""
    normalised = " ".join((title + "\n" + body).split()).lower()
    return hashlib.sha1(normalised.encode("utf-8")).hexdigest()


def parse_datetime(value: str | datetime | None) -> datetime | None:
    """Parse an ISO-8601 string (or pass a datetime) into an aware UTC datetime.

    Naive values are taken as UTC; a trailing ``Z`` is accepted. Raises ValueError otherwise.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def format_datetime(value: datetime | None) -> str | None:
    """Format an aware datetime as ISO-8601 UTC with a ``Z`` suffix (seconds precision)."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class Article:
    """One extracted news article, before classification."""

    url: str
    canonical_url: str
    outlet_id: str
    title: str
    body: str
    published_at: datetime | None = None
    crawled_at: datetime | None = None
    outlet_name: str = ""
    country: str = ""
    affiliation: str = ""
    language: str = ""
    authors: list[str] = field(default_factory=list)
    section: str | None = None
    content_hash: str = ""
    near_duplicate_group: str | None = None

    def __post_init__(self) -> None:
        if not self.canonical_url:
            self.canonical_url = self.url
        if not self.content_hash:
            self.content_hash = content_hash(self.title, self.body)

    @property
    def id(self) -> str:
        """The article id: a hash of the canonical URL, so re-crawls upsert in place."""
        return article_id(self.canonical_url)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form (datetimes as ISO-8601 UTC)."""
        data = asdict(self)
        data["id"] = self.id
        data["published_at"] = format_datetime(self.published_at)
        data["crawled_at"] = format_datetime(self.crawled_at)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        """Build an Article from its JSON form; unknown keys are ignored.

        Accepts the ingest shorthand ``outlet`` for ``outlet_id``. Raises KeyError/ValueError
        on missing required fields or bad dates.
        """
        outlet = data.get("outlet_id") or data.get("outlet")
        if not outlet:
            raise KeyError("outlet")
        url = data["url"]
        return cls(
            url=url,
            canonical_url=data.get("canonical_url") or url,
            outlet_id=str(outlet),
            title=data.get("title") or "",
            body=data.get("body") or "",
            published_at=parse_datetime(data.get("published_at")),
            crawled_at=parse_datetime(data.get("crawled_at")),
            outlet_name=data.get("outlet_name") or "",
            country=data.get("country") or "",
            affiliation=data.get("affiliation") or "",
            language=data.get("language") or "",
            authors=list(data.get("authors") or []),
            section=data.get("section"),
            content_hash=data.get("content_hash") or "",
            near_duplicate_group=data.get("near_duplicate_group"),
        )


@dataclass
class Evidence:
    """One evidence sentence: its text, character offsets in the body, and its hostility score."""

    text: str
    start: int
    end: int
    score: float = 0.0
    stance: str = "neutral"
    rhetoric: list[str] = field(default_factory=list)


@dataclass
class TargetAnalysis:
    """What the classifier found about one target in one article.

    `stance_score` is P(favor) - P(against) averaged over mentions, in [-1, 1];
    `hostile_mentions` counts mentions whose hostility label is hostile.
    """

    target: str
    mentions: int
    stance: str = "neutral"
    stance_score: float = 0.0
    hostility: str = "none"
    hostility_score: float = 0.0
    hostile_mentions: int = 0
    rhetoric: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TargetAnalysis:
        """Build a TargetAnalysis from its JSON form."""
        return cls(
            target=data["target"],
            mentions=int(data.get("mentions", 0)),
            stance=data.get("stance", "neutral"),
            stance_score=float(data.get("stance_score", 0.0)),
            hostility=data.get("hostility", "none"),
            hostility_score=float(data.get("hostility_score", 0.0)),
            hostile_mentions=int(data.get("hostile_mentions", 0)),
            rhetoric=list(data.get("rhetoric") or []),
            evidence=[Evidence(**e) for e in data.get("evidence") or []],
        )


@dataclass
class ClassifiedArticle:
    """An Article with per-target analyses and the model that produced them."""

    article: Article
    targets: list[TargetAnalysis] = field(default_factory=list)
    model_name: str | None = None
    model_version: str | None = None

    @property
    def id(self) -> str:
        """The article id (see `Article.id`)."""
        return self.article.id

    def target(self, name: str) -> TargetAnalysis | None:
        """Return the analysis for target `name`, or None when the article does not mention it."""
        return next((t for t in self.targets if t.target == name), None)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form: the article fields plus `targets` and `model`."""
        data = self.article.to_dict()
        data["targets"] = [asdict(t) for t in self.targets]
        data["model"] = {"name": self.model_name, "version": self.model_version}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClassifiedArticle:
        """Build from the JSON form; a plain article row gives an unclassified record."""
        model = data.get("model") or {}
        return cls(
            article=Article.from_dict(data),
            targets=[TargetAnalysis.from_dict(t) for t in data.get("targets") or []],
            model_name=model.get("name"),
            model_version=model.get("version"),
        )

    def with_targets(self, targets: list[TargetAnalysis], model_name: str,
                     model_version: str) -> ClassifiedArticle:
        """Return a copy carrying new analyses (used when re-classifying stored articles)."""
        return replace(self, targets=targets, model_name=model_name, model_version=model_version)
