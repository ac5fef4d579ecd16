"""MLflow for jobs: where runs go, and a run per job with the tags that link it back.

mlflow is imported inside functions: it is slow to import and only workers and the
compare page need it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from services.config import Settings

DEFAULT_EXPERIMENT = "workbench"
STORE_FILE = "mlflow.db"  # the workspace's own SQLite tracking store


def tracking_uri(settings: Settings) -> str:
    """The tracking store: the configured server (SageMaker managed MLflow ARN on AWS) or SQLite in the workspace."""
    if settings.mlflow_tracking_uri:
        return settings.mlflow_tracking_uri
    return f"sqlite:///{(settings.home / STORE_FILE).resolve()}"


def artifact_root(settings: Settings) -> str:
    return (settings.home / "mlruns").resolve().as_uri()


def configure(settings: Settings) -> Any:
    """Point mlflow at this workspace's store and return the module."""
    import logging

    import mlflow

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    mlflow.set_tracking_uri(tracking_uri(settings))
    if not settings.mlflow_tracking_uri:
        _create_store_once(settings, mlflow)
    return mlflow


def _create_store_once(settings: Settings, mlflow: Any) -> None:
    """Several workers may open a new SQLite store at once; its schema migrations must run only once."""
    import fcntl

    settings.home.mkdir(parents=True, exist_ok=True)
    with (settings.home / "mlflow.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            mlflow.MlflowClient().search_experiments(max_results=1)  # runs pending migrations under the lock
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def ensure_experiment(settings: Settings, name: str) -> str:
    """The experiment's id, creating it (with artifacts under the workspace) when missing."""
    mlflow = configure(settings)
    client = mlflow.MlflowClient()
    found = client.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    location = None if settings.mlflow_tracking_uri else f"{artifact_root(settings)}/{name}"
    try:
        return str(client.create_experiment(name, artifact_location=location))
    except mlflow.exceptions.MlflowException:
        found = client.get_experiment_by_name(name)  # another job created it at the same moment
        if found is None:
            raise
        return str(found.experiment_id)


@contextmanager
def job_run(settings: Settings, experiment: str, run_name: str, tags: dict[str, str],
            nested: bool = False) -> Iterator[Any]:
    """An MLflow run for (part of) a job, tagged with the job, its input and the input's version."""
    mlflow = configure(settings)
    experiment_id = ensure_experiment(settings, experiment or DEFAULT_EXPERIMENT)
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags=tags, nested=nested) as run:
        yield run


def job_tags(job_name: str, kind: str, source_label: str, source_version: str, **extra: str) -> dict[str, str]:
    tags = {"workbench.job": job_name, "workbench.kind": kind, "workbench.input": source_label,
            "workbench.input_version": source_version}
    return tags | {f"workbench.{k}": v for k, v in extra.items()}


def log_json_artifact(mlflow: Any, data: Any, file_name: str, folder: Path) -> None:
    import json

    path = folder / file_name
    path.write_text(json.dumps(data, indent=2, default=str))
    mlflow.log_artifact(str(path))
