"""Faults on real services: nothing lost, nothing repeated, a clear error when the disk refuses.

- a crawl against a stopped Elasticsearch finishes and spools; `outbox flush` delivers every
  article exactly once after the node starts (a spare local node, so the session one is safe);
- the node killed (SIGKILL) in the middle of a bulk ingest through the ResilientWriter and
  restarted: every article present exactly once after the flush;
- an unreachable SQLite store: the crawl spools, the next crawl delivers first;
- the scheduler killed with SIGKILL mid-crawl and restarted: no duplicate article or email;
- a full disk (RLIMIT_FSIZE) or a data dir that is a regular file: a one-line error, and
  the store and outbox stay intact.

An SMTP relay that refuses for a while is covered in tests/integration/test_alerts.py
(test_a_failing_relay_keeps_the_alert_pending_until_it_arrives_once, three kinds of refusal,
and test_a_restart_never_sends_twice).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from indexer.local_es import LocalElasticsearch, find_free_port
from indexer.sqlite import SqliteStore
from mediawatch.documents import Article, ClassifiedArticle
from mediawatch.outbox import Outbox, ResilientWriter
from mediawatch.settings import load_settings
from tests.alert_history import spike_history
from tests.fixtures_http import ReplayServer, write_replay_sources
from tests.fixtures_smtp import SmtpSink, wait_until

pytestmark = pytest.mark.integration

EXPECTED = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "sites" / "expected.json")
                      .read_text("utf-8"))
_CLI = "import sys; from mediawatch.cli import main; sys.exit(main(sys.argv[1:]))"
CRAWL_ENV = {"MEDIAWATCH_CRAWL_DOWNLOAD_DELAY_S": "0.001",
             "MEDIAWATCH_CRAWL_AUTOTHROTTLE_START_DELAY_S": "0.01",
             "MEDIAWATCH_CRAWL_CONCURRENT_REQUESTS_PER_DOMAIN": "8",
             "MEDIAWATCH_CRAWL_TIMEOUT_S": "1.5", "MEDIAWATCH_CRAWL_RETRY_TIMES": "1",
             "MEDIAWATCH_CRAWL_RETRY_BACKOFF_S": "0.05", "MEDIAWATCH_CRAWL_EXTRACT_WORKERS": "0",
             "MEDIAWATCH_CRAWL_SINCE": "5000d",
             "MEDIAWATCH_ELASTICSEARCH_BULK_MAX_RETRIES": "0"}


def cli(args: list[str], data_dir: Path, *, limit_bytes: int | None = None,
        timeout: float = 180, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `mediawatch ARGS` in a child interpreter; `limit_bytes` caps every file it writes."""

    def cap_file_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the cap fails with EFBIG
        assert limit_bytes is not None
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return subprocess.run([sys.executable, "-c", _CLI, *args],
                          env=dict(os.environ, MEDIAWATCH_DATA_DIR=str(data_dir), **CRAWL_ENV, **env),
                          capture_output=True, text=True, timeout=timeout,
                          preexec_fn=cap_file_size if limit_bytes else None)


def outlet_sources(server: ReplayServer, folder: Path, only: list[str] | None = None,
                   interval: str | None = None) -> Path:
    """A sources file with the registry outlets on the replay server (no hostile `bad` source)."""
    path = write_replay_sources(server, folder / "all-sources.yaml")
    sources = yaml.safe_load(path.read_text("utf-8"))["sources"]
    kept = [dict(s, **({"interval": interval} if interval else {})) for s in sources
            if s["id"] in EXPECTED and (only is None or s["id"] in only)]
    target = folder / "sources.yaml"
    target.write_text(yaml.safe_dump({"sources": kept}, allow_unicode=True), "utf-8")
    return target


def expected_urls(server: ReplayServer, only: list[str] | None = None) -> set[str]:
    return {server.url(v["path"]) for k, v in EXPECTED.items() if only is None or k in only}


def spooled_ids(data_dir: Path) -> list[str]:
    return [json.loads(line)["id"] for path in Outbox(data_dir).files()
            for line in path.read_text("utf-8").splitlines() if line.strip()]


def one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert lines and lines[-1].startswith("error:"), stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    return lines[-1]


# -- Elasticsearch down and back (a spare node, one start/stop/start cycle) ------------------------


@pytest.fixture(scope="module")
def spare_es(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalElasticsearch]:
    """A second local Elasticsearch, created stopped; tests start, kill and restart it."""
    node = LocalElasticsearch(tmp_path_factory.mktemp("spare-es"), port=find_free_port(), heap="512m")
    try:
        yield node
    finally:
        node.stop()


@pytest.mark.slow
def test_crawl_against_stopped_es_spools_and_flush_delivers_once(
        spare_es: LocalElasticsearch, replay_server: ReplayServer, tmp_path: Path) -> None:
    data = tmp_path / "data"
    sources = outlet_sources(replay_server, tmp_path)
    crawl = ["crawl", "--all", "--sources-file", str(sources), "--store", spare_es.url, "--no-classify"]

    down = cli(crawl, data)
    assert down.returncode == 0, down.stderr[-3000:]
    assert "spooled" in down.stdout and "outbox" in down.stderr
    ids = spooled_ids(data)
    assert len(ids) == len(set(ids)) == len(EXPECTED)

    spare_es.start()
    flushed = cli(["outbox", "flush", "--store", spare_es.url], data)
    assert flushed.returncode == 0, flushed.stderr[-3000:]
    assert f"delivered {len(EXPECTED)} article(s)" in flushed.stderr
    again = cli(["outbox", "flush", "--store", spare_es.url], data)
    assert again.returncode == 0 and "delivered 0 article(s)" in again.stderr

    from indexer.elasticsearch import ElasticsearchStore

    with closing(ElasticsearchStore.from_url(spare_es.url, load_settings(overrides={"data_dir": str(data)}))) as store:
        stored = list(store.iter_articles())
        assert sorted(d.id for d in stored) == sorted(ids)
        assert {d.article.canonical_url for d in stored} == expected_urls(replay_server)
        # The store is back: a new crawl stores directly and finds every article known.
        up = cli(crawl, data)
        assert up.returncode == 0, up.stderr[-3000:]
        assert "spooled" not in up.stdout
        assert store.count() == len(EXPECTED) and Outbox(data).files() == []


def make_doc(n: int) -> ClassifiedArticle:
    return ClassifiedArticle(Article(url=f"https://fault.example/news/{n}", canonical_url="",
                                     outlet_id="fault", title=f"Статья {n}", body=f"Текст статьи {n}. " * 20))


@pytest.mark.slow
def test_es_killed_mid_bulk_ingest_then_restarted_keeps_every_article_once(
        spare_es: LocalElasticsearch, tmp_path: Path) -> None:
    from indexer.elasticsearch import ElasticsearchStore

    if spare_es.pid is None:
        spare_es.start()
    settings = load_settings(overrides={"data_dir": str(tmp_path / "data"),
                                        "elasticsearch": {"bulk_max_retries": 0, "request_timeout_s": 5}})
    docs = [make_doc(n) for n in range(8000)]
    writer = ResilientWriter(lambda: ElasticsearchStore.from_url(spare_es.url, settings, index_prefix="bulkfault"),
                             Outbox(settings.data_dir))

    def ingest() -> None:
        for start in range(0, len(docs), 100):
            writer.write(docs[start:start + 100])
            time.sleep(0.02)

    worker = threading.Thread(target=ingest)
    worker.start()
    assert wait_until(lambda: writer.written >= 1500, timeout_s=60)
    assert spare_es.pid is not None
    os.kill(spare_es.pid, signal.SIGKILL)  # a crash, in the middle of the bulk stream
    spare_es.stop()
    worker.join(120)
    assert not worker.is_alive()
    writer.close()
    assert writer.failed == [], writer.failed[:3]
    assert 1500 <= writer.written < len(docs) and writer.spooled > 0
    assert writer.written + writer.spooled >= len(docs)  # a batch cut mid-way is stored and spooled

    spare_es.start()
    with closing(ElasticsearchStore.from_url(spare_es.url, settings, index_prefix="bulkfault")) as store:
        report = Outbox(settings.data_dir).flush(store)
        assert report.error == "" and report.failed == []
        assert report.delivered == writer.spooled
        store.refresh()
        assert store.count() == len(docs)
        assert sorted(d.id for d in store.iter_articles()) == sorted(d.id for d in docs)


# -- an unreachable SQLite store ---------------------------------------------------------------------


def test_crawl_spools_while_sqlite_is_unreachable_and_next_crawl_delivers_first(
        replay_server: ReplayServer, tmp_path: Path) -> None:
    data = tmp_path / "data"
    only = ["tass", "apa"]
    sources = outlet_sources(replay_server, tmp_path, only)
    db = tmp_path / "store.db"
    db.mkdir()  # a directory where the database should be: SQLite cannot open it
    crawl = ["crawl", "--all", "--sources-file", str(sources), "--store", f"sqlite:///{db}", "--no-classify"]

    down = cli(crawl, data)
    assert down.returncode == 0, down.stderr[-3000:]
    assert len(spooled_ids(data)) == 2 and "spooled" in down.stdout

    db.rmdir()
    up = cli(crawl, data)
    assert up.returncode == 0, up.stderr[-3000:]
    assert Outbox(data).files() == []
    with closing(SqliteStore(db)) as store:
        stored = list(store.iter_articles())
        assert {d.article.canonical_url for d in stored} == expected_urls(replay_server, only)
        assert len(stored) == 2
        assert all(store.get_state(f"crawl/{s}/last")["status"] == "ok" for s in only)  # type: ignore[index]


# -- the scheduler killed mid-crawl ------------------------------------------------------------------


def _schedule(sources: Path, data: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, MEDIAWATCH_DATA_DIR=str(data), MEDIAWATCH_ALERTS_CHECK_EVERY_MIN="0.02", **CRAWL_ENV)
    return subprocess.Popen([sys.executable, "-c", _CLI, "schedule", "--sources-file", str(sources)],
                            env=env, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _stop(process: subprocess.Popen[str], sig: int) -> str:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    _, err = process.communicate(timeout=60)
    return err


@pytest.mark.slow
def test_scheduler_killed_mid_crawl_and_restarted_repeats_nothing(
        replay_server: ReplayServer, smtp_env: SmtpSink, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    only = ["apa", "tass"]
    # A one-minute interval: the crawl that the kill cut short runs again soon after the restart.
    sources = outlet_sources(replay_server, tmp_path, only, interval="1m")
    with closing(SqliteStore(data / "mediawatch.db")) as store:
        store.upsert_many(spike_history(datetime.now(timezone.utc)))
        before = store.count()
    feeds = [f"/{s}/feed.xml" for s in only]
    hits = sum(replay_server.hits[f] for f in feeds)

    first = _schedule(sources, data)
    try:
        # Crawl subprocesses start slowly (imports, classifier loading): allow two minutes.
        assert wait_until(lambda: sum(replay_server.hits[f] for f in feeds) > hits, timeout_s=120)
        time.sleep(0.3)  # crawls under way
    finally:
        _stop(first, signal.SIGKILL)  # the whole process group: scheduler and crawls, like a power cut

    second = _schedule(sources, data)
    try:
        def crawled_all() -> bool:
            with closing(SqliteStore(data / "mediawatch.db")) as store:
                return all(store.get_state(f"crawl/{s}/last") for s in only)

        assert wait_until(crawled_all, timeout_s=180)
        assert wait_until(lambda: len(smtp_env.messages) >= 1, timeout_s=30)
        time.sleep(3)  # a few more alert checks: none may send again
    finally:
        err = _stop(second, signal.SIGTERM)
    assert second.returncode == 0, err[-3000:]
    assert len(smtp_env.messages) == 1
    with closing(SqliteStore(data / "mediawatch.db")) as store:
        stored = list(store.iter_articles())
    urls = [d.article.canonical_url for d in stored]
    assert len(urls) == len(set(urls)) == before + len(only)
    assert expected_urls(replay_server, only) <= set(urls)


# -- a full or unusable data dir -------------------------------------------------------------------


def rows(path: Path, count: int, start: int = 0) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for n in range(start, start + count):
            out.write(json.dumps({"url": f"https://disk.example/{n}", "outlet": "disk", "title": f"t{n}",
                                  "body": f"слово {n} " * 200, "published_at": "2026-11-20T10:00:00Z"},
                                 ensure_ascii=False) + "\n")
    return path


def export_of(db: Path, data: Path) -> str:
    result = cli(["export", "--store", f"sqlite:///{db}"], data)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_full_disk_stops_ingest_with_one_line_and_keeps_the_store_intact(tmp_path: Path) -> None:
    data, db = tmp_path / "data", tmp_path / "store.db"
    first = cli(["ingest", str(rows(tmp_path / "a.jsonl", 20)), "--store", f"sqlite:///{db}"], data)
    assert first.returncode == 0, first.stderr
    before = export_of(db, data)
    big = rows(tmp_path / "b.jsonl", 2000, start=1000)
    limit = db.stat().st_size + 64 * 1024  # room for a few pages, not for 2000 articles
    full = cli(["ingest", str(big), "--store", f"sqlite:///{db}"], data, limit_bytes=limit)
    assert full.returncode == 2, full.stderr[-3000:]
    assert "full" in one_line_error(full.stderr)
    with closing(sqlite3.connect(db)) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert export_of(db, data) == before  # the failed batch rolled back as a whole


def test_a_full_disk_while_spooling_leaves_no_partial_batch(tmp_path: Path) -> None:
    data = tmp_path / "data"
    Outbox(data).put([make_doc(1)])  # an earlier batch, waiting
    earlier = Outbox(data).files()[0].read_bytes()
    result = cli(["ingest", str(rows(tmp_path / "b.jsonl", 300)), "--spool",
                  "--store", f"http://127.0.0.1:{find_free_port()}"], data, limit_bytes=32 * 1024)
    assert result.returncode != 0
    outbox = Outbox(data)
    assert [p.read_bytes() for p in outbox.files()] == [earlier]  # no half-written batch beside it
    assert list(outbox.path.glob(".tmp-*")) == []


def test_a_full_disk_while_spooling_is_a_one_line_error(tmp_path: Path) -> None:
    result = cli(["ingest", str(rows(tmp_path / "b.jsonl", 300)), "--spool",
                  "--store", f"http://127.0.0.1:{find_free_port()}"], tmp_path / "data",
                 limit_bytes=32 * 1024)
    assert result.returncode == 2
    one_line_error(result.stderr)


@pytest.mark.parametrize("command", [["ingest"], ["ingest", "--spool", "--store", "http://127.0.0.1:9"]],
                         ids=["sqlite", "spool"])
def test_a_data_dir_that_is_a_file_is_a_one_line_error(tmp_path: Path, command: list[str]) -> None:
    not_a_dir = tmp_path / "data"
    not_a_dir.write_text("precious", "utf-8")
    result = cli([command[0], str(rows(tmp_path / "a.jsonl", 3)), *command[1:]], not_a_dir)
    assert result.returncode == 2
    assert str(not_a_dir) in one_line_error(result.stderr)
    assert not_a_dir.read_text("utf-8") == "precious"


def test_a_data_dir_that_is_a_file_is_never_overwritten(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "data"
    not_a_dir.write_text("precious", "utf-8")
    for extra in ([], ["--spool", "--store", "http://127.0.0.1:9"]):
        result = cli(["ingest", str(rows(tmp_path / "a.jsonl", 3)), *extra], not_a_dir)
        assert result.returncode != 0
    assert not_a_dir.read_text("utf-8") == "precious"

