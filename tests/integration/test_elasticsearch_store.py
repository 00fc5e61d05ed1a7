"""ElasticsearchStore specifics on the real local Elasticsearch: mapping, analyzers, bulk errors.

The behaviour shared with SqliteStore is in test_store_contract.py.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from indexer import SearchFilters
from indexer.elasticsearch import ElasticsearchStore, es
from indexer.local_es import find_free_port
from mediawatch.documents import Article, ClassifiedArticle, Evidence, TargetAnalysis
from mediawatch.errors import StoreUnavailable
from mediawatch.settings import Settings

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


def make_doc(n: int, title: str = "Заголовок", body: str = "Текст.", language: str = "ru",
             targets: list[TargetAnalysis] | None = None) -> ClassifiedArticle:
    article = Article(url=f"https://example.az/{n}", canonical_url=f"https://example.az/{n}",
                      outlet_id="apa", title=title, body=body, published_at=T0,
                      language=language, country="AZ")
    return ClassifiedArticle(article, targets or [], model_name="m", model_version="1")


def analyze(store: ElasticsearchStore, field: str, text: str) -> list[str]:
    result = store.client.indices.analyze(index=store.write_alias,
                                          body={"field": field, "text": text})
    return [token["token"] for token in result["tokens"]]


def test_write_alias_points_at_the_first_index(es_store: ElasticsearchStore) -> None:
    aliases = es_store.client.indices.get_alias(name=es_store.write_alias)
    assert list(aliases) == [es_store.first_index]
    assert aliases[es_store.first_index]["aliases"][es_store.write_alias]["is_write_index"] is True
    assert es_store.client.indices.exists(index=es_store.state_index)


def test_mapping_comes_from_the_template(es_store: ElasticsearchStore) -> None:
    mapping = es_store.client.indices.get_mapping(index=es_store.first_index)
    mappings = mapping[es_store.first_index]["mappings"]
    assert mappings["dynamic"] == "strict"
    props = mappings["properties"]
    assert props["targets"] == {"type": "object", "enabled": False}  # stored, not indexed
    for keyword in ("id", "url", "canonical_url", "outlet_id", "country", "affiliation",
                    "language", "authors", "section", "content_hash", "near_duplicate_group"):
        assert props[keyword]["type"] == "keyword", keyword
    assert props["published_at"]["type"] == "date"
    assert props["title"]["analyzer"] == "mediawatch_russian"
    assert props["title"]["fields"]["az"]["analyzer"] == "mediawatch_azerbaijani"
    assert props["body_az"]["analyzer"] == "mediawatch_azerbaijani"
    assert props["model"]["properties"]["version"]["type"] == "keyword"


def test_unknown_field_is_refused(es_store: ElasticsearchStore) -> None:
    with pytest.raises(es.RequestError, match="strict_dynamic_mapping_exception"):
        es_store.client.index(index=es_store.write_alias, id="x",
                              body={"id": "x", "no_such_field": 1})


@pytest.mark.parametrize("form", ["Азербайджан", "Азербайджану", "азербайджаном", "АЗЕРБАЙДЖАНЕ"])
def test_russian_analyzer_matches_every_case_of_the_target(es_store: ElasticsearchStore,
                                                          form: str) -> None:
    es_store.upsert_many([make_doc(1, body="Посол Азербайджана вызван в МИД.")])
    assert len(es_store.search(form)) == 1


def test_russian_analyzer_folds_yo(es_store: ElasticsearchStore) -> None:
    assert analyze(es_store, "body_ru", "ещё") == analyze(es_store, "body_ru", "еще")


@pytest.mark.parametrize(("language", "body", "typed"), [
    ("az", "Azərbaycan XİN-i Bakıda açıqlama yaydı.", "azerbaycan"),
    ("en", "Baku and Moscow resumed talks on flights.", "flight"),
    ("ru", "Посол Азербайджана вызван в МИД.", "азербайджану"),
    ("uk", "Посол Азербайджану викликаний.", "азербайджану"),
])
def test_each_body_is_searchable_through_its_language_field(
        es_store: ElasticsearchStore, language: str, body: str, typed: str) -> None:
    doc = make_doc(1, title="x", body=body, language=language)
    es_store.upsert_many([doc])
    assert [d.article.body for d in es_store.search(typed)] == [body]


@pytest.mark.parametrize(("stored", "typed"), [
    ("Bakı", "BAKI"),       # Turkic dotless ı: BAKI lowercases to bakı, not baki
    ("İlham", "ilham"),     # dotted capital İ lowercases to i, not i̇
    ("Əliyev", "Eliyev"),   # ə typed as e without an Azerbaijani keyboard
    ("Azərbaycan", "azerbaycan"),
    ("Azərbaycan", "AZƏRBAYCAN"),
    ("Şuşa", "susa"),       # other letters fold to ASCII
    ("Qarabağ", "Qarabağ"),
])
def test_azerbaijani_analyzer_folds(es_store: ElasticsearchStore, stored: str, typed: str) -> None:
    es_store.upsert_many([make_doc(1, title=stored, body="xəbər", language="az")])
    assert [d.article.title for d in es_store.search(typed)] == [stored]


@pytest.mark.parametrize(("text", "tokens"), [
    ("BAKI", {"bakı", "baki"}),
    ("İLHAM", {"ilham"}),
    ("Əliyev", {"eliyev"}),
    ("Gəncə şəhəri", {"gence", "şeheri", "seheri"}),
])
def test_azerbaijani_analyzer_keeps_turkic_token_and_ascii_copies(
        es_store: ElasticsearchStore, text: str, tokens: set[str]) -> None:
    got = analyze(es_store, "title.az", text)
    assert set(got) == tokens and len(got) == len(tokens)


def test_bulk_reports_item_errors_and_writes_the_rest(es_store: ElasticsearchStore) -> None:
    too_many = TargetAnalysis(target="azerbaijan", mentions=2**40)  # over the integer field
    good, bad = make_doc(1), make_doc(2, targets=[too_many])
    result = es_store.upsert_many([good, bad, make_doc(3)])
    assert result.written == 2
    assert [doc_id for doc_id, _ in result.failed] == [bad.id]
    assert "mapper_parsing_exception" in result.failed[0][1]
    assert es_store.count() == 2


def test_hostile_filter_is_exact_per_target(es_store: ElasticsearchStore) -> None:
    # hostile toward russia, neutral toward azerbaijan: not a hostile azerbaijan article
    doc = make_doc(1, targets=[
        TargetAnalysis(target="azerbaijan", mentions=1),
        TargetAnalysis(target="russia", mentions=1, hostility="hostile", hostile_mentions=1,
                       evidence=[Evidence(text="Москва", start=0, end=6, score=0.9)])])
    es_store.upsert_many([doc])
    assert es_store.search(None, SearchFilters(target="azerbaijan", hostile=True)) == []
    assert len(es_store.search(None, SearchFilters(target="russia", hostile=True))) == 1


def test_bulk_load_defers_refresh_and_restores_it(es_store: ElasticsearchStore) -> None:
    def refresh_interval() -> str | None:
        got = es_store.client.indices.get_settings(index=es_store.first_index,
                                                   name="index.refresh_interval")
        return got[es_store.first_index]["settings"].get("index", {}).get("refresh_interval")

    before = refresh_interval()
    with es_store.bulk_load():
        assert refresh_interval() == "-1"
        es_store.upsert_many([make_doc(i) for i in range(50)])
    assert refresh_interval() == before
    assert es_store.count() == 50


def test_unreachable_url_fails_fast_with_one_line(es_settings: Settings) -> None:
    url = f"http://127.0.0.1:{find_free_port()}"
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as caught:
        ElasticsearchStore.from_url(url, es_settings)
    assert time.monotonic() - started < 5
    message = str(caught.value)
    assert url in message and "\n" not in message


def test_store_url_hides_credentials(es_url: str, es_settings: Settings) -> None:
    # the local node has no security, so any credentials are accepted and must not leak
    with_auth = es_url.replace("http://", "http://reader:s3cret@")
    store = ElasticsearchStore.from_url(with_auth, es_settings, index_prefix="mwtest-auth")
    try:
        assert "s3cret" not in store.url and store.url == es_url
    finally:
        store.delete_indices()
        store.close()


def test_a_target_outside_the_mapping_gets_typed_fields_and_trends(
        es_store: ElasticsearchStore) -> None:
    """A target added to config/targets.yaml needs no mapping change (dynamic templates)."""
    from indexer.store import TrendQuery

    doc = make_doc(1, targets=[TargetAnalysis(
        target="armenia", mentions=3, stance="against", stance_score=-0.5, hostility="hostile",
        hostile_mentions=2, rhetoric=["threat"], evidence=[Evidence(text="x", start=0, end=1)])])
    assert es_store.upsert_many([doc]).written == 1
    mapped = es_store.client.indices.get_mapping(index=es_store.first_index)[
        es_store.first_index]["mappings"]["properties"]["by_target"]["properties"]["armenia"]
    assert {name: spec["type"] for name, spec in mapped["properties"].items()} == {
        "mentions": "integer", "hostile_mentions": "integer", "stance": "keyword",
        "stance_score": "double", "hostility": "keyword", "hostility_score": "double",
        "rhetoric": "keyword", "evidence": "text"}
    [bucket] = es_store.trends(TrendQuery("armenia", "day", by="rhetoric"))
    assert (bucket.group, bucket.articles, bucket.mentions, bucket.hostile) == ("threat", 1, 3, 2)
    assert es_store.search(None, SearchFilters(target="armenia", hostile=True)) == [doc]
    assert es_store.trends(TrendQuery("armenia*", "day")) == []


def _version_1_source(doc: ClassifiedArticle) -> dict[str, object]:
    """What mapping version 1 stored: one `body` field and flat copies of watched targets."""
    source = doc.to_dict()
    source["hostile_toward"] = [t.target for t in doc.targets if t.hostility == "hostile"]
    source["by_target"] = {t.target: {"mentions": t.mentions} for t in doc.targets}
    return source


def test_documented_reindex_moves_version_1_documents(es_store: ElasticsearchStore) -> None:
    """The reindex body in docs/operations.md ('From mapping version 1 to 2') really works."""
    import json
    import re
    from pathlib import Path

    guide = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text("utf-8")
    section = guide[guide.index("### From mapping version 1 to 2"):]
    body = json.loads(re.search(r"```json\n(.*?)\n```", section, re.S).group(1))
    old_index = f"{es_store.index_prefix}-v1"  # outside the template's pattern: dynamic mapping
    docs = [make_doc(1, body="Посол Азербайджана вызван.", targets=[TargetAnalysis(
                target="azerbaijan", mentions=2, hostility="hostile", hostile_mentions=1)]),
            make_doc(2, body="Bakı açıqlama yaydı.", language="az")]
    for doc in docs:
        es_store.client.index(index=old_index, id=doc.id, body=_version_1_source(doc))
    es_store.client.indices.refresh(index=old_index)
    body["source"]["index"], body["dest"]["index"] = old_index, es_store.write_alias
    try:
        result = es_store.client.reindex(body=body, refresh=True)
        assert (result["created"], result["failures"]) == (2, [])
        assert [es_store.get(doc.id) for doc in docs] == docs
        assert [d.id for d in es_store.search(None, SearchFilters(target="azerbaijan"))] == [
            docs[0].id]
        assert [d.id for d in es_store.search("baki")] == [docs[1].id]
    finally:
        es_store.client.indices.delete(index=old_index)


def test_an_index_of_an_older_mapping_is_refused_with_the_fix(
        es_url: str, es_settings: Settings) -> None:
    import uuid

    from mediawatch.errors import StoreError

    prefix = f"mwtest-old-{uuid.uuid4().hex[:8]}"
    client = es.Elasticsearch([es_url])
    client.indices.create(index=f"{prefix}-articles-000001", body={
        "aliases": {f"{prefix}-articles": {"is_write_index": True}},
        "mappings": {"_meta": {"mediawatch_mapping_version": 1}}})
    try:
        with pytest.raises(StoreError, match=r"mapping version 1, this mediawatch needs 2.*"
                                             r"docs/operations.md"):
            ElasticsearchStore.from_url(es_url, es_settings, index_prefix=prefix)
    finally:
        client.indices.delete(index=f"{prefix}-*")
        client.indices.delete_index_template(name=f"{prefix}-articles", ignore=[404])
        client.transport.close()
