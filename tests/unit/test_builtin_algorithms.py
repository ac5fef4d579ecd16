"""The built-in algorithms on small data: splits, metrics, save/load round trips, hyperparameter errors."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_wine
from sklearn.feature_extraction.text import TfidfVectorizer

from services.errors import InvalidInput
from services.registry import Services
from services.training.algorithms.base import Dataset, load_predictor
from services.training.algorithms.common import (
    ALGORITHMS,
    get_algorithm,
    requested_problem_type,
    validate_hyperparameters,
)
from services.training.algorithms.dataset import detect_text_column, prepare_dataset
from services.training.algorithms.featurize import text_pipeline
from services.training.algorithms.metrics import classification_metrics, regression_metrics
from tests.helpers.recording import RecordingReporter


def wine() -> pd.DataFrame:
    frame = load_wine(as_frame=True).frame
    frame["cultivar"] = [f"class_{int(t)}" for t in frame.pop("target")]
    return frame


def customers(rows: int = 400, seed: int = 0) -> pd.DataFrame:
    """A small table with numeric, categorical and missing values; ``churn`` depends on all three."""
    rng = np.random.default_rng(seed)
    plan = rng.choice(["basic", "plus", "pro"], rows)
    tenure = rng.integers(1, 60, rows).astype(float)
    spend = rng.normal(50, 15, rows)
    score = -0.05 * tenure + 0.04 * spend + np.where(plan == "basic", 1.5, 0) + rng.normal(0, 0.5, rows)
    tenure[rng.random(rows) < 0.05] = np.nan
    return pd.DataFrame({"tenure": tenure, "spend": spend, "plan": plan,
                         "churn": np.where(score > np.median(score), 1, 0), "value": 3 * spend + 2 * tenure})


def roundtrip(result_predictor: object, frame: pd.DataFrame, folder: Path) -> None:
    """Saving and loading gives the same predictions."""
    before = result_predictor.predict_frame(frame)  # type: ignore[attr-defined]
    result_predictor.save(folder)  # type: ignore[attr-defined]
    after = load_predictor(folder).predict_frame(frame)
    pd.testing.assert_frame_equal(before, after)


# -- the split -------------------------------------------------------------------------------------


def test_prepare_dataset_splits_80_10_10_stratified_with_string_labels() -> None:
    frame = pd.DataFrame({"x": np.arange(300.0), "sentiment": [-1] * 30 + [0] * 60 + [1] * 210})
    data = prepare_dataset(frame, "sentiment", seed=7)
    assert data.classes == ["-1", "0", "1"]
    assert data.problem_type == "MulticlassClassification"
    assert (len(data.train), len(data.validation), len(data.test)) == (240, 30, 30)
    assert data.test["sentiment"].value_counts().to_dict() == {"1": 21, "0": 6, "-1": 3}
    assert data.feature_columns == ["x"]
    again = prepare_dataset(frame, "sentiment", seed=7)
    pd.testing.assert_frame_equal(data.test, again.test)


def test_prepare_dataset_drops_rows_without_target_and_keeps_rare_classes_in_training() -> None:
    frame = pd.DataFrame({"x": np.arange(40.0), "y": ["a"] * 20 + ["b"] * 18 + ["c"] + [None]})
    data = prepare_dataset(frame, "y")
    assert len(data.train) + len(data.validation) + len(data.test) == 39
    assert "c" in set(data.train["y"])


@pytest.mark.parametrize(("frame", "target", "problem_type", "message"), [
    (pd.DataFrame({"x": range(50), "y": ["same"] * 50}), "y", "", "single value"),
    (pd.DataFrame({"x": range(5), "y": [0, 1, 0, 1, 0]}), "y", "", "at least 10"),
    (pd.DataFrame({"x": range(50), "y": [None] * 45 + [1, 0, 1, 0, 1]}), "y", "", "at least 10"),
    (pd.DataFrame({"x": range(50), "y": ["a", "b"] * 25}), "y", "Regression", "numeric target"),
    (pd.DataFrame({"x": range(50), "y": [0, 1, 2, 3, 4] * 10}), "y", "BinaryClassification", "exactly 2"),
    (pd.DataFrame({"x": range(50), "y": [0, 1] * 25}), "nope", "", "not in the data"),
    (pd.DataFrame({"x": range(50), "y": [0, 1] * 25}), "y", "Ranking", "Unknown problem type"),
])
def test_prepare_dataset_rejects_data_that_cannot_be_learned(frame: pd.DataFrame, target: str, problem_type: str,
                                                              message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        prepare_dataset(frame, target, problem_type)
    assert caught.value.hint


def test_text_column_is_the_longest_string_column() -> None:
    frame = pd.DataFrame({"category": ["Tops", "Dresses"], "body": ["a long review of a dress", "short but longer"],
                          "age": [30, 40]})
    assert detect_text_column(frame) == "body"
    assert detect_text_column(frame[["age"]]) == ""


# -- metrics -------------------------------------------------------------------------------------------


def test_classification_metrics() -> None:
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    metrics, per_class, confusion = classification_metrics(["a", "b", "b", "a"], ["a", "b", "a", "b"], proba, ["a", "b"])
    assert metrics["accuracy"] == 0.5
    assert metrics["f1_macro"] == 0.5
    assert metrics["roc_auc"] == 0.75
    assert per_class["a"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2.0}
    assert confusion == [[1, 1], [1, 1]]


def test_regression_metrics() -> None:
    metrics = regression_metrics([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])
    assert metrics["mae"] == pytest.approx(2 / 3, abs=1e-6)
    assert metrics["rmse"] == pytest.approx(np.sqrt(4 / 3), abs=1e-6)
    assert metrics["r2"] == pytest.approx(-1.0)


# -- xgboost -------------------------------------------------------------------------------------------


def test_xgboost_multiclass_reports_rounds_and_round_trips(tmp_path: Path) -> None:
    data = prepare_dataset(wine(), "cultivar")
    reporter = RecordingReporter()
    result = get_algorithm("xgboost").fit(data, {"num_round": "20", "max_depth": "3"}, reporter)
    assert result.metrics["accuracy"] > 0.8 and result.metrics["f1_macro"] > 0.8
    assert reporter.steps("validation:mlogloss") == list(range(20))
    assert result.hyperparameters["objective"] == "multi:softprob" and result.hyperparameters["num_round"] == "20"
    assert sum(result.feature_importance.values()) == pytest.approx(1.0, abs=1e-3)
    assert np.array(result.confusion_matrix).sum() == len(data.test)
    assert set(result.per_class) == {"class_0", "class_1", "class_2"}
    scored = result.predictor.predict_frame(data.test)
    assert list(scored.columns) == ["predicted_label", "probability", "probability_class_0", "probability_class_1",
                                    "probability_class_2"]
    roundtrip(result.predictor, data.test, tmp_path / "model")


def test_xgboost_regression_with_early_stopping() -> None:
    data = prepare_dataset(customers().drop(columns=["churn"]), "value")
    assert data.problem_type == "Regression"
    result = get_algorithm("xgboost").fit(data, {"num_round": "200", "early_stopping_rounds": "5", "eta": "0.3"},
                                          RecordingReporter())
    assert result.metrics["r2"] > 0.8
    assert result.metrics["best_iteration"] < 199
    assert result.predictor.predict_frame(data.test)["predicted_label"].dtype == float


def test_xgboost_objective_sets_the_problem_type() -> None:
    algorithm = get_algorithm("xgboost")
    assert requested_problem_type(algorithm, {"objective": "reg:squarederror"}) == "Regression"
    assert requested_problem_type(algorithm, {}) == ""
    data = prepare_dataset(customers(), "churn")
    with pytest.raises(InvalidInput, match="does not fit"):
        algorithm.fit(data, {"objective": "multi:softprob"}, RecordingReporter())


def test_predictor_copes_with_unseen_categories_and_missing_values_but_not_missing_columns() -> None:
    data = prepare_dataset(customers(), "churn")
    result = get_algorithm("xgboost").fit(data, {"num_round": "10"}, RecordingReporter())
    odd = pd.DataFrame({"tenure": [None, 12.0], "spend": [40.0, None], "plan": ["enterprise", None], "value": [1.0, 2.0]})
    scored = result.predictor.predict_frame(odd)
    assert scored["probability"].between(0, 1).all()
    with pytest.raises(InvalidInput, match="plan"):
        result.predictor.predict_frame(odd.drop(columns=["plan"]))


# -- linear learner --------------------------------------------------------------------------------------


def test_linear_learner_binary_reports_epochs_and_round_trips(tmp_path: Path) -> None:
    data = prepare_dataset(customers().drop(columns=["value"]), "churn")
    reporter = RecordingReporter()
    result = get_algorithm("linear-learner").fit(data, {"epochs": "4", "mini_batch_size": "64",
                                                        "early_stopping_patience": "10"}, reporter)
    assert reporter.steps("validation:objective_loss") == [0, 1, 2, 3]
    assert reporter.steps("validation:binary_classification_accuracy") == [0, 1, 2, 3]
    assert result.hyperparameters["predictor_type"] == "binary_classifier"
    assert result.metrics["accuracy"] > 0.75 and result.metrics["roc_auc"] > 0.8
    assert reporter.fractions[-1] == 1.0
    roundtrip(result.predictor, data.test, tmp_path / "model")


def test_linear_learner_regression_normalises_the_label(tmp_path: Path) -> None:
    data = prepare_dataset(customers().drop(columns=["churn"]), "value")
    reporter = RecordingReporter()
    result = get_algorithm("linear-learner").fit(data, {"epochs": "20", "mini_batch_size": "32"}, reporter)
    assert result.hyperparameters["normalize_label"] == "true"
    assert result.metrics["r2"] > 0.9
    assert "validation:mse" in {name for name, _, _ in reporter.metrics}
    predicted = result.predictor.predict_frame(data.test)["predicted_label"]
    assert abs(predicted.mean() - data.test["value"].mean()) < 0.2 * data.test["value"].std()
    roundtrip(result.predictor, data.test, tmp_path / "model")


def test_linear_learner_predictor_type_must_fit_the_target() -> None:
    data = prepare_dataset(wine(), "cultivar")
    with pytest.raises(InvalidInput, match="predictor_type binary_classifier"):
        get_algorithm("linear-learner").fit(data, {"predictor_type": "binary_classifier"}, RecordingReporter())


# -- text-tfidf ---------------------------------------------------------------------------------------------


def test_text_tfidf_on_demo_reviews(seeded_services: Services, tmp_path: Path) -> None:
    frame = seeded_services.query.read_table("demo", "reviews_sentiment").head(1500)  # type: ignore[attr-defined]
    data = prepare_dataset(frame.drop(columns=["rating"]), "sentiment")
    assert data.text_column == "review_body"
    reporter = RecordingReporter()
    result = get_algorithm("text-tfidf").fit(data, {}, reporter)
    assert data.classes == ["-1", "0", "1"]
    assert result.metrics["f1_macro"] > 0.8
    assert result.hyperparameters["word_ngrams"] == "2" and result.hyperparameters["class_balancing"] == "true"
    assert ("validation:f1_macro", pytest.approx(reporter.metrics[1][1]), 0) in reporter.metrics
    assert len(result.feature_importance) == 40
    assert result.predictor.feature_columns == ["review_body"]  # type: ignore[attr-defined]
    roundtrip(result.predictor, data.test, tmp_path / "model")


def test_text_tfidf_needs_classes_and_text() -> None:
    numbers = pd.DataFrame({"x": np.arange(100.0), "y": np.arange(100.0) * 1.5})
    with pytest.raises(InvalidInput, match="classifies text"):
        get_algorithm("text-tfidf").fit(prepare_dataset(numbers, "y"), {}, RecordingReporter())
    no_text = pd.DataFrame({"x": np.arange(100.0), "y": [0, 1] * 50})
    with pytest.raises(InvalidInput, match="no text column"):
        get_algorithm("text-tfidf").fit(prepare_dataset(no_text, "y"), {}, RecordingReporter())


# -- hyperparameters and the registry -----------------------------------------------------------------------


@pytest.mark.parametrize(("algorithm", "hyperparameters", "message"), [
    ("xgboost", {"max_depth": "abc"}, "max_depth must be an integer ≥ 0, got 'abc'"),
    ("xgboost", {"num_round": "2.5"}, "num_round must be an integer ≥ 1"),
    ("xgboost", {"eta": "2"}, "eta must be a number between 0 and 1, got '2'"),
    ("xgboost", {"subsample": "0"}, r"subsample must be a number in \(0, 1\]"),
    ("xgboost", {"objective": "rank:pairwise"}, "objective must be one of binary:logistic"),
    ("xgboost", {"learning_rate": "0.1"}, "Unknown hyperparameter 'learning_rate' for xgboost"),
    ("linear-learner", {"predictor_type": "ranker"}, "predictor_type must be one of binary_classifier"),
    ("linear-learner", {"normalize_data": "maybe"}, "normalize_data must be true or false"),
    ("linear-learner", {"learning_rate": "-1"}, 'learning_rate must be a number > 0 or "auto"'),
    ("text-tfidf", {"word_ngrams": "0"}, "word_ngrams must be an integer between 1 and 5"),
    ("text-tfidf", {"class_balancing": "sometimes"}, "class_balancing must be true or false"),
])
def test_bad_hyperparameters_are_invalid_input(algorithm: str, hyperparameters: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        validate_hyperparameters(algorithm, hyperparameters)
    assert caught.value.hint


def test_hyperparameters_parse_from_strings_with_auto_and_private_names() -> None:
    values = validate_hyperparameters("linear-learner", {"l1": "auto", "epochs": "3", "_source_table": "demo.x"})
    assert values["l1"] is None and values["epochs"] == 3
    assert validate_hyperparameters("xgboost", {"num_round": "1e2"})["num_round"] == 100


def test_bad_hyperparameters_fail_fit_too() -> None:
    data = Dataset(train=pd.DataFrame(), validation=pd.DataFrame(), test=pd.DataFrame(), target="y",
                   problem_type="Regression", classes=[], feature_columns=[])
    with pytest.raises(InvalidInput, match="max_depth"):
        get_algorithm("xgboost").fit(data, {"max_depth": "-1"}, RecordingReporter())


def test_algorithm_registry() -> None:
    assert set(ALGORITHMS) == {"xgboost", "linear-learner", "text-tfidf", "text-minilm"}
    assert ALGORITHMS["text-minilm"] == "services.training.algorithms.text_minilm:MiniLMAlgorithm"
    assert get_algorithm("text-tfidf").name == "text-tfidf"
    with pytest.raises(InvalidInput, match="Unknown algorithm"):
        get_algorithm("random-forest")


def test_pipelines_pickled_before_the_split_of_common_still_load() -> None:
    """Saved text pipelines name ``services.training.algorithms.common.fill_text``, where it lived before
    common.py was split by topic; such model files keep loading."""
    pipeline = text_pipeline(TfidfVectorizer())
    before_split = pickle.dumps(pipeline, protocol=0).replace(b"services.training.algorithms.featurize\n",
                                                              b"services.training.algorithms.common\n")
    assert b"services.training.algorithms.common\nfill_text" in before_split
    assert pickle.loads(before_split).fit_transform(["soft dress", None]).shape[0] == 2
