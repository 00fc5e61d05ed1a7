"""Tests of passage inference: decision rules, input order under length sorting, loading errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mediawatch.errors import ConfigError
from nlp.ensemble import BLEND_GRID, blend_probabilities, fit_blend
from nlp.examples import Example
from nlp.inference import PassageClassifier, decide
from nlp.lexical import LEXICAL_FILE, LexicalHead, _char_wb_ngrams, _word_ngrams
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


@pytest.fixture(scope="module")
def ensemble_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_tiny(tmp_path_factory.mktemp("ensemble"), epochs=1, ensemble_lexical=True)[0]


def test_char_ngrams_match_sklearn_char_wb() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    analyzer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)).build_analyzer()
    for text in ("Azerbaijan || Баку  заявил\tо \"провокации\" Кремля!", "a", "I'm Azərbaycanın X y"):
        assert _char_wb_ngrams(text) == analyzer(text)


def test_word_ngrams_match_sklearn_word_analyzer() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    analyzer = TfidfVectorizer(analyzer="word", ngram_range=(1, 2)).build_analyzer()
    for text in ("Azerbaijan || Баку  заявил\tо \"провокации\" Кремля!", "a", "I'm Azərbaycanın X y"):
        assert _word_ngrams(text) == analyzer(text)


def _both_targets_rows() -> list[Example]:
    """The same sentences labelled once per target, with opposite stances (LABELING.md)."""
    sentences = ["Moscow praised Baku for the gas deal {}.", "Кремль поблагодарил Баку за сделку {}.",
                 "Moskva Bakını sazişə görə təriflədi {}."]
    rows = []
    for n in range(12):
        for sentence in sentences:
            text = sentence.format(n)
            rows.append(Example(text=text, target="azerbaijan", stance="favor", hostility="none",
                                rhetoric=()))
            rows.append(Example(text=text, target="russia", stance="neutral", hostility="none",
                                rhetoric=()))
        rows.append(Example(text=f"Baku will pay for this betrayal {n}.", target="azerbaijan",
                            stance="against", hostility="hostile", rhetoric=("threat",)))
    return rows


def test_lexical_head_weighs_words_per_target_and_saves_plain_arrays(tmp_path: Path) -> None:
    names = {"azerbaijan": "Azerbaijan", "russia": "Russia"}
    head = LexicalHead.fit(_both_targets_rows(), names)
    passage = "Moscow praised Baku for the gas deal again."
    probs = head.probabilities([Example(text=passage, target="azerbaijan"),
                                Example(text=passage, target="russia"),
                                Example(text=passage, target="Gazprom")])
    assert list(np.array(["against", "neutral", "favor"])[probs["stance"][:2].argmax(axis=1)]) == [
        "favor", "neutral"]
    np.testing.assert_allclose(probs["stance"].sum(axis=1), 1.0, rtol=1e-5)
    head.save(tmp_path)
    with np.load(tmp_path / LEXICAL_FILE, allow_pickle=False) as data:
        assert {"word_ngrams", "word_idf", "target_keys", "stance_target_weights"} <= set(data.files)
    again = LexicalHead.load(tmp_path).probabilities([Example(text=passage, target="russia")])
    np.testing.assert_allclose(again["stance"][0], probs["stance"][1], atol=1e-3)


def test_char_only_lexical_head_without_target_copies_loads(tmp_path: Path) -> None:
    """A head saved before word n-grams and target copies existed still loads and applies."""
    names = {"azerbaijan": "Azerbaijan", "russia": "Russia"}
    head = LexicalHead.fit(_both_targets_rows(), names, words=False, per_target=False)
    head.save(tmp_path)
    with np.load(tmp_path / LEXICAL_FILE, allow_pickle=False) as data:
        assert not {"word_ngrams", "target_keys"} & set(data.files)
    loaded = LexicalHead.load(tmp_path)
    assert loaded.words is None and loaded.target_keys == []
    rows = [Example(text="Baku will pay for this betrayal.", target="azerbaijan")]
    np.testing.assert_allclose(loaded.probabilities(rows)["hostile"],
                               head.probabilities(rows)["hostile"], atol=1e-3)


def test_ensemble_model_blends_plain_array_lexical_head(ensemble_dir: Path) -> None:
    with np.load(ensemble_dir / LEXICAL_FILE, allow_pickle=False) as data:
        assert {"ngrams", "idf", "stance_weights", "rhetoric_bias"} <= set(data.files)
    classifier = PassageClassifier.load(ensemble_dir, batch_size=4, threads=1)
    assert classifier.lexical is not None
    assert set(classifier.meta.blend) == {"stance", "hostility", "rhetoric"}
    assert all(w in BLEND_GRID for w in classifier.meta.blend.values())
    rows = [Example(text="Баку обвинил Москву во лжи.", target="russia"),
            Example(text="Azerbaijan signed a trade deal.", target="azerbaijan")]
    final = classifier.probabilities(rows)
    expected = blend_probabilities(classifier.transformer_probabilities(rows),
                                   classifier.lexical.probabilities(rows), classifier.meta.blend)
    for key in ("stance", "hostile", "rhetoric"):
        np.testing.assert_allclose(final[key], expected[key], rtol=1e-6)
    np.testing.assert_allclose(final["stance"].sum(axis=1), 1.0, rtol=1e-5)
    assert ((final["hostile"] >= 0) & (final["hostile"] <= 1)).all()


def test_missing_lexical_file_is_a_config_error(ensemble_dir: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(ensemble_dir, copy)
    (copy / LEXICAL_FILE).unlink()
    with pytest.raises(ConfigError):
        PassageClassifier.load(copy)


def test_blend_weight_follows_the_better_source() -> None:
    rng = np.random.default_rng(0)
    dev = [Example(text=f"s{i}", target="russia", stance=s, hostility=h,
                   rhetoric=("dehumanization",) if h == "hostile" else ())
           for i, (s, h) in enumerate([("against", "hostile"), ("neutral", "none"),
                                       ("favor", "none"), ("against", "none")] * 25)]
    gold_stance = np.eye(3)[[["against", "neutral", "favor"].index(e.stance or "") for e in dev]]
    perfect = {"stance": 0.8 * gold_stance + 0.1 * (1 - gold_stance),
               "hostile": np.array([0.9 if e.hostility == "hostile" else 0.1 for e in dev]),
               "rhetoric": np.tile([0.9, 0.1, 0.1, 0.1, 0.1, 0.1], (len(dev), 1))}
    noise = {"stance": rng.dirichlet(np.ones(3), len(dev)), "hostile": rng.random(len(dev)),
             "rhetoric": rng.random((len(dev), 6))}
    good_first, noise_first = meta(), meta()
    fit_blend(perfect, noise, dev, good_first)
    fit_blend(noise, perfect, dev, noise_first)
    assert good_first.blend["hostility"] == 1.0 and good_first.blend["stance"] == 1.0
    # Ties go to the transformer: noise can take some weight before it costs a dev error.
    assert noise_first.blend["hostility"] <= 0.5 and noise_first.blend["stance"] <= 0.5
