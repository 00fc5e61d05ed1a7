"""ElasticsearchStore without a server: template coverage, client options, bulk retry policy.

Everything that needs the engine is in tests/integration/test_elasticsearch_store.py; here a
recording stand-in for the client checks only our retry and error bookkeeping.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import Any

import pytest
from pydantic import SecretStr

import indexer.elasticsearch as es_module
from indexer.elasticsearch import (
    BODY_FIELD_BY_LANGUAGE,
    BODY_FIELD_OTHER,
    BODY_FIELDS,
    ElasticsearchStore,
    _client_options,
    _strip_credentials,
    document_source,
    stored_to_dict,
    es,
)
from mediawatch.documents import Article, ClassifiedArticle, Evidence, TargetAnalysis
from mediawatch.errors import StoreUnavailable
from mediawatch.settings import ElasticsearchSettings, Settings


def full_doc(n: int = 1) -> ClassifiedArticle:
    article = Article(url=f"https://a.example/{n}", canonical_url=f"https://a.example/{n}",
                      outlet_id="tass", title="t", body="b", section="world",
                      near_duplicate_group="g", authors=["x"])
    target = TargetAnalysis(target="azerbaijan", mentions=1, rhetoric=["threat"],
                            evidence=[Evidence(text="e", start=0, end=1, rhetoric=["threat"])])
    return ClassifiedArticle(article, [target], model_name="m", model_version="1")


def mapped_paths(properties: dict[str, Any], prefix: str = "") -> set[str]:
    paths = set()
    for name, spec in properties.items():
        paths.add(prefix + name)
        paths |= mapped_paths(spec.get("properties", {}), f"{prefix}{name}.")
    return paths


def unindexed_objects(properties: dict[str, Any], prefix: str = "") -> set[str]:
    """Paths of objects stored as they come (`enabled: false`): anything below them is fine."""
    found = set()
    for name, spec in properties.items():
        if spec.get("enabled") is False:
            found.add(f"{prefix}{name}.")
        found |= unindexed_objects(spec.get("properties", {}), f"{prefix}{name}.")
    return found


def document_paths(value: Any, prefix: str = "") -> set[str]:
    if isinstance(value, list):
        return set().union(*(document_paths(v, prefix) for v in value)) if value else set()
    if not isinstance(value, dict):
        return set()
    paths = set()
    for name, inner in value.items():
        paths.add(prefix + name)
        paths |= document_paths(inner, f"{prefix}{name}.")
    return paths


def test_template_maps_every_document_field() -> None:
    store = ElasticsearchStore(None, "http://x", ElasticsearchSettings(), index_prefix="p")
    mapping = store.index_template()["template"]["mappings"]
    stored_only = unindexed_objects(mapping["properties"])
    missing = {path for path in document_paths(document_source(full_doc()))
               - mapped_paths(mapping["properties"])
               if not any(path.startswith(prefix) for prefix in stored_only)}
    assert stored_only == {"targets."}
    assert not missing, f"add {sorted(missing)} to indexer/templates/articles.json (dynamic: strict)"


def test_template_is_named_after_the_prefix() -> None:
    store = ElasticsearchStore(None, "http://x", ElasticsearchSettings(), index_prefix="news")
    assert store.index_template()["index_patterns"] == ["news-articles-*"]
    assert (store.write_alias, store.first_index, store.state_index) == (
        "news-articles", "news-articles-000001", "news-state")


def test_api_key_wins_over_user_and_password() -> None:
    config = ElasticsearchSettings(api_key=SecretStr("a2V5"), username="u",
                                   password=SecretStr("p"))
    options = _client_options("https://es.example:9200", config)
    assert options["api_key"] == "a2V5" and "http_auth" not in options
    assert options["verify_certs"] is True


def test_basic_auth_and_ca_file() -> None:
    config = ElasticsearchSettings(username="u", password=SecretStr("p"), ca_file="/ca.pem")
    options = _client_options("https://es.example:9200", config)
    assert options["http_auth"] == ("u", "p") and options["ca_certs"] == "/ca.pem"


def test_turning_verification_off_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="indexer.elasticsearch"):
        options = _client_options("https://u:secret@es.example:9200",
                                  ElasticsearchSettings(verify_certs=False))
    assert options["verify_certs"] is False
    assert "verification is OFF" in caplog.text and "secret" not in caplog.text


@pytest.mark.parametrize(("url", "shown"), [
    ("http://user:pw@localhost:9200/", "http://localhost:9200"),
    ("https://es.example", "https://es.example"),
])
def test_strip_credentials(url: str, shown: str) -> None:
    assert _strip_credentials(url) == shown


class RecordingClient:
    """Answers bulk requests from a script of per-attempt item statuses; counts refreshes."""

    def __init__(self, statuses: list[dict[int, int]]) -> None:
        self.statuses = statuses  # one {doc number: status} per bulk call; missing means 201
        self.calls: list[list[str]] = []
        self.refreshes = 0
        self.transport = type("T", (), {"serializer": es.serializer.JSONSerializer()})()
        self.indices = type("I", (), {"refresh": lambda _, **kw: self._refresh()})()

    def _refresh(self) -> None:
        self.refreshes += 1

    def bulk(self, body: str, **kwargs: Any) -> dict[str, Any]:
        lines = [json.loads(line) for line in body.splitlines() if line]
        ids = [line["index"]["_id"] for line in lines[0::2]]
        titles = [int(line["url"].rsplit("/", 1)[1]) for line in lines[1::2]]
        script = self.statuses[len(self.calls)] if len(self.calls) < len(self.statuses) else {}
        self.calls.append(ids)
        items = []
        for doc_id, n in zip(ids, titles):
            status = script.get(n, 201)
            item: dict[str, Any] = {"_id": doc_id, "status": status}
            if status >= 300:
                item["error"] = {"type": "unavailable_shards_exception" if status == 503
                                 else "mapper_parsing_exception", "reason": "scripted"}
            items.append({"index": item})
        return {"errors": any(i["index"]["status"] >= 300 for i in items), "items": items}


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(es_module.time, "sleep", slept.append)
    return slept


def make_store(client: RecordingClient, retries: int = 3) -> ElasticsearchStore:
    return ElasticsearchStore(client, "http://es.test", ElasticsearchSettings(
        bulk_max_retries=retries), index_prefix="p")


def test_503_items_are_retried_with_growing_backoff(no_sleep: list[float]) -> None:
    client = RecordingClient([{2: 503}, {2: 503}, {}])
    docs = [full_doc(n) for n in (1, 2, 3)]
    result = make_store(client).upsert_many(docs)
    assert result.written == 3 and result.failed == []
    assert client.calls[1:] == [[docs[1].id], [docs[1].id]]
    assert no_sleep == [0.5, 1.0]
    assert client.refreshes == 1


def test_hard_item_errors_are_reported_not_retried(no_sleep: list[float]) -> None:
    client = RecordingClient([{1: 400}])
    result = make_store(client).upsert_many([full_doc(1), full_doc(2)])
    assert result.written == 1
    assert result.failed == [(full_doc(1).id, "400 mapper_parsing_exception: scripted")]
    assert len(client.calls) == 1


def test_503_items_fail_once_retries_run_out(no_sleep: list[float]) -> None:
    client = RecordingClient([{1: 503}] * 10)
    result = make_store(client, retries=2).upsert_many([full_doc(1)])
    assert result.written == 0 and result.failed[0][1].startswith("503")
    assert len(client.calls) == 3


def test_lost_connection_retries_then_raises_store_unavailable(no_sleep: list[float]) -> None:
    class DeadClient(RecordingClient):
        def bulk(self, body: str, **kwargs: Any) -> dict[str, Any]:
            self.calls.append([])
            raise es.ConnectionError("N/A", "refused", ConnectionRefusedError())

    client = DeadClient([])
    with pytest.raises(StoreUnavailable, match="http://es.test is unreachable"):
        make_store(client, retries=2).upsert_many([full_doc(1)])
    assert len(client.calls) == 3 and no_sleep == [0.5, 1.0]


def test_later_duplicate_is_the_one_sent(no_sleep: list[float]) -> None:
    client = RecordingClient([])
    first, second = full_doc(1), full_doc(1)
    second.article.title = "newer"
    assert make_store(client).upsert_many([first, second]).written == 1
    assert client.calls == [[first.id]]


def test_document_source_equals_to_dict() -> None:
    undated, dated = full_doc(1), full_doc(2)
    dated.article.published_at = datetime(2026, 3, 2, 8, 30, tzinfo=timezone.utc)
    dated.article.crawled_at = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    for doc in (undated, dated):
        source = document_source(doc)
        flat = {key: source.pop(key)
                for key in ("targets_mentioned", "hostile_toward", "by_target")}
        assert "body" not in source and source[BODY_FIELD_OTHER] == doc.article.body  # no language
        assert stored_to_dict(source) == doc.to_dict()
        assert flat["targets_mentioned"] == [t.target for t in doc.targets]  # all mentioned
        assert flat["hostile_toward"] == [t.target for t in doc.targets if t.hostility == "hostile"]
        for t in doc.targets:
            assert flat["by_target"][t.target]["hostile_mentions"] == t.hostile_mentions
            assert flat["by_target"][t.target]["evidence"] == [e.text for e in t.evidence]


@pytest.mark.parametrize(("language", "field"), [
    ("ru", "body_ru"), ("az", "body_az"), ("tr", "body_az"), ("en", "body_en"),
    ("uk", "body_other"), ("", "body_other")])
def test_each_body_is_stored_under_its_language_field_only(language: str, field: str) -> None:
    doc = full_doc(1)
    doc.article.language = language
    source = document_source(doc)
    assert [key for key in source if key.startswith("body")] == [field]
    assert stored_to_dict(source)["body"] == doc.article.body


def test_a_version_1_source_with_one_body_field_still_decodes() -> None:
    old = full_doc(1).to_dict()
    assert stored_to_dict(old) is old


def test_every_body_field_is_mapped_with_its_analyzer() -> None:
    properties = make_store(RecordingClient([])).index_template()["template"]["mappings"][
        "properties"]
    assert "body" not in properties
    analyzers = {field: properties[field]["analyzer"] for field in BODY_FIELDS}
    assert analyzers == {"body_ru": "mediawatch_russian", "body_az": "mediawatch_azerbaijani",
                         "body_en": "mediawatch_english", "body_other": "standard"}
    assert set(BODY_FIELD_BY_LANGUAGE.values()) | {BODY_FIELD_OTHER} == set(BODY_FIELDS)


def test_a_server_that_is_not_elasticsearch_is_unavailable() -> None:
    import http.server
    import threading

    class NotFound(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with pytest.raises(StoreUnavailable, match="does not answer like Elasticsearch"):
            ElasticsearchStore.from_url(url, Settings(data_dir="."))
    finally:
        server.shutdown()
        server.server_close()
