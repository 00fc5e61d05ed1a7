"""The monitor's scheduler: a crawl job per source, alert checks, and a daily digest (APScheduler 3.x).

Jobs persist in a SQLAlchemy job store on SQLite (``<data_dir>/scheduler.db``) under stable
ids (``crawl:<source>``, ``alerts:check``, ``digest:daily``), one instance each, missed runs
coalesced, runs later than ``scheduler.misfire_grace_s`` skipped. On start the wanted jobs are
written with replace_existing, keeping the persisted next run time of a job whose trigger did
not change, so a restart neither duplicates a job nor pushes its next run back. A new job runs
at once (except the digest, which waits for its hour).

Each crawl runs `mediawatch crawl` in a subprocess, so every crawl gets a fresh Twisted
reactor. Job functions are module-level with plain arguments (the store keeps references to
them) and load settings afresh on every run.
"""

from __future__ import annotations

import hashlib
import logging
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from indexer import open_store
from mediawatch.documents import parse_datetime
from mediawatch.errors import MediawatchError
from mediawatch.health import CrawlRun, record_crawl_run
from mediawatch.settings import Settings, load_settings

__all__ = ["MonitorScheduler", "JobOptions", "crawl_job", "alerts_job", "digest_job", "JOBSTORE_FILE"]

logger = logging.getLogger(__name__)

JOBSTORE_FILE = "scheduler.db"
# Interval jobs fire on multiples of their interval counted from this Monday, so the next run
# time of a job is the same whichever process computes it.
ANCHOR = datetime(2026, 1, 5, tzinfo=timezone.utc)
# Runs `mediawatch` in a child interpreter without relying on the console script being on PATH.
_CLI = "import sys; from mediawatch.cli import main; sys.exit(main(sys.argv[1:]))"


@dataclass(frozen=True)
class JobOptions:
    """What every job needs to rebuild its world; plain values, stored with the jobs."""

    config_file: str | None = None
    store_url: str | None = None
    sources_file: str | None = None
    crawl_args: tuple[str, ...] = ()

    def common(self) -> dict[str, Any]:
        """Keyword arguments shared by every job function."""
        return {"config_file": self.config_file, "store_url": self.store_url}


@dataclass(frozen=True)
class _Plan:
    id: str
    func: str
    trigger: BaseTrigger
    kwargs: dict[str, Any] = field(default_factory=dict)
    executor: str = "default"
    run_at_start: bool = True


# -- job functions (module level: the job store keeps a reference to each) ----------------------

def _settings(config_file: str | None, store_url: str | None) -> Settings:
    return load_settings(config_file, overrides={"store": {"url": store_url}} if store_url else None)


def crawl_command(source_id: str, config_file: str | None = None, store_url: str | None = None,
                  sources_file: str | None = None, crawl_args: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Return the command line of one source's crawl in a child interpreter."""
    command = [sys.executable, "-c", _CLI]
    if config_file:
        command += ["--config", config_file]
    command += ["crawl", "--source", source_id]
    if store_url:
        command += ["--store", store_url]
    if sources_file:
        command += ["--sources-file", sources_file]
    return command + list(crawl_args)


def crawl_job(source_id: str, config_file: str | None = None, store_url: str | None = None,
              sources_file: str | None = None, crawl_args: list[str] | tuple[str, ...] = ()) -> int:
    """Crawl one source in a subprocess; record a failed run when it failed without recording one."""
    settings = _settings(config_file, store_url)
    started = datetime.now(timezone.utc)
    command = crawl_command(source_id, config_file, store_url, sources_file, crawl_args)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=settings.scheduler.crawl_timeout_s,
                              check=False)
        code, output = done.returncode, (done.stderr or "") + (done.stdout or "")
    except subprocess.TimeoutExpired:
        code, output = -1, f"killed after {settings.scheduler.crawl_timeout_s:.0f} s"
    finished = datetime.now(timezone.utc)
    if code != 0:
        logger.warning("crawl of %s exited %d: %s", source_id, code, output.strip()[-2000:])
    try:
        with open_store(settings.store_url, settings) as store:
            _record_outcome(store, source_id, started, finished, code)
    except MediawatchError as exc:
        logger.error("crawl of %s: could not record the run: %s", source_id, exc)
    return code


def _record_outcome(store: Any, source_id: str, started: datetime, finished: datetime, code: int) -> None:
    """Record a failed run when the crawl exited non-zero without recording its own.

    A crawl that reached its end records itself (crawlers/spiders/news.py); one that died
    first (killed, crashed, timed out) would otherwise leave a hole that reads as calm.
    """
    last = store.get_state(f"crawl/{source_id}/last") or {}
    last_started = parse_datetime(last.get("started"))
    recorded_itself = last_started is not None and last_started >= started.replace(microsecond=0)
    if code != 0 and not recorded_itself:
        record_crawl_run(store, source_id, CrawlRun(started, finished, "failed"))


def alerts_job(config_file: str | None = None, store_url: str | None = None) -> None:
    """Check for spikes and send pending alerts, then retry any digest a failed send left pending."""
    from mediawatch.cli.monitor import build_checker
    from mediawatch.digest import send_pending_digests
    from mediawatch.mailer import Mailer

    settings = _settings(config_file, store_url)
    with open_store(settings.store_url, settings) as store:
        report = build_checker(settings, store).check()
        logger.info("alert check: %d new, %d sent, %d pending", len(report.new), len(report.sent),
                    len(report.pending))
        send_pending_digests(settings, store, Mailer(settings.smtp).send, datetime.now(timezone.utc))


def digest_job(config_file: str | None = None, store_url: str | None = None) -> None:
    """Send today's digest (UTC date) unless it went out already."""
    from mediawatch.digest import send_digest
    from mediawatch.mailer import Mailer

    settings = _settings(config_file, store_url)
    now = datetime.now(timezone.utc)
    with open_store(settings.store_url, settings) as store:
        send_digest(settings, store, now.date(), Mailer(settings.smtp).send, now)


# -- the scheduler ------------------------------------------------------------------------------

def _offset(source_id: str, interval: timedelta) -> timedelta:
    """A stable per-source offset inside its interval, so sources do not all start at once."""
    seconds = max(int(interval.total_seconds()), 1)
    return timedelta(seconds=int(hashlib.sha1(source_id.encode()).hexdigest(), 16) % seconds)


class MonitorScheduler:
    """A BackgroundScheduler over the persistent job store, with the monitor's jobs."""

    def __init__(self, settings: Settings, source_intervals: dict[str, timedelta],
                 options: JobOptions = JobOptions()) -> None:
        self.settings = settings
        self.source_intervals = source_intervals
        self.options = options
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{settings.data_dir / JOBSTORE_FILE}")},
            executors={"default": ThreadPoolExecutor(2),
                       "crawl": ThreadPoolExecutor(settings.scheduler.crawl_workers)},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": settings.scheduler.misfire_grace_s},
            timezone=timezone.utc)

    def plans(self) -> list[_Plan]:
        """The wanted jobs: one crawl per source, the alert check, the daily digest."""
        common = self.options.common()
        plans = [
            _Plan(f"crawl:{source}", f"{__name__}:crawl_job",
                  IntervalTrigger(seconds=interval.total_seconds(), start_date=ANCHOR + _offset(source, interval),
                                  timezone=timezone.utc),
                  {"source_id": source, **common, "sources_file": self.options.sources_file,
                   "crawl_args": list(self.options.crawl_args)}, executor="crawl")
            for source, interval in sorted(self.source_intervals.items())]
        plans.append(_Plan("alerts:check", f"{__name__}:alerts_job",
                           IntervalTrigger(minutes=self.settings.alerts.check_every_min, start_date=ANCHOR,
                                           timezone=timezone.utc), common))
        plans.append(_Plan("digest:daily", f"{__name__}:digest_job",
                           CronTrigger(hour=self.settings.scheduler.digest_hour_utc, minute=0, timezone=timezone.utc),
                           common, run_at_start=False))
        return plans

    def start(self, *, paused: bool = False) -> None:
        """Open the job store, bring its jobs in line with the wanted ones, and start running."""
        self.scheduler.start(paused=True)
        self.sync_jobs()
        if not paused:
            self.scheduler.resume()

    def sync_jobs(self, now: datetime | None = None) -> list[str]:
        """Write the wanted jobs (replacing stored ones) and remove stored jobs no longer wanted."""
        now = now or datetime.now(timezone.utc)
        stored = {job.id: job for job in self.scheduler.get_jobs()}
        wanted = self.plans()
        for plan in wanted:
            old = stored.get(plan.id)
            keep = old is not None and old.next_run_time is not None and str(old.trigger) == str(plan.trigger)
            extra: dict[str, Any] = {}
            if keep:
                extra["next_run_time"] = old.next_run_time  # type: ignore[union-attr]
            elif old is None and plan.run_at_start:
                extra["next_run_time"] = now
            self.scheduler.add_job(plan.func, plan.trigger, id=plan.id, name=plan.id, kwargs=plan.kwargs,
                                   executor=plan.executor, replace_existing=True, **extra)
        for job_id in set(stored) - {p.id for p in wanted}:
            self.scheduler.remove_job(job_id)
        return [p.id for p in wanted]

    def run_due(self, now: datetime | None = None) -> list[str]:
        """Run every job whose next run time has come, once, in this thread; return their ids.

        Crawls go first so the alert check sees their articles; a failing job is logged and
        the others still run. Each job's next run time is advanced past `now` and persisted.
        """
        now = now or datetime.now(timezone.utc)
        order = {"crawl": 0, "alerts": 1, "digest": 2}
        due = sorted((j for j in self.scheduler.get_jobs() if j.next_run_time and j.next_run_time <= now),
                     key=lambda j: (order.get(j.id.split(":")[0], 3), j.id))
        for job in due:
            try:
                job.func(*job.args, **job.kwargs)
            except Exception:  # noqa: BLE001 - one failing job must not stop the others
                logger.exception("job %s failed", job.id)
            following = job.trigger.get_next_fire_time(None, now + timedelta(microseconds=1))
            if following is None:
                self.scheduler.remove_job(job.id)
            else:
                self.scheduler.modify_job(job.id, next_run_time=following)
        return [j.id for j in due]

    def run_until(self, stop: threading.Event) -> None:
        """Run jobs until `stop` is set, then shut down, waiting for running jobs."""
        self.start()
        try:
            stop.wait()
        finally:
            self.shutdown(wait=True)

    def next_runs(self) -> dict[str, datetime | None]:
        """Each stored job's next run time."""
        return {job.id: job.next_run_time for job in self.scheduler.get_jobs()}

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop the scheduler; with `wait`, running jobs finish first.

        The job store is detached first: APScheduler 3.x may run one more job-processing pass
        after `shutdown` has stopped the executors, and that pass would advance the next run
        time of due jobs it could not submit, silently skipping a crawl.
        """
        if self.scheduler.running:
            self.scheduler.pause()
            self.scheduler.remove_jobstore("default")
            self.scheduler.shutdown(wait=wait)


def source_intervals(sources_file: str | None, only: list[str] | None) -> dict[str, timedelta]:
    """Return the crawl interval of each selected registry source (ConfigError for unknown ids)."""
    from crawlers.registry import load_sources

    registry = load_sources(sources_file)
    return {s.id: s.interval for s in registry.select(only)}


def install_stop_signals(stop: threading.Event) -> Callable[[], None]:
    """Set `stop` on SIGTERM/SIGINT; return a function restoring the previous handlers."""
    import signal

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def handle(signum: int, _frame: object) -> None:
        logger.warning("signal %d: finishing running jobs, then stopping", signum)
        stop.set()

    for sig in previous:
        signal.signal(sig, handle)

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore
