"""The demo's outlet sites: weeks of dated articles with an escalation, as HTML pages and RSS feeds.

`plan_history` composes the articles of several registry outlets, seeded, so a run with the same
end date writes the same site: bodies are labelled corpus passages (dev and test splits, never
train) between neutral sentences from config/demo/phrases.yaml. Russian outlets turn hostile
toward Azerbaijan over the last `ESCALATION_DAYS` days. `write_site` renders pages shaped like
real outlets' (navigation, cookie banner, related links, share buttons, JSON-LD) and one RSS feed
per outlet, with ``{{BASE}}`` where the replay server puts its address (mediawatch/demo_services.py).
"""

from __future__ import annotations

import html
import json
import logging
import random
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.utils import format_datetime as rfc822
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from crawlers.registry import Source
from mediawatch.settings import CONFIG_DIR, PROJECT_ROOT
from nlp.mentions import passages as find_passages

__all__ = ["DemoArticle", "DEMO_OUTLETS", "ESCALATION_DAYS", "BASE", "plan_history", "write_site",
           "write_sources_file"]

logger = logging.getLogger(__name__)

BASE = "{{BASE}}"
PHRASES_FILE = CONFIG_DIR / "demo" / "phrases.yaml"
CORPUS_DIR = PROJECT_ROOT / "nlp" / "data" / "corpus"
#: Outlet id -> articles per weekday on average (weekends get 60 %): 5 Russian, 4 Azerbaijani.
DEMO_OUTLETS: dict[str, float] = {
    "tass": 1.6, "ria": 1.5, "izvestia": 1.1, "tsargrad": 0.8, "tass-en": 0.6,
    "azertag": 1.4, "apa": 1.4, "report": 1.2, "oxu": 1.0,
}
ESCALATION_DAYS = 3
#: Extra hostile articles per Russian outlet on each escalation day, oldest day first.
ESCALATION_ARTICLES = (1, 2, 4)
#: Share of a Russian outlet's ordinary articles that are hostile (background rhetoric).
BACKGROUND_HOSTILE = {"tsargrad": 0.12}
BACKGROUND_HOSTILE_DEFAULT = 0.03
DOMESTIC_SHARE = 0.35
ZONES = {"RU": ZoneInfo("Europe/Moscow"), "AZ": ZoneInfo("Asia/Baku")}
#: URL path shapes per outlet, after the real sites; {n} article number, {d} date, {slug} title.
PATHS = {
    "tass": "/politika/{n}", "tass-en": "/world/{n}", "ria": "/{d8}/{slug}-{n}.html",
    "izvestia": "/{n}/{d}/{slug}", "tsargrad": "/news/{slug}_{n}", "azertag": "/xeber/{slug}-{n}",
    "apa": "/xeber/{slug}-{n}", "report": "/xarici-siyaset/{slug}-{n}/", "oxu": "/siyaset/{n}",
}
_TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюяəğıöüçş",
                     ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o",
                      "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "sch", "", "y", "", "e",
                      "yu", "ya", "e", "g", "i", "o", "u", "c", "s"]))


@dataclass(frozen=True)
class CorpusPassage:
    """A labelled corpus row: the sentence, its context, and what it says about the target."""

    text: str
    context: str | None
    target: str
    hostile: bool


@dataclass(frozen=True)
class DemoArticle:
    """One article of a demo site: where it lives, what it says, when it was published."""

    outlet_id: str
    path: str
    language: str
    title: str
    paragraphs: tuple[str, ...]
    published_at: datetime
    kind: str  # "domestic" | "bilateral" | "hostile"


class PassagePool:
    """Corpus passages by (language, target, hostile), drawn without repeats until a pool runs out.

    Hostile passages that also name the other target are left out: the escalation is about
    one target, and a sentence like "Moscow must punish Baku" would count for both.
    """

    def __init__(self, passages: list[tuple[str, CorpusPassage]], rng: random.Random) -> None:
        self._rng = rng
        self._all: dict[tuple[str, str, bool], list[CorpusPassage]] = defaultdict(list)
        for language, passage in passages:
            if passage.hostile and _names_other_target(passage, language):
                continue
            self._all[(language, passage.target, passage.hostile)].append(passage)
        self._left: dict[tuple[str, str, bool], list[CorpusPassage]] = {}

    def draw(self, language: str, target: str, hostile: bool) -> CorpusPassage:
        """Return an unused passage of that kind (reshuffled once every one was used)."""
        key = (language, target, hostile)
        if not self._left.get(key):
            pool = list(self._all.get(key) or [])
            if not pool:
                raise ValueError(f"no corpus passage for {key}")
            self._rng.shuffle(pool)
            self._left[key] = pool
        return self._left[key].pop()


def _names_other_target(passage: CorpusPassage, language: str) -> bool:
    text = passage.text + (" " + passage.context if passage.context else "")
    return any(p.target != passage.target for p in find_passages(text, language))


def load_passages(corpus_dir: Path = CORPUS_DIR) -> list[tuple[str, CorpusPassage]]:
    """Return the dev and test rows without a hard case, hostile or neutral/favor (train is never shown)."""
    found = []
    for file in sorted(corpus_dir.glob("*_dev.jsonl")) + sorted(corpus_dir.glob("*_test.jsonl")):
        for line in file.read_text("utf-8").splitlines():
            row = json.loads(line)
            hostile = row["hostility"] == "hostile"
            if row["hard_case"] is None and (hostile or row["stance"] in ("neutral", "favor")):
                found.append((row["language"], CorpusPassage(row["text"], row["context"],
                                                             row["target"], hostile)))
    return found


def load_phrases(path: Path = PHRASES_FILE) -> dict[str, Any]:
    """Return the demo's phrase book (filler sentences, headlines, domestic stories, page chrome)."""
    data = yaml.safe_load(path.read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def _poisson(rng: random.Random, mean: float) -> int:
    """Draw from Poisson(mean) by Knuth's method (means here are small)."""
    limit, count, product = pow(2.718281828459045, -mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def slugify(title: str) -> str:
    """Return a Latin URL slug of a headline (Cyrillic and Azerbaijani letters transliterated)."""
    letters = "".join(_TRANSLIT.get(c, c) for c in title.lower())
    return re.sub(r"[^a-z0-9]+", "-", letters).strip("-")[:60] or "news"


class HistoryPlanner:
    """Composes the articles of every outlet, day by day, from one seeded random source."""

    def __init__(self, sources: list[Source], phrases: dict[str, Any], pool: PassagePool,
                 rng: random.Random) -> None:
        self.sources = sources
        self.phrases = phrases
        self.pool = pool
        self.rng = rng
        self.numbers = {s.id: 1_000_000 + 37_000 * i for i, s in enumerate(sources)}
        self._seen: set[tuple[str, ...]] = set()

    def plan_day(self, day: date, escalation_step: int | None) -> list[DemoArticle]:
        """Return one day's articles of every outlet; `escalation_step` 0.. on escalation days."""
        articles = []
        for source in self.sources:
            rate = DEMO_OUTLETS[source.id] * (0.6 if day.weekday() >= 5 else 1.0)
            kinds = [self._ordinary_kind(source) for _ in range(_poisson(self.rng, rate))]
            if source.country == "RU" and escalation_step is not None:
                extra = ESCALATION_ARTICLES[escalation_step]
                kinds += ["hostile"] * (max(1, extra // 2) if source.languages[0] == "en" else extra)
            articles += [self._article(source, day, kind) for kind in kinds]
        return articles

    def _ordinary_kind(self, source: Source) -> str:
        roll = self.rng.random()
        if roll < DOMESTIC_SHARE:
            return "domestic"
        hostile_share = BACKGROUND_HOSTILE.get(source.id, BACKGROUND_HOSTILE_DEFAULT)
        if source.country == "RU" and roll > 1.0 - hostile_share:
            return "hostile"
        return "bilateral"

    def _filler(self, language: str, count: int) -> list[str]:
        return self.rng.sample(self.phrases[language]["filler"], count)

    def _passage_paragraphs(self, passage: CorpusPassage) -> list[str]:
        return [passage.text] + ([passage.context] if passage.context else [])

    def _content(self, source: Source, kind: str) -> tuple[str, list[str]]:
        """Return (title, paragraphs) of an article of this kind in the outlet's language."""
        language = source.languages[0]
        book = self.phrases[language]
        if kind == "domestic":
            story = self.rng.choice(book["domestic"])
            return story["title"], list(story["sentences"]) + self._filler(language, 2)
        if kind == "hostile":
            first = self.pool.draw(language, "azerbaijan", True)
            paragraphs = self._passage_paragraphs(first) + self._filler(language, 1)
            if self.rng.random() < 0.5:
                paragraphs += self._passage_paragraphs(self.pool.draw(language, "azerbaijan", True))
            return (self.rng.choice(book["titles"]["azerbaijan"]["hostile"]),
                    paragraphs + self._filler(language, 1))
        home_target = "azerbaijan" if source.country == "RU" else "russia"
        target = home_target if self.rng.random() < 0.6 else ("russia" if home_target == "azerbaijan"
                                                               else "azerbaijan")
        passage = self.pool.draw(language, target, False)
        return (self.rng.choice(book["titles"][target]["bilateral"]),
                self._passage_paragraphs(passage) + self._filler(language, self.rng.randint(3, 4)))

    def _article(self, source: Source, day: date, kind: str) -> DemoArticle:
        for _ in range(20):  # an exact copy of an earlier article would be dropped by the crawl
            title, paragraphs = self._content(source, kind)
            if (source.id, *paragraphs) not in self._seen:
                break
        self._seen.add((source.id, *paragraphs))
        local = datetime.combine(day, time(self.rng.randint(7, 21), self.rng.randint(0, 59)),
                                 ZONES[source.country])
        self.numbers[source.id] += self.rng.randint(3, 40)
        path = PATHS[source.id].format(n=self.numbers[source.id], d=day.isoformat(),
                                       d8=day.strftime("%Y%m%d"), slug=slugify(title))
        return DemoArticle(source.id, f"/{source.id}{path}", source.languages[0], title,
                           tuple(paragraphs), local, kind)


def plan_history(sources: list[Source], end: date, weeks: int, seed: int = 7,
                 corpus_dir: Path = CORPUS_DIR, phrases_file: Path = PHRASES_FILE) -> list[DemoArticle]:
    """Return the articles of `weeks` weeks of days before `end` (exclusive), oldest first.

    The last ESCALATION_DAYS days carry the escalation. The same arguments give the same
    articles, so a second demo run on the same day upserts instead of adding.
    """
    rng = random.Random(f"mediawatch-demo/{seed}")
    planner = HistoryPlanner(sources, load_phrases(phrases_file),
                             PassagePool(load_passages(corpus_dir), rng), rng)
    total_days = weeks * 7
    articles: list[DemoArticle] = []
    for index in range(total_days):
        day = end - timedelta(days=total_days - index)
        days_left = total_days - index
        step = ESCALATION_DAYS - days_left if days_left <= ESCALATION_DAYS else None
        articles += planner.plan_day(day, step)
    logger.info("planned %d demo articles over %d days", len(articles), total_days)
    return articles


# -- rendering -------------------------------------------------------------------------------

def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _canonical(source: Source, article: DemoArticle) -> str:
    """The article's address on the outlet's real domain: stable across runs and ports."""
    return f"https://{source.allowed_domains[0]}{article.path[len(source.id) + 1:]}"


def _json_ld(source: Source, article: DemoArticle) -> str:
    data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": article.title,
            "datePublished": article.published_at.isoformat(), "inLanguage": article.language,
            "mainEntityOfPage": _canonical(source, article),
            "publisher": {"@type": "Organization", "name": source.name}}
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


def _header(source: Source, chrome: dict[str, Any]) -> str:
    home = f"{BASE}/{source.id}/"
    items = "".join(f'<li class="menu__item"><a href="{home}rubric/{i}">{_esc(t)}</a></li>'
                    for i, t in enumerate(chrome["nav"]))
    return (f'<div class="cookie-banner" id="cookie-consent"><p>{_esc(chrome["cookie"])}</p>'
            f'<button type="button">OK</button></div>\n'
            f'<header class="site-header"><a class="logo" href="{home}">{_esc(source.name)}</a>\n'
            f'<nav class="menu"><ul>{items}</ul></nav></header>\n')


def _footer(source: Source, chrome: dict[str, Any], year: int) -> str:
    related = "".join(f'<li><a href="{BASE}/{source.id}/related/{i}">{_esc(t)}</a></li>'
                      for i, t in enumerate(chrome["related"]))
    return (f'<aside class="related"><h3>{_esc(chrome["related_title"])}</h3><ul>{related}</ul></aside>\n'
            f'<div class="subscribe-box"><p>{_esc(chrome["subscribe"])}</p>'
            f'<input type="email" name="email"></div>\n'
            f'<footer class="site-footer"><p>© {year} {_esc(source.name)}. {_esc(chrome["footer"])}</p></footer>\n')


def render_page(source: Source, article: DemoArticle, chrome: dict[str, Any]) -> str:
    """Return the article page: the outlet's chrome around headline, date and paragraphs."""
    published = article.published_at.isoformat()
    shown = article.published_at.strftime("%d.%m.%Y %H:%M")
    paragraphs = "\n".join(f"<p>{_esc(p)}</p>" for p in article.paragraphs)
    return (f'<!DOCTYPE html>\n<html lang="{article.language}"><head><meta charset="utf-8">\n'
            f'<title>{_esc(article.title)} — {_esc(source.name)}</title>\n'
            f'<link rel="canonical" href="{_esc(_canonical(source, article))}">\n'
            f'<meta property="og:title" content="{_esc(article.title)}">\n'
            f'<meta property="article:published_time" content="{published}">\n'
            f'<script type="application/ld+json">{_json_ld(source, article)}</script>\n'
            f'</head><body>\n{_header(source, chrome)}<main class="page">\n'
            f'<article class="article"><h1 class="article__title">{_esc(article.title)}</h1>\n'
            f'<div class="article__meta"><time datetime="{published}">{shown}</time></div>\n'
            f'<div class="article__text">\n{paragraphs}\n</div>\n'
            f'<div class="share-buttons"><span>{_esc(chrome["share"])}</span>'
            f'<a href="https://t.me/share">Telegram</a> <a href="https://vk.com/share.php">VK</a></div>\n'
            f'</article>\n{_footer(source, chrome, article.published_at.year)}</main></body></html>\n')


def render_feed(source: Source, articles: list[DemoArticle]) -> str:
    """Return the outlet's RSS 2.0 feed listing `articles`, newest first, with pubDate."""
    items = []
    for article in sorted(articles, key=lambda a: a.published_at, reverse=True):
        link = f"{BASE}{article.path}"
        items.append(f"<item><title>{_esc(article.title)}</title><link>{_esc(link)}</link>"
                     f"<guid isPermaLink=\"true\">{_esc(link)}</guid>"
                     f"<pubDate>{rfc822(article.published_at)}</pubDate>"
                     f"<description>{_esc(article.paragraphs[0])}</description></item>")
    return ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            f"<title>{_esc(source.name)}</title><link>{BASE}/{source.id}/</link>"
            f"<language>{source.languages[0]}</language>\n" + "\n".join(items) + "\n</channel></rss>\n")


def write_site(folder: Path, sources: list[Source], articles: list[DemoArticle],
               phrases_file: Path = PHRASES_FILE) -> int:
    """Write every page and each outlet's feed.xml under `folder`; return the number of files."""
    phrases = load_phrases(phrases_file)
    by_outlet: dict[str, list[DemoArticle]] = defaultdict(list)
    for article in articles:
        by_outlet[article.outlet_id].append(article)
    written = 0
    for source in sources:
        chrome = phrases[source.languages[0]]["chrome"]
        for article in by_outlet[source.id]:
            file = folder / (article.path.strip("/") + ("/index.html" if article.path.endswith("/") else ""))
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(render_page(source, article, chrome), "utf-8")
            written += 1
        feed = folder / source.id / "feed.xml"
        feed.parent.mkdir(parents=True, exist_ok=True)
        feed.write_text(render_feed(source, by_outlet[source.id]), "utf-8")
        written += 1
    return written


def write_sources_file(path: Path, sources: list[Source], base_url: str) -> Path:
    """Write a sources file of the demo outlets, real identities, feeds on the replay server."""
    entries = []
    for source in sources:
        entry = source.model_dump(mode="json", exclude={"interval"})
        entry.update(interval=f"{int(source.interval.total_seconds() // 60)}m",
                     homepage=f"{base_url}/{source.id}/", feeds=[f"{base_url}/{source.id}/feed.xml"],
                     sitemaps=[], allowed_domains=["127.0.0.1", *source.allowed_domains])
        entries.append(entry)
    path.write_text("# Written by `mediawatch demo`: the demo outlets with feeds on its replay server.\n"
                    + yaml.safe_dump({"sources": entries}, allow_unicode=True, sort_keys=False), "utf-8")
    return path
