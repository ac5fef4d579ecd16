"""The one label map: a model's classes named the same way on every page."""

from __future__ import annotations

from services.label_map import LabelMap, label_map, label_text, model_label_map, predicted_class
from services.models import Column, ModelRecord


def record(target: str, classes: tuple[str, ...], problem_type: str = "MulticlassClassification") -> ModelRecord:
    return ModelRecord(model_id="m/1", name="m", version=1, framework="text-tfidf", problem_type=problem_type,
                       target=target, input_schema=(Column("review_body", "string"),), classes=classes, metrics={},
                       run_id="", job_name="", artifact_path="")


def test_the_review_sentiment_classes_are_named_in_the_models_order() -> None:
    names = model_label_map(record("sentiment", ("-1", "0", "1")))
    assert names.displays() == ["negative (-1)", "neutral (0)", "positive (1)"]
    assert [names.name(c) for c in ("-1", "0", "1")] == ["negative", "neutral", "positive"]


def test_minus_one_zero_one_are_sentiment_whatever_the_column_is_called() -> None:
    assert label_map(["1", "-1"]).display("-1") == "negative (-1)"
    assert label_map(["-1", "1"], target="label").display("1") == "positive (1)"


def test_a_binary_sentiment_column_names_zero_and_one() -> None:
    names = label_map(["0", "1"], target="review_sentiment")
    assert names.displays() == ["negative (0)", "positive (1)"]


def test_other_classes_keep_their_raw_values() -> None:
    assert label_map(["0", "1", "2"], target="target").displays() == ["0", "1", "2"]  # wine
    assert label_map(["0", "1"], target="churned").displays() == ["0", "1"]
    assert label_map(["0", "1"]).display("1") == "1"  # a 0/1 model is not a sentiment model by its classes alone
    assert label_map(["-1", "0", "1", "2"]).display("-1") == "-1"  # not the sentiment set
    assert label_map(["setosa", "virginica"]).display("setosa") == "setosa"
    assert model_label_map(record("quality", (), "Regression")) == LabelMap()


def test_a_label_read_back_as_a_number_is_the_same_class() -> None:
    names = label_map(["-1", "0", "1"])
    assert (label_text(1.0), label_text(-1), label_text("0")) == ("1", "-1", "0")
    assert names.display(-1.0) == "negative (-1)"
    assert names.display("7") == "7"  # a class the model does not know stays as it came


def test_probabilities_are_keyed_by_display_names_and_the_predicted_class_is_the_most_likely() -> None:
    probabilities = {"-1": 0.2, "0": 0.5, "1": 0.3}
    names = label_map(probabilities)
    assert names.display_keys(probabilities) == {"negative (-1)": 0.2, "neutral (0)": 0.5, "positive (1)": 0.3}
    assert predicted_class(probabilities) == "0"
    assert predicted_class({"a": 0.5, "b": 0.5}) == "a"
    assert predicted_class({}) == ""
