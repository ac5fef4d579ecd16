"""text_ensemble: how text-minilm's probabilities are combined with a TF-IDF model's and shifted by class offsets,
and how the combination is chosen on a validation split (pure NumPy, no model is trained here)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score

from services.training.algorithms import text_ensemble as ensemble
from services.training.algorithms.text_ensemble import Combination


def softmax(logits: np.ndarray) -> np.ndarray:
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def noisy_scores(labels: np.ndarray, rng: np.random.Generator, signal: float, bias: np.ndarray) -> np.ndarray:
    """Probabilities that favour the true class by ``signal`` (plus unit noise and a per-class ``bias``)."""
    logits = rng.normal(size=(len(labels), 3)) + bias
    logits[np.arange(len(labels)), labels] += signal
    return softmax(logits)


def test_combine_is_the_weighted_geometric_mean_then_the_offsets() -> None:
    minilm = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    tfidf = np.array([[0.2, 0.2, 0.6], [0.3, 0.3, 0.4]])
    assert np.allclose(ensemble.combine(minilm, None, Combination()), minilm)
    assert np.allclose(ensemble.combine(minilm, tfidf, Combination(1.0)), tfidf)
    half = np.sqrt(minilm * tfidf)
    assert np.allclose(ensemble.combine(minilm, tfidf, Combination(0.5)), half / half.sum(axis=1, keepdims=True))
    shifted = ensemble.combine(minilm, None, Combination(0.0, [0.0, 1.0, 0.0]))
    odds = minilm * np.array([1.0, np.e, 1.0])  # a log offset of 1 multiplies the class's odds by e
    assert np.allclose(shifted, odds / odds.sum(axis=1, keepdims=True))
    assert shifted[0].argmax() == 0 and shifted[1].argmax() == 1
    assert np.allclose(shifted.sum(axis=1), 1.0)
    assert np.isfinite(ensemble.combine(np.array([[1.0, 0.0, 0.0]]), None, Combination())).all()
    with pytest.raises(ValueError, match="TF-IDF"):
        ensemble.combine(minilm, None, Combination(0.5))


def test_combination_round_trips_through_a_config_and_defaults_to_minilm_alone() -> None:
    combination = Combination(0.4, [0.35, -0.1, 0.0])
    assert Combination.from_config(combination.as_config()) == combination
    assert Combination.from_config(None) == Combination() and not Combination().uses_tfidf


def test_macro_f1_matches_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    labels, predicted = rng.integers(0, 3, 200), rng.integers(0, 3, 200)
    assert ensemble.macro_f1(labels, predicted, 3) == pytest.approx(f1_score(labels, predicted, average="macro"))
    never_predicted = np.zeros(200, dtype=np.int64)
    assert ensemble.macro_f1(labels, never_predicted, 3) == pytest.approx(
        f1_score(labels, never_predicted, average="macro", zero_division=0))


def test_offsets_tuned_on_validation_undo_a_bias_against_a_class() -> None:
    rng = np.random.default_rng(1)
    bias = np.array([0.0, -1.5, 0.0])  # the model under-predicts class 1, as MiniLM does the neutral reviews
    labels = rng.integers(0, 3, 3000)
    validation = noisy_scores(labels, rng, 2.0, bias)
    combination = ensemble.choose_combination(labels, validation, None)
    assert combination.tfidf_weight == 0 and combination.log_offsets[2] == 0
    assert 0.8 < combination.log_offsets[1] - combination.log_offsets[0] < 2.2
    test_labels = rng.integers(0, 3, 3000)
    test = noisy_scores(test_labels, rng, 2.0, bias)
    before = ensemble.macro_f1(test_labels, test.argmax(axis=1), 3)
    after = ensemble.macro_f1(test_labels, ensemble.combine(test, None, combination).argmax(axis=1), 3)
    assert after > before + 0.03


def test_the_tfidf_weight_follows_how_informative_tfidf_is_on_validation() -> None:
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 3, 2000)
    minilm = noisy_scores(labels, rng, 1.5, np.zeros(3))
    informative = noisy_scores(labels, rng, 1.5, np.zeros(3))  # as good as MiniLM, independent errors
    noise = noisy_scores(labels, rng, 0.0, np.zeros(3))
    assert ensemble.choose_combination(labels, minilm, informative, tune_offsets=False).tfidf_weight in (0.4, 0.5, 0.6)
    assert ensemble.choose_combination(labels, minilm, noise, tune_offsets=False) == Combination(0.0)


def test_no_offsets_when_a_class_has_too_few_validation_rows() -> None:
    labels = np.array([0] * 20 + [1] * 20 + [2] * (ensemble.MIN_VALIDATION_PER_CLASS - 1))
    probabilities = softmax(np.random.default_rng(3).normal(size=(len(labels), 3)))
    assert ensemble.choose_combination(labels, probabilities, None) == Combination()
