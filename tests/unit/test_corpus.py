"""Tests for nlp/corpus.py and `mediawatch corpus check|stats|card`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mediawatch.cli.app import main
from mediawatch.errors import InputError
from nlp.corpus import (
    CARD_BEGIN,
    CARD_END,
    CorpusRow,
    check_corpus,
    corpus_stats,
    load_corpus,
    max_pairwise_similarity,
    read_rows,
    stats_markdown,
    update_card,
)


def make_row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": "t-1", "text": "Россия и Азербайджан подписали соглашение о транзите грузов.",
        "context": None, "target": "azerbaijan", "stance": "neutral", "hostility": "none",
        "rhetoric": [], "language": "ru", "genre": "wire", "split": "train", "hard_case": None,
        "outlet_style": "federal news agency",
    }
    row.update(changes)
    return row


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


AZ_TEXT = "Rəsmi Bakı Moskvanın son bəyanatını qəbuledilməz adlandırıb."
EN_TEXT = "Baku called Moscow's latest statement unacceptable."


def test_valid_row_has_no_errors() -> None:
    assert check_corpus([CorpusRow.model_validate(make_row())]) == []


@pytest.mark.parametrize("changes, expected", [
    ({"hostility": "hostile", "stance": "neutral", "rhetoric": ["threat"]}, "hostile implies against"),
    ({"hostility": "hostile", "stance": "against", "rhetoric": []}, "without rhetoric"),
    ({"hostility": "none", "stance": "against", "rhetoric": ["insult"]}, "not hostile"),
    ({"language": "ru", "text": "Russia and Azerbaijan signed a transit deal."}, "not mainly Cyrillic"),
    ({"language": "az", "text": "Россия и Азербайджан подписали соглашение."}, "Cyrillic"),
    ({"language": "az", "text": "Azerbaycan ve Rusiya yeni saziş imzalayib."}, "without ə/ı"),
    ({"language": "az", "text": "Prezident Baki sammitinde cixis edib ve sonra getdi."}, "without ə/ı"),
    ({"language": "az", "text": "Rusiya ile yeni saziş imzalanib, deyə xəbər verilir."}, None),
    ({"language": "az", "text": "Rusiya ile yeni sazis imzalanib deye xeber verilir."}, "without any of"),
    ({"language": "en", "text": "Azərbaycan and Russia signed a deal."}, "Azerbaijani letters"),
    ({"language": "en", "text": "Erdoğan met Aliyev in Baku on Monday."}, None),
    ({"context": "Azerbaijan answered on Monday."}, "context"),
    ({"language": "az", "text": AZ_TEXT, "context": "Qrupa 12 deputat daxildir."}, None),
    ({"language": "az", "text": AZ_TEXT, "context": "Baki sakit idi."}, "context"),
])
def test_row_rules(changes: dict[str, Any], expected: str | None) -> None:
    errors = check_corpus([CorpusRow.model_validate(make_row(**changes))])
    if expected is None:
        assert errors == []
    else:
        assert len(errors) == 1 and expected in errors[0], errors


def test_az_and_en_rows_pass_script_rules() -> None:
    rows = [CorpusRow.model_validate(make_row(id="a", language="az", text=AZ_TEXT)),
            CorpusRow.model_validate(make_row(id="b", language="en", text=EN_TEXT))]
    assert check_corpus(rows) == []


def test_duplicate_ids_and_duplicate_passages_are_errors() -> None:
    rows = [CorpusRow.model_validate(make_row(id="x")),
            CorpusRow.model_validate(make_row(id="x", text="Баку ответил Москве.")),
            CorpusRow.model_validate(make_row(id="y")),
            CorpusRow.model_validate(make_row(id="z", target="russia"))]
    errors = check_corpus(rows)
    assert any("duplicate id 'x'" in e for e in errors)
    assert any("same text and target" in e and "y" in e for e in errors)
    assert not any(": z:" in e for e in errors), "the same passage for the other target is allowed"


@pytest.mark.parametrize("changes", [
    {"stance": "hates"}, {"rhetoric": ["sarcasm"]}, {"target": "armenia"}, {"genre": "blog"},
    {"hard_case": "sarcasm"}, {"outlet_style": ""}, {"extra": 1}, {"rhetoric": "threat"},
])
def test_schema_rejects_bad_values(tmp_path: Path, changes: dict[str, Any]) -> None:
    write_jsonl(tmp_path / "ru_train.jsonl", [make_row(**changes)])
    rows, errors = read_rows(tmp_path)
    assert rows == [] and len(errors) == 1 and errors[0].startswith("ru_train.jsonl:1:")


def test_missing_key_is_a_schema_error(tmp_path: Path) -> None:
    row = make_row()
    del row["context"]
    write_jsonl(tmp_path / "ru_train.jsonl", [row])
    assert "context" in read_rows(tmp_path)[1][0]


def test_split_and_language_must_match_file_name(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "ru_dev.jsonl", [make_row(split="train")])
    write_jsonl(tmp_path / "en_test.jsonl", [make_row(id="t-2", text="Баку и Москва.", split="test")])
    rows, _ = read_rows(tmp_path)
    from nlp.corpus import check_loaded
    errors = check_loaded(rows)
    assert any("split train in a dev file" in e for e in errors)
    assert any("language ru in a en file" in e for e in errors)


def test_load_corpus_raises_on_invalid_json(tmp_path: Path) -> None:
    (tmp_path / "ru_train.jsonl").write_text('{"id": \n', encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON"):
        load_corpus(tmp_path)


def test_max_similarity_finds_the_near_duplicate() -> None:
    texts = ["Российская делегация прибыла в Баку на переговоры о тарифах.",
             "Президент Азербайджана поздравил жителей с праздником Новруз.",
             "Российская делегация прибыла в Баку на переговоры о пошлинах.",
             "Weather in Baku stays warm this week, forecasters say."]
    score, pair = max_pairwise_similarity(texts)
    assert pair == (0, 2)
    assert 0.6 < score < 1.0


def test_stats_keys_and_counts() -> None:
    rows = [CorpusRow.model_validate(make_row(id="1")),
            CorpusRow.model_validate(make_row(id="2", target="russia")),  # same text, other target
            CorpusRow.model_validate(make_row(id="3", text="Баку ещё пожалеет о своём предательстве.",
                                              stance="against", hostility="hostile",
                                              rhetoric=["threat", "betrayal"], hard_case="headline")),
            CorpusRow.model_validate(make_row(id="4", language="az", text=AZ_TEXT, stance="against"))]
    stats = corpus_stats(rows)
    assert {"total", "by_language", "hostile", "by_rhetoric", "stance_share_by_language",
            "max_similarity"} <= set(stats)
    assert stats["total"] == 4 and stats["hostile"] == 1
    assert stats["by_language"] == {"az": 1, "ru": 3}
    assert stats["by_rhetoric"]["betrayal"] == 1 and stats["by_rhetoric"]["insult"] == 0
    assert stats["stance_share_by_language"]["ru"] == {"against": 0.3333, "neutral": 0.6667, "favor": 0.0}
    assert stats["by_hard_case"]["headline"] == 1
    assert stats["by_language_target_stance_hostility"]["ru/azerbaijan/against/hostile"] == 1
    assert stats["max_similarity"] < 1.0, "one passage labelled for two targets is not a duplicate"


def test_update_card_rewrites_only_the_generated_block(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# Card\nintro\n{CARD_BEGIN}\nold\n{CARD_END}\nfooter\n", encoding="utf-8")
    markdown = stats_markdown(corpus_stats([CorpusRow.model_validate(make_row())]))
    assert update_card(readme, markdown) is True
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# Card\nintro\n") and text.endswith(f"{CARD_END}\nfooter\n")
    assert "old" not in text and "| ru | azerbaijan | 0 | 0 | 1 | 0 | 1 |" in text
    assert update_card(readme, markdown) is False


def test_cli_check_exits_1_with_one_line_per_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_jsonl(tmp_path / "ru_train.jsonl", [make_row(), make_row(id="t-2", stance="favor", hostility="hostile",
                                                                   rhetoric=["insult"])])
    assert main(["corpus", "check", "--dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "ru_train.jsonl:2: t-2: hostility is hostile but stance is favor" in err


def test_cli_check_ok_and_stats_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_jsonl(tmp_path / "ru_train.jsonl", [make_row()])
    assert main(["corpus", "check", "--dir", str(tmp_path)]) == 0
    assert "1 rows OK" in capsys.readouterr().out
    assert main(["corpus", "stats", "--dir", str(tmp_path), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 1


def test_project_corpus_passes_check() -> None:
    """The committed corpus is clean (the same check CI runs through `mediawatch corpus check`)."""
    rows, errors = read_rows()
    from nlp.corpus import check_loaded
    assert errors + check_loaded(rows) == []


def test_cli_mentions_eval_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["corpus", "mentions-eval", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["sentences"] >= 300
    assert result["all"]["precision"] >= 0.95 and result["all"]["recall"] >= 0.95


def test_cli_convert_refuses_unknown_dataset(tmp_path: Path) -> None:
    out = tmp_path / "rows.jsonl"
    assert main(["corpus", "convert", "--out", str(out), "--dataset", "nope"]) == 2
    assert not out.exists()


def test_cli_convert_with_no_shared_data_writes_an_empty_file(tmp_path: Path) -> None:
    out = tmp_path / "rows.jsonl"
    assert main(["corpus", "convert", "--out", str(out), "--data-dir", str(tmp_path)]) == 0
    assert out.read_text(encoding="utf-8") == ""


def test_data_card_tables_match_the_corpus(tmp_path: Path) -> None:
    """nlp/data/README.md shows the current counts; run `mediawatch corpus card` after editing the corpus."""
    from nlp.corpus import CORPUS_DIR
    card = CORPUS_DIR.parent / "README.md"
    copy = tmp_path / "README.md"
    copy.write_text(card.read_text(encoding="utf-8"), encoding="utf-8")
    changed = update_card(copy, stats_markdown(corpus_stats(load_corpus())))
    assert not changed, "the data card is stale: run `mediawatch corpus card`"
