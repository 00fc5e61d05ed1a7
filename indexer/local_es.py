"""A real single-node Elasticsearch 7.10.2 for tests and the demo, run as a child JVM.

The Java side (indexer/local_es/, a launcher of a few dozen lines over Maven Central's
`org.codelibs:elasticsearch-cluster-runner`) is built once with Maven into
indexer/local_es/target/ and reused. `LocalElasticsearch` starts it on 127.0.0.1 with a
given data dir and a small heap, waits until the cluster is yellow, and stops it with
SIGTERM (its shutdown hook closes the node), killing it only if it does not stop in time.
Used by `mediawatch es serve`, the `es_url` test fixture and the benchmarks.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from mediawatch.errors import StoreUnavailable

__all__ = ["LocalElasticsearch", "build_launcher", "find_free_port", "LAUNCHER_DIR"]

logger = logging.getLogger(__name__)

LAUNCHER_DIR = Path(__file__).resolve().parent / "local_es"
_JAR = LAUNCHER_DIR / "target" / "local-elasticsearch.jar"
_LIB = LAUNCHER_DIR / "target" / "lib"
_MAIN_CLASS = "mediawatch.LocalElasticsearch"
# Elasticsearch 7.10 runs on Java 17 without --add-opens when embedded this way (no security
# manager, no bootstrap checks); formatMsgNoLookups is belt and braces on top of log4j 2.17.1.
_JVM_FLAGS = ["-XX:+UseG1GC", "-Djava.awt.headless=true", "-Dfile.encoding=UTF-8",
              "-Dlog4j2.formatMsgNoLookups=true", "-Dlog4j.shutdownHookEnabled=false"]
_BUILD_TIMEOUT_S = 600


def find_free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now (for tests and benchmarks)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _is_port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _is_built() -> bool:
    """True when the launcher jar exists and is newer than the pom and every Java source."""
    if not _JAR.exists() or not _LIB.is_dir():
        return False
    sources = [LAUNCHER_DIR / "pom.xml", *LAUNCHER_DIR.joinpath("src").rglob("*.java")]
    return all(_JAR.stat().st_mtime >= src.stat().st_mtime for src in sources)


def build_launcher(force: bool = False) -> Path:
    """Build the launcher jar and copy its dependencies with Maven unless already built.

    Returns the jar path. Raises StoreUnavailable naming what is missing or what Maven said.
    """
    if _is_built() and not force:
        return _JAR
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StoreUnavailable("cannot build the local Elasticsearch: `mvn` (Maven 3) is not on "
                               "PATH; install Maven and Java 17, or set MEDIAWATCH_ES_URL")
    logger.info("building the local Elasticsearch launcher in %s", LAUNCHER_DIR)
    proc = subprocess.run([mvn, "-q", "-B", "package"], cwd=LAUNCHER_DIR, capture_output=True,
                          text=True, timeout=_BUILD_TIMEOUT_S, check=False)
    if proc.returncode != 0 or not _JAR.exists():
        tail = " | ".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
        raise StoreUnavailable(f"building the local Elasticsearch failed (mvn exit "
                               f"{proc.returncode}): {tail}")
    return _JAR


class LocalElasticsearch:
    """One local Elasticsearch node: `start()` returns its URL, `stop()` ends it.

    The node's files (data, logs, config) live under `data_dir`; restarting on the same
    dir keeps the indices. JVM output goes to `data_dir/launcher.log`.
    """

    def __init__(self, data_dir: str | Path, port: int = 9200, heap: str = "1g",
                 java: str | None = None) -> None:
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.port = port
        self.heap = heap
        self.java = java or os.environ.get("JAVA") or "java"
        self.url = f"http://127.0.0.1:{port}"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def log_file(self) -> Path:
        """Where the JVM's stdout and stderr go."""
        return self.data_dir / "launcher.log"

    @property
    def pid(self) -> int | None:
        """The JVM's process id while it runs."""
        return self._process.pid if self._process else None

    def start(self, timeout_s: float = 180) -> str:
        """Build if needed, start the JVM, wait for health yellow and return the URL.

        Raises StoreUnavailable if the port is taken, Java is missing, the JVM exits, or the
        cluster is not yellow within `timeout_s`.
        """
        if self._process is not None:
            return self.url
        jar = build_launcher()
        if _is_port_taken(self.port):
            raise StoreUnavailable(f"cannot start the local Elasticsearch: port {self.port} on "
                                   f"127.0.0.1 is already in use (pick another with --port)")
        if shutil.which(self.java) is None:
            raise StoreUnavailable(f"cannot start the local Elasticsearch: {self.java!r} not "
                                   f"found; install Java 17 or set JAVA")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [self.java, f"-Xms{self.heap}", f"-Xmx{self.heap}", *_JVM_FLAGS,
                   "-cp", f"{jar}{os.pathsep}{_LIB / '*'}", _MAIN_CLASS,
                   str(self.port), str(self.data_dir), "--exit-on-stdin-eof"]
        logger.info("starting local Elasticsearch on port %d, data in %s", self.port,
                    self.data_dir)
        with self.log_file.open("wb") as log:
            self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=log,
                                             stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_until_healthy(timeout_s)
        except BaseException:
            self.stop()
            raise
        return self.url

    def _wait_until_healthy(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        health = f"{self.url}/_cluster/health?wait_for_status=yellow&timeout=1s"
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise StoreUnavailable(f"local Elasticsearch exited with code "
                                       f"{self._process.returncode} while starting: "
                                       f"{self._log_tail()} (full log: {self.log_file})")
            status = _read_health(health)
            if status in ("yellow", "green"):
                return
            time.sleep(0.25)
        raise StoreUnavailable(f"local Elasticsearch on {self.url} was not yellow after "
                               f"{timeout_s:.0f} s (log: {self.log_file})")

    def _log_tail(self) -> str:
        try:
            lines = self.log_file.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return " | ".join(line.strip() for line in lines[-3:])

    def stop(self, timeout_s: float = 30) -> None:
        """Stop the JVM with SIGTERM (clean node shutdown); SIGKILL it after `timeout_s`."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            logger.warning("local Elasticsearch (pid %d) ignored SIGTERM for %.0f s; killing it",
                           process.pid, timeout_s)
            process.kill()
            process.wait()
        finally:
            if process.stdin:
                process.stdin.close()

    def wait(self) -> int:
        """Block until the JVM exits on its own; return its exit code."""
        if self._process is None:
            return 0
        return self._process.wait()

    def __enter__(self) -> LocalElasticsearch:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def _read_health(url: str) -> str | None:
    """Return the cluster health status, or None while the node does not answer yet."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (local URL)
            return str(json.load(response).get("status"))
    except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
        return None
