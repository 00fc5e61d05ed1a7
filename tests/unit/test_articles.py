"""Tests of article-level aggregation: mentions, scores, evidence sentences and their offsets."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediawatch.documents import Article
from mediawatch.errors import ConfigError
from mediawatch.settings import load_settings
from nlp.articles import MAX_EVIDENCE, ArticleClassifier
from nlp.inference import PassageClassifier
from tests.tiny_classifier import train_tiny

BODY = ("Азербайджан выразил протест Москве из-за задержаний. "
        "В Баку заявили, что ждут объяснений. "
        "Депутат Госдумы пригрозил Баку последствиями. "
        "Алиев провёл совещание по безопасности. "
        "Азербайджанские власти отозвали посла. "
        "Погода в регионе остаётся тёплой.")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_tiny(tmp_path_factory.mktemp("articles"), epochs=1)[0]


@pytest.fixture
def classifier(model_dir: Path) -> ArticleClassifier:
    return ArticleClassifier(PassageClassifier.load(model_dir, threads=1))


def article(body: str, title: str = "", url: str = "https://example.org/a") -> Article:
    return Article(url=url, canonical_url="", outlet_id="test", title=title, body=body,
                   language="ru")


def test_evidence_is_at_most_three_sentences_with_body_offsets(classifier: ArticleClassifier) -> None:
    result = classifier.classify([article(BODY, title="Баку ответит Москве")])[0]
    analysis = result.target("azerbaijan")
    assert analysis is not None
    assert 0 < len(analysis.evidence) <= MAX_EVIDENCE
    for evidence in analysis.evidence:
        assert BODY[evidence.start:evidence.end] == evidence.text
        assert evidence.text.endswith(".")


def test_aggregate_counts_and_scores(classifier: ArticleClassifier) -> None:
    analysis = classifier.classify([article(BODY)])[0].target("azerbaijan")
    assert analysis is not None
    assert analysis.mentions == 5
    assert -1.0 <= analysis.stance_score <= 1.0
    assert 0.0 <= analysis.hostility_score <= 1.0
    assert analysis.stance in ("against", "neutral", "favor")
    assert (analysis.hostility == "hostile") == (analysis.hostile_mentions > 0)
    assert [e.score for e in analysis.evidence] == sorted(
        (e.score for e in analysis.evidence), reverse=True) or len(analysis.evidence) <= 3


def test_articles_keep_order_and_unmentioned_targets_are_absent(classifier: ArticleClassifier) -> None:
    results = classifier.classify([article("Погода хорошая. Дождя нет.", url="https://e.org/1"),
                                   article(BODY, url="https://e.org/2")])
    assert [r.article.url for r in results] == ["https://e.org/1", "https://e.org/2"]
    assert results[0].targets == []
    assert {t.target for t in results[1].targets} == {"azerbaijan", "russia"}
    assert results[1].model_name == "tiny" and results[1].model_version


def test_from_settings_without_a_model_names_the_path_and_the_fix(tmp_path: Path) -> None:
    settings = load_settings(environ={}, overrides={"data_dir": str(tmp_path),
                                                    "classifier": {"model": str(tmp_path / "none")}})
    with pytest.raises(ConfigError) as error:
        ArticleClassifier.from_settings(settings)
    assert str(tmp_path / "none") in str(error.value)
    assert "mediawatch train --from-scratch" in str(error.value)


def test_from_settings_loads_the_configured_model(model_dir: Path, tmp_path: Path) -> None:
    settings = load_settings(environ={}, overrides={"data_dir": str(tmp_path),
                                                    "classifier": {"model": str(model_dir)}})
    assert ArticleClassifier.from_settings(settings).model_name == "tiny"
