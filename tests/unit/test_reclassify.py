"""`mediawatch reclassify`: new analyses and model version on every stored article, idempotent."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from indexer.sqlite import SqliteStore
from mediawatch.cli import main
from mediawatch.documents import Article, ClassifiedArticle, TargetAnalysis


class FakeClassifier:
    """Stands in for a trained model: every article gets one 'azerbaijan' analysis."""

    model_name, model_version = "mw-stance", "2027.01"
    calls = 0

    @classmethod
    def from_settings(cls, settings: object) -> FakeClassifier:
        return cls()

    def classify(self, articles: Sequence[Article]) -> list[ClassifiedArticle]:
        FakeClassifier.calls += len(articles)
        return [ClassifiedArticle(a, [TargetAnalysis(target="azerbaijan", mentions=1)],
                                  self.model_name, self.model_version) for a in articles]


def test_reclassify_rewrites_in_place_and_skips_current_articles(data_dir: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import nlp.articles

    monkeypatch.setattr(nlp.articles, "ArticleClassifier", FakeClassifier)
    docs = [ClassifiedArticle(Article(url=f"https://tass.ru/a/{n}", canonical_url="", outlet_id="tass",
                                      title=f"t{n}", body="Баку"), [], "mw-stance", "2026.03")
            for n in range(5)]
    with SqliteStore(data_dir / "mediawatch.db") as store:
        store.upsert_many(docs)
    assert main(["reclassify", "--batch-size", "2"]) == 0
    with SqliteStore(data_dir / "mediawatch.db") as store:
        stored = list(store.iter_articles())
    assert len(stored) == 5 and FakeClassifier.calls == 5
    assert {(d.model_version, tuple(t.target for t in d.targets)) for d in stored} == {("2027.01", ("azerbaijan",))}
    assert {d.article.title for d in stored} == {d.article.title for d in docs}
    assert main(["reclassify"]) == 0 and FakeClassifier.calls == 5  # nothing stale: nothing classified
