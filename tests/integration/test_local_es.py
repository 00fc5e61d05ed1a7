"""The local Elasticsearch (indexer/local_es.py, `mediawatch es serve`) is the real engine."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from indexer.local_es import LocalElasticsearch, find_free_port
from mediawatch.errors import StoreUnavailable

pytestmark = pytest.mark.integration


def get_json(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return dict(json.load(response))


def test_root_endpoint_is_elasticsearch_7_10_or_later(es_url: str) -> None:
    root = get_json(es_url + "/")
    version = root["version"]
    assert isinstance(version, dict)
    major, minor = (int(part) for part in str(version["number"]).split(".")[:2])
    assert (major, minor) >= (7, 10)
    assert root["tagline"] == "You Know, for Search"
    assert version.get("distribution") != "opensearch"


def test_port_in_use_is_a_clear_error(es_url: str, tmp_path: Path) -> None:
    port = int(es_url.rsplit(":", 1)[1])
    with pytest.raises(StoreUnavailable, match=f"port {port} .* already in use"):
        LocalElasticsearch(tmp_path, port=port).start()


@pytest.mark.slow
@pytest.mark.skipif(bool(os.environ.get("MEDIAWATCH_ES_URL")),
                    reason="MEDIAWATCH_ES_URL set: not starting extra local nodes")
def test_serve_stops_on_sigterm_and_keeps_data(tmp_path: Path) -> None:
    port = find_free_port()
    url = f"http://127.0.0.1:{port}"
    data = tmp_path / "es"

    def serve() -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-c", "from mediawatch.cli import run; run()", "es", "serve", "--port", str(port),
             "--data", str(data)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "MEDIAWATCH_DATA_DIR": str(tmp_path / "data")})
        assert process.stdout is not None
        line = process.stdout.readline()  # blocks until the node is ready (or the CLI fails)
        assert url in line, line + process.stderr.read() if process.stderr else line
        return process

    def stop(process: subprocess.Popen[str]) -> None:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        assert "stopped" in err

    first = serve()
    try:
        request = urllib.request.Request(url + "/kept", method="PUT")
        urllib.request.urlopen(request, timeout=30).close()
    finally:
        stop(first)
    with pytest.raises(OSError):
        urllib.request.urlopen(url + "/", timeout=2)
    started = time.monotonic()
    second = serve()
    try:
        indices = json.loads(urllib.request.urlopen(url + "/_cat/indices?format=json",
                                                    timeout=10).read())
        assert [entry["index"] for entry in indices] == ["kept"]
    finally:
        stop(second)
    assert time.monotonic() - started < 120
