"""The scheduler on real parts: the SQLite job store, `mediawatch crawl` subprocesses against the
replay server, the alert check and the digest against an aiosmtpd relay; restarts and SIGTERM."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from indexer.sqlite import SqliteStore
from mediawatch.cli import main
from mediawatch.digest import send_digest, send_pending_digests
from mediawatch.health import load_runs
from mediawatch.mailer import Mailer, MailError
from mediawatch.scheduler import JOBSTORE_FILE, JobOptions, MonitorScheduler, crawl_job
from mediawatch.settings import load_settings
from tests.alert_history import spike_history
from tests.fixtures_smtp import SmtpSink, wait_until

pytestmark = pytest.mark.integration

JOB_IDS = {"crawl:tass", "alerts:check", "digest:daily"}


def stored_job_ids(data_dir: Path) -> list[str]:
    """The job ids in the persistent job store (empty while it is being created)."""
    with closing(sqlite3.connect(data_dir / JOBSTORE_FILE)) as db:
        try:
            return sorted(row[0] for row in db.execute("SELECT id FROM apscheduler_jobs"))
        except sqlite3.OperationalError:
            return []


@pytest.fixture
def fast_crawl(monkeypatch: pytest.MonkeyPatch) -> None:
    """Polite-crawl settings lowered for the loopback replay server."""
    monkeypatch.setenv("MEDIAWATCH_CRAWL_DOWNLOAD_DELAY_S", "0.01")
    monkeypatch.setenv("MEDIAWATCH_CRAWL_AUTOTHROTTLE", "false")
    monkeypatch.setenv("MEDIAWATCH_CRAWL_EXTRACT_WORKERS", "0")
    monkeypatch.setenv("MEDIAWATCH_CRAWL_SINCE", "3650d")


@pytest.mark.slow
def test_once_runs_new_jobs_then_only_due_ones(data_dir: Path, smtp_env: SmtpSink, replay_sources_file: Path,
                                               fast_crawl: None, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["schedule", "--sources", "tass", "--sources-file", str(replay_sources_file), "--once"]
    assert main(args) == 0
    assert "ran 2 due job(s): crawl:tass, alerts:check" in capsys.readouterr().err
    assert stored_job_ids(data_dir) == sorted(JOB_IDS)
    with SqliteStore.from_url(f"sqlite:///{data_dir / 'mediawatch.db'}") as store:
        runs = load_runs(store)["tass"]
        assert len(runs) == 1  # the crawl's own record, appended to the history
        assert store.get_state("crawl/tass/last") is not None
    # A restart right away: same jobs, nothing due yet, nothing run twice.
    assert main(args) == 0
    assert "ran 0 due job(s)" in capsys.readouterr().err
    assert stored_job_ids(data_dir) == sorted(JOB_IDS)


def test_a_crawl_that_fails_without_recording_is_recorded_failed(data_dir: Path) -> None:
    code = crawl_job("no-such-source")
    assert code == 2
    with SqliteStore.from_url(f"sqlite:///{data_dir / 'mediawatch.db'}") as store:
        [run] = load_runs(store)["no-such-source"]
    assert run.status == "failed" and not run.productive


def test_a_restart_keeps_job_ids_and_next_run_times(data_dir: Path) -> None:
    settings = load_settings()
    first = MonitorScheduler(settings, {"tass": timedelta(minutes=30), "apa": timedelta(hours=1)})
    first.start(paused=True)
    before = first.next_runs()
    first.shutdown()
    again = MonitorScheduler(settings, {"tass": timedelta(minutes=30), "apa": timedelta(hours=1)})
    again.start(paused=True)
    assert again.next_runs() == before
    again.shutdown()
    # Dropping a source from the selection removes its job; nothing else changes.
    fewer = MonitorScheduler(settings, {"tass": timedelta(minutes=30)})
    fewer.start(paused=True)
    assert set(fewer.next_runs()) == JOB_IDS
    fewer.shutdown()
    assert stored_job_ids(data_dir) == sorted(JOB_IDS)


def test_ticks_restart_and_one_alert_email(data_dir: Path, smtp_env: SmtpSink,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime.now(timezone.utc)
    with SqliteStore.from_url(f"sqlite:///{data_dir / 'mediawatch.db'}") as store:
        store.upsert_many(spike_history(now.replace(hour=23, minute=59)))
    monkeypatch.setenv("MEDIAWATCH_ALERTS_CHECK_EVERY_MIN", "0.02")  # every 1.2 s
    settings = load_settings()
    intervals = {"no-such-source": timedelta(seconds=2)}  # its crawl exits 2 at once

    def run_for(seconds: float) -> None:
        stop = threading.Event()
        monitor = MonitorScheduler(settings, intervals, JobOptions())
        worker = threading.Thread(target=monitor.run_until, args=(stop,))
        worker.start()
        time.sleep(seconds)
        stop.set()
        worker.join(30)
        assert not worker.is_alive()

    run_for(4.0)
    assert wait_until(lambda: len(smtp_env.messages) == 1)
    run_for(3.0)  # a restart mid-way: the same jobs, no second email
    assert stored_job_ids(data_dir) == sorted({"crawl:no-such-source", "alerts:check", "digest:daily"})
    with SqliteStore.from_url(f"sqlite:///{data_dir / 'mediawatch.db'}") as store:
        runs = load_runs(store)["no-such-source"]
    assert len(runs) >= 2 and all(r.status == "failed" for r in runs)
    assert len(smtp_env.messages) == 1


def test_the_digest_goes_out_once_and_a_failed_one_later(data_dir: Path, smtp_env: SmtpSink) -> None:
    settings = load_settings()
    day = date(2026, 3, 18)
    now = datetime(2026, 3, 18, 7, 5, tzinfo=timezone.utc)
    mailer = Mailer(settings.smtp, sleep=lambda _s: None)
    with SqliteStore.from_url(f"sqlite:///{data_dir / 'mediawatch.db'}") as store:
        store.upsert_many(spike_history(datetime(2026, 3, 17, 12, tzinfo=timezone.utc)))
        smtp_env.stop()
        with pytest.raises(MailError):
            send_digest(settings, store, day, mailer.send, now)
        assert store.get_state("digest/2026-03-18")["status"] == "pending"  # type: ignore[index]
        smtp_env.start()
        assert send_pending_digests(settings, store, mailer.send, now + timedelta(minutes=30)) == 1
        assert send_digest(settings, store, day, mailer.send, now + timedelta(hours=1)) is False
        assert send_pending_digests(settings, store, mailer.send, now + timedelta(hours=1)) == 0
    assert smtp_env.subjects() == ["[mediawatch] daily digest 2026-03-18"]
    plain = smtp_env.messages[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "azerbaijan:" in plain and "top outlets by hostile mentions: tass" in plain


@pytest.mark.slow
def test_sigterm_stops_the_scheduler_cleanly(data_dir: Path, replay_sources_file: Path, fast_crawl: None) -> None:
    env = dict(os.environ, MEDIAWATCH_DATA_DIR=str(data_dir), MEDIAWATCH_ALERT_TO="a@example.org",
               MEDIAWATCH_SMTP_PORT="9")
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from mediawatch.cli import main; sys.exit(main(sys.argv[1:]))",
         "schedule", "--sources", "tass", "--sources-file", str(replay_sources_file)], env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_until(lambda: (data_dir / JOBSTORE_FILE).exists() and len(stored_job_ids(data_dir)) == 3,
                          timeout_s=30)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "scheduler stopped" in err
