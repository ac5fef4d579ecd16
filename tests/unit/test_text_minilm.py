"""text-minilm on a tiny set of generated reviews: fine-tuning, the frozen route's feature group,
saving and loading offline, the combination with a TF-IDF part and class offsets (trained, saved, explained and
served through ONNX alike). Kept small (1 epoch, 32 tokens) so the file runs in well under a minute."""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

from services.endpoints import onnx_export
from services.endpoints.serving import load_serving_model
from services.errors import InvalidInput
from services.explain.shap_text import probability_function
from services.registry import Services
from services.training.algorithms import minilm_features as features
from services.training.algorithms import text_minilm
from services.training.algorithms.base import Dataset, load_predictor
from services.training.algorithms.dataset import prepare_dataset
from services.training.algorithms.text_ensemble import TFIDF_FOLDER, Combination
from tests.helpers.data import tiny_reviews
from tests.helpers.recording import RecordingReporter

FAST = {"epochs": "1", "batch_size": "8", "max_seq_length": "32"}
SOURCE = {"_source_table": "demo.tiny_reviews", "_source_version": "3"}
PROBABILITIES = ["probability_-1", "probability_0", "probability_1"]


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return prepare_dataset(tiny_reviews(), "sentiment", text_column="review_body", seed=7, validation=0.15, test=0.25)


@pytest.fixture(scope="module")
def fine_tuned(dataset: Dataset) -> tuple[Any, RecordingReporter]:
    reporter = RecordingReporter()
    result = text_minilm.MiniLMAlgorithm().fit(dataset, FAST | {"learning_rate": "3e-4"}, reporter)
    return result, reporter


def frozen_hyperparameters(home: Path) -> dict[str, str]:
    return FAST | SOURCE | {"fine_tune": "false", "epochs": "10", "_workbench_home": str(home)}


def test_bad_hyperparameters_are_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="fine_tune must be true or false"):
        text_minilm.parse_options({"fine_tune": "maybe"})
    with pytest.raises(InvalidInput, match="Unknown hyperparameter 'epoch'"):
        text_minilm.parse_options({"epoch": "2"})
    with pytest.raises(InvalidInput, match="learning_rate"):
        text_minilm.parse_options({"learning_rate": "-1"})


def test_defaults_depend_on_fine_tuning_and_private_names_are_skipped() -> None:
    tuned = text_minilm.parse_options(SOURCE)
    assert (tuned.learning_rate, tuned.epochs, tuned.batch_size, tuned.max_seq_length) == (1e-4, 2, 16, 160)
    assert tuned.freeze_word_embeddings
    head = text_minilm.parse_options({"fine_tune": "false"})
    assert (head.learning_rate, head.epochs, head.batch_size, head.max_seq_length) == (1e-2, 10, 32, 128)
    assert text_minilm.parse_options({"batch_size": "64", "max_seq_length": "96"}).batch_size == 64


def test_the_best_evaluation_is_the_higher_macro_f1_even_at_a_higher_loss() -> None:
    module = torch.nn.Linear(2, 2)
    stopper = text_minilm.EarlyStopping(module, patience=2)
    assert not stopper.should_stop(text_minilm.Evaluation(f1_macro=0.676, loss=0.387), step=715)
    with torch.no_grad():
        module.weight.add_(1.0)
    later = module.weight.detach().clone()
    assert not stopper.should_stop(text_minilm.Evaluation(f1_macro=0.688, loss=0.439), step=1430)
    assert not stopper.should_stop(text_minilm.Evaluation(f1_macro=0.688, loss=0.500), step=2145)  # tie: not better
    assert stopper.should_stop(text_minilm.Evaluation(f1_macro=0.600, loss=0.100), step=2860)
    with torch.no_grad():
        module.weight.zero_()
    stopper.restore_best()
    assert stopper.best_step == 1430 and torch.equal(module.weight, later)


def test_fine_tuning_keeps_the_pretrained_word_embeddings_unless_asked(dataset: Dataset,
                                                                       fine_tuned: tuple[Any, RecordingReporter]) -> None:
    pretrained = features.load_encoder().embeddings
    tuned = fine_tuned[0].predictor.model.encoder.embeddings
    assert torch.equal(tuned.word_embeddings.weight, pretrained.word_embeddings.weight)
    assert not torch.equal(tuned.LayerNorm.weight, pretrained.LayerNorm.weight)  # the rest was fine-tuned
    small = replace(dataset, train=dataset.train.head(16))
    unfrozen = text_minilm.MiniLMAlgorithm().fit(small, FAST | {"freeze_word_embeddings": "false", "tfidf_ensemble": "false",
                                                                 "learning_rate": "3e-4"}, RecordingReporter())
    words = unfrozen.predictor.model.encoder.embeddings.word_embeddings.weight
    assert not torch.equal(words, pretrained.word_embeddings.weight)


def test_fine_tuning_beats_chance_and_reports_each_step(fine_tuned: tuple[Any, RecordingReporter]) -> None:
    result, reporter = fine_tuned
    assert result.metrics["accuracy"] > 0.5  # three balanced classes: chance is 1/3
    assert result.hyperparameters["fine_tune"] == "true"
    assert len(result.confusion_matrix) == 3
    losses = [step or 0 for name, _, step in reporter.metrics if name == "train:loss"]
    assert losses and losses[-1] == max(losses)
    assert any(name == "validation:loss" for name, _, _ in reporter.metrics)
    assert any(name == "validation:f1_macro" for name, _, _ in reporter.metrics)
    assert reporter.fractions[-1] == pytest.approx(1.0)


def test_the_combination_is_chosen_on_validation_and_the_test_metrics_are_the_predictors(
        fine_tuned: tuple[Any, RecordingReporter], dataset: Dataset) -> None:
    result, reporter = fine_tuned
    assert result.hyperparameters["tfidf_ensemble"] == "true" and result.hyperparameters["tune_class_offsets"] == "true"
    assert any(line.startswith("TF-IDF part alone: test macro-F1") for line in reporter.logs)
    chosen = [line for line in reporter.logs if line.startswith("Combination chosen on the")]
    combination = result.predictor.combination
    assert len(chosen) == 1 and f"TF-IDF weight {combination.tfidf_weight:g}" in chosen[0]
    assert len(combination.log_offsets) == 3
    assert (result.predictor.tfidf is not None) == combination.uses_tfidf
    scored = result.predictor.predict_frame(dataset.test)
    assert result.metrics["accuracy"] == pytest.approx((scored["predicted_label"] == dataset.test["sentiment"].astype(str)).mean())


def test_the_validation_predictions_made_for_the_combination_are_the_predictors(
        fine_tuned: tuple[Any, RecordingReporter], dataset: Dataset) -> None:
    result, _ = fine_tuned  # Debugger's ClassImbalance records these instead of scoring the split again
    scored = result.predictor.predict_frame(dataset.validation)
    assert result.validation_predictions == list(scored["predicted_label"]) and len(dataset.validation) > 0


def test_a_combined_model_explains_and_serves_through_onnx_as_it_scores(
        fine_tuned: tuple[Any, RecordingReporter], dataset: Dataset, tmp_path: Path) -> None:
    trained = fine_tuned[0].predictor
    tfidf = text_minilm.fit_tfidf_part(text_minilm.prepare_text(dataset, text_minilm.parse_options({})), dataset,
                                       RecordingReporter())
    combination = Combination(0.5, [0.4, -0.3, 0.0])
    config = trained.config | {"combination": combination.as_config()}
    with pytest.raises(InvalidInput, match="TF-IDF model is missing"):
        text_minilm.MiniLMPredictor(trained.model, trained.tokenizer, config)
    combined = text_minilm.MiniLMPredictor(trained.model, trained.tokenizer, config, tfidf)
    texts = dataset.test["review_body"].tolist()
    expected = combined.predict_frame(dataset.test)[PROBABILITIES].to_numpy()
    alone = text_minilm.MiniLMPredictor(trained.model, trained.tokenizer, trained.config | {"combination": {}})
    assert not np.allclose(expected, alone.text_probabilities(texts), atol=1e-3)  # the combination changes the answers
    assert np.allclose(probability_function(combined, ["review_body"])(texts), expected)  # SHAP explains the same function

    combined.save(tmp_path / "model")
    manifest = onnx_export.export_minilm(tmp_path / "model", quantize=False)  # refuses an export that scores differently
    assert manifest["combination"] == combination.as_config()
    assert (onnx_export.onnx_folder(tmp_path / "model") / TFIDF_FOLDER / "model.joblib").is_file()
    served = load_serving_model(tmp_path / "model")
    assert np.allclose(served.text_probabilities(texts), expected, atol=onnx_export.TOLERANCE)  # type: ignore[attr-defined]
    loaded = load_predictor(tmp_path / "model")
    pd.testing.assert_frame_equal(loaded.predict_frame(dataset.test), combined.predict_frame(dataset.test))


def test_saved_fine_tuned_predictor_loads_offline_with_identical_predictions(
        fine_tuned: tuple[Any, RecordingReporter], dataset: Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    predictor = fine_tuned[0].predictor
    before = predictor.predict_frame(dataset.test)
    predictor.save(tmp_path / "model")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setattr(socket.socket, "connect", _no_network)
    loaded = load_predictor(tmp_path / "model")
    after = loaded.predict_frame(dataset.test)
    pd.testing.assert_frame_equal(before, after)
    assert getattr(loaded, "feature_columns", None) == ["review_body"]
    assert list(after.columns) == ["predicted_label", "probability", "probability_-1", "probability_0", "probability_1"]


def test_predictor_names_a_missing_text_column(fine_tuned: tuple[Any, RecordingReporter]) -> None:
    with pytest.raises(InvalidInput, match="review_body"):
        fine_tuned[0].predictor.predict_frame(pd.DataFrame({"text": ["fine"]}))


def test_frozen_runs_store_query_and_reuse_the_feature_group(
        dataset: Dataset, services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hyperparameters = frozen_hyperparameters(services.settings.home)
    first = text_minilm.MiniLMAlgorithm().fit(dataset, hyperparameters, RecordingReporter())
    name = features.feature_group_name("demo.tiny_reviews", "3", "review_body", 32)
    assert name == "demo_tiny_reviews_v3_review_body_minilm_len32"
    count = services.query.run(f"SELECT count(*) AS n FROM {features.FEATURE_DATABASE}.{name}")
    assert count.frame["n"].tolist() == [len(tiny_reviews())]
    sample = services.query.run(f"SELECT record_id, event_time, embedding FROM feature_store.{name} LIMIT 5")
    assert len(sample.frame["embedding"][0]) == features.EMBEDDING_SIZE

    monkeypatch.setattr(features, "encode_texts", _no_encoding)
    reporter = RecordingReporter()
    second = text_minilm.MiniLMAlgorithm().fit(dataset, hyperparameters, reporter)
    assert any("encoded 0." in line for line in reporter.logs)
    assert second.metrics["accuracy"] == pytest.approx(first.metrics["accuracy"])
    assert first.metrics["accuracy"] > 0.5

    second.predictor.save(tmp_path / "frozen")
    assert not (tmp_path / "frozen" / "encoder").exists()  # the frozen encoder comes from the model package
    monkeypatch.setattr(socket.socket, "connect", _no_network)
    loaded = load_predictor(tmp_path / "frozen")
    pd.testing.assert_frame_equal(loaded.predict_frame(dataset.test), first.predictor.predict_frame(dataset.test))


def test_embeddings_for_encodes_only_missing_records(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    encoded: list[str] = []

    def fake_encode(encoder: Any, texts: list[str]) -> np.ndarray:
        encoded.extend(texts)
        return np.ones((len(texts), features.EMBEDDING_SIZE), dtype=np.float32)

    monkeypatch.setattr(features, "encode_texts", fake_encode)
    settings = services.settings
    first = features.embeddings_for(settings, ["a", "b"], ["1", "2"], "group", encoder=object())  # type: ignore[arg-type]
    again = features.embeddings_for(settings, ["b", "c", "a"], ["2", "3", "1"], "group", encoder=object())  # type: ignore[arg-type]
    assert encoded == ["a", "b", "c"]
    assert first.shape == (2, 384) and again.shape == (3, 384)
    assert features.record_ids_for(pd.DataFrame({"x": [1]}), ["same"]) == [features.text_record_id("same")]


def _no_encoding(encoder: Any, texts: list[str]) -> np.ndarray:
    raise AssertionError(f"encoded {len(texts)} texts although their vectors were stored")


def _no_network(*args: Any, **kwargs: Any) -> None:
    raise OSError("network access is not allowed in this test")
