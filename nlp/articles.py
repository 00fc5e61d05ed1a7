"""Article-level classification: passages per target, one batched classifier call, aggregation.

`ArticleClassifier.classify(articles)` is the API the crawl pipeline calls. Per article and
target it reports the mention count, the stance of the mean passage probabilities, stance_score
= mean P(favor) - P(against), hostility_score = the most hostile passage's probability, the
number of hostile passages, the rhetoric types found in them, and the 3 strongest evidence
sentences with offsets into the body. Title passages count in the aggregate; evidence comes from
the body only, so that every offset points into `article.body`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from mediawatch.documents import (RHETORIC_TYPES, STANCES, TARGETS, Article, ClassifiedArticle,
                                  Evidence, TargetAnalysis)
from mediawatch.settings import Settings
from nlp.inference import PassageClassifier, Prediction
from nlp.mentions import Passage, passages

__all__ = ["ArticleClassifier", "MAX_EVIDENCE"]

logger = logging.getLogger(__name__)

MAX_EVIDENCE = 3
_LANGUAGES = ("ru", "az", "en")


@dataclass(frozen=True)
class _Located:
    """A passage with where it came from: which article, and body or title."""

    article: int
    passage: Passage
    in_body: bool


def _strength(prediction: Prediction) -> float:
    """Rank evidence: hostile passages first, then the most clearly non-neutral ones."""
    return prediction.hostile_prob + (1.0 - prediction.stance_probs["neutral"])


def _aggregate(target: str, found: Sequence[tuple[_Located, Prediction]]) -> TargetAnalysis:
    stance_probs = np.mean([[p.stance_probs[s] for s in STANCES] for _, p in found], axis=0)
    hostile = [p for _, p in found if p.hostility == "hostile"]
    kinds = {t for p in hostile for t in p.rhetoric}
    body = sorted(((located, p) for located, p in found if located.in_body),
                  key=lambda item: (-_strength(item[1]), item[0].passage.start))
    evidence = [Evidence(text=located.passage.text, start=located.passage.start,
                         end=located.passage.end, score=round(p.hostile_prob, 4),
                         stance=p.stance, rhetoric=list(p.rhetoric))
                for located, p in body[:MAX_EVIDENCE]]
    max_hostile = max(p.hostile_prob for _, p in found)
    return TargetAnalysis(
        target=target,
        mentions=sum(len(located.passage.mentions) for located, _ in found),
        stance=STANCES[int(np.argmax(stance_probs))],
        stance_score=round(float(np.mean([p.stance_probs["favor"] - p.stance_probs["against"]
                                          for _, p in found])), 4),
        hostility="hostile" if hostile else "none",
        hostility_score=round(float(max_hostile), 4),
        hostile_mentions=len(hostile),
        rhetoric=[t for t in RHETORIC_TYPES if t in kinds],
        evidence=evidence,
    )


class ArticleClassifier:
    """Classifies whole articles with a loaded `PassageClassifier`."""

    def __init__(self, classifier: PassageClassifier) -> None:
        self.classifier = classifier

    @classmethod
    def from_settings(cls, settings: Settings) -> ArticleClassifier:
        """Load the model at `settings.model_dir`; ConfigError naming the path when it is missing."""
        options = settings.classifier
        return cls(PassageClassifier.load(settings.model_dir, batch_size=options.batch_size,
                                          threads=options.threads, max_length=options.max_length))

    @property
    def model_name(self) -> str:
        """The loaded model's name."""
        return self.classifier.name

    @property
    def model_version(self) -> str:
        """The loaded model's version."""
        return self.classifier.version

    def _passages(self, articles: Sequence[Article]) -> list[_Located]:
        located = []
        for index, article in enumerate(articles):
            language = article.language if article.language in _LANGUAGES else None
            for in_body, text in ((False, article.title), (True, article.body)):
                if text:
                    located += [_Located(index, p, in_body) for p in passages(text, language)]
        return located

    def classify(self, articles: Sequence[Article]) -> list[ClassifiedArticle]:
        """Return one ClassifiedArticle per article, in order; all passages in one batched call."""
        located = self._passages(articles)
        predictions = self.classifier.predict([item.passage for item in located])
        grouped: dict[tuple[int, str], list[tuple[_Located, Prediction]]] = defaultdict(list)
        for item, prediction in zip(located, predictions):
            grouped[(item.article, item.passage.target)].append((item, prediction))
        order = {name: i for i, name in enumerate(TARGETS)}
        results = []
        for index, article in enumerate(articles):
            keys = sorted((t for a, t in grouped if a == index), key=lambda t: (order.get(t, 99), t))
            results.append(ClassifiedArticle(
                article=article, targets=[_aggregate(t, grouped[(index, t)]) for t in keys],
                model_name=self.model_name, model_version=self.model_version))
        logger.debug("classified %d articles, %d passages", len(articles), len(located))
        return results
