"""Models for tests, made through the ports as a user would: train one, explain one, register a script's model."""

from __future__ import annotations

from pathlib import Path

import joblib
from sklearn.svm import LinearSVC

from services.explain.base import ExplainRequest
from services.models import Column, DataSource, Job, ModelRecord, TrainingRequest
from services.registry import Services
from services.training.algorithms.base import write_predictor_manifest
from tests.helpers.data import signal_frame


def train(services: Services, algorithm: str, source: DataSource, target: str, **hyperparameters: str) -> str:
    """The model id of a completed training job (fails the test with the job's log otherwise)."""
    job = services.jobs.wait_for_job(services.training.start_training_job(
        TrainingRequest(algorithm=algorithm, source=source, target=target, hyperparameters=hyperparameters)), 300)
    assert job.status == "Completed", services.jobs.job_logs(job.name)
    return job.model_id


def explain(services: Services, request: ExplainRequest) -> tuple[str, Job]:
    name = services.explain.start_job(request)
    job = services.jobs.wait_for_job(name, 300)
    return name, job


def completed(services: Services, request: ExplainRequest) -> str:
    """The name of a completed explain job (fails the test with the job's log otherwise)."""
    name, job = explain(services, request)
    assert job.status == "Completed", services.jobs.job_logs(name)
    return name


def register_svc(services: Services, folder: Path) -> str:
    """A script's LinearSVC (a classifier without predict_proba) in the registry."""
    frame = signal_frame()
    folder.mkdir(parents=True)
    joblib.dump(LinearSVC().fit(frame[["signal", "noise"]], frame["label"]), folder / "model.joblib")
    write_predictor_manifest(folder, "services.training.script_mode:load_script_predictor")
    draft = ModelRecord(model_id="", name="svc", version=0, framework="script", problem_type="BinaryClassification",
                        target="label", input_schema=(Column("signal", "double"), Column("noise", "double")),
                        classes=("no", "yes"), metrics={}, run_id="", job_name="", artifact_path="")
    return services.stack.models.register(draft, folder).model_id
