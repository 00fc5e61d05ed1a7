"""SMTP delivery with STARTTLS or SSL, certificate verification on by default, retries with backoff."""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from collections.abc import Callable
from email.message import EmailMessage

from mediawatch.errors import MediawatchError
from mediawatch.settings import SmtpSettings

__all__ = ["Mailer", "MailError"]

logger = logging.getLogger(__name__)


class MailError(MediawatchError):
    """Delivery failed after every retry; the caller keeps the message pending."""


class Mailer:
    """Sends EmailMessages through the configured relay; never logs the password."""

    def __init__(self, settings: SmtpSettings, *, sleep: Callable[[float], None] = time.sleep,
                 backoff_s: float = 1.0) -> None:
        self.settings = settings
        self._sleep = sleep
        self._backoff_s = backoff_s
        if not settings.verify_certs and settings.security != "none":
            logger.warning("SMTP certificate verification is OFF (smtp.verify_certs=false): "
                           "anyone on the path can read the alerts")

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if not self.settings.verify_certs:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _connect(self) -> smtplib.SMTP:
        """Open a session (TLS as configured, then login); the socket is closed on any failure."""
        s = self.settings
        if s.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_s,
                                                    context=self._tls_context())
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout_s)
        try:
            if s.security == "starttls":
                client.starttls(context=self._tls_context())
            if s.user:
                password = s.password.get_secret_value() if s.password else ""
                client.login(s.user, password)
        except BaseException:
            client.close()
            raise
        return client

    def send(self, message: EmailMessage) -> None:
        """Send one message, retrying with exponential backoff; MailError when every try failed.

        Once the relay has accepted the message, a failing QUIT no longer counts as a failure:
        retrying then would deliver the message twice.
        """
        attempts = self.settings.max_retries + 1
        for attempt in range(1, attempts + 1):
            try:
                self._send_once(message)
                return
            except (smtplib.SMTPException, OSError) as exc:
                reason = f"{type(exc).__name__}: {exc}"
                logger.warning("SMTP %s:%s attempt %d/%d failed: %s", self.settings.host,
                               self.settings.port, attempt, attempts, reason)
                if attempt == attempts:
                    raise MailError(f"could not send via {self.settings.host}:{self.settings.port}"
                                    f" after {attempts} attempt(s): {reason}") from None
                self._sleep(min(self._backoff_s * 2 ** (attempt - 1), 60.0))

    def _send_once(self, message: EmailMessage) -> None:
        client = self._connect()
        try:
            refused = client.send_message(message)
        except BaseException:
            client.close()
            raise
        if refused:
            logger.warning("SMTP relay refused %d recipient(s): %s", len(refused), ", ".join(sorted(refused)))
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()
