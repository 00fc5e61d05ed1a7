"""Precision and recall of `find_mentions` on the hand-labelled mention set (nlp/data/mentions/).

A predicted mention counts as correct only when target, start and end all equal a gold span.
Run it as `mediawatch corpus mentions-eval` or `python -m nlp.mentions_eval`; the floor for both
figures is 0.95 (issue 5), held by tests/unit/test_mentions.py.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlp.mentions import TargetSet, find_mentions

__all__ = ["MENTIONS_EVAL_FILE", "MentionScore", "evaluate_mentions", "load_mention_set"]

MENTIONS_EVAL_FILE = Path(__file__).resolve().parent / "data" / "mentions" / "mentions_eval.jsonl"

Span = tuple[str, int, int]


@dataclass
class MentionScore:
    """Counts of true positives, false positives and false negatives, with the mistakes kept."""

    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    mistakes: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        gold = self.true_positives + self.false_negatives
        return self.true_positives / gold if gold else 1.0

    def as_dict(self) -> dict[str, Any]:
        """The score as JSON data (precision, recall, counts)."""
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "true_positives": self.true_positives, "false_positives": self.false_positives,
                "false_negatives": self.false_negatives}


def load_mention_set(path: Path | str = MENTIONS_EVAL_FILE) -> list[dict[str, Any]]:
    """Return the labelled sentences: id, set, language, text, mentions [{target, start, end, surface}]."""
    with Path(path).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _score_row(row: dict[str, Any], predicted: set[Span], score: MentionScore) -> None:
    gold = {(m["target"], m["start"], m["end"]) for m in row["mentions"]}
    score.true_positives += len(gold & predicted)
    score.false_positives += len(predicted - gold)
    score.false_negatives += len(gold - predicted)
    text = row["text"]
    for kind, spans in (("false positive", predicted - gold), ("missed", gold - predicted)):
        for target, start, end in sorted(spans, key=lambda s: s[1]):
            score.mistakes.append(f"{row['id']}: {kind} {target} {text[start:end]!r} in {text!r}")


def evaluate_mentions(rows: list[dict[str, Any]], targets: TargetSet | None = None,
                      use_language: bool = True) -> dict[str, MentionScore]:
    """Score `find_mentions` on `rows`: overall ("all"), per language, and per set.

    The set (`tuning`: sentences the aliases were corrected against; `heldout`: written after the
    aliases were frozen and never used to change them) is keyed "set:tuning" / "set:heldout".

    `use_language=False` calls the finder without the language (all aliases, script-based
    splitting), as for text whose language identification failed.
    """
    scores: dict[str, MentionScore] = {"all": MentionScore()}
    for row in rows:
        language = row["language"]
        found = find_mentions(row["text"], language if use_language else None, targets)
        predicted = {(m.target, m.start, m.end) for m in found}
        for key in ("all", language, f"set:{row.get('set', 'tuning')}"):
            _score_row(row, predicted, scores.setdefault(key, MentionScore()))
    return scores


def main() -> int:
    """Print the scores as JSON and the mistakes on stderr; exit 1 below the 0.95 floor."""
    rows = load_mention_set()
    scores = evaluate_mentions(rows)
    print(json.dumps({"sentences": len(rows), **{k: s.as_dict() for k, s in scores.items()}}, indent=2))
    for mistake in scores["all"].mistakes:
        print(mistake, file=sys.stderr)
    return 0 if min(scores["all"].precision, scores["all"].recall) >= 0.95 else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
