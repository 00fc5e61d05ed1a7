"""The CLI's ingest/export on the embedded store, and its one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mediawatch.cli import main

ROWS = [
    {"url": "https://tass.example/1", "outlet": "tass", "title": "Баку ответил",
     "body": "МИД Азербайджана ответил.", "published_at": "2026-11-20T10:00:00+03:00", "language": "ru"},
    {"url": "https://apa.example/2", "outlet": "apa", "title": "Bakı cavab verdi",
     "body": "Azərbaycan XİN-i cavab verdi.", "published_at": "2026-11-21T09:00:00Z",
     "authors": ["Əli Məmmədov"], "section": "siyasət"},
]


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_ingest_then_export_roundtrip(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", ROWS)
    assert main(["ingest", str(source)]) == 0
    assert main(["ingest", str(source)]) == 0  # idempotent
    out = tmp_path / "out.jsonl"
    assert main(["export", "--out", str(out)]) == 0
    exported = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(exported) == 2
    by_url = {r["url"]: r for r in exported}
    assert by_url["https://tass.example/1"]["published_at"] == "2026-11-20T07:00:00Z"
    assert by_url["https://apa.example/2"]["authors"] == ["Əli Məmmədov"]
    assert (data_dir / "mediawatch.db").exists()


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("{not json", "not valid JSON"),
        ('{"url": "https://x/1", "title": "t", "body": "b", "published_at": "2026-01-01"}', "outlet"),
        ('{"url": "https://x/1", "outlet": "x", "title": "t", "body": "b", "published_at": "soon"}', "ISO-8601"),
        ("[1, 2]", "JSON object"),
    ],
)
def test_bad_jsonl_is_one_line_exit_2_and_nothing_written(
        data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, words: str) -> None:
    good = json.dumps(ROWS[0], ensure_ascii=False)
    source = tmp_path / "bad.jsonl"
    source.write_text(good + "\n" + line + "\n", encoding="utf-8")
    assert main(["ingest", str(source)]) == 2
    err = capsys.readouterr().err.strip()
    assert f"{source}:2" in err and words in err and "Traceback" not in err
    assert main(["export"]) == 0
    assert capsys.readouterr().out == ""


def test_bad_config_is_one_line_exit_2(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[store]\nurl = 'ftp://nowhere'\n", encoding="utf-8")
    assert main(["--config", str(config), "export"]) == 2
    err = capsys.readouterr().err
    assert "store.url" in err and "sqlite:///" in err and len(err.strip().splitlines()) == 1


def test_missing_input_file(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", str(tmp_path / "nope.jsonl")]) == 2
    assert "file not found" in capsys.readouterr().err
