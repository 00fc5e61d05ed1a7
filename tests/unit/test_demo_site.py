"""Tests of the demo's outlet sites: seeded history, the escalation's shape, pages the crawler reads."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from crawlers.discovery import parse_feed
from crawlers.extraction import Page, extract_article
from crawlers.registry import Source, load_sources
from mediawatch.demo_site import (BASE, DEMO_OUTLETS, ESCALATION_DAYS, DemoArticle, load_phrases,
                                  plan_history, write_site, write_sources_file)
from nlp.mentions import passages

END = date(2026, 3, 2)
SERVER = "http://127.0.0.1:8123"


@pytest.fixture(scope="module")
def sources() -> list[Source]:
    return load_sources().select(list(DEMO_OUTLETS))


@pytest.fixture(scope="module")
def history(sources: list[Source]) -> list[DemoArticle]:
    return plan_history(sources, END, weeks=3)


def test_same_arguments_give_the_same_history(sources: list[Source], history: list[DemoArticle]) -> None:
    assert plan_history(sources, END, weeks=3) == history
    assert plan_history(sources, END, weeks=3, seed=8) != history


def test_history_covers_the_weeks_before_the_end_day(history: list[DemoArticle]) -> None:
    days = {a.published_at.date() for a in history}
    assert min(days) >= END - timedelta(weeks=3) and max(days) == END - timedelta(days=1)
    assert 100 <= len(history) <= 400


def test_hostile_articles_rise_in_russian_outlets_over_the_last_days(
        sources: list[Source], history: list[DemoArticle]) -> None:
    country = {s.id: s.country for s in sources}
    hostile = Counter(a.published_at.date() for a in history
                      if a.kind == "hostile" and country[a.outlet_id] == "RU")
    last = [hostile[END - timedelta(days=n)] for n in range(ESCALATION_DAYS, 0, -1)]
    earlier = [n for day, n in hostile.items() if day < END - timedelta(days=ESCALATION_DAYS)]
    assert last == sorted(last) and last[0] > max(earlier, default=0)
    assert not [a for a in history if a.kind == "hostile" and country[a.outlet_id] == "AZ"]


def test_no_outlet_publishes_the_same_body_twice(history: list[DemoArticle]) -> None:
    bodies = Counter((a.outlet_id, a.paragraphs) for a in history)
    assert max(bodies.values()) == 1


@pytest.mark.parametrize("language", ["ru", "az", "en"])
def test_phrases_outside_headlines_name_no_target(language: str) -> None:
    book = load_phrases()[language]
    texts = book["filler"] + [t for story in book["domestic"] for t in [story["title"], *story["sentences"]]]
    assert [t for t in texts if passages(t, language)] == []


@pytest.mark.parametrize("outlet", ["tass", "tass-en", "apa"])
def test_every_page_extracts_with_its_date_and_body(outlet: str, sources: list[Source],
                                                    history: list[DemoArticle], tmp_path: Path) -> None:
    write_site(tmp_path, sources, history)
    registry = load_sources(write_sources_file(tmp_path / "sources.yaml", sources, SERVER))
    source = registry.get(outlet)
    for planned in (a for a in history if a.outlet_id == outlet):
        file = tmp_path / (planned.path.strip("/") + ("/index.html" if planned.path.endswith("/") else ""))
        body = file.read_bytes().replace(BASE.encode(), SERVER.encode())
        article = extract_article(Page(url=SERVER + planned.path, body=body), source)
        assert article.published_at == planned.published_at, planned.path
        assert article.title == planned.title
        assert article.body.split("\n")[0] == planned.paragraphs[0], planned.path
        assert article.language == planned.language
        assert article.canonical_url.startswith(f"https://{source.allowed_domains[1]}/")


def test_feeds_list_every_article_with_its_date(sources: list[Source], history: list[DemoArticle],
                                                tmp_path: Path) -> None:
    write_site(tmp_path, sources, history)
    for source in sources:
        feed = (tmp_path / source.id / "feed.xml").read_bytes().replace(BASE.encode(), SERVER.encode())
        links = {link.url: link.published_at for link in parse_feed(feed)}
        assert links == {SERVER + a.path: a.published_at for a in history if a.outlet_id == source.id}


def test_sources_file_keeps_identities_and_points_feeds_at_the_server(sources: list[Source],
                                                                      tmp_path: Path) -> None:
    written = load_sources(write_sources_file(tmp_path / "sources.yaml", sources, SERVER)).sources
    for original, demo in zip(sources, written):
        assert (demo.id, demo.name, demo.country, demo.affiliation, demo.interval) == \
            (original.id, original.name, original.country, original.affiliation, original.interval)
        assert demo.feeds == [f"{SERVER}/{original.id}/feed.xml"]
        assert demo.owns_url(f"{SERVER}/x") and demo.owns_url(f"https://{original.allowed_domains[0]}/x")
