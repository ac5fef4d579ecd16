"""Local Autopilot: objectives, inference, both search modes, reports, notebooks and one real job.

The searches run once per module on tiny data with short limits; one end-to-end job goes through
the training port and a worker process like the app's.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from services.config import Settings
from services.errors import InvalidInput
from services.models import AutopilotRequest, DataSource
from services.registry import build_services
from services.training.algorithms.base import load_predictor
from services.training.autopilot import choose_mode, objectives
from services.training.autopilot.ensembling import model_configs, preset_for, run_ensembling
from services.training.autopilot.features import column_kinds, find_date_columns
from services.training.autopilot.insights import model_insights, permutation_importance
from services.training.autopilot.leaderboard import SearchResult
from services.training.autopilot.notebooks import ensure_kernel, write_notebooks, write_snapshot
from services.training.autopilot.prepare import PreparedData, prepare_data
from services.training.autopilot.tuning import run_tuning
from tests.helpers.workspace import copy_empty_mlflow_store, settings_for_tests

WORDS_GOOD = ["love", "great", "perfect", "soft", "flattering", "beautiful"]
WORDS_BAD = ["hate", "cheap", "tight", "returned", "itchy", "awful"]


class Recorder:
    """A Reporter that keeps what it is told."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.points: list[tuple[str, float]] = []

    def log(self, message: str) -> None:
        self.lines.append(message)

    def metric(self, name: str, value: float, step: int | None = None) -> None:
        self.points.append((name, value))

    def progress(self, fraction: float, message: str = "") -> None:
        pass


def reviews_frame(rows: int = 300, seed: int = 0) -> pd.DataFrame:
    """Small reviews with a text column, a category, a number, a date and a binary label."""
    rng = np.random.default_rng(seed)
    liked = rng.random(rows) < 0.6
    words = [" ".join(rng.choice(WORDS_GOOD if ok else WORDS_BAD, 4)) + " dress fits" for ok in liked]
    return pd.DataFrame({
        "review_body": words,
        "product_category": rng.choice(["Dresses", "Tops", "Pants"], rows),
        "age": rng.integers(18, 80, rows),
        "posted": pd.date_range("2024-01-01", periods=rows, freq="h").astype(str),
        "recommended": np.where(liked, "yes", "no"),
    })


def wine_frame() -> pd.DataFrame:
    from sklearn.datasets import load_wine

    return load_wine(as_frame=True).frame


def diabetes_frame() -> pd.DataFrame:
    from sklearn.datasets import load_diabetes

    return load_diabetes(as_frame=True).frame


@pytest.fixture(scope="module")
def ensembled(tmp_path_factory: pytest.TempPathFactory) -> tuple[PreparedData, SearchResult, Path]:
    folder = tmp_path_factory.mktemp("ensembling")
    prepared = prepare_data(wine_frame(), "target")
    objective = objectives.resolve_objective("", prepared.dataset.problem_type)
    return prepared, run_ensembling(prepared, objective, 20, 3, folder / "autogluon", Recorder()), folder


@pytest.fixture(scope="module")
def tuned(tmp_path_factory: pytest.TempPathFactory) -> tuple[PreparedData, SearchResult, Path]:
    folder = tmp_path_factory.mktemp("tuning")
    prepared = prepare_data(reviews_frame(), "recommended")
    objective = objectives.resolve_objective("", prepared.dataset.problem_type)
    return prepared, run_tuning(prepared, objective, 25, 4, folder / "candidates", Recorder()), folder


# -- objectives ------------------------------------------------------------------------------------

def test_objectives_default_like_autopilot_and_are_validated() -> None:
    assert objectives.resolve_objective("", objectives.BINARY).name == "F1"
    assert objectives.resolve_objective("", objectives.MULTICLASS).name == "Accuracy"
    assert objectives.resolve_objective("", objectives.REGRESSION).name == "MSE"
    assert objectives.resolve_objective("AUC", objectives.BINARY).autogluon_metric == "roc_auc"
    with pytest.raises(InvalidInput, match="Unknown objective"):
        objectives.check_objective("LogLoss2")
    with pytest.raises(InvalidInput, match="does not apply"):
        objectives.check_objective("F1", objectives.REGRESSION)
    assert objectives.sort_key(objectives.OBJECTIVES["MSE"], 1.0) < objectives.sort_key(objectives.OBJECTIVES["MSE"], 2.0)


def test_cli_refuses_an_unknown_objective_before_any_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from services.cli import main

    data = tmp_path / "reviews.csv"
    reviews_frame(60).to_csv(data, index=False)
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WORKBENCH_SEED_ON_START", "false")
    code = main(["autopilot", "--data", str(data), "--target", "recommended", "--objective", "Bogus"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: Unknown objective") and len(err.strip().splitlines()) == 1
    services = build_services(settings_for_tests(home=tmp_path / "home", seed_on_start=False))
    assert services.jobs.list_jobs() == []


def test_auto_mode_picks_by_data_size() -> None:
    assert choose_mode("AUTO", 5 * 1024**2) == "ENSEMBLING"
    assert choose_mode("AUTO", 200 * 1024**2) == "HYPERPARAMETER_TUNING"
    assert choose_mode("ENSEMBLING", 200 * 1024**2) == "ENSEMBLING"
    assert preset_for(120) == "medium_quality" and preset_for(3600) == "best_quality"
    assert len(model_configs(1)) == 1 and len(model_configs(4)) == 3


def test_dates_are_expanded_and_long_strings_are_text() -> None:
    frame = reviews_frame(50)
    assert find_date_columns(frame) == ["posted"]
    kinds = column_kinds(frame.drop(columns=["posted", "recommended"]))
    assert kinds == {"numeric": ["age"], "categorical": ["product_category"], "text": ["review_body"]}


def test_prepare_rejects_rare_classes_and_splits_with_stratification() -> None:
    frame = reviews_frame(200)
    prepared = prepare_data(frame, "recommended")
    data = prepared.dataset
    assert data.classes == ["no", "yes"] and prepared.positive_class == "yes"
    assert len(data.train) + len(data.validation) + len(data.test) == 200
    assert abs((data.test["recommended"] == "yes").mean() - (frame["recommended"] == "yes").mean()) < 0.1
    frame.loc[0, "recommended"] = "maybe"
    with pytest.raises(InvalidInput, match="only 1 rows"):
        prepare_data(frame, "recommended")


# -- the two search modes ------------------------------------------------------------------------

def assert_leaderboard(search: SearchResult, objective: objectives.Objective, max_candidates: int) -> None:
    assert 1 <= len(search.candidates) <= max_candidates
    done = [c for c in search.candidates if c.status == "Completed"]
    keys = [objectives.sort_key(objective, c.objective_value) for c in done]
    assert keys == sorted(keys) and search.best is search.candidates[0]
    for candidate in search.candidates:
        fields = candidate.to_candidate(objective)
        assert fields.name and fields.algorithm and fields.objective_name == objective.name
        assert fields.training_seconds >= 0


def test_ensembling_ranks_autogluon_models_and_the_best_round_trips(
        ensembled: tuple[PreparedData, SearchResult, Path]) -> None:
    prepared, search, folder = ensembled
    assert_leaderboard(search, objectives.OBJECTIVES["Accuracy"], 3)
    assert {c.algorithm for c in search.candidates} <= {"lightgbm", "catboost", "weighted-ensemble"}
    assert search.best.objective_value is not None and search.best.objective_value > 0.8
    search.predictor.save(folder / "saved")
    loaded = load_predictor(folder / "saved")
    test = prepared.dataset.test
    pd.testing.assert_frame_equal(loaded.predict_frame(test), search.predictor.predict_frame(test))
    out = loaded.predict_frame(test)
    assert list(out.columns) == ["predicted_label", "probability", "probability_0", "probability_1", "probability_2"]


def test_tuning_tries_each_algorithm_and_the_best_round_trips(tuned: tuple[PreparedData, SearchResult, Path]) -> None:
    prepared, search, folder = tuned
    assert_leaderboard(search, objectives.OBJECTIVES["F1"], 4)
    assert {"xgboost", "linear-learner", "mlp"} <= {c.algorithm for c in search.candidates}
    assert search.best.objective_value is not None and search.best.objective_value > 0.9
    search.predictor.save(folder / "saved")
    loaded = load_predictor(folder / "saved")
    test = prepared.dataset.test
    pd.testing.assert_frame_equal(loaded.predict_frame(test), search.predictor.predict_frame(test))
    assert set(loaded.predict_frame(test)["predicted_label"]) <= {"yes", "no"}


def test_tuning_stops_at_its_time_limit(tmp_path: Path) -> None:
    prepared = prepare_data(diabetes_frame(), "target")
    objective = objectives.resolve_objective("", prepared.dataset.problem_type)
    search = run_tuning(prepared, objective, 6, 500, tmp_path, Recorder())
    assert 1 <= len(search.candidates) < 500  # the limit, not the candidate count, ended it (its time: bench_autopilot)
    assert search.predictor.predict_frame(prepared.dataset.test)["predicted_label"].dtype.kind == "f"


# -- reports and notebooks -----------------------------------------------------------------------

def test_insights_for_binary_multiclass_and_regression(ensembled: tuple[PreparedData, SearchResult, Path],
                                                       tuned: tuple[PreparedData, SearchResult, Path],
                                                       tmp_path: Path) -> None:
    prepared, search, _ = tuned
    binary = model_insights(search.predictor, prepared.dataset)
    assert binary["confusion_matrix"]["labels"] == ["no", "yes"]
    assert binary["roc_curve"]["auc"] > 0.9 and len(binary["roc_curve"]["fpr"]) == len(binary["roc_curve"]["tpr"])
    assert binary["precision_recall_curve"]["average_precision"] > 0.9 and "F1" in binary["metrics"]
    prepared, search, _ = ensembled
    multiclass = model_insights(search.predictor, prepared.dataset)
    assert np.array(multiclass["confusion_matrix"]["matrix"]).shape == (3, 3) and "roc_curve" not in multiclass
    regression_data = prepare_data(diabetes_frame(), "target")
    regression_search = run_tuning(regression_data, objectives.OBJECTIVES["MSE"], 15, 2, tmp_path, Recorder())
    regression = model_insights(regression_search.predictor, regression_data.dataset)
    assert {"MSE", "RMSE", "MAE", "R2"} <= set(regression["metrics"]) and len(regression["residuals"]["residual"]) > 10
    importance = permutation_importance(search.predictor, prepared.dataset, objectives.OBJECTIVES["Accuracy"], 10)
    assert set(importance["importance"]) <= set(prepared.dataset.feature_columns)
    json.dumps([binary, multiclass, regression, importance])  # plain JSON for the page and MLflow


def run_notebook(path: Path) -> object:
    """Execute a notebook top to bottom in its folder with this interpreter's kernel."""
    import nbclient
    import nbformat

    ensure_kernel()
    notebook = nbformat.read(str(path), as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    with tempfile.TemporaryDirectory(prefix="notebook-run-") as scratch:  # the candidate's AutoGluon folder goes too
        client.execute(env=dict(os.environ) | {"TMPDIR": scratch})
    return notebook


def notebook_text(notebook: object) -> str:
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]  # type: ignore[attr-defined]
    return "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs)


@pytest.mark.parametrize("which", ["tuned", "ensembled"])
def test_generated_notebooks_run_top_to_bottom(which: str, request: pytest.FixtureRequest) -> None:
    prepared, search, folder = request.getfixturevalue(which)
    objective = objectives.resolve_objective("", prepared.dataset.problem_type)
    write_snapshot(folder, prepared.dataset)
    paths = write_notebooks(folder, "test-job", prepared.dataset, search, objective, prepared.date_columns)
    exploration = run_notebook(Path(paths["data_exploration"]))
    assert "train" in notebook_text(exploration)
    definition = run_notebook(Path(paths["candidate_definition"]))
    assert f"{objective.name} on the test split:" in notebook_text(definition)


# -- one real job through the training port ------------------------------------------------------

def test_autopilot_job_end_to_end(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    data = tmp_path / "reviews.csv"
    reviews_frame(400).to_csv(data, index=False)
    copy_empty_mlflow_store(tmp_path_factory, tmp_path / "home")
    services = build_services(settings_for_tests(home=tmp_path / "home", seed_on_start=False))
    # Two candidates: LightGBM and the weighted ensemble. A third would add CatBoost, which on these separable rows
    # keeps improving its log-loss and so boosts until its time cap (about 23 of the 30 s).
    request = AutopilotRequest(source=DataSource(path=str(data)), target="recommended", mode="ENSEMBLING",
                               max_runtime_seconds=30, max_candidates=2)
    name = services.training.start_autopilot_job(request)
    job = services.jobs.wait_for_job(name, timeout_seconds=180)  # its wall time is bench_autopilot's figure
    assert job.status == "Completed", services.jobs.job_logs(name)
    statuses = [t["status"] for t in services.jobs.job_transitions(name)]
    expected = ["AnalyzingData", "FeatureEngineering", "ModelTuning", "GeneratingExplainabilityReport",
                "GeneratingModelInsightsReport", "Completed"]
    assert [s for s in statuses if s in expected] == expected

    result = job.result
    assert result["problem_type"] == "BinaryClassification" and result["mode"] == "ENSEMBLING"
    assert result["objective"]["name"] == "F1" and job.metrics["F1"] == result["objective"]["value"]
    candidates = services.training.list_candidates(name)
    assert 1 <= len(candidates) <= 2 and candidates[0].name == result["best_candidate"]
    assert candidates[0].model_id == job.model_id
    for path in [*result["insights"].values(), *result["notebooks"].values()]:
        assert Path(path).exists()
    insights = json.loads(Path(result["insights"]["model_insights"]).read_text())
    assert "roc_curve" in insights and "confusion_matrix" in insights
    reports = services.training.job_insights(name)  # what the Jobs page renders
    assert reports["model_insights"] == insights and reports["explainability"]["importance"]

    model = services.training.get_model(job.model_id)
    assert model.framework == "autogluon" and model.classes == ("no", "yes")
    assert Path(model.artifact_path).resolve().is_relative_to((tmp_path / "home" / "models").resolve())
    scored = load_predictor(Path(model.artifact_path)).predict_frame(reviews_frame(20, seed=5))
    assert {"predicted_label", "probability", "probability_yes", "probability_no"} <= set(scored.columns)

    assert_nested_runs(tmp_path / "home", job.run_id, len(candidates))


def assert_nested_runs(home: Path, parent_run_id: str, count: int) -> None:
    from services.runs.tracking import configure

    mlflow = configure(Settings(home=home, seed_on_start=False))
    children = mlflow.search_runs(search_all_experiments=True, filter_string=f"tags.mlflow.parentRunId = '{parent_run_id}'",
                                  output_format="list")
    assert len(children) == count
    assert all(run.data.params.get("algorithm") for run in children)


def test_dates_give_a_trend_and_weekday_or_weekend_hours() -> None:
    from services.training.autopilot.features import expand_dates

    frame = pd.DataFrame({"when": ["2011-01-01 05:00:00", "2011-01-03 17:00:00", None]})
    expanded = expand_dates(frame, ["when"])
    assert expanded["when_weekend_hour"].tolist()[:2] == [29.0, 17.0]  # Saturday 05:00, Monday 17:00
    assert expanded["when_days"].iloc[1] - expanded["when_days"].iloc[0] == 2.5
    assert expanded.iloc[2].isna().all()


def test_a_non_negative_target_adds_the_poisson_lightgbm_second() -> None:
    configs = model_configs(10, non_negative_target=True)
    assert configs[1][1]["objective"] == "poisson" and configs[0] == model_configs(10)[0]
    assert all("objective" not in settings for _, settings in model_configs(10))


def test_a_count_target_is_fitted_transformed_refit_and_predicted_in_its_own_units(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from services.training.autopilot import ensembling

    monkeypatch.setattr(ensembling, "REFIT_MARGIN", 0.0)  # refit whatever time is left (timing is bench_autopilot's)
    rng = np.random.default_rng(3)
    hours = rng.integers(0, 24, 2000)
    temperature = rng.uniform(0, 30, 2000)
    profile = 1 + 8 * np.exp(-((hours - 17) ** 2) / 6.0)
    frame = pd.DataFrame({"hour": hours, "temperature": temperature,
                          "count": rng.poisson(5 * profile * (0.2 + temperature / 10)).astype(float)})
    prepared = prepare_data(frame, "count")
    recorder = Recorder()
    search = run_ensembling(prepared, objectives.OBJECTIVES["MSE"], 8, 2, tmp_path / "autogluon", recorder)
    predictor = search.predictor
    assert predictor.target_transform in {"sqrt", "log1p"}, recorder.lines  # type: ignore[attr-defined]
    assert search.definition["target_transform"] == predictor.target_transform  # type: ignore[attr-defined]
    assert predictor.model_name == f"{search.best.name}_FULL"  # type: ignore[attr-defined]
    assert all(not c.name.endswith("_FULL") for c in search.candidates)  # refits have no validation score
    test = prepared.dataset.test
    predicted = predictor.predict_frame(test)["predicted_label"].to_numpy()
    truth = test["count"].to_numpy()
    assert abs(predicted.mean() - truth.mean()) < 0.25 * truth.mean()  # in counts (square roots would be ~4x less)
    predictor.save(tmp_path / "saved")
    np.testing.assert_array_equal(load_predictor(tmp_path / "saved").predict_frame(test)["predicted_label"], predicted)
