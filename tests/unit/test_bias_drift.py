"""Bias drift: Clarify's post-training metrics on labelled captured traffic against the training-time values,
on real models fitted once per module (tests/helpers/drift_inputs.py)."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest

from services.bias.engine import report_from_frame
from services.bias.models import BiasRequest
from services.errors import InvalidInput
from services.monitoring import bias_drift
from services.monitoring.models import MonitorConfig
from tests.helpers import drift_inputs as d
from tests.helpers.data import signal_frame

RED = MonitorConfig(facet="colour", facet_values=("red",), band=0.1)


@pytest.fixture(scope="module")
def signal() -> d.TrainedModel:
    return d.signal_model()


@pytest.fixture(scope="module")
def reviews() -> d.TrainedModel:
    return d.review_model()


def metric(analysis: dict, facet: str, value: str, name: str) -> float | str | None:
    entry = next(e for e in analysis["post_training_bias_metrics"]["facets"][facet] if e["value_or_threshold"] == value)
    return next(m["value"] for m in entry["metrics"] if m["name"] == name)


def test_metrics_are_the_bias_engines_on_the_labelled_rows(signal: d.TrainedModel) -> None:
    live = signal_frame(400, seed=5)
    capture = d.captured(signal, live)
    truth = d.ground_truth(capture, live["label"], every=2)  # half the predictions are labelled
    report = bias_drift.run(d.monitor_inputs(signal, capture, truth, RED))

    labels = pd.DataFrame({"event_id": list(truth), "label": list(truth.values())})
    joined = capture.merge(labels, on="event_id")
    frame = pd.DataFrame({"colour": joined["colour"], "label": joined["label"], "label_predicted": joined["prediction"]})
    request = BiasRequest(label="label", label_values=("yes",), facet="colour", facet_values=("red",),
                          predicted="label_predicted", methods=bias_drift.METHODS, bootstrap=0)
    expected = report_from_frame(frame, request)
    assert report.item_count == 200 and report.captured_count == 400
    assert report.statistics == {"version": "1.0", "post_training_bias_metrics": expected.post.to_json()}
    names = {m["name"] for m in report.statistics["post_training_bias_metrics"]["facets"]["colour"][0]["metrics"]}
    assert {"DPPL", "DI", "DCA", "DCR", "RD", "DAR", "DRR", "AD", "TE"} <= names and not {"FT", "CDDPL"} & names


def test_the_baseline_is_the_training_sample_scored_by_the_model(signal: d.TrainedModel) -> None:
    live = signal_frame(100, seed=6)
    capture = d.captured(signal, live)
    report = bias_drift.run(d.monitor_inputs(signal, capture, d.ground_truth(capture, live["label"]), RED))

    training = signal.training
    predicted = signal.predictor.predict_frame(training[["signal", "noise", "colour"]])["predicted_label"]
    frame = pd.DataFrame({"colour": training["colour"], "label": training["label"], "label_predicted": predicted})
    expected = report_from_frame(frame, bias_drift.bias_request(d.monitor_inputs(signal, capture, {}, RED), None))
    for name in ("DPPL", "DI", "AD", "RD"):
        baseline = metric(expected.analysis_json(), "colour", "red", name)
        constraint = next(m for m in report.constraints["post_training_bias_metrics"]["facets"]["colour"][0]["metrics"]
                          if m["name"] == name)
        assert constraint["value"] == baseline
        assert constraint["threshold"] == pytest.approx([baseline - 0.1, baseline + 0.1])


def test_traffic_like_the_training_data_has_no_violations(signal: d.TrainedModel) -> None:
    training = signal.training
    capture = d.captured(signal, training)
    report = bias_drift.run(d.monitor_inputs(signal, capture, d.ground_truth(capture, training["label"]), RED))
    assert report.status == "Completed" and report.violations == ()
    live_values = report.statistics["post_training_bias_metrics"]["facets"]["colour"][0]["metrics"]
    base_values = report.constraints["post_training_bias_metrics"]["facets"]["colour"][0]["metrics"]
    assert [m["value"] for m in live_values] == [m["value"] for m in base_values]


def test_flipped_predictions_for_the_group_are_violations_in_plain_words(signal: d.TrainedModel) -> None:
    training = signal.training
    approved = signal.predictor.predict_frame(training[["signal", "noise", "colour"]])["predicted_label"] == "yes"
    capture = d.captured(signal, training, flip=(training["colour"] == "red") & approved)  # red is never approved
    assert not ((capture["colour"] == "red") & (capture["prediction"] == "yes")).any()
    report = bias_drift.run(d.monitor_inputs(signal, capture, d.ground_truth(capture, training["label"]), RED))
    assert report.status == "CompletedWithViolations"
    by_name = {v.feature_name: v for v in report.violations}
    dppl = by_name["colour=red:DPPL"]
    assert dppl.constraint_check_type == "bias_drift_check"
    assert "DPPL for colour = red is" in dppl.description and "at training time it was" in dppl.description
    clarify = report.details["violations"]
    assert {"facet": "colour", "facet_value": "red", "metric_name": "DPPL", "constraint_check_type": "bias_drift_check",
            "description": dppl.description} in clarify
    assert len(clarify) == len(report.violations)
    assert report.violations_json()["violations"][0]["constraint_check_type"] == "bias_drift_check"


def test_a_wider_band_tolerates_the_same_traffic(signal: d.TrainedModel) -> None:
    live = signal_frame(400, seed=5)
    capture = d.captured(signal, live)
    truth = d.ground_truth(capture, live["label"])
    narrow = bias_drift.run(d.monitor_inputs(signal, capture, truth, dataclasses.replace(RED, band=0.0001)))
    wide = bias_drift.run(d.monitor_inputs(signal, capture, truth, dataclasses.replace(RED, band=1e9)))
    assert narrow.violations and narrow.status == "CompletedWithViolations"
    assert wide.status == "Completed" and not wide.violations


def test_the_baseline_is_computed_once_and_kept_in_the_json_cache(signal: d.TrainedModel) -> None:
    live = signal_frame(60, seed=8)
    capture = d.captured(signal, live)
    truth = d.ground_truth(capture, live["label"])
    cache: dict = {}
    first = bias_drift.run(d.monitor_inputs(signal, capture, truth, RED, cache))
    calls = []
    again = d.monitor_inputs(signal, capture, truth, RED, json.loads(json.dumps(cache)))  # kept as a JSON file
    again = dataclasses.replace(again, training_sample=lambda n: calls.append(n) or signal.training)
    assert bias_drift.run(again).constraints == first.constraints and calls == []
    other_facet = dataclasses.replace(again, config=MonitorConfig(facet="colour"))
    bias_drift.run(other_facet)
    assert calls == [bias_drift.BASELINE_ROWS]


def test_review_traffic_each_category_against_the_rest(reviews: d.TrainedModel) -> None:
    live = d.demo_sentiment(300, seed=7)
    capture = d.captured(reviews, live)
    report = bias_drift.run(d.monitor_inputs(reviews, capture, d.ground_truth(capture, live["sentiment"]),
                                             MonitorConfig(facet="product_category")))
    assert report.status in ("Completed", "CompletedWithViolations")
    live_values = {e["value_or_threshold"] for e in report.statistics["post_training_bias_metrics"]["facets"]["product_category"]}
    assert live_values == set(live["product_category"].astype(str))
    assert report.details["positive_label"] == "1"  # sentiment -1/0/1: the last class is the positive outcome
    assert report.statistics["post_training_bias_metrics"]["label_value_or_threshold"] == "1"


def test_too_few_labelled_rows_is_a_failed_report_with_the_reason(signal: d.TrainedModel) -> None:
    live = signal_frame(100, seed=9)
    capture = d.captured(signal, live)
    truth = d.ground_truth(capture, live["label"], every=25)  # 4 labels
    report = bias_drift.run(d.monitor_inputs(signal, capture, truth, RED))
    assert report.status == "Failed" and report.item_count == 4 and report.captured_count == 100
    assert "Only 4 captured predictions have a ground-truth label" in report.failure_reason
    assert bias_drift.run(d.monitor_inputs(signal, capture, {}, RED)).status == "Failed"


def test_a_facet_that_is_not_a_request_column_is_refused(signal: d.TrainedModel) -> None:
    live = signal_frame(50, seed=10)
    capture = d.captured(signal, live)
    truth = d.ground_truth(capture, live["label"])
    for facet, message in (("age", "not a column of the captured requests"), ("", "Choose the facet"),
                           ("prediction", "not a column of the captured requests")):
        with pytest.raises(InvalidInput, match=message) as raised:
            bias_drift.run(d.monitor_inputs(signal, capture, truth, MonitorConfig(facet=facet)))
        assert "colour" in raised.value.hint
    extra = capture.assign(region="north")  # captured, but the model never saw it in training
    with pytest.raises(InvalidInput, match="not a column of model .* training data"):
        bias_drift.run(d.monitor_inputs(signal, extra, truth, MonitorConfig(facet="region")))


def test_a_negative_band_is_refused(signal: d.TrainedModel) -> None:
    live = signal_frame(50, seed=10)
    capture = d.captured(signal, live)
    with pytest.raises(InvalidInput, match="band must be a number of at least 0"):
        bias_drift.run(d.monitor_inputs(signal, capture, d.ground_truth(capture, live["label"]),
                                        dataclasses.replace(RED, band=-0.1)))


def test_a_group_unseen_in_training_is_noted_not_compared(signal: d.TrainedModel) -> None:
    live = signal_frame(90, seed=11)
    live.loc[:29, "colour"] = "purple"
    capture = d.captured(signal, live)
    report = bias_drift.run(d.monitor_inputs(signal, capture, d.ground_truth(capture, live["label"]),
                                             MonitorConfig(facet="colour", band=1e9)))
    assert "colour = purple does not occur in the training sample" in " ".join(report.notes)
    assert "Only 90 labelled predictions" in " ".join(report.notes)
    assert not any("could not be computed" in note for note in report.notes)
    assert not any("purple" in v.feature_name for v in report.violations)


def test_a_regression_models_outcome_is_positive_above_the_training_median() -> None:
    inputs = [d.Column("signal", "double"), d.Column("noise", "double"), d.Column("colour", "string")]
    model = d.train(signal_frame(300, seed=0).drop(columns=["label"]), "amount", "xgboost", inputs)
    live = signal_frame(200, seed=4)
    capture = d.captured(model, live.drop(columns=["label"]))
    report = bias_drift.run(d.monitor_inputs(model, capture, d.ground_truth(capture, live["amount"]), RED))
    median = float(model.training["amount"].median())
    assert report.status in ("Completed", "CompletedWithViolations")
    assert report.details["positive_label"] == str(median)
    assert report.statistics["post_training_bias_metrics"]["label_value_or_threshold"].startswith(f"({median}, ")
