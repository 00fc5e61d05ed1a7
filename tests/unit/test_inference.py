"""Tests of passage inference: decision rules, input order under length sorting, loading errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mediawatch.errors import ConfigError
from nlp.examples import Example
from nlp.inference import PassageClassifier, decide
from nlp.model import ModelMeta
from tests.tiny_classifier import train_tiny


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_tiny(tmp_path_factory.mktemp("infer"), epochs=1)[0]


@pytest.fixture(scope="module")
def classifier(model_dir: Path) -> PassageClassifier:
    return PassageClassifier.load(model_dir, batch_size=4, threads=1)


def meta() -> ModelMeta:
    m = ModelMeta(name="t", version="1")
    m.thresholds = {"hostility": 0.5, "rhetoric": 0.4}
    return m


def test_hostile_passage_is_against_with_at_least_one_type() -> None:
    prediction = decide(np.array([0.1, 0.2, 0.7]), 0.8, np.full(6, 0.1), meta())
    assert prediction.stance == "against"
    assert prediction.hostility == "hostile"
    assert len(prediction.rhetoric) == 1


def test_rhetoric_above_threshold_is_reported_only_when_hostile() -> None:
    rhetoric = np.array([0.9, 0.45, 0.1, 0.1, 0.1, 0.1])
    assert decide(np.array([0.6, 0.3, 0.1]), 0.3, rhetoric, meta()).rhetoric == []
    assert decide(np.array([0.6, 0.3, 0.1]), 0.6, rhetoric, meta()).rhetoric == ["threat", "insult"]


def test_non_hostile_stance_is_the_most_likely_class() -> None:
    assert decide(np.array([0.2, 0.3, 0.5]), 0.1, np.zeros(6), meta()).stance == "favor"


def test_batched_length_sorted_predictions_keep_input_order(classifier: PassageClassifier) -> None:
    examples = [Example(text="Баку " * n + "ответит.", target="azerbaijan") for n in (9, 1, 5, 3, 7, 2)]
    together = classifier.probabilities(examples)
    for i, example in enumerate(examples):
        alone = classifier.probabilities([example])
        assert np.allclose(alone["stance"][0], together["stance"][i], atol=1e-4)
        assert alone["hostile"][0] == pytest.approx(together["hostile"][i], abs=1e-4)


def test_probabilities_are_calibrated_distributions(classifier: PassageClassifier) -> None:
    probs = classifier.probabilities([Example(text="Moscow thanked Baku.", target="russia",
                                              context="The call was short.")])
    assert probs["stance"].sum() == pytest.approx(1.0, abs=1e-5)
    assert 0.0 <= probs["hostile"][0] <= 1.0
    assert probs["rhetoric"].shape == (1, 6)


def test_empty_input_gives_empty_output(classifier: PassageClassifier) -> None:
    assert classifier.predict([]) == []


def test_quantized_model_loads_and_predicts(model_dir: Path) -> None:
    quantized = PassageClassifier.load(model_dir, quantize=True, threads=1)
    assert len(quantized.predict([Example(text="Kreml açıqlama verdi.", target="russia")])) == 1


def test_missing_model_directory_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="mediawatch train --from-scratch"):
        PassageClassifier.load(tmp_path / "nothing")
