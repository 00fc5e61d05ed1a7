"""Golden extraction per registry outlet (fixture pages) and on the real saved pages in ../shared.

Expectations live in tests/fixtures/sites/expected.json; after changing a fixture article or
template regenerate them with:  python -m tests.fixtures.sites.build
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from crawlers.extraction import Page, extract_article
from crawlers.registry import load_sources
from mediawatch.documents import parse_datetime
from tests.fixtures.sites.build import file_for

SITES = Path(__file__).resolve().parents[1] / "fixtures" / "sites"
EXPECTED = json.loads((SITES / "expected.json").read_text("utf-8"))
BASE = "http://127.0.0.1:8000"
REGEN = "regenerate with: python -m tests.fixtures.sites.build"


def test_every_registry_outlet_has_a_golden_page() -> None:
    missing = {s.id for s in load_sources().sources} - set(EXPECTED)
    assert not missing, f"no fixture page for {sorted(missing)}: add it to articles.py, {REGEN}"


@pytest.fixture(scope="module")
def articles() -> dict[str, object]:
    registry = load_sources()
    found = {}
    for outlet, expected in EXPECTED.items():
        page_file = file_for(outlet, expected["path"][len(outlet) + 1:])
        body = page_file.read_bytes().replace(b"{{BASE}}", BASE.encode())
        # The crawl hands the feed date along; azertag pages carry no machine-readable date.
        feed_date = parse_datetime(expected["published_at"]) if expected["feed_date_only"] else None
        found[outlet] = extract_article(Page(url=BASE + expected["path"], body=body,
                                             feed_published_at=feed_date), registry.get(outlet))
    return found


@pytest.mark.parametrize("outlet", sorted(EXPECTED))
def test_outlet_page_extracts_like_its_golden(outlet: str, articles: dict[str, object]) -> None:
    expected, article = EXPECTED[outlet], articles[outlet]
    where = f"{outlet} ({expected['path']}); {REGEN}"
    assert article.title == expected["title"], where
    assert article.published_at == parse_datetime(expected["published_at"]), where
    assert article.body.startswith(expected["first_sentence"]), f"first sentence lost: {where}"
    assert article.body.endswith(expected["last_sentence"]), f"last sentence lost: {where}"
    for boilerplate in expected["absent"]:
        assert boilerplate not in article.body, f"boilerplate {boilerplate!r} kept: {where}"
    assert article.language == expected["language"], where
    assert article.canonical_url == BASE + expected["path"], where
    if expected["authors"]:
        assert article.authors == expected["authors"], where


def test_kommersant_override_is_needed() -> None:
    """The generic parser keeps Kommersant's authors line in the body; the override does not."""
    from crawlers.extraction.overrides import GenericParser, KommersantParser

    expected = EXPECTED["kommersant"]
    body = file_for("kommersant", expected["path"][len("kommersant") + 1:]).read_bytes()
    page = Page(url=BASE + expected["path"], body=body)
    source = load_sources().get("kommersant")
    generic = extract_article(page, source.model_copy(update={"extract": source.extract.model_copy(
        update={"parser": None})}))
    assert generic.authors != expected["authors"]
    assert extract_article(page, source).authors == expected["authors"]
    assert GenericParser is not KommersantParser


def _shared_pages(shared: Path) -> list[tuple[Path, dict[str, str]]]:
    rows = []
    for index in sorted((shared / "pages").glob("*/index.tsv")):
        with index.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if row["kind"] == "article" and "expected date" in row["notes"]:
                    rows.append((index.parent / row["file"], row))
    return rows


# Saved pages where generic extraction is known to fail; each needs an override (and an outlet
# entry) before it can pass. news.az: the header shows the crawl day, the date is a link title.
KNOWN_GENERIC_FAILURES = {"htmldate_1791336003_news.az_counteroffensive.html"}


def test_real_saved_pages_give_the_expected_date_and_a_body(shared_dir: Path) -> None:
    failures = []
    for path, row in _shared_pages(shared_dir):
        if path.name in KNOWN_GENERIC_FAILURES:
            continue
        expected_day = row["notes"].split("expected date ")[1][:10]
        article = extract_article(Page(url=row["url"], body=path.read_bytes()))
        if len(article.body) < 300 or not article.title:
            failures.append(f"{path.name}: body {len(article.body)} chars, title {article.title!r}")
        published = article.published_at
        # htmldate's expectations are calendar days in the outlet's zone or UTC
        days = {published.strftime("%Y-%m-%d")} if published else set()
        if published:
            days.add((published.replace(tzinfo=None)).strftime("%Y-%m-%d"))
            from datetime import timedelta
            days.add((published + timedelta(hours=3)).strftime("%Y-%m-%d"))
        if expected_day not in days:
            failures.append(f"{path.name}: date {published} != {expected_day}")
        if row["language"] in ("ru", "en") and article.language != row["language"]:
            failures.append(f"{path.name}: language {article.language} != {row['language']}")
    assert not failures, "\n".join(failures)


def test_real_tass_page(shared_dir: Path) -> None:
    path = shared_dir / "pages" / "tass.ru" / "htmldate_1647262025_tass_moskva_8836033.html"
    article = extract_article(Page(url="https://tass.ru/moskva/8836033?utm_source=yandex", body=path.read_bytes()),
                              load_sources().get("tass"))
    assert article.title == "Движение по ЦКАД-5 открывается от Можайского до Новорижского шоссе"
    assert article.published_at == parse_datetime("2020-06-28T21:16:15Z")
    assert article.body.startswith("МОСКВА, 29 июня. /ТАСС/. Движение от Можайского")
    assert article.body.endswith("Строительство начнется после 2022 года.")
    assert article.canonical_url == "https://tass.ru/moskva/8836033"
    assert article.language == "ru"


def test_real_feeds_parse(shared_dir: Path) -> None:
    from crawlers.discovery import parse_feed

    counts = {p.name: len(parse_feed(p.read_bytes())) for p in (shared_dir / "pages").glob("*/*.xml")}
    assert counts and all(n > 0 for n in counts.values()), counts
