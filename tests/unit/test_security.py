"""Security defaults: TLS verification on unless turned off loudly, no credential in logs or the
store, and no redirect out of the source's domains or into a private network.

The SMTP side of TLS (a self-signed relay refused by default, accepted with a warning when
verification is off) is tested against a real relay in tests/unit/test_mailer.py; the redirect
guard on the real spider in tests/integration/test_crawl_replay.py (private_redirect,
offsite_redirect); Elasticsearch security in docker-compose in tests/unit/test_compose.py.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawlers.middlewares import RedirectGuardMiddleware
from crawlers.registry import load_sources
from mediawatch.cli import main
from mediawatch.errors import StoreUnavailable
from mediawatch.mailer import Mailer
from mediawatch.settings import load_settings

ES_SECRET = "es-Pa55-7f3c1d"
API_SECRET = "api-KEY-91b2e0"
SMTP_SECRET = "smtp-Pa55-c0ffee"
SECRETS = (ES_SECRET, API_SECRET, SMTP_SECRET)


# -- TLS verification -----------------------------------------------------------------------------


def test_tls_verification_is_on_by_default(tmp_path: Path) -> None:
    settings = load_settings(environ={"MEDIAWATCH_DATA_DIR": str(tmp_path)})
    assert settings.elasticsearch.verify_certs is True and settings.smtp.verify_certs is True


def test_elasticsearch_https_client_verifies_unless_told_and_then_warns(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from indexer.elasticsearch import _client_options

    on = load_settings(environ={"MEDIAWATCH_DATA_DIR": str(tmp_path)})
    with caplog.at_level(logging.WARNING):
        assert _client_options("https://es.example:9200", on.elasticsearch)["verify_certs"] is True
    assert caplog.records == []
    off = load_settings(environ={"MEDIAWATCH_DATA_DIR": str(tmp_path),
                                 "MEDIAWATCH_ELASTICSEARCH_VERIFY_CERTS": "false"})
    with caplog.at_level(logging.WARNING):
        assert _client_options("https://es.example:9200", off.elasticsearch)["verify_certs"] is False
    assert any("verification is OFF" in r.getMessage() for r in caplog.records)


def test_smtp_verification_off_is_an_explicit_flag_with_a_warning(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    off = load_settings(environ={"MEDIAWATCH_DATA_DIR": str(tmp_path), "MEDIAWATCH_SMTP_SECURITY": "starttls",
                                 "MEDIAWATCH_SMTP_VERIFY_CERTS": "false"})
    with caplog.at_level(logging.WARNING):
        Mailer(off.smtp)
    assert any("verification is OFF" in r.getMessage() for r in caplog.records)
    on = load_settings(environ={"MEDIAWATCH_DATA_DIR": str(tmp_path), "MEDIAWATCH_SMTP_SECURITY": "starttls"})
    context = Mailer(on.smtp)._tls_context()
    assert context.check_hostname is True and context.verify_mode.name == "CERT_REQUIRED"


# -- credentials never logged or stored -----------------------------------------------------------


@pytest.fixture
def secret_env(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MEDIAWATCH_ES_USERNAME", "mediawatch")
    monkeypatch.setenv("MEDIAWATCH_ES_PASSWORD", ES_SECRET)
    monkeypatch.setenv("MEDIAWATCH_ES_API_KEY", API_SECRET)
    monkeypatch.setenv("MEDIAWATCH_SMTP_USER", "mailer")
    monkeypatch.setenv("MEDIAWATCH_SMTP_PASSWORD", SMTP_SECRET)
    return data_dir


def all_bytes_under(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def assert_no_secret(text: str | bytes) -> None:
    for secret in SECRETS:
        needle: Any = secret.encode() if isinstance(text, bytes) else secret
        assert needle not in text, f"a credential leaked: {secret}"


def test_ingest_export_and_spool_never_log_or_store_a_credential(
        secret_env: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str]) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps({"url": f"https://tass.ru/a/{n}", "outlet": "tass", "title": f"t{n}",
                                        "body": "текст", "published_at": "2026-11-20T10:00:00Z"}) + "\n"
                            for n in range(5)), "utf-8")
    with caplog.at_level(logging.DEBUG):
        assert main(["ingest", str(rows)]) == 0
        assert main(["export", "--out", str(tmp_path / "export.jsonl")]) == 0
        # An unreachable Elasticsearch with credentials (also in the URL): spooled, not leaked.
        assert main(["ingest", str(rows), "--spool", "--store", f"http://mediawatch:{ES_SECRET}@127.0.0.1:9"]) == 0
        assert main(["outbox", "status"]) == 0
    out = capsys.readouterr()
    assert_no_secret(caplog.text)
    assert_no_secret(out.out + out.err)
    assert_no_secret(all_bytes_under(secret_env))  # the SQLite store, its WAL, the outbox
    assert_no_secret((tmp_path / "export.jsonl").read_bytes())
    assert len(list((secret_env / "outbox").glob("*.jsonl"))) == 1


def test_an_unreachable_elasticsearch_error_names_no_credential(
        secret_env: Path, caplog: pytest.LogCaptureFixture) -> None:
    from indexer.elasticsearch import ElasticsearchStore

    with caplog.at_level(logging.DEBUG), pytest.raises(StoreUnavailable) as caught:
        ElasticsearchStore.from_url(f"https://mediawatch:{ES_SECRET}@127.0.0.1:9", load_settings())
    assert "127.0.0.1:9" in str(caught.value)
    assert_no_secret(str(caught.value))
    assert_no_secret(caplog.text)


def test_settings_never_show_a_secret(secret_env: Path) -> None:
    settings = load_settings()
    assert_no_secret(repr(settings) + str(settings) + settings.model_dump_json())


# -- redirects ------------------------------------------------------------------------------------


class _Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, by: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + by


@pytest.fixture(scope="module")
def guard() -> RedirectGuardMiddleware:
    tass = load_sources().get("tass")
    crawler = SimpleNamespace(spider=SimpleNamespace(sources={"tass": tass}), stats=_Stats())
    return RedirectGuardMiddleware(crawler)  # type: ignore[arg-type]


def redirect(guard: RedirectGuardMiddleware, location: str, origin: str = "https://tass.ru/politika/1",
             status: int = 302) -> Response:
    request = Request(origin, meta={"source_id": "tass"})
    response = Response(origin, status=status, headers={"Location": location}, request=request)
    return guard.process_response(request, response)


@pytest.mark.parametrize("location", [
    "http://10.0.0.5/admin", "http://192.168.1.1/", "http://172.16.0.1/", "http://127.0.0.1:9200/_cat",
    "http://localhost/", "http://[::1]/", "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://[fe80::1]/", "http://0.0.0.0/", "http://100.64.0.1/",
])
def test_redirects_into_private_ranges_are_refused(guard: RedirectGuardMiddleware, location: str) -> None:
    with pytest.raises(IgnoreRequest):
        redirect(guard, location)


@pytest.mark.parametrize("location", [
    "https://evil.example/phish", "https://tass.ru.evil.example/", "http://2130706433/",  # 127.0.0.1 as decimal
    "http://127.1/", "file:///etc/passwd", "ftp://tass.ru.example/", "//evil.example/x",
])
def test_redirects_off_the_source_domains_are_refused(guard: RedirectGuardMiddleware, location: str) -> None:
    with pytest.raises(IgnoreRequest):
        redirect(guard, location)


@pytest.mark.parametrize("location", ["https://tass.ru/politika/2", "/politika/2", "https://www.tass.ru/a",
                                      "http://tass.ru/politika/1?amp=0"])
def test_redirects_within_the_source_are_followed(guard: RedirectGuardMiddleware, location: str) -> None:
    assert redirect(guard, location).status == 302


def test_a_redirect_loop_is_refused(guard: RedirectGuardMiddleware) -> None:
    with pytest.raises(IgnoreRequest, match="loop"):
        redirect(guard, "https://tass.ru/politika/1")
