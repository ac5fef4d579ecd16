"""Training and batch transform end to end through the real job runner (worker processes).

One workspace (a copy of the seeded one) serves the whole module, so MLflow's store is created once.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from services.models import DataSource, Job, TrainingRequest
from services.registry import Services, build_services
from tests.helpers.workspace import close_services, copy_empty_mlflow_store, settings_for_tests

WINE = DataSource(table="demo.wine")
LONG = {"num_round": "1000000", "eta": "0.001"}  # runs far longer than any test waits


@pytest.fixture(scope="module")
def workspace(seeded_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    home = tmp_path_factory.mktemp("training-jobs") / "workspace"
    shutil.copytree(seeded_home, home)
    copy_empty_mlflow_store(tmp_path_factory, home)
    services = build_services(settings_for_tests(home=home, seed_on_start=False, max_heavy_jobs=1))
    yield services
    for job in services.jobs.list_jobs():
        if not job.finished:
            services.jobs.stop_job(job.name)
    close_services(services)


@pytest.fixture(scope="module")
def wine_job(workspace: Services) -> Job:
    """A completed xgboost job on demo.wine (10 rounds)."""
    request = TrainingRequest(algorithm="xgboost", source=WINE, target="target",
                              hyperparameters={"num_round": "10", "max_depth": "3"})
    return workspace.jobs.wait_for_job(workspace.training.start_training_job(request), 120)


def wait_until(check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def start_long_job(services: Services) -> str:
    name = services.training.start_training_job(TrainingRequest(algorithm="xgboost", source=WINE, target="target",
                                                                hyperparameters=LONG))
    # Once its task reports a secondary status, the worker is running and handles SIGTERM.
    wait_until(lambda: services.jobs.describe_job(name).secondary_status != "Starting")
    return name


def test_training_job_completes_and_registers_the_model(workspace: Services, wine_job: Job) -> None:
    assert wine_job.status == "Completed", workspace.jobs.job_logs(wine_job.name)
    assert wine_job.metrics["accuracy"] > 0.8 and "f1_macro" in wine_job.metrics
    steps = [t["status"] for t in workspace.jobs.job_transitions(wine_job.name)]
    assert steps == ["Starting", "Downloading", "Training", "Uploading", "Completed"]
    model = workspace.training.get_model(wine_job.model_id)
    assert model.model_id.startswith("wine-xgboost/")
    assert (model.framework, model.problem_type, model.target) == ("xgboost", "MulticlassClassification", "target")
    assert model.classes == ("0", "1", "2")
    assert model.job_name == wine_job.name and model.run_id == wine_job.run_id
    types = {c.name: c.type for c in model.input_schema}
    assert types["alcohol"] == "double" and len(types) == 13 and "target" not in types
    assert (Path(model.artifact_path) / "predictor.json").exists()
    rounds = [p for p in workspace.jobs.job_metric_points(wine_job.name) if p["name"] == "validation:mlogloss"]
    assert [p["step"] for p in rounds] == list(range(10))


def test_training_job_logs_one_mlflow_run(workspace: Services, wine_job: Job) -> None:
    run = workspace.runs.get_run(wine_job.run_id)
    assert run.status == "FINISHED"
    assert run.params["algorithm"] == "xgboost" and run.params["num_round"] == "10" and run.params["max_depth"] == "3"
    assert run.metrics["accuracy"] == pytest.approx(wine_job.metrics["accuracy"])
    assert run.tags["workbench.job"] == wine_job.name
    assert run.tags["workbench.input"] == "demo.wine" and run.tags["workbench.input_version"] == "1"
    assert run.tags["workbench.model_id"] == wine_job.model_id
    assert [step for step, _ in workspace.runs.metric_history(wine_job.run_id, "validation:mlogloss")] == list(range(10))
    confusion = json.loads(workspace.runs.run_artifact(wine_job.run_id, "confusion_matrix.json") or b"{}")
    assert confusion["classes"] == ["0", "1", "2"] and len(confusion["matrix"]) == 3
    for name in ("feature_importance.json", "per_class.json", "model/predictor.json"):
        assert workspace.runs.run_artifact(wine_job.run_id, name) is not None


# Batch scoring (the one batch-transform path, through the endpoints port) is tests/unit/test_batch_scoring.py;
# the CLI's --out CSV is tests/unit/test_cli_train.py.


def test_job_whose_data_cannot_be_learned_fails_with_the_reason(workspace: Services, tmp_path: Path) -> None:
    data = tmp_path / "one_class.csv"
    pd.DataFrame({"x": range(50), "label": ["yes"] * 50}).to_csv(data, index=False)
    name = workspace.training.start_training_job(TrainingRequest(algorithm="linear-learner",
                                                                 source=DataSource(path=str(data)), target="label"))
    job = workspace.jobs.wait_for_job(name, 120)
    assert job.status == "Failed"
    assert "single value" in job.failure_reason
    assert job.result["failure_type"] == "InvalidInput" and job.result["exit_code"] == 2


def test_queue_waits_for_a_free_slot_and_a_stopped_job_frees_it(workspace: Services, wine_job: Job, tmp_path: Path) -> None:
    first = start_long_job(workspace)
    second = workspace.endpoints.start_batch_transform(wine_job.model_id, WINE, "demo.queued_scored")
    time.sleep(0.5)
    waiting = workspace.jobs.describe_job(second)
    assert (waiting.status, waiting.secondary_status, waiting.started_at) == ("InProgress", "Starting", "")
    assert workspace.jobs.job_transitions(second)[-1]["message"] == "Waiting for a free slot"
    assert workspace.jobs.stop_job(first).status == "Stopping"
    # Watch the store without dispatching (describe/wait dispatch): the stopped worker starts the next job
    # itself as it exits. Dispatching from here too could start the queued job twice (JobRunner.dispatch
    # does not claim a job atomically, and counts a Stopping job's slot as free).
    jobs = workspace.stack.runner.jobs
    wait_until(lambda: jobs.get(first).finished and jobs.pid(second) is not None)
    stopped = jobs.get(first)
    assert stopped.status == "Stopped"
    done = workspace.jobs.wait_for_job(second, 120)
    assert done.status == "Completed", workspace.jobs.job_logs(second)
    assert done.started_at >= stopped.ended_at


def test_a_job_whose_process_was_killed_is_marked_failed(workspace: Services) -> None:
    name = start_long_job(workspace)
    pid = workspace.training.runner.jobs.pid(name)  # type: ignore[attr-defined]
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: workspace.jobs.describe_job(name).finished, 30)
    job = workspace.jobs.describe_job(name)
    assert job.status == "Failed"
    assert f"pid {pid}" in job.failure_reason and "ended without reporting" in job.failure_reason
