"""SHAP jobs for tabular models, end to end through the job runner, on models trained here.

Generated data with a known answer: ``label`` (yes/no) and ``amount`` depend strongly on ``signal``,
a little on ``colour`` (red), and not at all on ``noise``. Checks additivity (base value + row sum =
the explained output), that values are per input column (one-hot levels summed back), the ranking,
the three aggregations, the cache, and the errors for bad requests.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline

from services.embedded.model_registry import ModelRegistry
from services.errors import InvalidInput, NotFound, QueryFailed
from services.explain import shap_tabular
from services.explain.base import ExplainRequest
from services.models import Column, DataSource, ModelRecord
from services.registry import Services, build_services
from services.training.algorithms.base import load_predictor
from services.training.algorithms.common import SklearnPredictor
from services.training.algorithms.dataset import class_indices
from services.training.algorithms.featurize import column_kinds, model_frame, tabular_featurizer
from tests.helpers.data import signal_frame
from tests.helpers.models import completed, explain, register_svc, train
from tests.helpers.workspace import close_services, copy_empty_mlflow_store, settings_for_tests


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("explain-data")
    frame = signal_frame()
    paths = {"classes": folder / "classes.csv", "amounts": folder / "amounts.csv"}
    frame.drop(columns=["amount"]).to_csv(paths["classes"], index=False)
    frame.drop(columns=["label"]).to_csv(paths["amounts"], index=False)
    return paths


@pytest.fixture(scope="module")
def workspace(seeded_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    home = tmp_path_factory.mktemp("explain-jobs") / "workspace"
    shutil.copytree(seeded_home, home)
    copy_empty_mlflow_store(tmp_path_factory, home)
    services = build_services(settings_for_tests(home=home, seed_on_start=False, max_heavy_jobs=1))
    yield services
    close_services(services)


def register(services: Services, predictor: object, name: str, columns: list[str], problem_type: str,
             classes: list[str], folder: Path) -> str:
    """Save ``predictor`` and put it in the registry like a training job would."""
    predictor.save(folder)  # type: ignore[attr-defined]
    draft = ModelRecord(model_id="", name=name, version=0, framework="sklearn", problem_type=problem_type, target="label",
                        input_schema=tuple(Column(c, "string") for c in columns), classes=tuple(classes), metrics={},
                        run_id="", job_name="", artifact_path="")
    registry = ModelRegistry(services.catalog.store, services.settings.home / "models")  # type: ignore[attr-defined]
    return registry.register(draft, folder).model_id


@pytest.fixture(scope="module")
def xgboost_binary(workspace: Services, data: dict[str, Path]) -> str:
    return train(workspace, "xgboost", DataSource(path=str(data["classes"])), "label", num_round="40", max_depth="3")


@pytest.fixture(scope="module")
def xgboost_explained(workspace: Services, data: dict[str, Path], xgboost_binary: str) -> str:
    return completed(workspace, ExplainRequest(model_id=xgboost_binary, source=DataSource(path=str(data["classes"])),
                                               rows=120, background_rows=50))


def scored_features(services: Services, model_id: str, features: pd.DataFrame) -> pd.DataFrame:
    return load_predictor(Path(services.training.get_model(model_id).artifact_path)).predict_frame(features)


def margins(services: Services, model_id: str, features: pd.DataFrame) -> np.ndarray:
    """The model's raw scores (log-odds) straight from its estimator."""
    predictor = load_predictor(Path(services.training.get_model(model_id).artifact_path))
    featurizer, model = (step for _, step in predictor.pipeline.steps)  # type: ignore[attr-defined]
    x = featurizer.transform(model_frame(features, predictor.kinds))  # type: ignore[attr-defined]
    return np.asarray(model.decision_function(x) if hasattr(model, "decision_function") else model.predict(x, output_margin=True))


def test_tree_values_add_up_to_the_positive_class_probability(workspace: Services, xgboost_binary: str,
                                                              xgboost_explained: str) -> None:
    explanation = workspace.explain.explanation(xgboost_explained)
    values, features = workspace.explain.shap_frames(xgboost_explained)
    assert (explanation.explainer, explanation.explained_output, explanation.rows) == ("Tree", "yes", 120)
    assert list(values.columns) == list(features.columns) == ["signal", "noise", "colour"]  # one-hot summed back
    assert values.index.equals(features.index) and len(values) == 120
    probability = scored_features(workspace, xgboost_binary, features)["probability_yes"].to_numpy()
    np.testing.assert_allclose(values.sum(axis=1).to_numpy() + explanation.base_value, probability, atol=1e-5)


def test_the_informative_column_ranks_first_and_noise_last(workspace: Services, xgboost_explained: str) -> None:
    ranking = list(workspace.explain.explanation(xgboost_explained).global_importance)
    assert ranking == ["signal", "colour", "noise"]


def test_every_aggregation_is_clarifys_formula_sorted_largest_first(workspace: Services, xgboost_explained: str) -> None:
    explanation = workspace.explain.explanation(xgboost_explained)
    values, _ = workspace.explain.shap_frames(xgboost_explained)
    expected = {"mean_abs": values.abs().mean(), "mean_sq": (values ** 2).mean(), "median": values.abs().median()}
    assert set(explanation.importances) == set(expected)
    for name, series in expected.items():
        got = explanation.importances[name]
        assert list(got.values()) == sorted(got.values(), reverse=True)
        assert got == pytest.approx(series.to_dict())
    assert explanation.aggregation == "mean_abs" and explanation.global_importance == explanation.importances["mean_abs"]


def test_the_median_aggregation_is_the_global_importance_when_asked(workspace: Services, data: dict[str, Path],
                                                                    xgboost_binary: str) -> None:
    name = completed(workspace, ExplainRequest(model_id=xgboost_binary, source=DataSource(path=str(data["classes"])),
                                               rows=40, background_rows=20, aggregation="median"))
    explanation = workspace.explain.explanation(name)
    assert explanation.aggregation == "median" and explanation.global_importance == explanation.importances["median"]


def test_a_finished_job_is_reused_until_the_settings_or_the_data_change(workspace: Services, data: dict[str, Path],
                                                                         xgboost_binary: str, tmp_path: Path) -> None:
    copy = tmp_path / "copy.csv"
    shutil.copy(data["classes"], copy)
    request = ExplainRequest(model_id=xgboost_binary, source=DataSource(path=str(copy)), rows=30, background_rows=10)
    first = completed(workspace, request)
    assert workspace.explain.start_job(request) == first
    assert workspace.explain.start_job(replace(request, rows=31)) != first
    signal_frame().drop(columns=["amount"]).head(250).to_csv(copy, index=False)  # a new version of the file
    assert workspace.explain.start_job(request) != first


def test_a_sql_result_is_explained_and_cached_by_its_text(workspace: Services, data: dict[str, Path],
                                                          xgboost_binary: str) -> None:
    workspace.catalog.import_path(data["classes"], "explain", "signals")  # type: ignore[attr-defined]
    request = ExplainRequest(model_id=xgboost_binary, sql="SELECT * FROM explain.signals WHERE colour <> 'red'", rows=25,
                             background_rows=10)
    name = completed(workspace, request)
    _, features = workspace.explain.shap_frames(name)
    assert len(features) == 25 and "red" not in set(features["colour"])
    assert workspace.explain.start_job(request) == name
    with pytest.raises(QueryFailed):
        workspace.explain.start_job(replace(request, sql="SELECT * FROM explain.nope"))


def test_path_dependent_tree_shap_without_background_adds_up_to_the_margin(workspace: Services, data: dict[str, Path],
                                                                           xgboost_binary: str) -> None:
    name = completed(workspace, ExplainRequest(model_id=xgboost_binary, source=DataSource(path=str(data["classes"])),
                                               rows=50, background_rows=0))
    explanation = workspace.explain.explanation(name)
    values, features = workspace.explain.shap_frames(name)
    assert explanation.explained_output == "yes (log-odds)" and "Path-dependent" in " ".join(explanation.notes)
    np.testing.assert_allclose(values.sum(axis=1) + explanation.base_value, margins(workspace, xgboost_binary, features), atol=1e-4)


def test_linear_learner_gets_the_linear_explainer_in_log_odds(workspace: Services, data: dict[str, Path]) -> None:
    model_id = train(workspace, "linear-learner", DataSource(path=str(data["classes"])), "label", epochs="5")
    name = completed(workspace, ExplainRequest(model_id=model_id, source=DataSource(path=str(data["classes"])), rows=80))
    explanation = workspace.explain.explanation(name)
    values, features = workspace.explain.shap_frames(name)
    assert (explanation.explainer, explanation.explained_output) == ("Linear", "yes (log-odds)")
    assert list(values.columns) == ["signal", "noise", "colour"] and list(explanation.global_importance)[0] == "signal"
    np.testing.assert_allclose(values.sum(axis=1) + explanation.base_value, margins(workspace, model_id, features), atol=1e-6)


def test_regression_explains_the_prediction(workspace: Services, data: dict[str, Path]) -> None:
    model_id = train(workspace, "xgboost", DataSource(path=str(data["amounts"])), "amount", num_round="30")
    name = completed(workspace, ExplainRequest(model_id=model_id, source=DataSource(path=str(data["amounts"])), rows=60))
    explanation = workspace.explain.explanation(name)
    values, features = workspace.explain.shap_frames(name)
    assert (explanation.explainer, explanation.explained_output) == ("Tree", "prediction")
    predicted = scored_features(workspace, model_id, features)["predicted_label"].to_numpy()
    np.testing.assert_allclose(values.sum(axis=1) + explanation.base_value, predicted, rtol=1e-5, atol=1e-3)
    assert list(explanation.global_importance)[0] == "signal"


def test_multiclass_explains_the_chosen_class_margin(workspace: Services) -> None:
    model_id = train(workspace, "xgboost", DataSource(table="demo.wine"), "target", num_round="10", max_depth="3")
    request = ExplainRequest(model_id=model_id, source=DataSource(table="demo.wine"), rows=60, explained_class="0")
    name = completed(workspace, request)
    explanation = workspace.explain.explanation(name)
    values, features = workspace.explain.shap_frames(name)
    assert explanation.explained_output == "0 (log-odds)" and "log-odds" in explanation.notes[0]
    np.testing.assert_allclose(values.sum(axis=1) + explanation.base_value, margins(workspace, model_id, features)[:, 0], atol=1e-4)


def mlp_predictor(frame: pd.DataFrame) -> SklearnPredictor:
    kinds = column_kinds(frame, ["signal", "noise", "colour"])
    pipeline = Pipeline([("features", tabular_featurizer(kinds)),
                         ("model", MLPClassifier(hidden_layer_sizes=(8,), max_iter=2000, random_state=0))])
    pipeline.fit(model_frame(frame, kinds), class_indices(frame["label"], ["no", "yes"]))
    return SklearnPredictor(pipeline, "BinaryClassification", ["no", "yes"], kinds, "sklearn")


def test_other_models_get_the_permutation_explainer_on_the_input_columns(workspace: Services, data: dict[str, Path],
                                                                         tmp_path: Path) -> None:
    model_id = register(workspace, mlp_predictor(signal_frame()), "signal-mlp", ["signal", "noise", "colour"],
                        "BinaryClassification", ["no", "yes"], tmp_path / "mlp")
    name = completed(workspace, ExplainRequest(model_id=model_id, source=DataSource(path=str(data["classes"])), rows=20,
                                               background_rows=20))
    explanation = workspace.explain.explanation(name)
    values, features = workspace.explain.shap_frames(name)
    assert (explanation.explainer, explanation.explained_output) == ("Permutation", "yes")
    probability = scored_features(workspace, model_id, features)["probability_yes"].to_numpy()
    np.testing.assert_allclose(values.sum(axis=1) + explanation.base_value, probability, atol=1e-6)
    assert list(explanation.global_importance)[0] == "signal"


def test_a_classifier_without_probabilities_fails_with_a_clear_reason(workspace: Services, data: dict[str, Path],
                                                                      tmp_path: Path) -> None:
    model_id = register_svc(workspace, tmp_path / "svc")
    _, job = explain(workspace, ExplainRequest(model_id=model_id, source=DataSource(path=str(data["classes"])), rows=10))
    assert job.status == "Failed" and "cannot give class probabilities" in job.failure_reason
    assert "predict_proba" in job.failure_reason and job.result["failure_type"] == "InvalidInput"
    with pytest.raises(InvalidInput, match="is Failed"):
        workspace.explain.explanation(job.name)


@pytest.mark.parametrize(("changes", "error", "fragment"), [
    ({"source": DataSource(path="/no/such/file.csv")}, NotFound, "does not exist"),
    ({"source": DataSource(table="demo.wine")}, InvalidInput, "'signal' is not in the data"),
    ({"source": DataSource()}, InvalidInput, "Give a catalog table"),
    ({"background_rows": -1}, InvalidInput, "background_rows must be between 0"),
    ({"explained_class": "maybe"}, InvalidInput, "'maybe' is not one of"),
])
def test_bad_requests_are_refused_before_a_job_exists(workspace: Services, data: dict[str, Path], xgboost_binary: str,
                                                      changes: dict[str, Any], error: type[Exception], fragment: str) -> None:
    before = len(workspace.jobs.list_jobs(kind="explain", limit=1000))
    request = ExplainRequest(**{"model_id": xgboost_binary, "source": DataSource(path=str(data["classes"])), **changes})
    with pytest.raises(error, match=fragment) as raised:
        workspace.explain.start_job(request)
    assert raised.value.hint  # type: ignore[attr-defined]
    assert len(workspace.jobs.list_jobs(kind="explain", limit=1000)) == before


def test_explain_jobs_are_listed_newest_first_and_other_jobs_are_not_explain_jobs(workspace: Services,
                                                                                  xgboost_explained: str) -> None:
    jobs = workspace.jobs.list_jobs(kind="explain")
    assert jobs and all(j.kind == "explain" for j in jobs)
    assert [j.created_at for j in jobs] == sorted((j.created_at for j in jobs), reverse=True)
    described = workspace.jobs.describe_job(xgboost_explained)
    assert described.model_id == described.config["model_id"] and described.result["explainer"] == "Tree"
    training_job = workspace.jobs.list_jobs(kind="training")[0].name
    with pytest.raises(NotFound, match="not a SHAP job"):
        workspace.explain.explanation(training_job)


# -- without jobs: the pieces ---------------------------------------------------------------------------


def test_autopilot_pipelines_map_date_parts_back_to_the_date_column() -> None:
    from services.training.autopilot.features import build_pipeline, expand_dates
    from services.training.autopilot.features import column_kinds as autopilot_kinds
    from services.training.autopilot.predictors import PipelinePredictor

    frame = signal_frame(240)
    frame["day"] = pd.date_range("2024-01-01", periods=len(frame), freq="D").strftime("%Y-%m-%d")
    frame["label"] = np.where(frame["signal"] + (pd.to_datetime(frame["day"]).dt.month > 4) * 2 > 1, "yes", "no")
    columns = ["signal", "noise", "colour", "day"]
    expanded = expand_dates(frame[columns], ["day"])
    pipeline = build_pipeline("xgboost", {"n_estimators": 30, "max_depth": 3}, autopilot_kinds(expanded), True, 0)
    pipeline.fit(expanded, class_indices(frame["label"], ["no", "yes"]))
    predictor = PipelinePredictor(pipeline, problem_type="BinaryClassification", classes=["no", "yes"],
                                  feature_columns=columns, date_columns=["day"], algorithm="xgboost")
    rows, background = frame[columns].iloc[:40], frame[columns].iloc[100:160]
    result = shap_tabular.explain_rows(predictor, columns, rows, background, shap_tabular.Target(1, "yes"))
    assert result.explainer == "Tree" and list(result.values.columns) == columns
    probability = predictor.predict_frame(rows)["probability_yes"].to_numpy()
    np.testing.assert_allclose(result.values.sum(axis=1) + result.base_value, probability, atol=1e-5)
    assert result.values["day"].abs().mean() > result.values["noise"].abs().mean()


def test_coded_columns_round_trip_strings_dates_and_gaps() -> None:
    when = pd.to_datetime(pd.Series(["2024-01-01", None, "2024-02-01"]))
    frame = pd.DataFrame({"x": [1.5, np.nan, 3.0], "name": ["a", None, "b"], "when": when,
                          "flag": [True, False, True], "count": [1, 2, 3]})
    coder = shap_tabular.CodedColumns(frame)
    decoded = coder.decode(coder.encode(frame))
    pd.testing.assert_frame_equal(decoded, frame, check_dtype=True)


def test_the_class_explained_by_default() -> None:
    predicted = pd.Series(["b", "c", "c", "a"])
    assert shap_tabular.choose_target("BinaryClassification", ["no", "yes"], "", predicted) == shap_tabular.Target(1, "yes")
    assert shap_tabular.choose_target("MulticlassClassification", ["a", "b", "c"], "", predicted).label == "c"
    assert shap_tabular.choose_target("MulticlassClassification", ["a", "b", "c"], "a", predicted).index == 0
    assert shap_tabular.choose_target("Regression", [], "", predicted).label == "prediction"
    with pytest.raises(InvalidInput, match="not one of"):
        shap_tabular.choose_target("BinaryClassification", ["no", "yes"], "maybe", predicted)


def test_every_date_part_autopilot_adds_is_named_in_date_parts() -> None:
    """Explain maps ``<date>_<part>`` back to the date column by DATE_PARTS; a part added without it (the trend and
    weekend-hour parts were) made every Autopilot model with a date fall back to the slow Permutation explainer."""
    from services.training.autopilot.features import DATE_PARTS, expand_dates

    expanded = expand_dates(pd.DataFrame({"d": ["2024-01-06 08:00", "2024-01-08 17:30"], "x": [1.0, 2.0]}), ["d"])
    assert list(expanded.columns) == ["x", *(f"d_{part}" for part in DATE_PARTS)]
