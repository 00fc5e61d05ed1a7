"""Fixtures for the smtp service: real aiosmtpd servers on 127.0.0.1 that keep what they receive.

`smtp_sink` is a plain relay; `smtp_factory(...)` starts one that refuses the first N messages
(451 or a dropped connection) or refuses while a clock says so, and can be stopped and restarted
on the same port (a relay that is down); `smtp_tls_sink` offers STARTTLS with a self-signed
certificate made in the test, to prove certificate verification is on by default.
`smtp_env` points mediawatch at a sink through the documented environment variables.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

__all__ = ["SmtpSink", "make_self_signed_cert"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SmtpSink:
    """A running aiosmtpd server and everything it accepted (parsed EmailMessages, in order).

    refuse_first: answer the first N DATA commands with `refusal` instead of accepting.
    refuse_while: a predicate checked on every DATA command; while true, refuse.
    drop: refuse by closing the connection instead of answering 451.
    """

    host: str = "127.0.0.1"
    port: int = field(default_factory=_free_port)
    refuse_first: int = 0
    refuse_while: Callable[[], bool] | None = None
    drop: bool = False
    refusal: str = "451 4.3.0 Temporary failure, try again later"
    tls_context: ssl.SSLContext | None = None
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    attempts: int = 0
    refused: int = 0
    _controller: Controller | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- aiosmtpd handler hooks -----------------------------------------------------------------

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self._lock:
            self.attempts += 1
            refusing = self.attempts <= self.refuse_first or bool(self.refuse_while and self.refuse_while())
            if refusing:
                self.refused += 1
        if refusing:
            if self.drop and server.transport is not None:
                server.transport.close()
            return self.refusal
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        with self._lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
            self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    # -- life cycle -----------------------------------------------------------------------------

    def start(self) -> SmtpSink:
        """Start (or restart, on the same port) the server."""
        kwargs: dict[str, Any] = {}
        if self.tls_context is not None:
            kwargs.update(tls_context=self.tls_context, require_starttls=True)
        self._controller = Controller(self, hostname=self.host, port=self.port, **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop the server; connections to its port are then refused."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        """Whether the server is accepting connections."""
        return self._controller is not None

    def subjects(self) -> list[str]:
        """Subjects of the accepted messages, in arrival order."""
        return [str(m["Subject"]) for m in self.messages]


def make_self_signed_cert(folder: Path, hostname: str = "localhost") -> tuple[Path, Path]:
    """Write a fresh self-signed certificate and key for `hostname` and 127.0.0.1; return paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName(hostname), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def smtp_factory() -> Iterator[Callable[..., SmtpSink]]:
    """Start SmtpSinks with the given options; every one is stopped after the test."""
    started: list[SmtpSink] = []

    def start(**options: Any) -> SmtpSink:
        sink = SmtpSink(**options).start()
        started.append(sink)
        return sink

    yield start
    for sink in started:
        sink.stop()


@pytest.fixture
def smtp_sink(smtp_factory: Callable[..., SmtpSink]) -> SmtpSink:
    """A plain SMTP relay on 127.0.0.1 that accepts everything."""
    return smtp_factory()


@pytest.fixture
def smtp_tls_sink(smtp_factory: Callable[..., SmtpSink], tmp_path: Path) -> SmtpSink:
    """A relay requiring STARTTLS with a self-signed certificate no default trust store accepts."""
    cert, key = make_self_signed_cert(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return smtp_factory(tls_context=context)


@pytest.fixture
def smtp_env(smtp_sink: SmtpSink, monkeypatch: pytest.MonkeyPatch) -> SmtpSink:
    """Point mediawatch at `smtp_sink` via MEDIAWATCH_SMTP_HOST/PORT and MEDIAWATCH_ALERT_TO."""
    monkeypatch.setenv("MEDIAWATCH_SMTP_HOST", smtp_sink.host)
    monkeypatch.setenv("MEDIAWATCH_SMTP_PORT", str(smtp_sink.port))
    monkeypatch.setenv("MEDIAWATCH_SMTP_SECURITY", "none")
    monkeypatch.setenv("MEDIAWATCH_SMTP_MAX_RETRIES", "0")
    monkeypatch.setenv("MEDIAWATCH_ALERT_TO", "analyst@example.org")
    monkeypatch.setenv("MEDIAWATCH_ALERT_FROM", "mediawatch@example.org")
    return smtp_sink


def wait_until(predicate: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    """Poll `predicate` until true or `timeout_s` passes (for servers running in other threads)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
