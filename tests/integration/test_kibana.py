"""Kibana saved objects: every field they read exists in the real Elasticsearch mapping; import posts them."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from mediawatch.cli import main
from mediawatch.kibana import load_saved_objects, referenced_fields

pytestmark = pytest.mark.integration


def _mapped_fields(properties: dict[str, Any], prefix: str = "") -> set[str]:
    names: set[str] = set()
    for name, spec in properties.items():
        full = prefix + name
        names.add(full)
        names |= {f"{full}.{sub}" for sub in spec.get("fields", {})}
        names |= _mapped_fields(spec.get("properties", {}), full + ".")
    return names


def test_saved_objects_reference_only_mapped_fields(es_store: Any) -> None:
    from mediawatch.documents import Article, ClassifiedArticle

    es_store.upsert_many([ClassifiedArticle(Article(url="https://x.example/1", canonical_url="", outlet_id="x",
                                                    title="t", body="b"))])
    mapping = es_store.client.indices.get_mapping(index=es_store.write_alias)
    properties = next(iter(mapping.values()))["mappings"]["properties"]
    mapped = _mapped_fields(properties)
    used = referenced_fields(load_saved_objects())
    assert used, "the saved objects should reference fields"
    assert used <= mapped, f"fields used by Kibana objects but not mapped: {sorted(used - mapped)}"


def test_objects_are_kibana_7_10_importable_shapes() -> None:
    objects = load_saved_objects()
    ids = {(o["type"], o["id"]) for o in objects}
    assert ("index-pattern", "mediawatch-articles") in ids
    assert {t for t, _ in ids} == {"index-pattern", "search", "visualization", "dashboard"}
    for obj in objects:
        assert obj["migrationVersion"], obj["id"]
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in ids, f"{obj['id']} references missing {ref}"
    pattern = next(o for o in objects if o["type"] == "index-pattern")
    assert pattern["attributes"]["timeFieldName"] == "published_at"


class _KibanaImportRecorder(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        answer = json.dumps({"success": True, "successCount": body.count(b'"type"')}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def kibana_recorder() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _KibanaImportRecorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_import_posts_ndjson_to_saved_objects_api(kibana_recorder: str, data_dir: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIAWATCH_ES_USERNAME", "elastic")
    monkeypatch.setenv("MEDIAWATCH_ES_PASSWORD", "s3cret")
    _KibanaImportRecorder.received.clear()
    assert main(["kibana", "import", "--url", kibana_recorder]) == 0
    path, headers, body = _KibanaImportRecorder.received[0]
    assert path == "/api/saved_objects/_import?overwrite=true"
    assert headers["kbn-xsrf"] and headers["authorization"].startswith("Basic ")
    assert b'"mediawatch-overview"' in body and b"multipart" not in body[:10]
    assert headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'Content-Disposition: form-data; name="file"; filename="mediawatch.ndjson"' in body
    assert all(f'"id": "{o["id"]}"'.encode() in body for o in load_saved_objects()), "every object is posted"


def test_unreachable_kibana_is_one_line_exit_2(data_dir: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kibana", "import", "--url", "http://127.0.0.1:9"]) == 2
    assert "unreachable" in capsys.readouterr().err
