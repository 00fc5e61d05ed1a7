"""Crawl health: per-source run history in the store, gap buckets, and silent sources.

A crawl records each run under state key ``crawl/<source>/runs``; alerting reads it so that a
bucket whose crawl failed or returned nothing is a gap, not calm, and so that a source silent
for several of its intervals raises a source-health alert.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from indexer.store import Store
from mediawatch.documents import format_datetime, parse_datetime

__all__ = ["CrawlRun", "record_crawl_run", "load_runs", "gap_buckets", "silent_sources", "bucket_floor",
           "INTERVAL_STEP"]

MAX_RUNS_KEPT = 2000  # per source; at a 30 min interval that is about six weeks
INTERVAL_STEP = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}
_FIRST_MONDAY = datetime(1970, 1, 5)


@dataclass(frozen=True)
class CrawlRun:
    """One crawl of one source: when, whether it completed, and how many items it saw."""

    started: datetime
    finished: datetime
    status: str  # "ok" | "failed"
    discovered: int = 0
    stored: int = 0

    @property
    def productive(self) -> bool:
        """True when the run completed and its feeds listed at least one item."""
        return self.status == "ok" and self.discovered > 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["started"], data["finished"] = format_datetime(self.started), format_datetime(self.finished)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CrawlRun:
        started, finished = parse_datetime(data["started"]), parse_datetime(data["finished"])
        assert started is not None and finished is not None
        return cls(started, finished, data["status"], int(data.get("discovered", 0)), int(data.get("stored", 0)))


def record_crawl_run(store: Store, source_id: str, run: CrawlRun, *, update_last: bool = True) -> None:
    """Append a run to the source's history (bounded) and, unless told not to, set its `last` record.

    `update_last=False` keeps a richer `last` document the crawl wrote itself (its summary).
    """
    key = f"crawl/{source_id}/runs"
    runs = (store.get_state(key) or {}).get("runs", [])
    runs.append(run.to_dict())
    store.put_state(key, {"runs": runs[-MAX_RUNS_KEPT:]})
    if update_last:
        store.put_state(f"crawl/{source_id}/last", run.to_dict())


def load_runs(store: Store) -> dict[str, list[CrawlRun]]:
    """Return every source's run history, oldest first."""
    found: dict[str, list[CrawlRun]] = {}
    for key, value in store.list_state("crawl/").items():
        parts = key.split("/")
        if len(parts) == 3 and parts[2] == "runs":
            found[parts[1]] = sorted((CrawlRun.from_dict(r) for r in value.get("runs", [])),
                                     key=lambda r: r.started)
    return found


def bucket_floor(moment: datetime, interval: str) -> datetime:
    """Return the start of the bucket containing `moment` (weeks start on Monday, UTC)."""
    if interval == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if interval == "day":
        return day
    return day - timedelta(days=day.weekday())


def gap_buckets(runs: Iterable[CrawlRun], interval: str, since: datetime, until: datetime,
                grace: timedelta = timedelta(0)) -> set[datetime]:
    """Return bucket starts in [since, until) with no productive run, within the run history.

    A productive run started in the bucket, or up to `grace` after its end, covers it: a
    source crawled every 2 h collects an hour's articles at the next crawl, so with hourly
    buckets its grace is its interval. Buckets before the first recorded run are unknown
    (not gaps); buckets after it with only failed or empty runs, or no run at all, are gaps.
    """
    history = list(runs)
    if not history:
        return set()
    step = INTERVAL_STEP[interval]
    productive = sorted(r.started for r in history if r.productive)
    first = bucket_floor(history[0].started, interval)
    last = bucket_floor(history[-1].finished, interval)
    gaps: set[datetime] = set()
    cursor = max(bucket_floor(since, interval), first)
    while cursor < until and cursor <= last:
        index = bisect.bisect_left(productive, cursor)
        if index == len(productive) or productive[index] >= cursor + step + grace:
            gaps.add(cursor)
        cursor += step
    return gaps


def silent_sources(runs_by_source: dict[str, list[CrawlRun]], intervals: dict[str, timedelta],
                   silent_intervals: int, now: datetime) -> dict[str, datetime | None]:
    """Return sources whose last productive run is older than `silent_intervals` intervals.

    Maps source id to the time of its last productive run (None when it never had one).
    """
    silent: dict[str, datetime | None] = {}
    for source, runs in runs_by_source.items():
        interval = intervals.get(source, timedelta(hours=1))
        last_good = max((r.finished for r in runs if r.productive), default=None)
        reference = last_good or (runs[0].started if runs else now)
        if now - reference >= silent_intervals * interval:
            silent[source] = last_good
    return silent
