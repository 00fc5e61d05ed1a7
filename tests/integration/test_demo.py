"""`mediawatch demo` end to end: replayed sites, real crawl, classifier, store, chart, one alert email.

The demo runs in a subprocess (a Twisted reactor starts once per process), with a small model
trained here so the test does not depend on a model being present, pointed at through the
documented MEDIAWATCH_CLASSIFIER_MODEL setting as a user would.
"""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

from indexer import open_store
from mediawatch.demo_site import load_passages
from mediawatch.settings import load_settings
from tests.tiny_classifier import train_tiny

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CLI = "import sys; from mediawatch.cli import main; sys.exit(main(sys.argv[1:]))"


@pytest.fixture(scope="module")
def small_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small classifier on a corpus slice, in seconds: weak, but it flags hostile passages.

    One torch thread: on a busy 2-core machine two threads wait on each other (10x slower).
    """
    model_dir, _ = train_tiny(tmp_path_factory.mktemp("demo-model"), hidden_size=64, layers=2,
                              vocab_size=2000, epochs=2, threads=1)
    return model_dir


def run_demo(out: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    """Run `mediawatch demo --weeks 2 --out OUT` in a fresh process and return what it did."""
    return subprocess.run([sys.executable, "-c", CLI, "demo", "--weeks", "2", "--out", str(out), *extra],
                          env=env, capture_output=True, text=True, timeout=240)


def demo_env(data_dir: Path, model: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIAWATCH_")}
    env.update(MEDIAWATCH_DATA_DIR=str(data_dir), COLUMNS="200")
    if model is not None:
        env["MEDIAWATCH_CLASSIFIER_MODEL"] = str(model)
    return env


def read_eml(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def plain_body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None, "the alert email has no text/plain part"
    return str(part.get_content())  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def demo_runs(small_model: Path, tmp_path_factory: pytest.TempPathFactory
              ) -> tuple[Path, subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    """Two demo runs on the same output folder and store: (folder, first run, second run)."""
    root = tmp_path_factory.mktemp("demo")
    env = demo_env(root / "data", small_model)
    first = run_demo(root / "out", env)
    mail_after_first = sorted((root / "out" / "mail").glob("*.eml"))
    second = run_demo(root / "out", env)
    (root / "first-run-mail.txt").write_text("\n".join(p.name for p in mail_after_first))
    return root / "out", first, second


def test_first_run_exits_0_and_stores_articles(demo_runs: tuple[Path, subprocess.CompletedProcess[str],
                                                                 subprocess.CompletedProcess[str]]) -> None:
    out, first, _ = demo_runs
    assert first.returncode == 0, first.stderr[-4000:]
    settings = load_settings(environ={"MEDIAWATCH_DATA_DIR": str(out.parent / "data")})
    with open_store(f"sqlite:///{out / 'demo.db'}", settings) as store:
        assert store.count() >= 100
        assert {d.article.country for d in store.iter_articles()} == {"RU", "AZ"}


def test_first_run_prints_trend_table_and_writes_chart(
        demo_runs: tuple[Path, subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]) -> None:
    out, first, _ = demo_runs
    assert "azerbaijan: mentions per day by outlet country" in first.stdout
    assert "RU hostile" in first.stdout and "AZ hostile" in first.stdout
    chart = out / "trend-azerbaijan.png"
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(chart) in first.stdout


def test_first_run_mails_one_spike_alert_with_evidence(
        demo_runs: tuple[Path, subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]) -> None:
    out, first, _ = demo_runs
    sent = (out.parent / "first-run-mail.txt").read_text().split()
    assert len(sent) == 1, f"expected one alert email after the first run, got {sent}\n{first.stdout}"
    message = read_eml(out / "mail" / sent[0])
    assert "azerbaijan" in str(message["Subject"]) and "RU" in str(message["Subject"])
    body = plain_body(message)
    hostile = [p.text for _, p in load_passages() if p.hostile and p.target == "azerbaijan"]
    assert any(text in body for text in hostile), f"no evidence sentence in the email:\n{body}"
    assert sent[0] in first.stdout


def test_second_run_on_the_same_store_sends_nothing_again(
        demo_runs: tuple[Path, subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]) -> None:
    out, _, second = demo_runs
    assert second.returncode == 0, second.stderr[-4000:]
    assert len(list((out / "mail").glob("*.eml"))) == 1
    assert "emails sent now: 0" in second.stdout
    assert "trend-azerbaijan.png" in second.stdout


def test_without_a_trained_model_it_says_how_to_train_and_exits_2(tmp_path: Path) -> None:
    result = run_demo(tmp_path / "out", demo_env(tmp_path / "data", tmp_path / "no-model"))
    assert result.returncode == 2
    assert "mediawatch train --from-scratch" in result.stderr
    assert not (tmp_path / "out" / "site").exists()
