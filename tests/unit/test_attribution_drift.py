"""Feature-attribution drift: SHAP on captured traffic against the training baseline, compared by NDCG, on real
models fitted once per module (tests/helpers/drift_inputs.py)."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pandas as pd
import pytest

from services.errors import InvalidInput
from services.monitoring import attribution_drift
from services.monitoring.attribution_words import word_attributions
from services.monitoring.models import MonitorConfig
from services.training.algorithms.featurize import model_frame
from tests.helpers import drift_inputs as d
from tests.helpers.data import signal_frame

CONFIG = MonitorConfig(sample_size=100, ndcg_threshold=0.9)


@pytest.fixture(scope="module")
def reviews() -> d.TrainedModel:
    return d.review_model()


@pytest.fixture(scope="module")
def signal() -> d.TrainedModel:
    return d.signal_model()


def shap_values(files: dict) -> dict[str, float]:
    return files["explanations"]["kernel_shap"]["label0"]["global_shap_values"]


def test_reviews_like_the_training_ones_keep_the_word_ranking(reviews: d.TrainedModel) -> None:
    live = d.demo_sentiment(300, seed=7)
    report = attribution_drift.run(d.monitor_inputs(reviews, d.captured(reviews, live), {}, CONFIG))
    assert report.status == "Completed" and report.violations == ()
    assert 0.9 <= report.details["ndcg"] <= 1.0
    assert report.item_count == 100 and report.captured_count == len(live)
    label0 = report.statistics["explanations"]["kernel_shap"]["label0"]
    assert set(label0) == {"global_shap_values", "expected_value"} and report.statistics["version"] == "1.0"
    words = list(label0["global_shap_values"])
    assert len(words) <= attribution_drift.REPORTED_WORDS and words[0] in shap_values(report.constraints)
    assert report.constraints["feature_attribution_drift_check"] == {"threshold": 0.9}
    assert report.details["method"] == "word attributions: linear"
    assert len(report.details["words"]["up"]) <= 10 and len(report.details["words"]["down"]) <= 10


def test_a_shifted_vocabulary_is_a_violation_that_names_the_words(reviews: d.TrainedModel) -> None:
    live = d.demo_sentiment(300, seed=7)
    cache: dict = {}
    before = attribution_drift.run(d.monitor_inputs(reviews, d.captured(reviews, live), {}, CONFIG, cache))
    gone = list(shap_values(before.constraints))[:4]  # the four words that mattered most in training
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, gone)) + r")\b", re.IGNORECASE)
    shifted = live.assign(review_body=live["review_body"].map(lambda text: pattern.sub("", text)))
    report = attribution_drift.run(d.monitor_inputs(reviews, d.captured(reviews, shifted), {}, CONFIG, cache))

    assert report.status == "CompletedWithViolations" and report.details["ndcg"] < 0.9
    (violation,) = report.violations
    assert violation.constraint_check_type == "feature_attribution_drift_check"
    assert f"NDCG {report.details['ndcg']:.3f} is below the threshold 0.9" in violation.description
    assert report.details["violations"] == [{"label": "label0", "metric_name": "shap",
                                             "constraint_check_type": "feature_attribution_drift_check",
                                             "description": violation.description}]
    fell = report.details["words"]["down"]
    assert set(gone) <= {w["word"] for w in fell}
    assert all(w["live"] == 0.0 and w["change"] == -w["baseline"] for w in fell if w["word"] in gone)
    assert not set(gone) & set(shap_values(report.statistics))


def test_linear_word_attributions_are_the_models_exact_log_odds_contributions(reviews: d.TrainedModel) -> None:
    predictor = reviews.predictor
    label = "1"
    index = predictor.classes.index(label)

    def log_odds(text: str) -> float:
        return float(predictor.pipeline.decision_function(model_frame(pd.DataFrame({"review_body": [text]}),
                                                                      predictor.kinds))[0][index])

    attributions = word_attributions(predictor, "review_body", ["love", ""], label)
    assert attributions.method == "linear" and attributions.texts == 2
    assert attributions.expected_value == pytest.approx(log_odds(""))
    # one word in one of the two texts: mean |contribution| is half of |log-odds(word) - log-odds(empty)|
    assert attributions.words == {"love": pytest.approx(abs(log_odds("love") - log_odds("")) / 2)}


def test_tabular_traffic_like_the_training_data_keeps_its_ranking(signal: d.TrainedModel) -> None:
    live = signal_frame(200, seed=5)
    report = attribution_drift.run(d.monitor_inputs(signal, d.captured(signal, live), {}, CONFIG))
    assert report.status == "Completed" and report.details["ndcg"] == pytest.approx(1.0)
    assert list(shap_values(report.statistics))[0] == "signal"
    assert set(shap_values(report.constraints)) == {"signal", "noise", "colour"}
    assert report.details["method"] == "feature attributions: Tree" and "words" not in report.details


def test_tabular_traffic_that_moved_to_the_other_segment_drifts() -> None:
    model = d.gated_model()  # trained on 70 % segment A, where x1 decides; in segment B x2 decides
    live = d.gated_frame(200, share_b=1.0, seed=5)
    report = attribution_drift.run(d.monitor_inputs(model, d.captured(model, live), {}, CONFIG))
    assert list(shap_values(report.constraints))[0] == "x1"
    assert list(shap_values(report.statistics))[0] == "x2"
    assert report.status == "CompletedWithViolations" and report.details["ndcg"] < 0.9
    same = attribution_drift.run(d.monitor_inputs(model, d.captured(model, d.gated_frame(200, 0.3, seed=6)), {}, CONFIG))
    assert same.status == "Completed" and same.details["ndcg"] >= 0.9


@pytest.mark.parametrize("which", ["signal", "reviews"])
def test_the_baseline_is_computed_once_and_kept_in_the_json_cache(which: str, request: pytest.FixtureRequest) -> None:
    model: d.TrainedModel = request.getfixturevalue(which)
    live = signal_frame(50, seed=6) if which == "signal" else d.demo_sentiment(60, seed=8)
    cache: dict = {}
    first = attribution_drift.run(d.monitor_inputs(model, d.captured(model, live), {}, CONFIG, cache))
    kept = json.loads(json.dumps(cache))  # the local adapter keeps the cache as a JSON file
    calls: list[int] = []
    loads: list[int] = []

    def predictor() -> object:
        loads.append(1)
        return model.predictor

    again = dataclasses.replace(d.monitor_inputs(model, d.captured(model, live), {}, CONFIG, kept),
                                training_sample=lambda n: calls.append(n) or model.training, predictor=predictor)
    second = attribution_drift.run(again)
    assert second.constraints == first.constraints and second.details["ndcg"] == pytest.approx(first.details["ndcg"])
    assert loads == [1]  # the model is loaded once per run
    assert calls == ([attribution_drift.BACKGROUND_ROWS] if which == "signal" else [])  # only SHAP's background


def test_the_partition_explainer_serves_a_model_without_linear_parts(reviews: d.TrainedModel) -> None:
    class Opaque:  # the same real model, seen only through predict_frame (as a MiniLM model is)
        problem_type, classes, kinds = reviews.predictor.problem_type, reviews.predictor.classes, reviews.predictor.kinds

        def predict_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
            return reviews.predictor.predict_frame(frame)

    texts = ["I love this dress, the fabric is great", "Runs small and the zipper broke, returning it"]
    attributions = word_attributions(Opaque(), "review_body", texts, "1")
    assert attributions.method == "partition" and attributions.texts == 2
    assert {"love", "great", "returning", "zipper"} <= set(attributions.words)
    assert all(np.isfinite(v) and v >= 0 for v in attributions.words.values())


def test_errors(signal: d.TrainedModel) -> None:
    live = signal_frame(20, seed=7)
    capture = d.captured(signal, live)
    with pytest.raises(InvalidInput, match="NDCG threshold must be between 0 and 1"):
        attribution_drift.run(d.monitor_inputs(signal, capture, {}, MonitorConfig(ndcg_threshold=1.5)))
    with pytest.raises(InvalidInput, match="sample size must be at least 1"):
        attribution_drift.run(d.monitor_inputs(signal, capture, {}, MonitorConfig(sample_size=0)))
    with pytest.raises(InvalidInput, match="lack the model's input columns: noise"):
        attribution_drift.run(d.monitor_inputs(signal, capture.drop(columns=["noise"]), {}, CONFIG))
    empty = attribution_drift.run(d.monitor_inputs(signal, capture.iloc[0:0], {}, CONFIG))
    assert empty.status == "Failed" and "No captured requests" in empty.failure_reason
