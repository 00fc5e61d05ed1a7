"""The demo's local stand-ins for the internet: an HTTP replay of the outlet sites and an SMTP sink.

Both listen on 127.0.0.1 at a port the OS picks and run in background threads, so the demo
needs no network. `SiteServer` serves a folder written by mediawatch/demo_site.py, putting its
own address where pages say ``{{BASE}}``, with ETag validators on feeds like real sites.
A re-run asks for the port of the run before, so the article URLs it stored are found again
and skipped. `MailSink` is an aiosmtpd relay that saves every accepted message as an .eml file.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import logging
import socket
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from mediawatch.demo_site import BASE

__all__ = ["SiteServer", "MailSink"]

logger = logging.getLogger(__name__)

_TYPES = {".xml": "application/rss+xml; charset=utf-8", ".html": "text/html; charset=utf-8",
          ".txt": "text/plain; charset=utf-8"}
_ROBOTS = b"User-agent: *\nAllow: /\n"


class SiteServer:
    """A threaded HTTP server on 127.0.0.1 replaying the files under `root` (port 0: any)."""

    def __init__(self, root: Path, port: int = 0) -> None:
        self.root = root.resolve()
        self.requests = 0
        self.httpd = self._bind(port)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="demo-site", daemon=True)

    def _bind(self, port: int) -> ThreadingHTTPServer:
        """Listen on `port` when it is free (a re-run keeps its URLs), else on one the OS picks."""
        try:
            return ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        except OSError as exc:
            logger.info("port %d is taken (%s); using another", port, exc)
            return ThreadingHTTPServer(("127.0.0.1", 0), self._handler())

    def __enter__(self) -> SiteServer:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def body_of(self, path: str) -> tuple[bytes, str] | None:
        """Return (body, content type) of a URL path, or None when there is no such file."""
        if path == "/robots.txt":
            return _ROBOTS, _TYPES[".txt"]
        file = (self.root / path.split("?")[0].lstrip("/")).resolve()
        if file.is_dir():
            file = file / "index.html"
        if self.root not in file.parents or not file.is_file():
            return None
        body = file.read_bytes().replace(BASE.encode(), self.base_url.encode())
        return body, _TYPES.get(file.suffix, _TYPES[".html"])

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
                logger.debug("demo site: " + format, *args)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server.requests += 1
                found = server.body_of(self.path)
                if found is None:
                    self._send(404, b"<html><body>Not found</body></html>", _TYPES[".html"])
                    return
                body, content_type = found
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self._send(304, b"", content_type, {"ETag": etag})
                else:
                    self._send(200, body, content_type, {"ETag": etag})

            def _send(self, status: int, body: bytes, content_type: str,
                      headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

        return Handler


def _free_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MailSink:
    """An SMTP relay on 127.0.0.1 that writes each accepted message to `folder` as an .eml file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.saved: list[Path] = []
        self._lock = threading.Lock()
        self.host = "127.0.0.1"
        # aiosmtpd checks readiness by connecting to its port, so port 0 cannot be used here.
        self.port = _free_port()
        self._controller = Controller(self, hostname=self.host, port=self.port)

    def __enter__(self) -> MailSink:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._controller.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._controller.stop()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        """Save the message (aiosmtpd handler hook); answer 250 once it is on disk."""
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        received = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        digest = hashlib.sha1(raw).hexdigest()[:10]
        path = self.folder / f"{received}-{digest}.eml"
        path.write_bytes(raw)
        with self._lock:
            self.saved.append(path)
        logger.info("demo mailbox: saved %r to %s", str(message["Subject"]), path)
        return "250 Message accepted for delivery"
