"""ONNX Runtime inference: agrees with torch, never imports torch, falls back, exports a tiny model."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from mediawatch.cli.app import main
from mediawatch.errors import ConfigError
from nlp.examples import Example, corpus_examples
from nlp.inference import PassageClassifier
from nlp.model import ONNX_FILE, WEIGHTS_FILE
from tests.tiny_classifier import train_tiny

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = REPO_ROOT / "models" / "default"


@pytest.fixture(scope="module")
def passages() -> list[Example]:
    """About 50 corpus test passages spread over the split's languages, some with context."""
    rows = corpus_examples("test")
    spread = rows[::max(1, len(rows) // 48)][:48]
    return spread + [Example(text=rows[0].text, target="russia", context=rows[1].text),
                     Example(text="Баку " * 200 + "ответит.", target="azerbaijan")]


@pytest.fixture(scope="module")
def onnx_classifier() -> PassageClassifier:
    return PassageClassifier.load(DEFAULT_MODEL, batch_size=16, threads=1)


def assert_same_outputs(a: PassageClassifier, b: PassageClassifier, rows: list[Example]) -> None:
    """Probabilities within 1e-4 and identical labels."""
    pa, pb = a.probabilities(rows), b.probabilities(rows)
    for key in ("stance", "hostile", "rhetoric"):
        np.testing.assert_allclose(pa[key], pb[key], atol=1e-4, rtol=0)
    labels = [(p.stance, p.hostility, p.rhetoric) for p in a.predict(rows)]
    assert labels == [(p.stance, p.hostility, p.rhetoric) for p in b.predict(rows)]


def test_default_model_ships_onnx_and_load_picks_it(onnx_classifier: PassageClassifier) -> None:
    assert (DEFAULT_MODEL / ONNX_FILE).is_file()
    assert onnx_classifier.backend == "onnx"


def test_onnx_and_torch_agree_on_the_default_model(onnx_classifier: PassageClassifier,
                                                   passages: list[Example]) -> None:
    torch_classifier = PassageClassifier.load(DEFAULT_MODEL, batch_size=16, threads=1,
                                              backend="torch")
    assert torch_classifier.backend == "torch"
    assert_same_outputs(onnx_classifier, torch_classifier, passages)
    np.testing.assert_allclose(onnx_classifier.logits(passages)["stance"],
                               torch_classifier.logits(passages)["stance"], atol=1e-4, rtol=0)


def test_onnx_inference_imports_neither_torch_nor_transformers_nor_sklearn() -> None:
    code = (
        "import json, sys\n"
        "from nlp.examples import Example\n"
        "from nlp.inference import PassageClassifier\n"
        f"c = PassageClassifier.load({str(DEFAULT_MODEL)!r}, threads=1)\n"
        "p = c.predict([Example(text='Баку обвинил Москву во лжи.', target='russia')])\n"
        "print(json.dumps({'backend': c.backend, 'stance': p[0].stance,\n"
        "                  'loaded': [m for m in ('torch', 'transformers', 'sklearn')\n"
        "                             if m in sys.modules]}))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["backend"] == "onnx"
    assert result["stance"] in ("against", "neutral", "favor")
    assert result["loaded"] == []


def test_torch_fallback_without_model_onnx(onnx_classifier: PassageClassifier,
                                           passages: list[Example], tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL, copy, ignore=shutil.ignore_patterns(ONNX_FILE))
    fallback = PassageClassifier.load(copy, batch_size=16, threads=1)
    assert fallback.backend == "torch"
    assert_same_outputs(onnx_classifier, fallback, passages[:12])
    with pytest.raises(ConfigError, match="export-onnx"):
        PassageClassifier.load(copy, backend="onnx")


def test_model_onnx_of_other_weights_is_not_used(tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    copy = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL, copy)
    weights = copy / WEIGHTS_FILE
    tensors = load_file(str(weights))
    save_file(tensors, str(weights))  # the same bytes again: still the exported weights
    assert PassageClassifier.load(copy, threads=1).backend == "onnx"
    name = next(k for k in sorted(tensors) if k.startswith("heads.stance"))
    tensors[name] = tensors[name] + np.float16(0.5)  # saved again, without an export
    save_file(tensors, str(weights))
    with caplog.at_level(logging.WARNING, logger="nlp.inference"):
        assert PassageClassifier.load(copy, threads=1).backend == "torch"
    assert "export-onnx" in caplog.text
    with pytest.raises(ConfigError, match="other weights"):
        PassageClassifier.load(copy, threads=1, backend="onnx")


def test_quantize_stays_a_torch_option() -> None:
    assert PassageClassifier.load(DEFAULT_MODEL, threads=1, quantize=True).backend == "torch"
    with pytest.raises(ConfigError, match="torch"):
        PassageClassifier.load(DEFAULT_MODEL, threads=1, quantize=True, backend="onnx")


def test_export_of_a_tiny_model_writes_a_loadable_model(tmp_path: Path) -> None:
    model_dir = train_tiny(tmp_path, epochs=1)[0]
    assert (model_dir / ONNX_FILE).is_file()  # training exports it
    (model_dir / ONNX_FILE).unlink()
    assert main(["model", "export-onnx", str(model_dir)]) == 0
    exported = PassageClassifier.load(model_dir, batch_size=4, threads=1)
    assert exported.backend == "onnx"
    rows = [Example(text="Kreml açıqlama verdi.", target="russia"),
            Example(text="Москва поблагодарила Баку.", target="azerbaijan", context="Звонок был коротким.")]
    assert_same_outputs(exported, PassageClassifier.load(model_dir, batch_size=4, threads=1,
                                                         backend="torch"), rows)


def test_export_of_a_directory_without_a_model_is_a_config_error(tmp_path: Path) -> None:
    assert main(["model", "export-onnx", str(tmp_path)]) == 2
