"""Alert email composition: subject, evidence, links, inline chart, escaping of crawled text."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote

import pytest

from indexer.sqlite import SqliteStore
from mediawatch.alert_email import compose_alert_email, discover_url
from mediawatch.alerts import Alert, AlertChecker
from mediawatch.settings import load_settings
from tests.alert_history import NOW, SPIKE_EVIDENCE, day_floor, make_article, spike_history

HOSTILE_TITLE = "<script>alert('pwned')</script> Баку"
HOSTILE_EVIDENCE = 'Баку <img src=x onerror="alert(1)"> предал & продал.'


@pytest.fixture
def checker(tmp_path: Path) -> Iterator[AlertChecker]:
    store = SqliteStore.from_url(f"sqlite:///{tmp_path / 'email.db'}")
    docs = spike_history()
    # The first hostile article of the day, with markup in its title, evidence and URL.
    first = make_article(9999, day_floor(NOW).replace(hour=7, minute=30), "tass", hostile=3,
                         evidence=HOSTILE_EVIDENCE, title=HOSTILE_TITLE, url="javascript:alert(2)//tass")
    first.targets[0].evidence[0].score = 0.99  # the strongest evidence sentence, shown first
    docs.append(first)
    store.upsert_many(docs)
    yield AlertChecker(store, load_settings(overrides={"data_dir": str(tmp_path)}), now=lambda: NOW)
    store.close()


@pytest.fixture
def alert(checker: AlertChecker) -> Alert:
    alerts = checker.backtest(day_floor(NOW))
    assert len(alerts) == 1, alerts
    return alerts[0]


@pytest.fixture
def email(checker: AlertChecker, alert: Alert) -> EmailMessage:
    return compose_alert_email(checker, alert, "mw@example.org", ["a@example.org", "b@example.org"],
                               "http://kibana.example:5601/")


def parts(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()  # type: ignore[attr-defined]


def test_the_spike_is_one_alert_folding_narrower_groups(alert: Alert) -> None:
    assert (alert.target, alert.group_by, alert.group) == ("azerbaijan", "country", "RU")
    assert "outlet=tass" in alert.folded and "affiliation=state" in alert.folded


def test_subject_names_target_group_and_severity(email: EmailMessage, alert: Alert) -> None:
    subject = str(email["Subject"])
    assert "azerbaijan" in subject and "country RU" in subject and alert.severity.upper() in subject
    assert email["To"] == "a@example.org, b@example.org"


def test_plain_text_carries_figures_evidence_first_publisher_and_model(email: EmailMessage, alert: Alert) -> None:
    plain, _ = parts(email)
    assert f"Hostile mentions: {alert.hostile} vs baseline" in plain
    assert SPIKE_EVIDENCE in plain
    assert "First to publish: TASS" in plain
    assert "TASS:" in plain  # outlets that drove the rise
    assert "mw-stance 2026.03-test" in plain
    assert "Kibana: http://kibana.example:5601/app/discover#/" in plain


def test_html_escapes_crawled_text_and_refuses_script_links(email: EmailMessage) -> None:
    _, html = parts(email)
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert 'href="javascript:' not in html
    assert SPIKE_EVIDENCE in html


def test_the_chart_is_an_inline_png_referenced_by_the_html(email: EmailMessage) -> None:
    _, html = parts(email)
    images = [p for p in email.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1
    content_id = str(images[0]["Content-ID"]).strip("<>")
    assert f'src="cid:{content_id}"' in html
    assert images[0].get_content()[:8] == b"\x89PNG\r\n\x1a\n"  # type: ignore[attr-defined]


def test_message_id_is_stable_per_alert(checker: AlertChecker, alert: Alert, email: EmailMessage) -> None:
    again = compose_alert_email(checker, alert, "mw@example.org", ["a@example.org"], "http://k")
    assert email["Message-ID"] == again["Message-ID"]


def test_discover_link_holds_the_query_and_time_range(alert: Alert) -> None:
    link = unquote(discover_url("http://kibana:5601", alert))
    assert link.startswith("http://kibana:5601/app/discover#/?_g=")
    assert 'target:"azerbaijan"' in link and 'country:"RU"' in link
    assert "from:'2026-03-18T00:00:00Z',to:'2026-03-19T00:00:00Z'" in link
