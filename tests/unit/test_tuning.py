"""Hyperparameter tuning: range validation, the search itself, and real tuning jobs over a script and xgboost."""

from __future__ import annotations

import shutil
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services.config import Settings
from services.errors import InvalidInput
from services.models import DataSource, ScriptJobRequest, TrainingRequest, TuningRequest
from services.registry import Services, build_services
from services.runs.tracking import DEFAULT_EXPERIMENT, configure, ensure_experiment
from services.training import tuning_job
from services.training.tuning_job import TrialResult, validate_ranges
from tests.helpers.workspace import close_services

# A worker's /proc/<pid>/cmdline can be empty for a few ms after exec, and the job runner's reaper then
# takes it for a vanished process; a short pause between submissions keeps a burst clear of that window.
SUBMIT_PAUSE = 0.2

SCORE_PY = """\
import argparse, os

parser = argparse.ArgumentParser()
parser.add_argument("-x", type=float)  # one-letter names arrive as -x (the toolkit's rule)
parser.add_argument("--kind")
parser.add_argument("--unused")
parser.add_argument("--depth", type=int)
args = parser.parse_args()
score = 1 - (args.x - 0.3) ** 2 + (0.1 if args.kind == "good" else 0) + args.depth / 100
print(f"train:loss={1 - score:.6f}")
print(f"validation:score={score:.6f}")
with open(os.path.join(os.environ["SM_MODEL_DIR"], "params.txt"), "w") as handle:
    handle.write(repr(vars(args)))
"""

SCRIPT_RANGES: dict[str, dict[str, Any]] = {"x": {"type": "continuous", "min": 0.0, "max": 1.0},
                 "kind": {"type": "categorical", "values": ["good", "bad"]},
                 "depth": {"type": "integer", "min": 1, "max": 5}}


# -- validation --------------------------------------------------------------------------------------


@pytest.mark.parametrize("ranges, message", [
    ({}, "at least one"),
    ({"a": {"type": "integer", "min": 5, "max": 5}}, "min < max"),
    ({"a": {"type": "continuous", "min": 0.3, "max": 0.1}}, "min < max"),
    ({"a": {"type": "continuous", "min": 0, "max": 1, "scale": "log"}}, "min > 0"),
    ({"a": {"type": "integer", "min": 1.5, "max": 4}}, "whole numbers"),
    ({"a": {"type": "continuous", "min": "low", "max": 1}}, "numeric min"),
    ({"a": {"type": "continuous", "min": 0.1, "max": 1, "scale": "cubic"}}, "unknown scale"),
    ({"a": {"type": "categorical", "values": []}}, "list of values"),
    ({"a": {"type": "categorical"}}, "list of values"),
    ({"a": {"type": "boolean", "values": [True]}}, "unknown type"),
    ({"a": "1..3"}, "not a mapping"),
])
def test_bad_ranges_are_refused(ranges: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        validate_ranges(ranges)


def test_ranges_are_normalised() -> None:
    ranges = validate_ranges({"max_depth": {"type": "integer", "min": 3.0, "max": 8.0},
                              "eta": {"type": "continuous", "min": 0.01, "max": 0.3, "scale": "Logarithmic"},
                              "objective": {"type": "categorical", "values": ["a", "b", "a"]}})
    assert ranges == {"max_depth": {"type": "integer", "min": 3, "max": 8, "scale": "linear"},
                      "eta": {"type": "continuous", "min": 0.01, "max": 0.3, "scale": "log"},
                      "objective": {"type": "categorical", "values": ["a", "b"]}}


def test_a_tuning_job_with_bad_ranges_is_refused_before_it_exists(services: Services, tmp_path: Path) -> None:
    base = ScriptJobRequest("train.py", str(tmp_path), {}, metric_definitions={"m": "m=(\\S+)"})
    request = TuningRequest(base, {"x": {"type": "continuous", "min": 0, "max": 1, "scale": "log"}}, "m")
    with pytest.raises(InvalidInput, match="min > 0"):
        services.training.start_tuning_job(request)
    assert services.jobs.list_jobs(kind="tuning") == []


@pytest.mark.parametrize("settings, message", [
    (("", "Maximize", "Bayesian", 5, 1), "objective metric"),
    (("m", "Largest", "Bayesian", 5, 1), "objective type"),
    (("m", "Maximize", "Grid", 5, 1), "strategy"),
    (("m", "Maximize", "Random", 0, 1), "max_jobs"),
])
def test_bad_tuning_settings_are_refused(settings: tuple[Any, ...], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        tuning_job.validate_tuning_settings(*settings)


def test_a_scripts_objective_must_be_one_of_its_metrics() -> None:
    with pytest.raises(InvalidInput, match="not among the script's metric definitions"):
        tuning_job.validate_script_objective({"loss": "loss=(\\S+)"}, "validation:accuracy")


# -- the search, in process --------------------------------------------------------------------------


def test_suggestions_stay_inside_the_ranges() -> None:
    plan = tuning_job.TuningPlan("script", {}, validate_ranges(SCRIPT_RANGES | {
        "eta": {"type": "continuous", "min": 0.001, "max": 0.1, "scale": "log"}}), "m", strategy="Random", max_jobs=20)
    study = tuning_job.make_study(plan)
    for _ in range(20):
        values = tuning_job.suggest(study.ask(), plan.ranges)
        assert 0 <= float(values["x"]) <= 1 and values["kind"] in ("good", "bad")
        assert 1 <= int(values["depth"]) <= 5 and 0.001 <= float(values["eta"]) <= 0.1


def test_best_result_follows_the_objective_direction() -> None:
    results = [TrialResult(1, {}, "Completed", 0.5), TrialResult(2, {}, "Failed"), TrialResult(3, {}, "Completed", 0.9),
               TrialResult(4, {}, "Completed", 0.9)]
    assert tuning_job.best_result(results, "Maximize").number == 3  # type: ignore[union-attr]
    assert tuning_job.best_result(results, "Minimize").number == 1  # type: ignore[union-attr]
    assert tuning_job.best_result([TrialResult(1, {}, "Failed")], "Maximize") is None


def test_objective_is_found_with_or_without_the_channel_prefix() -> None:
    assert tuning_job.objective_value({"validation:f1_macro": 0.7}, "f1_macro") == 0.7
    assert tuning_job.objective_value({"validation:f1_macro": 0.7}, "validation:f1_macro") == 0.7
    with pytest.raises(InvalidInput, match="never reported"):
        tuning_job.objective_value({"test:f1_macro": 0.7}, "validation:auc")


# -- real tuning jobs ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded(seeded_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """A copy of the seeded workspace (demo.wine) for this module's jobs, its MLflow store created up front."""
    home = tmp_path_factory.mktemp("tuning") / "workspace"
    shutil.copytree(seeded_home, home)
    built = build_services(Settings(home=home, seed_on_start=False, max_heavy_jobs=3))
    ensure_experiment(built.settings, DEFAULT_EXPERIMENT)
    yield built
    close_services(built)


def script_tuning(source: Path, name: str = "") -> TuningRequest:
    base = ScriptJobRequest("score.py", str(source), {}, {"unused": "1"},
                            {"validation:score": r"validation:score=([-0-9.]+)", "train:loss": r"train:loss=([-0-9.]+)"})
    return TuningRequest(base, SCRIPT_RANGES, "validation:score", "Maximize", "Random", max_jobs=3, name=name)


FAILING_PY = """\
import argparse, sys
parser = argparse.ArgumentParser()
parser.add_argument("-x", type=float)
args = parser.parse_args()
if args.x > 0.5:
    sys.exit("x too large")
print(f"validation:score={args.x}")
"""


def failing_tuning(source: Path) -> TuningRequest:
    """Trials with x > 0.5 fail (three of the four with seed 42); the job goes on and completes."""
    (source / "score.py").write_text(FAILING_PY)
    base = ScriptJobRequest("score.py", str(source), {}, metric_definitions={"validation:score": r"validation:score=(\S+)"})
    return TuningRequest(base, {"x": {"type": "continuous", "min": 0.0, "max": 1.0}}, "validation:score",
                         "Minimize", "Random", max_jobs=4)


@pytest.fixture(scope="module")
def started(seeded: Services, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Both tuning jobs started at once (two slots): label -> job name."""
    source = tmp_path_factory.mktemp("score-src")
    (source / "score.py").write_text(textwrap.dedent(SCORE_PY))
    names = {"script": seeded.training.start_tuning_job(script_tuning(source))}
    time.sleep(SUBMIT_PAUSE)
    names["failing"] = seeded.training.start_tuning_job(failing_tuning(tmp_path_factory.mktemp("failing-src")))
    time.sleep(SUBMIT_PAUSE)
    xgboost = TrainingRequest("xgboost", DataSource(table="demo.wine"), "target", {"num_round": "5"})
    ranges = {"max_depth": {"type": "integer", "min": 2, "max": 6},
              "eta": {"type": "continuous", "min": 0.05, "max": 0.5, "scale": "log"}}
    names["xgboost"] = seeded.training.start_tuning_job(
        TuningRequest(xgboost, ranges, "validation:f1_macro", "Maximize", "Bayesian", max_jobs=3))
    return names


def check_trials(services: Services, name: str) -> Any:
    job = services.jobs.wait_for_job(name, 120)
    assert job.status == "Completed", services.jobs.job_logs(name)
    trials = job.result["trials"]
    assert [t["number"] for t in trials] == [1, 2, 3]
    assert all(t["status"] == "Completed" and t["run_id"] and t["model_id"] for t in trials)
    best = max(trials, key=lambda t: t["objective"])
    assert job.result["best_trial"] == best["number"]
    assert job.result["objective"] == {"name": job.result["objective"]["name"], "value": best["objective"],
                                       "type": "Maximize"}
    assert job.model_id == best["model_id"]
    client = configure(services.settings).MlflowClient()
    for trial in trials:
        run = client.get_run(trial["run_id"])
        assert run.data.tags["mlflow.parentRunId"] == job.run_id
        assert {k: run.data.params[k] for k in trial["hyperparameters"]} == trial["hyperparameters"]
    points = [p for p in services.jobs.job_metric_points(name) if p["name"] == job.result["objective"]["name"]]
    assert len(points) == 3 and {p["step"] for p in points} == {1, 2, 3}
    return job


def test_tuning_a_script_records_every_trial_and_the_best(seeded: Services, started: dict[str, str]) -> None:
    job = check_trials(seeded, started["script"])
    trials = job.result["trials"]
    assert all(set(t["hyperparameters"]) == {"unused", "x", "kind", "depth"} for t in trials)
    best = next(t for t in trials if t["number"] == job.result["best_trial"])
    x, kind, depth = float(best["hyperparameters"]["x"]), best["hyperparameters"]["kind"], int(best["hyperparameters"]["depth"])
    assert best["objective"] == pytest.approx(1 - (x - 0.3) ** 2 + (0.1 if kind == "good" else 0) + depth / 100, abs=1e-5)
    assert job.metrics["validation:score"] == best["objective"] and "train:loss" in job.metrics
    history = configure(seeded.settings).MlflowClient().get_metric_history(best["run_id"], "validation:score")
    assert [m.value for m in history] == [pytest.approx(best["objective"])]
    assert "[trial 1] validation:score=" in seeded.jobs.job_logs(job.name)


def test_tuning_xgboost_on_wine(seeded: Services, started: dict[str, str]) -> None:
    job = check_trials(seeded, started["xgboost"])
    assert 0.5 < job.result["objective"]["value"] <= 1.0
    model = seeded.training.get_model(job.model_id)
    assert model.framework and model.target == "target" and len(model.classes) == 3


def test_a_trial_that_fails_is_recorded_and_the_others_go_on(seeded: Services, started: dict[str, str]) -> None:
    job = seeded.jobs.wait_for_job(started["failing"], 120)
    statuses = {t["number"]: t["status"] for t in job.result["trials"]}
    assert len(statuses) == 4 and job.status == "Completed" and "Completed" in statuses.values()
    failed = [t for t in job.result["trials"] if t["status"] == "Failed"]
    assert failed and all(t["failure_reason"] == "The script exited with code 1: x too large" for t in failed)
    assert job.result["best_trial"] not in {t["number"] for t in failed}
    assert all(t["model_id"] == "" for t in job.result["trials"])
