"""SMTP delivery against a real in-process aiosmtpd relay: retries, backoff, TLS verification."""

from __future__ import annotations

import logging
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import pytest

from mediawatch.mailer import Mailer, MailError
from mediawatch.settings import SmtpSettings
from tests.fixtures_smtp import SmtpSink


def message(subject: str = "hello") -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = subject, "mw@example.org", "analyst@example.org"
    msg.set_content("body text")
    return msg


def smtp_settings(sink: SmtpSink, **values: Any) -> SmtpSettings:
    return SmtpSettings(host=sink.host, port=sink.port, timeout_s=5, **values)


class Sleeps(list[float]):
    """Records requested backoff sleeps instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_a_message_reaches_the_relay(smtp_sink: SmtpSink) -> None:
    Mailer(smtp_settings(smtp_sink)).send(message("one"))
    assert smtp_sink.subjects() == ["one"]
    assert smtp_sink.envelopes == [("mw@example.org", ["analyst@example.org"])]


@pytest.mark.parametrize("drop", [False, True], ids=["451", "dropped-connection"])
def test_refusals_are_retried_with_exponential_backoff(smtp_factory: Callable[..., SmtpSink], drop: bool) -> None:
    sink = smtp_factory(refuse_first=3, drop=drop)
    sleeps = Sleeps()
    Mailer(smtp_settings(sink, max_retries=3), sleep=sleeps, backoff_s=0.5).send(message())
    assert sink.subjects() == ["hello"]
    assert sleeps == [0.5, 1.0, 2.0]


def test_giving_up_raises_mail_error_and_delivers_nothing(smtp_factory: Callable[..., SmtpSink]) -> None:
    sink = smtp_factory(refuse_first=10)
    with pytest.raises(MailError, match="after 3 attempt"):
        Mailer(smtp_settings(sink, max_retries=2), sleep=Sleeps()).send(message())
    assert sink.messages == []
    assert sink.attempts == 3


def test_a_relay_that_is_down_is_a_mail_error(smtp_sink: SmtpSink) -> None:
    smtp_sink.stop()
    with pytest.raises(MailError, match="ConnectionRefusedError"):
        Mailer(smtp_settings(smtp_sink, max_retries=0)).send(message())


def test_starttls_verifies_certificates_by_default(smtp_tls_sink: SmtpSink) -> None:
    with pytest.raises(MailError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        Mailer(smtp_settings(smtp_tls_sink, security="starttls", max_retries=0)).send(message())
    assert smtp_tls_sink.messages == []


def test_verification_can_be_turned_off_with_a_warning(smtp_tls_sink: SmtpSink,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="mediawatch.mailer"):
        mailer = Mailer(smtp_settings(smtp_tls_sink, security="starttls", verify_certs=False))
    assert "verification is OFF" in caplog.text
    mailer.send(message("over tls"))
    assert smtp_tls_sink.subjects() == ["over tls"]


def test_plain_sessions_to_a_starttls_only_relay_are_refused(smtp_tls_sink: SmtpSink) -> None:
    with pytest.raises(MailError):
        Mailer(smtp_settings(smtp_tls_sink, max_retries=0)).send(message())
    assert smtp_tls_sink.messages == []


def test_the_password_is_never_logged(smtp_sink: SmtpSink, caplog: pytest.LogCaptureFixture) -> None:
    secret = "s3cret-Pa55"
    settings = SmtpSettings(host=smtp_sink.host, port=smtp_sink.port, user="mw", password=secret,  # type: ignore[arg-type]
                            max_retries=1, timeout_s=5)
    with caplog.at_level(logging.DEBUG), pytest.raises(MailError) as failure:
        Mailer(settings, sleep=Sleeps()).send(message())  # the sink offers no AUTH over plain text
    assert secret not in caplog.text
    assert secret not in str(failure.value)
