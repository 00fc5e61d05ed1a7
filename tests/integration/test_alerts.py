"""Spike alerts end to end on real services: SQLite and Elasticsearch stores, an aiosmtpd relay.

Each test stores a calm history with one spike and runs the checker the way production builds
it (`build_checker` with settings from defaults + overrides), with a pinned clock.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from indexer import Store
from indexer.sqlite import SqliteStore
from mediawatch.alerts import AlertChecker
from mediawatch.cli import main
from mediawatch.cli.monitor import build_checker
from mediawatch.health import CrawlRun, record_crawl_run
from mediawatch.mailer import Mailer
from mediawatch.settings import Settings, load_settings
from tests.alert_history import NOW, SPIKE_EVIDENCE, day_floor, make_article, spike_history
from tests.fixtures_smtp import SmtpSink

pytestmark = pytest.mark.integration

HOUR = timedelta(hours=1)


def no_sleep(_seconds: float) -> None:
    """Backoff without waiting: the relay's state, not wall time, decides the outcome."""


def settings_for(tmp_path: Path, sink: SmtpSink, **alerts: Any) -> Settings:
    return load_settings(overrides={
        "data_dir": str(tmp_path / "data"),
        "smtp": {"host": sink.host, "port": sink.port, "max_retries": 1, "timeout_s": 5},
        "alerts": {"recipients": ["analyst@example.org"], "sender": "mw@example.org", **alerts},
    })


def checker_for(store: Store, settings: Settings, now: datetime = NOW) -> AlertChecker:
    return build_checker(settings, store, mailer=Mailer(settings.smtp, sleep=no_sleep), now=lambda: now)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore.from_url(f"sqlite:///{tmp_path / 'alerts.db'}")
    yield store
    store.close()


@pytest.fixture(params=["sqlite", "elasticsearch"])
def store(request: pytest.FixtureRequest) -> Store:
    """The same tests on both backends."""
    return request.getfixturevalue("sqlite_store" if request.param == "sqlite" else "es_store")  # type: ignore[no-any-return]


def test_a_spike_yields_exactly_one_email_with_its_evidence(store: Store, smtp_sink: SmtpSink,
                                                           tmp_path: Path) -> None:
    store.upsert_many(spike_history())
    checker = checker_for(store, settings_for(tmp_path, smtp_sink))
    report = checker.check()
    assert len(report.sent) == 1 and report.pending == []
    assert len(smtp_sink.messages) == 1
    email = smtp_sink.messages[0]
    assert "azerbaijan" in str(email["Subject"]) and "country RU" in str(email["Subject"])
    plain = email.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert SPIKE_EVIDENCE in plain
    assert "/app/discover#/" in plain
    assert [p.get_content_type() for p in email.walk()].count("image/png") == 1
    assert smtp_sink.envelopes[0][1] == ["analyst@example.org"]

    again = checker.check()
    assert again.new == [] and again.sent == []
    assert len(smtp_sink.messages) == 1


def test_a_calm_history_sends_nothing(store: Store, smtp_sink: SmtpSink, tmp_path: Path) -> None:
    store.upsert_many(spike_history(spike=False))
    checker = checker_for(store, settings_for(tmp_path, smtp_sink))
    assert checker.check().new == []
    assert checker.backtest(NOW - timedelta(days=28)) == []
    assert smtp_sink.messages == []


@pytest.mark.parametrize("failure", ["451", "dropped", "down"])
def test_a_failing_relay_keeps_the_alert_pending_until_it_arrives_once(
        failure: str, sqlite_store: SqliteStore, smtp_factory: Callable[..., SmtpSink], tmp_path: Path) -> None:
    sink = smtp_factory(refuse_first=3 if failure != "down" else 0, drop=failure == "dropped")
    if failure == "down":
        sink.stop()
    sqlite_store.upsert_many(spike_history())
    settings = settings_for(tmp_path, sink)  # two attempts per check
    checker = checker_for(sqlite_store, settings)

    first = checker.check()
    assert len(first.new) == 1 and first.sent == [] and len(first.pending) == 1
    assert "pending" in [a.status for a in checker.pending()]
    assert sink.messages == []
    if failure == "down":
        sink.start()
    later = checker_for(sqlite_store, settings, NOW + HOUR).check()  # refusal 3 then delivery
    assert later.new == [] and len(later.sent) == 1
    assert checker.pending() == []
    assert checker_for(sqlite_store, settings, NOW + 2 * HOUR).check().sent == []
    assert len(sink.messages) == 1
    assert sink.messages[0]["X-Mediawatch-Alert"] == first.new[0].key


def test_a_restart_never_sends_twice(smtp_factory: Callable[..., SmtpSink], tmp_path: Path) -> None:
    path = tmp_path / "restart.db"
    sink = smtp_factory(refuse_first=2)
    with SqliteStore.from_url(f"sqlite:///{path}") as store:
        store.upsert_many(spike_history())
        assert len(checker_for(store, settings_for(tmp_path, sink)).check().pending) == 1
    # A new process: new store object, new checker, same database; the relay has recovered.
    with SqliteStore.from_url(f"sqlite:///{path}") as store:
        assert len(checker_for(store, settings_for(tmp_path, sink)).check().sent) == 1
    with SqliteStore.from_url(f"sqlite:///{path}") as store:
        report = checker_for(store, settings_for(tmp_path, sink), NOW + HOUR).check()
        assert report.new == [] and report.sent == []
    assert len(sink.messages) == 1


def test_an_outlet_alert_and_a_later_country_alert_are_one_event(sqlite_store: SqliteStore, smtp_sink: SmtpSink,
                                                                 tmp_path: Path) -> None:
    today = day_floor(NOW)
    docs = spike_history(spike=False)
    # RIA adds a steady three hostile mentions a day, so Russia's baseline is well above TASS's.
    docs += [make_article(4000 + back, today - timedelta(days=back, hours=-10), "ria", hostile=3)
             for back in range(36)]
    # Morning: TASS alone rises (outlet spike); Russia as a whole is still within its baseline.
    docs += [make_article(5000 + i, today + timedelta(hours=6, minutes=i), "tass", hostile=1) for i in range(5)]
    sqlite_store.upsert_many(docs)
    settings = settings_for(tmp_path, smtp_sink)
    morning = checker_for(sqlite_store, settings, today + timedelta(hours=7)).check()
    assert [(a.group_by, a.group) for a in morning.sent] == [("outlet", "tass")]
    # Afternoon: TASS goes on and the country level spikes too; it folds TASS, so no new email.
    sqlite_store.upsert_many([make_article(6000 + i, today + timedelta(hours=12, minutes=i), "tass", hostile=2)
                              for i in range(5)])
    afternoon = checker_for(sqlite_store, settings, today + timedelta(hours=13))
    assert [(a.group_by, a.folded) for a in afternoon.evaluate(today, today + timedelta(days=1))] == [
        ("country", ["affiliation=state", "outlet=tass"])]
    assert afternoon.check().new == []
    assert len(smtp_sink.messages) == 1


def test_html_from_crawled_text_is_escaped_in_the_email(sqlite_store: SqliteStore, smtp_sink: SmtpSink,
                                                        tmp_path: Path) -> None:
    evil = "Баку <script>document.location='http://evil.example'</script> предал."
    sqlite_store.upsert_many(spike_history(spike_evidence=evil))
    checker_for(sqlite_store, settings_for(tmp_path, smtp_sink)).check()
    html = smtp_sink.messages[0].get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<script>" not in html
    assert "&lt;script&gt;document.location=&#x27;http://evil.example&#x27;&lt;/script&gt;" in html


def test_a_silent_source_raises_one_health_alert(sqlite_store: SqliteStore, smtp_sink: SmtpSink,
                                                 tmp_path: Path) -> None:
    sqlite_store.upsert_many(spike_history(spike=False))
    record_crawl_run(sqlite_store, "tass", CrawlRun(NOW - 10 * HOUR, NOW - 10 * HOUR + 60 * timedelta(seconds=1), "ok", 7, 7))
    record_crawl_run(sqlite_store, "tass", CrawlRun(NOW - HOUR, NOW - HOUR, "failed", 0, 0))
    settings = settings_for(tmp_path, smtp_sink)
    report = checker_for(sqlite_store, settings).check()  # tass runs every 30 min: 4 intervals is 2 h
    assert [(a.kind, a.group) for a in report.sent] == [("source_health", "tass")]
    assert "tass is silent" in str(smtp_sink.messages[0]["Subject"])
    assert checker_for(sqlite_store, settings, NOW + HOUR).check().sent == []


# -- the CLI doors, configured from the environment ---------------------------------------------

def test_alerts_check_and_backtest_via_the_cli(data_dir: Path, smtp_env: SmtpSink,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    now = datetime.now(timezone.utc)
    with SqliteStore.from_url(f"sqlite:///{data_dir / 'mediawatch.db'}") as store:
        store.upsert_many(spike_history(now.replace(hour=23, minute=59)))  # the spike is today
    assert main(["alerts", "check", "--dry-run"]) == 0
    assert smtp_env.messages == []
    assert main(["alerts", "check"]) == 0
    assert len(smtp_env.messages) == 1
    assert "azerbaijan" in str(smtp_env.messages[0]["Subject"])
    assert main(["alerts", "check"]) == 0
    assert len(smtp_env.messages) == 1
    capsys.readouterr()
    assert main(["alerts", "backtest", "--since", "60d", "--format", "json"]) == 0
    alerts = json.loads(capsys.readouterr().out)["alerts"]
    assert [(a["target"], a["group_by"], a["group"]) for a in alerts] == [("azerbaijan", "country", "RU")]


def test_alerts_check_without_recipients_is_a_clear_error(data_dir: Path, smtp_env: SmtpSink,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("MEDIAWATCH_ALERT_TO")
    assert main(["alerts", "check"]) == 2
    assert "MEDIAWATCH_ALERT_TO" in capsys.readouterr().err


def test_two_checks_at_once_send_the_alert_once(tmp_path: Path, smtp_sink: SmtpSink) -> None:
    """A manual `alerts check` racing the scheduler's: the lock makes the second see it sent."""
    import threading

    db = tmp_path / "alerts.db"
    seed = SqliteStore.from_url(f"sqlite:///{db}")
    seed.upsert_many(spike_history())
    seed.close()
    settings = settings_for(tmp_path, smtp_sink)
    reports: list[Any] = []

    def one_check() -> None:
        store = SqliteStore.from_url(f"sqlite:///{db}")  # each process has its own connection
        mailer = Mailer(settings.smtp, sleep=no_sleep)

        def slow_send(*args: Any) -> None:  # a slow relay widens the race window
            import time

            time.sleep(0.5)
            mailer_send(*args)

        checker = build_checker(settings, store, mailer=mailer, now=lambda: NOW)
        mailer_send = checker._send
        checker._send = slow_send
        reports.append(checker.check())
        store.close()

    threads = [threading.Thread(target=one_check) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(reports) == 2
    assert sorted(len(r.sent) for r in reports) == [0, 1]
    assert len(smtp_sink.messages) == 1


def test_a_check_blocked_by_a_stuck_one_stops_with_the_holder(
        tmp_path: Path, smtp_sink: SmtpSink, sqlite_store: SqliteStore,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    import mediawatch.alerts as alerts_module
    from mediawatch.errors import StopRun

    sqlite_store.upsert_many(spike_history())
    settings = settings_for(tmp_path, smtp_sink)
    monkeypatch.setattr(alerts_module, "LOCK_WAIT_S", 0.5)
    with alerts_module.alerts_lock(settings.data_dir):
        with pytest.raises(StopRun, match=rf"pid {os.getpid()}.*alerts.lock"):
            checker_for(sqlite_store, settings).check()
        assert checker_for(sqlite_store, settings).check(dry_run=True).new  # dry runs never wait
    assert smtp_sink.messages == []
    assert len(checker_for(sqlite_store, settings).check().sent) == 1
