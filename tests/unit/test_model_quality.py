"""The model-quality engine: scikit-learn's numbers on the joined rows, Model Monitor's shapes, violations in plain
words, the per-hour trend and Failed reports with their reasons (pure functions over small frames)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    fbeta_score,
    mean_absolute_error,
    mean_squared_error,
    precision_recall_fscore_support,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
)

from services.models import ModelRecord
from services.monitoring import model_quality
from services.monitoring.models import MonitorConfig, MonitorReport
from tests.helpers.monitoring import REVIEW_CLASSES, captured_frame, engine_inputs, model_record

BASELINE = {"accuracy": 0.78, "f1_weighted": 0.77, "f1_macro": 0.70, "log_loss": 0.6}


@pytest.fixture(scope="module")
def review_traffic() -> tuple[np.ndarray, np.ndarray]:
    """(truth, predictions) of 300 captured requests to a 3-class review model, right about 70 % of the time."""
    rng = np.random.default_rng(7)
    truth = rng.choice(REVIEW_CLASSES, 300, p=[0.2, 0.1, 0.7])
    predicted = np.where(rng.random(300) < 0.7, truth, rng.choice(["-1", "1"], 300))
    return truth, predicted


def labelled_half(truth: np.ndarray) -> dict[str, str]:
    return {f"e{i}": str(label) for i, label in enumerate(truth) if i % 3 != 0}


def test_multiclass_metrics_equal_scikit_learn_on_the_joined_rows(review_traffic: tuple[np.ndarray, np.ndarray]) -> None:
    truth, predicted = review_traffic
    ground_truth = labelled_half(truth)
    report = model_quality.run(engine_inputs(model_record(metrics=BASELINE), captured_frame(predicted), ground_truth))
    joined = [i for i in range(len(truth)) if f"e{i}" in ground_truth]
    y, p, labels = truth[joined], predicted[joined], list(REVIEW_CLASSES)
    block = report.statistics["multiclass_classification_metrics"]
    assert report.statistics["version"] == 0.0 and report.statistics["dataset"]["item_count"] == len(joined) == 200
    assert report.item_count == 200 and report.captured_count == 300
    expected = {"accuracy": accuracy_score(y, p),
                "weighted_precision": precision_score(y, p, labels=labels, average="weighted", zero_division=0),
                "weighted_recall": recall_score(y, p, labels=labels, average="weighted", zero_division=0),
                "weighted_f1": f1_score(y, p, labels=labels, average="weighted", zero_division=0),
                "macro_precision": precision_score(y, p, labels=labels, average="macro", zero_division=0),
                "macro_recall": recall_score(y, p, labels=labels, average="macro", zero_division=0),
                "macro_f1": f1_score(y, p, labels=labels, average="macro", zero_division=0),
                "weighted_f0_5": fbeta_score(y, p, beta=0.5, labels=labels, average="weighted", zero_division=0),
                "weighted_f2": fbeta_score(y, p, beta=2, labels=labels, average="weighted", zero_division=0)}
    for name, value in expected.items():
        assert block[name]["value"] == pytest.approx(value, abs=1e-12), name
        assert block[name]["standard_deviation"] > 0
    matrix = confusion_matrix(y, p, labels=labels)
    assert block["confusion_matrix"] == {a: {b: int(matrix[i, j]) for j, b in enumerate(labels)} for i, a in enumerate(labels)}
    precision, recall, f1, support = precision_recall_fscore_support(y, p, labels=labels, zero_division=0)
    for i, label in enumerate(labels):
        assert block["per_class"][label] == pytest.approx({"precision": precision[i], "recall": recall[i], "f1": f1[i],
                                                           "support": float(support[i])})


def test_a_class_never_predicted_scores_zero_as_scikit_learn_does() -> None:
    truth = np.array(["-1", "0", "1", "1", "0", "-1", "1", "1"] * 5)
    predicted = np.array(["-1", "1", "1", "1", "1", "-1", "1", "-1"] * 5)  # "0" is never predicted
    report = model_quality.run(engine_inputs(model_record(), captured_frame(predicted), {f"e{i}": t for i, t in enumerate(truth)}))
    block = report.statistics["multiclass_classification_metrics"]
    labels = list(REVIEW_CLASSES)
    assert block["macro_precision"]["value"] == pytest.approx(precision_score(truth, predicted, labels=labels, average="macro",
                                                                              zero_division=0))
    assert block["weighted_f1"]["value"] == pytest.approx(f1_score(truth, predicted, labels=labels, average="weighted",
                                                                   zero_division=0))
    assert block["per_class"]["0"]["precision"] == 0.0


def test_binary_metrics_and_auc_equal_scikit_learn() -> None:
    rng = np.random.default_rng(3)
    truth = rng.choice(["no", "yes"], 120)
    predicted = np.where(rng.random(120) < 0.8, truth, np.where(truth == "yes", "no", "yes"))
    top = rng.uniform(0.5, 1.0, 120)  # the captured probability of the predicted label
    record = model_record("BinaryClassification", ("no", "yes"), {"accuracy": 0.9, "roc_auc": 0.95})
    report = model_quality.run(engine_inputs(record, captured_frame(predicted, top), {f"e{i}": t for i, t in enumerate(truth)}))
    block = report.statistics["binary_classification_metrics"]
    assert block["accuracy"]["value"] == pytest.approx(accuracy_score(truth, predicted))
    assert block["precision"]["value"] == pytest.approx(precision_score(truth, predicted, pos_label="yes"))
    assert block["recall"]["value"] == pytest.approx(recall_score(truth, predicted, pos_label="yes"))
    assert block["f1"]["value"] == pytest.approx(f1_score(truth, predicted, pos_label="yes"))
    score_yes = np.where(predicted == "yes", top, 1 - top)
    assert block["auc"]["value"] == pytest.approx(roc_auc_score(truth == "yes", score_yes))
    assert set(report.constraints["binary_classification_constraints"]) == {"accuracy", "auc"}


def test_regression_metrics_equal_scikit_learn_and_errors_may_rise_by_a_share() -> None:
    rng = np.random.default_rng(5)
    truth = rng.normal(10, 3, 80)
    predicted = truth + rng.normal(0, 1.5, 80)
    record = model_record("Regression", (), {"rmse": 1.0, "mae": 0.8, "r2": 0.95})
    ground_truth = {f"e{i}": str(v) for i, v in enumerate(truth)}
    report = model_quality.run(engine_inputs(record, captured_frame(predicted), ground_truth, MonitorConfig(tolerance=0.1)))
    block = report.statistics["regression_metrics"]
    assert block["mse"]["value"] == pytest.approx(mean_squared_error(truth, predicted))
    assert block["rmse"]["value"] == pytest.approx(np.sqrt(mean_squared_error(truth, predicted)))
    assert block["mae"]["value"] == pytest.approx(mean_absolute_error(truth, predicted))
    assert block["r2"]["value"] == pytest.approx(r2_score(truth, predicted))
    rules = report.constraints["regression_constraints"]
    assert rules["rmse"] == {"threshold": pytest.approx(1.1), "comparison_operator": "GreaterThanThreshold"}
    assert rules["r2"] == {"threshold": pytest.approx(0.85), "comparison_operator": "LessThanThreshold"}
    assert set(rules) == {"mae", "mse", "rmse", "r2"}  # Model Monitor's regression metrics; mse from the training rmse
    assert rules["mse"] == {"threshold": pytest.approx(1.1), "comparison_operator": "GreaterThanThreshold"}
    rmse = [v for v in report.violations if v.feature_name == "rmse"]
    assert rmse and rmse[0].description == (f"rmse {block['rmse']['value']:.2f} on 80 labelled predictions is above "
                                            "1.10: the training-time 1.00 plus the tolerance 10%")
    assert [set(row) for row in report.trend] == [{"hour", "items", "rmse"}] * 2  # 80 minutes from 09:00: two hours


def test_constraints_come_from_the_training_metrics_and_violations_say_it_in_plain_words() -> None:
    truth = np.array(["1"] * 60 + ["-1"] * 40)
    predicted = np.array(["1"] * 45 + ["-1"] * 15 + ["-1"] * 16 + ["1"] * 24)  # accuracy 0.61
    report = model_quality.run(engine_inputs(model_record(metrics=BASELINE), captured_frame(predicted),
                                             {f"e{i}": t for i, t in enumerate(truth)}))
    assert report.constraints == {"version": 0.0, "multiclass_classification_constraints": {
        "accuracy": {"threshold": pytest.approx(0.73), "comparison_operator": "LessThanThreshold"},
        "weighted_f1": {"threshold": pytest.approx(0.72), "comparison_operator": "LessThanThreshold"}}}  # Model Monitor's names
    assert report.status == "CompletedWithViolations"
    accuracy = next(v for v in report.violations if v.feature_name == "accuracy")
    assert accuracy.constraint_check_type == "LessThanThreshold"
    assert accuracy.description == ("accuracy 0.61 on 100 labelled predictions is below 0.73: the training-time 0.78 "
                                    "less the tolerance 0.05")
    assert report.details["headline"] == "accuracy 0.61 on 100 labelled predictions"
    assert report.violations_json()["violations"][0] == {"metric_name": "accuracy", "constraint_check_type": "LessThanThreshold",
                                                         "description": accuracy.description}


def test_within_tolerance_is_completed_without_violations(review_traffic: tuple[np.ndarray, np.ndarray]) -> None:
    truth, _ = review_traffic
    report = model_quality.run(engine_inputs(model_record(metrics=BASELINE), captured_frame(truth), labelled_half(truth)))
    assert report.status == "Completed" and report.violations == ()
    assert report.statistics["multiclass_classification_metrics"]["accuracy"]["value"] == 1.0


def test_trend_per_hour_counts_labelled_predictions_and_their_accuracy() -> None:
    truth = np.array(["1", "1", "-1", "-1", "1", "0"])
    predicted = np.array(["1", "-1", "-1", "-1", "1", "1"])
    captured = captured_frame(predicted, start="2026-03-01T09:30:00Z", minutes_apart=20)  # 09:30 09:50 10:10 10:30 10:50 11:10
    ground_truth = {f"e{i}": t for i, t in enumerate(truth) if i != 3}
    report = model_quality.run(engine_inputs(model_record(), captured, ground_truth))
    assert report.trend == ({"hour": "2026-03-01T09", "items": 2, "accuracy": 0.5},
                            {"hour": "2026-03-01T10", "items": 2, "accuracy": 1.0},
                            {"hour": "2026-03-01T11", "items": 1, "accuracy": 0.0})


def test_standard_deviations_are_model_monitors_seeded_80_percent_draws_and_nan_below_200_rows(
        review_traffic: tuple[np.ndarray, np.ndarray]) -> None:
    """Model Monitor: the metric on 80 % of the rows drawn 5 times; "NaN" below 200 labelled predictions."""
    truth, predicted = review_traffic
    first = model_quality.run(engine_inputs(model_record(), captured_frame(predicted), labelled_half(truth)))
    second = model_quality.run(engine_inputs(model_record(), captured_frame(predicted), labelled_half(truth)))
    block = first.statistics["multiclass_classification_metrics"]
    assert block == second.statistics["multiclass_classification_metrics"]
    accuracy = block["accuracy"]["value"]
    # 80 % of n drawn without replacement: the accuracy varies by sqrt(p (1 - p) / 0.8n * 0.2) = sqrt(p (1 - p) / 4n)
    expected = np.sqrt(accuracy * (1 - accuracy) / (4 * 200))
    assert 0.3 * expected < block["accuracy"]["standard_deviation"] < 2.5 * expected  # five draws: a rough figure
    fewer = dict(list(labelled_half(truth).items())[:199])
    small = model_quality.run(engine_inputs(model_record(), captured_frame(predicted), fewer))
    assert small.item_count == 199
    metrics = small.statistics["multiclass_classification_metrics"]
    assert {m["standard_deviation"] for m in metrics.values() if "value" in m} == {"NaN"}


def test_model_monitors_documented_examples_are_reproduced() -> None:
    """The confusion matrices of Model Monitor's "Model Quality Metrics" page give the figures printed there."""
    multiclass = report_of([[1180, 510], [268, 138]], model_record(classes=("0", "1")))
    block = multiclass.statistics["multiclass_classification_metrics"]
    documented = {"accuracy": 0.6288167938931297, "weighted_recall": 0.6288167938931297,
                  "weighted_precision": 0.6983172269629505, "weighted_f0_5": 0.6803947317178771,
                  "weighted_f1": 0.6571162346664904, "weighted_f2": 0.6384024354394601}
    assert {name: block[name]["value"] for name in documented} == pytest.approx(documented, abs=1e-12)
    binary = report_of([[1, 2], [0, 1]], model_record("BinaryClassification", ("0", "1")))
    block = binary.statistics["binary_classification_metrics"]
    documented = {"recall": 1.0, "precision": 0.3333333333333333, "accuracy": 0.5, "recall_best_constant_classifier": 1.0,
                  "precision_best_constant_classifier": 0.25, "accuracy_best_constant_classifier": 0.25,
                  "true_positive_rate": 1.0, "true_negative_rate": 0.33333333333333337, "false_positive_rate": 0.6666666666666666,
                  "false_negative_rate": 0.0, "f0_5": 0.3846153846153846, "f1": 0.5, "f2": 0.7142857142857143,
                  "f0_5_best_constant_classifier": 0.29411764705882354, "f1_best_constant_classifier": 0.4,
                  "f2_best_constant_classifier": 0.625}
    assert {name: block[name]["value"] for name in documented} == pytest.approx(documented, abs=1e-12)
    assert block["confusion_matrix"] == {"0": {"0": 1, "1": 2}, "1": {"0": 0, "1": 1}}
    assert {block[name]["standard_deviation"] for name in documented} == {"NaN"}  # 4 rows, as on the page


def report_of(matrix: list[list[int]], record: ModelRecord) -> MonitorReport:
    """The model-quality report of captured predictions whose confusion matrix (rows actual) is ``matrix``."""
    classes = list(record.classes)
    pairs = [(classes[a], classes[b]) for a, row in enumerate(matrix) for b, count in enumerate(row) for _ in range(count)]
    captured = captured_frame([predicted for _, predicted in pairs], [0.9] * len(pairs))
    return model_quality.run(engine_inputs(record, captured, {f"e{i}": actual for i, (actual, _) in enumerate(pairs)}))


def test_few_labels_are_noted_and_unknown_labels_become_classes() -> None:
    predicted = np.array(["1", "1", "-1", "0"])
    report = model_quality.run(engine_inputs(model_record(), captured_frame(predicted), {"e0": "1", "e1": "2", "e9": "1"}))
    assert report.item_count == 2 and report.captured_count == 4
    assert "Only 2 of 4 captured predictions have a label" in report.notes[0]
    matrix = report.statistics["multiclass_classification_metrics"]["confusion_matrix"]
    assert list(matrix) == ["-1", "0", "1", "2"] and matrix["2"]["1"] == 1


@pytest.mark.parametrize(("predictions", "ground_truth", "reason"), [
    ([], {"e0": "1"}, "The endpoint has no captured predictions"),
    (["1", "0"], {}, "None of the 2 captured predictions has a ground-truth label yet (0 label(s) given"),
    (["1", "0"], {"other": "1"}, "None of the 2 captured predictions has a ground-truth label yet (1 label(s) given"),
])
def test_a_run_that_cannot_compute_is_failed_with_the_reason(predictions: list[str], ground_truth: dict[str, str],
                                                             reason: str) -> None:
    report = model_quality.run(engine_inputs(model_record(metrics=BASELINE), captured_frame(predictions), ground_truth))
    assert report.status == "Failed" and reason in report.failure_reason
    assert report.statistics["dataset"]["item_count"] == 0
    assert "accuracy" in report.constraints["multiclass_classification_constraints"]  # the baseline is still shown


def test_sagemaker_final_metrics_give_the_baseline_test_over_validation_and_error_rates_as_accuracy() -> None:
    final = {"validation:merror": 0.2, "test:merror": 0.25, "validation:mlogloss": 0.6}
    assert model_quality.training_metrics(final)["accuracy"] == pytest.approx(0.75)
    binary = model_quality.baseline_constraints("BinaryClassification", {"validation:error": 0.1, "validation:auc": 0.93}, 0.05)
    assert binary == {"version": 0.0, "binary_classification_constraints": {
        "accuracy": {"threshold": pytest.approx(0.85), "comparison_operator": "LessThanThreshold"},
        "auc": {"threshold": pytest.approx(0.88), "comparison_operator": "LessThanThreshold"}}}
    assert not model_quality.has_constraints(model_quality.baseline_constraints("Regression", {"train:loss": 0.3}, 0.05))
