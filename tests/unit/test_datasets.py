"""Tests for nlp/datasets: each converter on the real data (skipped without ../shared) and when it is absent."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import pytest

from nlp.datasets import CONVERTERS, convert_all
from nlp.datasets.base import hash_split, watched_target


@pytest.mark.parametrize("name", list(CONVERTERS))
def test_absent_dataset_yields_nothing_and_logs_once(name: str, tmp_path: Path,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    empty = tmp_path / f"nothing-{name}"
    empty.mkdir()
    with caplog.at_level(logging.WARNING, logger="nlp.datasets.base"):
        assert list(CONVERTERS[name](empty)) == []
        assert list(CONVERTERS[name](empty)) == []
    assert sum(name in record.getMessage() for record in caplog.records) == 1


@pytest.mark.parametrize("entity, tag, target", [
    ("России", "COUNTRY", "russia"), ("Владимир Путин", "PERSON", "russia"),
    ("президент России", "PROFESSION", "russia"), ("Российской Федерации", "COUNTRY", "russia"),
    ("Ильхама Алиева", "PERSON", "azerbaijan"), ("Азербайджане", "COUNTRY", "azerbaijan"),
    ("Единая Россия", "ORGANIZATION", "other"), ("сборной России", "ORGANIZATION", "other"),
    ("Азербайджанская оппозиция", "ORGANIZATION", "other"), ("Рашид Нургалиев", "PERSON", "other"),
    ("Бакунин", "PERSON", "other"),
])
def test_watched_target(entity: str, tag: str, target: str) -> None:
    assert watched_target(entity, tag) == target


def test_hash_split_is_stable_and_mostly_train() -> None:
    texts = [f"mətn {i}" for i in range(2000)]
    splits = Counter(hash_split(t) for t in texts)
    assert [hash_split(t) for t in texts] == [hash_split(t) for t in texts]
    assert 120 < splits["dev"] < 280


def test_unknown_dataset_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown datasets"):
        list(convert_all(["nope"]))


def test_rusentne(shared_dir: Path) -> None:
    rows = list(CONVERTERS["rusentne2023"](shared_dir / "data"))
    splits = Counter(r.split for r in rows)
    assert splits["dev"] == 840 and splits["train"] > 6000
    assert Counter(r.stance for r in rows).keys() == {"against", "neutral", "favor"}
    targets = Counter(r.target for r in rows)
    assert targets["azerbaijan"] >= 8 and targets["russia"] >= 200
    for row in rows[:500]:
        assert row.text[row.target_start:row.target_end] == row.target_text


def test_ruopinionne_keeps_author_opinions_only(shared_dir: Path) -> None:
    rows = list(CONVERTERS["ruopinionne2024"](shared_dir / "data"))
    assert len(rows) > 200 and {r.stance for r in rows} == {"against", "favor"}
    assert all(r.task == "author_stance" and r.text[r.target_start:r.target_end] == r.target_text for r in rows)


def test_semeval_cues(shared_dir: Path) -> None:
    rows = list(CONVERTERS["semeval2023_task3_ru"](shared_dir / "data"))
    assert len(rows) > 1000
    hostile = [r for r in rows if r.hostility == "hostile"]
    assert hostile and all(r.rhetoric for r in hostile)
    assert any("Name_Calling-Labeling" in r.cues and "insult" in r.rhetoric for r in rows)
    assert all(r.rhetoric == [] for r in rows if r.hostility == "none")


def test_detox_pairs(shared_dir: Path) -> None:
    rows = list(CONVERTERS["russe_detox_2022"](shared_dir / "data"))
    pairs: dict[str, Counter[str]] = {}
    for row in rows:
        pairs.setdefault(row.pair_id or "", Counter())[row.hostility or ""] += 1
    assert len(pairs) > 3000
    assert all(c["hostile"] == 1 and c["none"] >= 1 for c in pairs.values())
    assert {r.split for r in rows} == {"train", "dev"}


def test_az_sentiment(shared_dir: Path) -> None:
    rows = list(CONVERTERS["az_sentiment"](shared_dir / "data"))
    assert len(rows) > 40000 and {r.language for r in rows} == {"az"}
    assert Counter(r.stance for r in rows).keys() == {"against", "neutral", "favor"}
    assert {r.split for r in rows} == {"train", "dev"}
