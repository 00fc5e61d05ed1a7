"""End to end: `mediawatch crawl --all` over the replay server, twice (full, then incremental).

Every registry outlet's fixture page must land in the store exactly once and match its golden
(tests/fixtures/sites/expected.json, regenerate with `python -m tests.fixtures.sites.build`);
every hostile case of the `bad` source must be counted under its reason, and the crawl must
still exit 0.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from indexer.sqlite import SqliteStore
from mediawatch.documents import parse_datetime
from tests.fixtures_http import ReplayServer, write_replay_sources

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EXPECTED = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "sites" / "expected.json")
                      .read_text("utf-8"))
USER_AGENT = "mediawatch-test/1.0 (+replay)"


def _crawl(sources: Path, db: Path, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MEDIAWATCH_DATA_DIR=str(data_dir),
               MEDIAWATCH_CRAWL_DOWNLOAD_DELAY_S="0.001",
               MEDIAWATCH_CRAWL_AUTOTHROTTLE_START_DELAY_S="0.01",
               MEDIAWATCH_CRAWL_CONCURRENT_REQUESTS_PER_DOMAIN="8",
               MEDIAWATCH_CRAWL_TIMEOUT_S="1.5", MEDIAWATCH_CRAWL_RETRY_TIMES="1",
               MEDIAWATCH_CRAWL_RETRY_BACKOFF_S="0.05",
               MEDIAWATCH_CRAWL_MAX_RESPONSE_BYTES=str(1024 * 1024),
               MEDIAWATCH_CRAWL_USER_AGENT=USER_AGENT)
    return subprocess.run(
        [sys.executable, "-c", "from mediawatch.cli import run; run()", "crawl", "--all",
         "--sources-file", str(sources), "--store", f"sqlite:///{db}", "--since", "5000d",
         "--no-classify"], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def crawled(replay_server: ReplayServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("crawl")
    sources = write_replay_sources(replay_server, root / "sources.yaml", with_shared=True)
    first = _crawl(sources, root / "x.db", root)
    store = SqliteStore(root / "x.db")
    after_first = {a.article.canonical_url: a.article for a in store.iter_articles()}
    states_first = store.list_state("crawl/")
    store.close()
    hits_before = dict(replay_server.hits)
    second = _crawl(sources, root / "x.db", root)
    store = SqliteStore(root / "x.db")
    states_second = store.list_state("crawl/")
    count_after_second = store.count()
    store.close()
    refetched = {p: n - hits_before.get(p, 0) for p, n in replay_server.hits.items()
                 if n > hits_before.get(p, 0)}
    return {"first": first, "second": second, "articles": after_first, "states": states_first,
            "states_second": states_second, "count_second": count_after_second,
            "refetched": refetched, "server": replay_server}


def test_crawl_exits_zero_and_prints_a_summary(crawled: dict[str, Any]) -> None:
    for run in ("first", "second"):
        result = crawled[run]
        assert result.returncode == 0, result.stderr[-3000:]
        assert "discovered" in result.stdout and "stored" in result.stdout


@pytest.mark.parametrize("outlet", sorted(EXPECTED))
def test_outlet_article_stored_as_golden(outlet: str, crawled: dict[str, Any]) -> None:
    expected = EXPECTED[outlet]
    url = crawled["server"].url(expected["path"])
    article = crawled["articles"].get(url)
    assert article is not None, f"{outlet}: {url} not stored"
    assert article.outlet_id == outlet
    assert article.title == expected["title"]
    assert article.published_at == parse_datetime(expected["published_at"])
    assert article.body.startswith(expected["first_sentence"])
    assert article.body.endswith(expected["last_sentence"])
    assert not [b for b in expected["absent"] if b in article.body]
    assert article.language == expected["language"]


def test_good_articles_of_the_hostile_source_stored_exactly_once(crawled: dict[str, Any]) -> None:
    bad = sorted(u.rsplit("/", 1)[1] for u, a in crawled["articles"].items() if a.outlet_id == "bad")
    assert bad == ["cp1251", "from-sitemap", "good", "koi8", "same-guid-1", "same-guid-2"]
    titles = {a.title for a in crawled["articles"].values() if a.outlet_id == "bad"}
    assert "Депутаты обсудили бюджет на следующий год" in titles  # windows-1251
    assert "В Казани открылся новый мост через Волгу" in titles  # KOI8-R, undeclared


def test_every_hostile_case_is_counted(crawled: dict[str, Any]) -> None:
    counts = crawled["states"]["crawl/bad/last"]["counts"]
    expected_failures = {"http_404", "http_500", "timeout", "redirect_loop", "content_type",
                         "too_large", "no_body", "offsite", "offsite_redirect", "private_redirect",
                         "connection_lost", "robots", "feed_malformed", "feed_entities", "feed_empty"}
    assert expected_failures <= set(counts["failed"]), counts
    assert counts["failed"]["too_large"] == 2, counts  # Content-Length over the limit, gzip bomb
    assert counts["skipped"].get("duplicate") == 1  # good-copy?fbclid=..., canonical = good


def test_runs_are_recorded_per_source(crawled: dict[str, Any]) -> None:
    states = crawled["states"]
    for outlet in EXPECTED:
        run = states[f"crawl/{outlet}/last"]
        assert run["status"] == "ok" and run["counts"]["stored"] == 1, (outlet, run)


def test_second_run_fetches_nothing_again(crawled: dict[str, Any]) -> None:
    article_paths = {EXPECTED[o]["path"] for o in EXPECTED}
    assert not article_paths & set(crawled["refetched"]), crawled["refetched"]
    assert crawled["count_second"] == len(crawled["articles"])
    assert crawled["server"].not_modified["/tass/feed.xml"] >= 1  # conditional GET answered 304
    assert crawled["states_second"]["crawl/tass/last"]["counts"]["fetched"] == 0


def test_configured_user_agent_is_sent(crawled: dict[str, Any]) -> None:
    assert USER_AGENT in crawled["server"].user_agents


def test_real_saved_page_through_the_server(crawled: dict[str, Any], shared_dir: Path) -> None:
    shared = [a for a in crawled["articles"].values() if a.outlet_id == "shared-tass"]
    assert [a.title for a in shared] == ["Движение по ЦКАД-5 открывается от Можайского до Новорижского шоссе"]
    assert shared[0].published_at == parse_datetime("2020-06-28T21:16:15Z")
