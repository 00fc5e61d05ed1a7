"""Spike alerts: find spiking (target, outlet group) buckets, persist them, email each exactly once.

State lives in the store (`alerts/...` keys) so a restart neither loses a pending alert nor
sends one twice: an alert is written as `pending` before any email is attempted and marked
`sent` right after the relay accepts it; a failed send leaves it pending for the next check.
Per (target, bucket), the broadest spiking group (country, then affiliation, then outlet)
sends the email and the narrower ones are folded into it, so one event makes one email.
Checks that send hold `<data dir>/alerts.lock`, so a manual `alerts check` and the scheduler's
check never deliver the same pending alert at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from indexer.store import SearchFilters, Store, TrendQuery
from mediawatch.documents import TARGETS, ClassifiedArticle, format_datetime, parse_datetime
from mediawatch.errors import StopRun
from mediawatch.health import INTERVAL_STEP, bucket_floor, gap_buckets, load_runs, silent_sources
from mediawatch.settings import Settings
from mediawatch.spikes import SeriesPoint, SpikeRule, SpikeVerdict, evaluate_bucket

__all__ = ["Alert", "AlertChecker", "CheckReport", "GROUP_LEVELS"]

logger = logging.getLogger(__name__)

GROUP_LEVELS = ("country", "affiliation", "outlet")
LOCK_FILE = "alerts.lock"
LOCK_WAIT_S = 120.0  # a check takes seconds; longer means the other one is stuck on SMTP retries
_GROUP_FIELD = {"country": "country", "affiliation": "affiliation", "outlet": "outlet_id"}
STATE_PREFIX = "alerts/"


@dataclass
class Alert:
    """One alert: a spike of a (target, group) bucket, or a silent source."""

    kind: str  # "spike" | "source_health"
    target: str
    group_by: str
    group: str
    bucket_start: datetime
    interval: str
    hostile: int = 0
    mentions: int = 0
    baseline: float = 0.0
    z_score: float = 0.0
    share: float = 0.0
    baseline_share: float = 0.0
    severity: str = "medium"
    reason: str = ""
    folded: list[str] = field(default_factory=list)
    status: str = "pending"  # "pending" | "sent"
    created_at: datetime | None = None
    sent_at: datetime | None = None
    attempts: int = 0
    last_error: str = ""

    @property
    def key(self) -> str:
        """The state key: one alert per (kind, target, group, bucket)."""
        return (f"{STATE_PREFIX}{self.kind}/{self.target}/{self.group_by}/{self.group}/"
                f"{format_datetime(self.bucket_start)}")

    @property
    def cooldown_key(self) -> str:
        """The key a cooldown applies to: (kind, target, group)."""
        return f"{STATE_PREFIX}cooldown/{self.kind}/{self.target}/{self.group_by}/{self.group}"

    @property
    def bucket_end(self) -> datetime:
        """End of the alert's bucket (exclusive)."""
        return self.bucket_start + INTERVAL_STEP[self.interval]

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items()}
        for name in ("bucket_start", "created_at", "sent_at"):
            data[name] = format_datetime(data[name])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alert:
        values = dict(data)
        for name in ("bucket_start", "created_at", "sent_at"):
            values[name] = parse_datetime(values.get(name))
        return cls(**values)


@dataclass
class CheckReport:
    """What one `alerts check` did."""

    new: list[Alert] = field(default_factory=list)
    sent: list[Alert] = field(default_factory=list)
    pending: list[Alert] = field(default_factory=list)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class AlertChecker:
    """Detects spikes on stored history and delivers alert emails through `send`."""

    def __init__(self, store: Store, settings: Settings, *,
                 send: Callable[[Alert, Store], None] | None = None,
                 now: Callable[[], datetime] = _utcnow,
                 source_intervals: dict[str, timedelta] | None = None,
                 source_groups: dict[str, dict[str, str]] | None = None) -> None:
        self.store = store
        self.settings = settings
        self.config = settings.alerts
        self.interval = self.config.interval
        self.step = INTERVAL_STEP[self.interval]
        self.rule = SpikeRule(threshold=self.config.threshold, min_hostile=self.config.min_hostile,
                              baseline_weeks=self.config.baseline_weeks)
        self._send = send
        self._now = now
        self._intervals = source_intervals or {}
        # source id -> {"country": .., "affiliation": .., "outlet": id}, to map gaps onto groups
        self._groups = source_groups or {}

    # -- detection -----------------------------------------------------------------------------

    def _series(self, target: str, level: str, since: datetime, until: datetime) -> dict[str, list[SeriesPoint]]:
        query = TrendQuery(target, self.interval, by=level, since=since, until=until)  # type: ignore[arg-type]
        series: dict[str, list[SeriesPoint]] = {}
        for bucket in self.store.trends(query):
            series.setdefault(bucket.group or "", []).append(
                SeriesPoint(bucket.start, bucket.hostile, bucket.mentions))
        return series

    def _gaps(self, level: str, group: str, since: datetime, until: datetime,
              runs: dict[str, list[Any]]) -> set[datetime]:
        """Buckets where most of the group's sources with crawl history had no productive crawl."""
        members = [s for s, g in self._groups.items() if g.get(level) == group and s in runs]
        if not members:
            members = [s for s in runs if level == "outlet" and s == group]
        if not members:
            return set()
        # A crawl collects what was published since the previous one: a bucket is covered by
        # a productive run within one source interval after it (when that is shorter than a day).
        per_source = [gap_buckets(runs[s], self.interval, since, until, self._grace(s)) for s in members]
        counted: dict[datetime, int] = {}
        for gaps in per_source:
            for bucket in gaps:
                counted[bucket] = counted.get(bucket, 0) + 1
        return {b for b, n in counted.items() if n * 2 > len(members)}

    def _grace(self, source_id: str) -> timedelta:
        interval = self._intervals.get(source_id, timedelta(0))
        return interval if interval <= timedelta(days=1) else timedelta(days=1)

    def evaluate(self, since: datetime, until: datetime) -> list[Alert]:
        """Return every spike alert for buckets starting in [since, until), cooldown not applied."""
        history_start = bucket_floor(since, self.interval) - timedelta(weeks=self.config.baseline_weeks)
        runs = load_runs(self.store)
        data_since = self._data_since()
        found: list[Alert] = []
        for target in TARGETS:
            for level in GROUP_LEVELS:
                for group, points in self._series(target, level, history_start, until).items():
                    gaps = self._gaps(level, group, history_start, until, runs)
                    marked = [SeriesPoint(p.start, p.hostile, p.mentions, p.start in gaps) for p in points]
                    marked += [SeriesPoint(g, 0, 0, True) for g in gaps if g not in {p.start for p in points}]
                    for point in marked:
                        if point.start < since or point.hostile == 0:
                            continue
                        verdict = evaluate_bucket(point, marked, self.step, self.rule, data_since)
                        if verdict.is_spike:
                            found.append(self._alert(target, level, group, point.start, verdict))
        return _fold(found)

    def _data_since(self) -> datetime | None:
        """The first bucket with any data: earlier buckets are unknown, not calm."""
        weeks = [b.start for t in TARGETS for b in self.store.trends(TrendQuery(t, "week"))[:1]]
        if not weeks:
            return None
        week = min(weeks)  # then the first bucket inside that week, without listing all history
        starts = [b.start for t in TARGETS
                  for b in self.store.trends(TrendQuery(t, self.interval, since=week,  # type: ignore[arg-type]
                                                        until=week + timedelta(weeks=1)))[:1]]
        return min(starts) if starts else week

    def _alert(self, target: str, level: str, group: str, start: datetime, verdict: SpikeVerdict) -> Alert:
        return Alert(kind="spike", target=target, group_by=level, group=group, bucket_start=start,
                     interval=self.interval, hostile=verdict.hostile, mentions=verdict.mentions,
                     baseline=verdict.baseline, z_score=round(verdict.z_score, 3),
                     share=round(verdict.share, 4), baseline_share=round(verdict.baseline_share, 4),
                     severity=verdict.severity, reason=verdict.reason)

    def health_alerts(self, source_ids: Iterable[str] | None = None) -> list[Alert]:
        """Return a source-health alert for every source silent for `silent_intervals` intervals."""
        runs = load_runs(self.store)
        if source_ids is not None:
            wanted = set(source_ids)
            runs = {s: r for s, r in runs.items() if s in wanted}
        now = self._now()
        alerts = []
        for source, last_good in silent_sources(runs, self._intervals, self.config.silent_intervals, now).items():
            since = format_datetime(last_good) if last_good else "never"
            alerts.append(Alert(kind="source_health", target="-", group_by="outlet", group=source,
                                bucket_start=bucket_floor(now, "day"), interval="day", severity="medium",
                                reason=f"no productive crawl since {since}"))
        return alerts

    # -- persistence and delivery ---------------------------------------------------------------

    def _in_cooldown(self, alert: Alert) -> bool:
        state = self.store.get_state(alert.cooldown_key)
        if not state:
            return False
        last = parse_datetime(state.get("bucket_start"))
        return last is not None and last != alert.bucket_start and self._cooling(last, alert)

    def _cooling(self, last_start: datetime, alert: Alert) -> bool:
        """True while `alert` starts within the cooldown after the end of the last alerted bucket."""
        last_end = last_start + INTERVAL_STEP[alert.interval]
        return alert.bucket_start < last_end + timedelta(hours=self.config.cooldown_h)

    def _covered_by_earlier(self, alert: Alert) -> bool:
        """True when an alert already stored for the same (target, bucket) shares a group with this one.

        Folding within one check keeps one email per event; this keeps it across checks, when an
        outlet spikes first and its country only later (the country alert then folds the outlet).
        """
        if alert.kind != "spike":
            return False
        mine = {f"{alert.group_by}={alert.group}", *alert.folded}
        for value in self.store.list_state(f"{STATE_PREFIX}spike/{alert.target}/").values():
            other = Alert.from_dict(value)
            if other.bucket_start == alert.bucket_start and mine & {f"{other.group_by}={other.group}",
                                                                      *other.folded}:
                return True
        return False

    def check(self, *, dry_run: bool = False) -> CheckReport:
        """Detect spikes in the latest buckets, persist new alerts, and send every pending one.

        Holds the alerts lock unless `dry_run` (which writes and sends nothing).
        """
        if dry_run:
            return self._check(dry_run=True)
        with alerts_lock(self.settings.data_dir):
            return self._check(dry_run=False)

    def _check(self, *, dry_run: bool) -> CheckReport:
        now = self._now()
        current = bucket_floor(now, self.interval)
        candidates = self.evaluate(current - self.step, current + self.step) + self.health_alerts()
        report = CheckReport()
        for alert in candidates:
            if (self.store.get_state(alert.key) is not None or self._in_cooldown(alert)
                    or self._covered_by_earlier(alert)):
                continue
            alert.created_at = now
            report.new.append(alert)
            if not dry_run:
                self.store.put_state(alert.key, alert.to_dict())
                self.store.put_state(alert.cooldown_key, {"bucket_start": format_datetime(alert.bucket_start)})
        if dry_run:
            return report
        for alert in self.pending():
            self._deliver(alert, report)
        return report

    def pending(self) -> list[Alert]:
        """Return alerts persisted but not yet sent, oldest first."""
        alerts = [Alert.from_dict(v) for k, v in self.store.list_state(STATE_PREFIX).items()
                  if not k.startswith(f"{STATE_PREFIX}cooldown/") and v.get("status") == "pending"]
        return sorted(alerts, key=lambda a: (a.bucket_start, a.key))

    def _deliver(self, alert: Alert, report: CheckReport) -> None:
        if self._send is None:
            report.pending.append(alert)
            return
        alert.attempts += 1
        try:
            self._send(alert, self.store)
        except Exception as exc:  # noqa: BLE001 - any delivery failure keeps the alert pending
            alert.last_error = f"{type(exc).__name__}: {exc}"
            self.store.put_state(alert.key, alert.to_dict())
            logger.error("alert %s stays pending: %s", alert.key, alert.last_error)
            report.pending.append(alert)
            return
        alert.status, alert.sent_at = "sent", self._now()
        self.store.put_state(alert.key, alert.to_dict())
        report.sent.append(alert)

    def backtest(self, since: datetime, until: datetime | None = None) -> list[Alert]:
        """Return the alerts the rules would have raised on stored history, cooldown applied."""
        alerts = self.evaluate(bucket_floor(since, self.interval), until or self._now() + self.step)
        kept: list[Alert] = []
        last_by_key: dict[str, datetime] = {}
        for alert in sorted(alerts, key=lambda a: a.bucket_start):
            last = last_by_key.get(alert.cooldown_key)
            if last is not None and self._cooling(last, alert):
                continue
            last_by_key[alert.cooldown_key] = alert.bucket_start
            kept.append(alert)
        return kept

    def hostile_articles(self, alert: Alert, limit: int = 500) -> list[ClassifiedArticle]:
        """Return the hostile articles behind an alert (its target, bucket and group)."""
        hits = self.store.search(None, SearchFilters(target=alert.target, hostile=True,
                                                     since=alert.bucket_start, until=alert.bucket_end),
                                 limit=limit)
        field_name = _GROUP_FIELD[alert.group_by]
        return [d for d in hits if getattr(d.article, field_name) == alert.group]


@contextlib.contextmanager
def alerts_lock(data_dir: Path, wait_s: float | None = None) -> Any:
    """Hold an exclusive lock on `<data_dir>/alerts.lock` (released by the OS if we die).

    Waits up to `wait_s` for another check to finish, then raises StopRun naming the holder.
    """
    wait_s = LOCK_WAIT_S if wait_s is None else wait_s
    path = Path(data_dir) / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    raise StopRun(f"another alert check ({holder}) has held {path} for over "
                                  f"{wait_s:.0f} s; try again when it is done") from None
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fold(alerts: list[Alert]) -> list[Alert]:
    """Keep the broadest spiking group per (target, bucket); list the narrower ones in it."""
    by_event: dict[tuple[str, datetime], list[Alert]] = {}
    for alert in alerts:
        by_event.setdefault((alert.target, alert.bucket_start), []).append(alert)
    kept = []
    for group in by_event.values():
        group.sort(key=lambda a: (GROUP_LEVELS.index(a.group_by), -a.hostile, a.group))
        head = group[0]
        head.folded = [f"{a.group_by}={a.group}" for a in group[1:]]
        kept.append(head)
    return sorted(kept, key=lambda a: (a.bucket_start, a.target))
