"""The end-to-end demo behind `mediawatch demo`: replay sites, crawl, classify, store, trends, alert.

Everything runs locally and for real: outlet sites (mediawatch/demo_site.py) are served by a
threaded HTTP server on 127.0.0.1, the `news` spider crawls them through the crawler's runner
(extraction, dedup, classification with the default model, upserts into the store), trends are
read from the store, and the alert check, its clock set to the end of the history, mails the
spike through the real Mailer to a local SMTP sink that saves .eml files (demo_services.py).
Re-running upserts the same articles (their ids come from stable canonical URLs) and the alert
state in the store keeps the spike from being mailed twice.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from crawlers.registry import Source, load_sources
from crawlers.runner import CrawlReport, run_crawl
from crawlers.settings import MIN_DOWNLOAD_DELAY_S
from indexer import open_store
from indexer.store import TrendBucket, TrendQuery
from mediawatch.alerts import CheckReport
from mediawatch.demo_services import MailSink, SiteServer
from mediawatch.demo_site import DEMO_OUTLETS, plan_history, write_site, write_sources_file
from mediawatch.errors import ConfigError, InputError
from mediawatch.settings import Settings

__all__ = ["DemoOptions", "DemoResult", "run_demo", "require_model", "TREND_TARGET", "TREND_DAYS"]

logger = logging.getLogger(__name__)

TREND_TARGET = "azerbaijan"
TREND_DAYS = 21
RECIPIENT = "analyst@demo.localhost"
STORE_FILE = "demo.db"
_SITE_MARKER = ".mediawatch-demo-site"
_PORT_FILE = ".site-port"  # the replay server's port, asked for again by the next run
_MODEL_META = "mediawatch_model.json"  # nlp.model.META_FILE, read without importing torch


@dataclass(frozen=True)
class DemoOptions:
    """What a demo run does: where it writes, which store, how many weeks, which end date."""

    out_dir: Path
    store_url: str | None = None
    weeks: int = 6
    seed: int = 7
    #: First day after the history (UTC); the alert clock is its midnight. Default: today.
    end: date | None = None


@dataclass
class DemoResult:
    """Where everything went and what each step did."""

    out_dir: Path
    store_url: str
    sources_file: Path
    site_dir: Path
    mail_dir: Path
    clock: datetime
    planned: int = 0
    crawl: CrawlReport | None = None
    stored: int = 0
    trend: list[TrendBucket] = field(default_factory=list)
    alerts: CheckReport = field(default_factory=CheckReport)
    new_mail: list[Path] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def mailbox(self) -> list[Path]:
        """Every .eml in the mail folder, from this run and earlier ones, oldest first."""
        return sorted(self.mail_dir.glob("*.eml"))


def require_model(settings: Settings) -> Path:
    """Return the classifier directory; ConfigError saying how to train one when it is missing."""
    model_dir = settings.model_dir
    if not (model_dir / _MODEL_META).is_file():
        raise ConfigError(f"no trained classifier at {model_dir}", key="classifier.model",
                          fix="train the default model first: `mediawatch train --from-scratch` "
                              "(saves models/default), or point classifier.model / "
                              "MEDIAWATCH_CLASSIFIER_MODEL at a trained model directory")
    return model_dir


def demo_sources() -> list[Source]:
    """Return the registry entries of the demo outlets (real ids, names, country, affiliation)."""
    return load_sources().select(list(DEMO_OUTLETS))


def crawl_settings(settings: Settings) -> Settings:
    """Return `settings` tuned for crawling a server on localhost: no politeness delay needed."""
    crawl = settings.crawl.model_copy(update={
        "download_delay_s": MIN_DOWNLOAD_DELAY_S, "autothrottle": False,
        "concurrent_requests": 16, "concurrent_requests_per_domain": 16, "retry_times": 1,
        "timeout_s": 30.0, "progress_interval_s": 15.0})
    return settings.model_copy(update={"crawl": crawl})


def mail_settings(settings: Settings, sink: MailSink) -> Settings:
    """Return `settings` whose alerts go to the local sink, to the demo recipient only."""
    smtp = settings.smtp.model_copy(update={"host": sink.host, "port": sink.port, "security": "none",
                                            "user": "", "password": None, "max_retries": 1})
    alerts = settings.alerts.model_copy(update={"recipients": [RECIPIENT], "recipients_by_target": {}})
    return settings.model_copy(update={"smtp": smtp, "alerts": alerts})


def _fresh_site_dir(site_dir: Path) -> None:
    """Empty the site folder of an earlier run; refuse to delete a folder the demo did not write."""
    if site_dir.exists():
        if not (site_dir / _SITE_MARKER).exists():
            raise InputError(f"{site_dir} exists and was not written by the demo; "
                             "choose another --out folder")
        shutil.rmtree(site_dir)
    site_dir.mkdir(parents=True)
    (site_dir / _SITE_MARKER).write_text("written by `mediawatch demo`; deleted by its next run\n")


class _Stopwatch:
    """Records how long each demo step took, for the summary."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings
        self._start = time.monotonic()

    def lap(self, step: str) -> None:
        now = time.monotonic()
        self.timings[step] = round(now - self._start, 1)
        self._start = now


def run_demo(settings: Settings, options: DemoOptions,
             progress: Callable[[str], None] = lambda line: None) -> DemoResult:
    """Run the whole demo and return where everything is; ConfigError when no model is trained."""
    require_model(settings)
    out = options.out_dir.resolve()
    out.mkdir(parents=True, exist_ok=True)
    end = options.end or datetime.now(timezone.utc).date()
    result = DemoResult(out_dir=out, store_url=options.store_url or f"sqlite:///{out / STORE_FILE}",
                        sources_file=out / "sources.yaml", site_dir=out / "site", mail_dir=out / "mail",
                        clock=datetime(end.year, end.month, end.day, tzinfo=timezone.utc))
    watch = _Stopwatch(result.timings)
    sources = demo_sources()
    _write_site(result, sources, end, options, progress)
    watch.lap("site")
    _crawl(result, sources, settings, options, progress)
    watch.lap("crawl")
    _read_trend(result, settings)
    watch.lap("trend")
    _check_alerts(result, settings, progress)
    watch.lap("alerts")
    return result


def _write_site(result: DemoResult, sources: list[Source], end: date, options: DemoOptions,
                progress: Callable[[str], None]) -> None:
    articles = plan_history(sources, end, options.weeks, options.seed)
    _fresh_site_dir(result.site_dir)
    write_site(result.site_dir, sources, articles)
    result.planned = len(articles)
    progress(f"wrote {len(articles)} articles of {len(sources)} outlets over {options.weeks} weeks "
             f"to {result.site_dir}")


def _crawl(result: DemoResult, sources: list[Source], settings: Settings, options: DemoOptions,
           progress: Callable[[str], None]) -> None:
    port_file = result.out_dir / _PORT_FILE
    with SiteServer(result.site_dir, _previous_port(port_file)) as server:
        port_file.write_text(str(server.port))
        write_sources_file(result.sources_file, sources, server.base_url)
        progress(f"replaying the sites at {server.base_url}; crawling into {result.store_url}")
        result.crawl = run_crawl(crawl_settings(settings), source_ids=None,
                                 sources_file=result.sources_file, since=f"{options.weeks * 7 + 2}d",
                                 store_url=result.store_url, progress=progress)
    if not result.crawl.completed:
        raise InputError(f"the demo crawl stopped early: {result.crawl.finish_reason}")


def _previous_port(port_file: Path) -> int:
    """Return the port the last run served on (0, any port, when there was none)."""
    try:
        return int(port_file.read_text().strip())
    except (OSError, ValueError):
        return 0


def _read_trend(result: DemoResult, settings: Settings) -> None:
    with open_store(result.store_url, settings) as store:
        result.stored = store.count()
        query = TrendQuery(TREND_TARGET, "day", by="country",
                           since=result.clock - timedelta(days=TREND_DAYS), until=result.clock)
        result.trend = store.trends(query)


def _check_alerts(result: DemoResult, settings: Settings, progress: Callable[[str], None]) -> None:
    from mediawatch.cli.monitor import build_checker  # the production wiring of checker and mail

    with MailSink(result.mail_dir) as sink, open_store(result.store_url, settings) as store:
        progress(f"checking for spikes at {result.clock:%Y-%m-%d %H:%M} UTC; "
                 f"SMTP sink on {sink.host}:{sink.port}")
        checker = build_checker(mail_settings(settings, sink), store, now=lambda: result.clock)
        result.alerts = checker.check()
        result.new_mail = list(sink.saved)
