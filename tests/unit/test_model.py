"""Tests of classifier training, calibration, and the eval/classify CLI on a tiny model."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import numpy as np
import pytest

from mediawatch.cli.app import main
from nlp.calibration import fit_temperature, pick_threshold, sigmoid, softmax
from nlp.examples import corpus_examples
from tests.tiny_classifier import train_tiny

DOCUMENTED_KEYS = {"n", "stance_macro_f1", "hostile_f1", "rhetoric_micro_f1", "per_language",
                   "per_target"}


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, float]:
    root = tmp_path_factory.mktemp("tiny")
    started = time.monotonic()
    model_dir, metrics = train_tiny(root, layers=2)
    return model_dir, metrics, time.monotonic() - started


def test_tiny_model_trains_in_under_a_minute(tiny_model: tuple[Path, dict, float]) -> None:
    _, metrics, seconds = tiny_model
    assert seconds < 60
    assert metrics["rows"] == {"train": 240, "dev": 60, "test": 60, "aux": {}}
    assert len(metrics["history"]) == 2


def test_model_directory_has_everything_to_reload(tiny_model: tuple[Path, dict, float]) -> None:
    model_dir, _, _ = tiny_model
    for name in ("config.json", "model.safetensors", "tokenizer.json", "mediawatch_model.json",
                 "metrics.json", "MODEL_CARD.md"):
        assert (model_dir / name).is_file(), name
    card = (model_dir / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "mediawatch train --from-scratch --name tiny --epochs 2" in card
    assert "--hidden-size 48 --layers 2" in card


def test_saved_temperatures_are_positive(tiny_model: tuple[Path, dict, float]) -> None:
    meta = json.loads((tiny_model[0] / "mediawatch_model.json").read_text(encoding="utf-8"))
    assert set(meta["temperatures"]) == {"stance", "hostility", "rhetoric"}
    assert all(t > 0 for t in meta["temperatures"].values())
    assert 0 < meta["thresholds"]["hostility"] < 1


def test_eval_json_has_documented_keys(tiny_model: tuple[Path, dict, float],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    data = tiny_model[0].parent / "corpus" / "mix_dev.jsonl"
    code = main(["eval", "--data", str(data), "--model", str(tiny_model[0]), "--format", "json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert DOCUMENTED_KEYS <= set(result)
    assert result["n"] == 60
    assert 0.0 <= result["stance_macro_f1"] <= 1.0
    for group in list(result["per_language"].values()) + list(result["per_target"].values()):
        assert {"n", "stance_macro_f1", "hostile_f1", "rhetoric_micro_f1"} <= set(group)
    assert np.array(result["confusion"]["stance"]["rows_gold_cols_predicted"]).sum() == result["n"]


def test_eval_table_with_baseline(tiny_model: tuple[Path, dict, float],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tiny_model[0].parent / "corpus"
    assert main(["eval", "--data", str(corpus / "mix_dev.jsonl"), "--model", str(tiny_model[0]),
                 "--baseline", "--corpus-dir", str(corpus)]) == 0
    out = capsys.readouterr().out
    assert "baseline" in out and "model" in out and "overall" in out


def test_classify_prints_one_object_per_stdin_row(tiny_model: tuple[Path, dict, float],
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [{"text": "Баку ещё пожалеет об этом.", "target": "azerbaijan"},
            {"text": "Moscow and Baku signed a customs deal.", "target": "russia",
             "context": "The talks lasted two days."},
            {"text": "Rusiya ilə ticarət artır."}]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(json.dumps(r) for r in rows)))
    assert main(["classify", "--model", str(tiny_model[0]), "--target", "russia"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    outputs = [json.loads(line) for line in lines]
    assert [o["text"] for o in outputs] == [r["text"] for r in rows]
    assert outputs[2]["target"] == "russia"
    for out in outputs:
        assert out["stance"] in ("against", "neutral", "favor")
        assert sum(out["stance_probs"].values()) == pytest.approx(1.0, abs=1e-3)
        assert out["hostility"] in ("none", "hostile")
        assert 0.0 <= out["hostile_prob"] <= 1.0
        assert len(out["rhetoric_probs"]) == 6
        assert set(out["rhetoric"]) <= set(out["rhetoric_probs"])


def test_classify_rejects_a_row_without_target(tiny_model: tuple[Path, dict, float],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO('{"text": "Baku"}\n'))
    assert main(["classify", "--model", str(tiny_model[0])]) == 2


def test_base_model_fine_tuning_from_a_local_checkpoint(tmp_path: Path) -> None:
    """--base-model path: a tiny checkpoint saved locally (no hub here) is fine-tuned."""
    from transformers import BertConfig, BertModel

    from nlp.examples import iter_texts
    from nlp.tokenizer import train_tokenizer

    checkpoint = tmp_path / "checkpoint"
    tokenizer = train_tokenizer(iter_texts(corpus_examples("train")[:300]), vocab_size=800)
    BertModel(BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1,
                         num_attention_heads=2, intermediate_size=64)).save_pretrained(checkpoint)
    tokenizer.save_pretrained(str(checkpoint))
    _, metrics = train_tiny(tmp_path, output_dir=tmp_path / "tuned", base_model=str(checkpoint),
                            epochs=1)
    assert metrics["command"].startswith("mediawatch train --base-model")
    meta = json.loads((tmp_path / "tuned" / "mediawatch_model.json").read_text(encoding="utf-8"))
    assert meta["base_model"] == str(checkpoint)


def test_train_cli_needs_exactly_one_source() -> None:
    assert main(["train"]) == 2
    assert main(["train", "--from-scratch", "--base-model", "x"]) == 2


@pytest.mark.parametrize("temperature", [0.5, 1.0, 3.0])
def test_fit_temperature_recovers_a_known_scale(temperature: float) -> None:
    rng = np.random.default_rng(0)
    true_logits = rng.normal(size=(4000, 3)) * 2
    probs = softmax(true_logits)
    labels = np.array([rng.choice(3, p=p) for p in probs])
    fitted = fit_temperature(true_logits * temperature, labels)
    assert fitted > 0
    assert fitted == pytest.approx(temperature, rel=0.15)


def test_calibrated_probabilities_sum_to_one() -> None:
    logits = np.random.default_rng(1).normal(size=(50, 3)) * 10
    for t in (0.1, 1.0, 7.0):
        assert np.allclose(softmax(logits, t).sum(axis=1), 1.0)
    assert ((sigmoid(logits, 2.0) > 0) & (sigmoid(logits, 2.0) < 1)).all()


def test_pick_threshold_finds_the_separating_cut() -> None:
    scores = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    gold = np.array([0, 0, 0, 1, 1, 1])
    assert 0.3 < pick_threshold(scores, gold) <= 0.7
    assert pick_threshold(scores, np.zeros(6)) == 0.5


def test_rusentne_dev_disjoint_converts_to_stance_rows(shared_dir: Path) -> None:
    from nlp.examples import read_examples

    rows = read_examples(shared_dir / "data" / "rusentne2023" / "dev_disjoint.tsv")
    assert len(rows) == 840
    assert {r.stance for r in rows} == {"against", "neutral", "favor"}
    assert all(r.target and r.target in r.text and r.hostility is None for r in rows)


def test_auxiliary_readers_skip_truncated_lines(shared_dir: Path) -> None:
    from nlp.examples import az_sentiment_examples, detox_examples

    data = shared_dir / "data"
    detox = detox_examples(data / "russe_detox_2022" / "train.tsv", limit=400)
    polarity = az_sentiment_examples(data / "az_sentiment" / "train_42k.csv", limit=300)
    assert all(e.text for e in detox + polarity)
    assert {e.hostility for e in detox} == {"hostile", "none"}
    assert {e.task for e in polarity} == {"polarity"}
