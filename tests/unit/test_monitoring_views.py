"""The Monitoring page's chart tables read the engines' real reports: bias metrics against their baseline band,
attribution ranks and the words that changed, the confusion matrix of Model Monitor's model-quality statistics,
and schedule rows with SageMaker's execution statuses. Models are fitted once per module (tests/helpers/drift_inputs.py).
"""

from __future__ import annotations

import re
from dataclasses import replace

import pandas as pd
import pytest

from components.monitoring_views import (
    attribution_figure,
    attribution_frame,
    bias_figure,
    bias_frame,
    confusion_figure,
    confusion_frame,
    metric_frame,
    per_class_frame,
    schedules_frame,
    trend_figure,
    trend_frame,
    words_frame,
)
from services.monitoring import attribution_drift, bias_drift
from services.monitoring.models import MonitorConfig, MonitoringSchedule, MonitorReport
from tests.helpers import drift_inputs as d

RED = MonitorConfig(facet="colour", facet_values=("red",), band=0.1)


@pytest.fixture(scope="module")
def signal() -> d.TrainedModel:
    return d.signal_model()


@pytest.fixture(scope="module")
def reviews() -> d.TrainedModel:
    return d.review_model()


def test_bias_metrics_sit_against_their_baseline_band_and_the_drifted_one_lies_outside(signal: d.TrainedModel) -> None:
    training = signal.training
    approved = signal.predictor.predict_frame(training[["signal", "noise", "colour"]])["predicted_label"] == "yes"
    capture = d.captured(signal, training, flip=(training["colour"] == "red") & approved)
    report = bias_drift.run(d.monitor_inputs(signal, capture, d.ground_truth(capture, training["label"]), RED))
    frame = bias_frame(report).set_index(["group", "metric"])
    dppl = frame.loc[("colour=red", "DPPL")]
    assert dppl["lower"] == pytest.approx(dppl["baseline"] - 0.1) and dppl["upper"] == pytest.approx(dppl["baseline"] + 0.1)
    assert not dppl["lower"] <= dppl["live"] <= dppl["upper"]  # the violation the report names
    assert "colour=red:DPPL" in {v.feature_name for v in report.violations}
    assert bias_figure(report) is not None


def test_attribution_ranks_and_the_words_that_fell_come_from_the_report(reviews: d.TrainedModel) -> None:
    live = d.demo_sentiment(300, seed=7)
    config = MonitorConfig(sample_size=100, ndcg_threshold=0.9)
    cache: dict = {}
    before = attribution_drift.run(d.monitor_inputs(reviews, d.captured(reviews, live), {}, config, cache))
    ranked = attribution_frame(before)
    assert ranked["baseline rank"].tolist() == list(range(1, len(ranked) + 1))
    gone = ranked["feature"].tolist()[:3]
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, gone)) + r")\b", re.IGNORECASE)
    shifted = live.assign(review_body=live["review_body"].map(lambda text: pattern.sub("", text)))
    report = attribution_drift.run(d.monitor_inputs(reviews, d.captured(reviews, shifted), {}, config, cache))
    after = attribution_frame(report).set_index("feature")
    assert after.loc[gone, "live"].tolist() == [0.0, 0.0, 0.0] and after.loc[gone, "live rank"].isna().all()
    words = words_frame(report).set_index("word")
    assert set(gone) <= set(words.index) and (words.loc[gone, "change"] < 0).all()
    assert words["change"].is_monotonic_increasing  # fell most first, rose most last
    figure = attribution_figure(report)
    assert figure is not None and f"NDCG {report.details['ndcg']:.3f}" in figure.layout.title.text


def test_the_confusion_matrix_and_metrics_of_model_monitors_model_quality_statistics() -> None:
    statistics = {"version": 0.0, "dataset": {"item_count": 7}, "multiclass_classification_metrics": {
        "accuracy": {"value": 5 / 7, "standard_deviation": 0.02}, "weighted_f1": {"value": 0.7, "standard_deviation": "NaN"},
        "confusion_matrix": {"-1": {"-1": 2, "1": 1}, "0": {"0": 1}, "1": {"1": 2, "0": 1}}}}
    frame = confusion_frame(statistics)
    assert frame.index.tolist() == frame.columns.tolist() == ["-1", "0", "1"]
    assert frame.loc["-1"].tolist() == [2, 0, 1] and frame.loc["1"].tolist() == [0, 1, 2] and frame.to_numpy().sum() == 7
    metrics = metric_frame(statistics).set_index("metric")
    assert metrics.loc["accuracy", "value"] == pytest.approx(5 / 7) and metrics.loc["accuracy", "standard deviation"] == 0.02
    assert pd.isna(metrics.loc["weighted_f1", "standard deviation"])  # Model Monitor's "NaN" below 200 rows: an empty cell
    assert confusion_figure(statistics) is not None
    statistics["multiclass_classification_metrics"]["per_class"] = {
        "-1": {"precision": 1.0, "recall": 2 / 3, "f1": 0.8, "support": 3.0}, "1": {"precision": 2 / 3, "recall": 2 / 3,
                                                                             "f1": 2 / 3, "support": 3.0}}
    assert per_class_frame(statistics).set_index("class").loc["-1"].tolist() == pytest.approx([1.0, 2 / 3, 0.8, 3.0])
    assert confusion_frame({"regression_metrics": {"rmse": {"value": 1.0}}}).empty


def test_the_trend_keeps_figures_and_leaves_counts_to_the_side() -> None:
    report = MonitorReport("e", "model-quality", "Completed", "2026-12-05T10:00:00Z", {}, {}, trend=(
        {"hour": "2026-12-05T09", "items": 4, "accuracy": 0.5}, {"hour": "2026-12-05T10", "items": 6, "accuracy": 0.75}))
    frame = trend_frame(report)
    assert frame.index.tolist() == ["2026-12-05T09", "2026-12-05T10"] and frame["accuracy"].tolist() == [0.5, 0.75]
    figure = trend_figure(report)
    assert figure is not None and [trace.name for trace in figure.data] == ["accuracy"]  # items is a count, not drawn
    assert trend_figure(replace(report, trend=report.trend[:1])) is None  # one hour is no trend


def test_schedule_rows_show_sagemakers_statuses_and_the_frequency_in_words() -> None:
    rows = schedules_frame([MonitoringSchedule(
        "reviews-mq", "reviews", "model-quality", "ModelQuality", "cron(0 0 ? * * *)", "Scheduled",
        "2026-12-05T09:00:00.000+00:00", "CompletedWithViolations", "2026-12-06T00:00:01.000+00:00",
        "2026-12-07T00:00:00.000+00:00")])
    row = rows.iloc[0]
    assert (row["every"], row["monitor"], row["last execution"]) == ("daily", "Model quality", ["CompletedWithViolations"])
    assert (row["last run"], row["next run"]) == ("2026-12-06 00:00 UTC", "2026-12-07 00:00 UTC")
