"""Builders of classified-article histories for the alerting tests: a calm baseline and one spike.

Three outlets report daily on Azerbaijan with a few hostile mentions; on the spike day TASS
publishes a burst of hostile articles. Everything is relative to a given `now`, so tests pin
the clock instead of sleeping.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from mediawatch.documents import Article, ClassifiedArticle, Evidence, TargetAnalysis

__all__ = ["NOW", "OUTLETS", "SPIKE_EVIDENCE", "make_article", "spike_history", "day_floor"]

NOW = datetime(2026, 3, 18, 15, 0, tzinfo=timezone.utc)  # a Wednesday afternoon
# outlet id -> (name, country, affiliation)
OUTLETS = {
    "tass": ("TASS", "RU", "state"),
    "ria": ("RIA Novosti", "RU", "state"),
    "apa": ("APA", "AZ", "private"),
}
SPIKE_EVIDENCE = "Баку ответит за это предательство, и расплата будет жёсткой."
# Hostile mentions per outlet per day over a week: low and irregular, never zero for long.
_BASELINE_PATTERN = (0, 1, 2, 1, 0, 1, 1)


def day_floor(moment: datetime) -> datetime:
    """Midnight UTC of `moment`'s day."""
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def make_article(n: int, published: datetime, outlet: str, *, hostile: int, mentions: int = 3,
                 evidence: str | None = None, title: str | None = None, url: str | None = None,
                 target: str = "azerbaijan") -> ClassifiedArticle:
    """One classified article of `outlet` with `hostile` hostile mentions of `target`."""
    name, country, affiliation = OUTLETS[outlet]
    text = evidence or "Баку снова обвиняют во всех бедах региона."
    body = f"Вводный абзац статьи {n}. {text} Конец статьи."
    start = body.index(text)
    analysis = TargetAnalysis(
        target=target, mentions=max(mentions, hostile), stance="against" if hostile else "neutral",
        stance_score=-0.7 if hostile else 0.0, hostility="hostile" if hostile else "none",
        hostility_score=0.93 if hostile else 0.08, hostile_mentions=hostile,
        rhetoric=["betrayal"] if hostile else [],
        evidence=[Evidence(text=text, start=start, end=start + len(text), score=0.93, stance="against",
                           rhetoric=["betrayal"])] if hostile else [])
    article = Article(
        url=url or f"https://{outlet}.example/news/{n}", canonical_url="", outlet_id=outlet,
        outlet_name=name, country=country, affiliation=affiliation, language="ru",
        title=title or f"Статья {n} об Азербайджане", body=body, published_at=published,
        crawled_at=published + timedelta(minutes=20))
    if url is not None:
        article.canonical_url = url
    return ClassifiedArticle(article, [analysis], model_name="mw-stance", model_version="2026.03-test")


def spike_history(now: datetime = NOW, *, days: int = 35, spike: bool = True,
                  spike_title: str | None = None, spike_evidence: str = SPIKE_EVIDENCE) -> list[ClassifiedArticle]:
    """A calm `days`-day baseline for three outlets, and (if `spike`) a TASS burst on `now`'s day."""
    today = day_floor(now)
    docs: list[ClassifiedArticle] = []
    n = 0
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        for index, outlet in enumerate(OUTLETS):
            n += 1
            hostile = _BASELINE_PATTERN[(back + index) % len(_BASELINE_PATTERN)]
            docs.append(make_article(n, day + timedelta(hours=9, minutes=index), outlet, hostile=hostile))
    for index, outlet in enumerate(OUTLETS):  # today's ordinary articles
        n += 1
        docs.append(make_article(n, today + timedelta(hours=8, minutes=index), outlet, hostile=1))
    if spike:
        for burst in range(6):
            n += 1
            docs.append(make_article(n, today + timedelta(hours=9, minutes=10 * burst), "tass", hostile=3,
                                     evidence=spike_evidence,
                                     title=spike_title if burst == 0 and spike_title else None))
    return docs
