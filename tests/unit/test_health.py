"""Crawl health: run history in the store, gap buckets, silent sources."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from indexer.sqlite import SqliteStore
from mediawatch import health
from mediawatch.health import CrawlRun, bucket_floor, gap_buckets, load_runs, record_crawl_run, silent_sources

T0 = datetime(2026, 3, 2, tzinfo=timezone.utc)  # a Monday
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def run(at: datetime, status: str = "ok", discovered: int = 5, minutes: int = 3) -> CrawlRun:
    return CrawlRun(at, at + timedelta(minutes=minutes), status, discovered, discovered)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore.from_url(f"sqlite:///{tmp_path / 'health.db'}")
    yield opened
    opened.close()


def test_runs_round_trip_through_the_store_oldest_first(store: SqliteStore) -> None:
    record_crawl_run(store, "tass", run(T0 + HOUR))
    record_crawl_run(store, "tass", run(T0, "failed", 0))
    record_crawl_run(store, "apa", run(T0))
    runs = load_runs(store)
    assert set(runs) == {"tass", "apa"}
    assert [r.started for r in runs["tass"]] == [T0, T0 + HOUR]
    assert runs["tass"][0].status == "failed"
    assert store.get_state("crawl/tass/last")["started"] == "2026-03-02T00:00:00Z"  # type: ignore[index]


def test_run_history_is_bounded(store: SqliteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "MAX_RUNS_KEPT", 3)
    for i in range(5):
        record_crawl_run(store, "tass", run(T0 + i * HOUR))
    assert [r.started for r in load_runs(store)["tass"]] == [T0 + i * HOUR for i in (2, 3, 4)]


def test_other_crawl_state_is_not_taken_for_runs(store: SqliteStore) -> None:
    store.put_state("crawl/tass/cursor", {"etag": "x"})
    record_crawl_run(store, "tass", run(T0))
    assert list(load_runs(store)) == ["tass"]


@pytest.mark.parametrize(("moment", "interval", "expected"), [
    (datetime(2026, 3, 4, 13, 45, 12, tzinfo=timezone.utc), "hour", datetime(2026, 3, 4, 13, tzinfo=timezone.utc)),
    (datetime(2026, 3, 4, 13, 45, tzinfo=timezone.utc), "day", datetime(2026, 3, 4, tzinfo=timezone.utc)),
    (datetime(2026, 3, 8, 23, 59, tzinfo=timezone.utc), "week", datetime(2026, 3, 2, tzinfo=timezone.utc)),
])
def test_bucket_floor(moment: datetime, interval: str, expected: datetime) -> None:
    assert bucket_floor(moment, interval) == expected


def test_failed_and_empty_runs_make_gaps_missing_runs_too() -> None:
    runs = [run(T0 + 6 * HOUR), run(T0 + DAY + 6 * HOUR, "failed", 0),
            run(T0 + 2 * DAY + 6 * HOUR, discovered=0), run(T0 + 4 * DAY + 6 * HOUR)]
    gaps = gap_buckets(runs, "day", T0 - 3 * DAY, T0 + 10 * DAY)
    assert gaps == {T0 + DAY, T0 + 2 * DAY, T0 + 3 * DAY}


def test_buckets_before_the_first_run_are_unknown_not_gaps() -> None:
    gaps = gap_buckets([run(T0 + 5 * DAY)], "day", T0, T0 + 6 * DAY)
    assert gaps == set()


def test_no_history_means_no_gaps() -> None:
    assert gap_buckets([], "day", T0, T0 + DAY) == set()


def test_a_slow_source_covers_hourly_buckets_within_its_interval() -> None:
    runs = [run(T0 + i * 2 * HOUR) for i in range(6)]  # every two hours
    assert len(gap_buckets(runs, "hour", T0, T0 + 11 * HOUR)) == 5  # odd hours look empty
    assert gap_buckets(runs, "hour", T0, T0 + 11 * HOUR, grace=2 * HOUR) == set()


def test_grace_does_not_cover_a_real_outage() -> None:
    runs = [run(T0), run(T0 + 2 * HOUR), run(T0 + 8 * HOUR)]
    gaps = gap_buckets(runs, "hour", T0, T0 + 9 * HOUR, grace=2 * HOUR)
    assert gaps == {T0 + 3 * HOUR, T0 + 4 * HOUR, T0 + 5 * HOUR}


def test_silent_sources_after_several_intervals() -> None:
    now = T0 + DAY
    runs = {
        "fresh": [run(now - HOUR)],
        "stale": [run(now - 5 * HOUR)],
        "failing": [run(now - 10 * HOUR), run(now - 2 * HOUR, "failed", 0), run(now - HOUR, "failed", 0)],
        "never": [run(now - 6 * HOUR, "failed", 0)],
        "slow": [run(now - 5 * HOUR)],
    }
    intervals = {"fresh": HOUR, "stale": HOUR, "failing": HOUR, "never": HOUR, "slow": 6 * HOUR}
    silent = silent_sources(runs, intervals, 4, now)
    assert silent == {"stale": now - 5 * HOUR + timedelta(minutes=3),
                      "failing": now - 10 * HOUR + timedelta(minutes=3), "never": None}
