"""The worker task of a built-in training job (kind "training"): ``run(ctx)``.

Downloading (read the table or file) → Training (split, fit, live metrics) → Uploading (save the
predictor, log the MLflow run, register the model). Everything lands in one MLflow run: the
parameters, the step-wise metrics the algorithm reported, the final test metrics, the model folder
and JSON artifacts, and tags linking the job, the input and the input's version.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from services.debugger.recording import record_labels, record_split_predictions
from services.embedded.job_worker import JobContext
from services.models import DataSource, ModelRecord, TrainingRequest
from services.runs.tracking import configure, job_run, job_tags, log_json_artifact
from services.stack import open_local
from services.training.algorithms.base import Dataset, FitResult
from services.training.algorithms.common import get_algorithm, requested_problem_type
from services.training.algorithms.dataset import prepare_dataset
from services.training.baseline import baseline_at_training
from services.training.data import input_schema_from_source, load_frame

MLFLOW_BATCH = 1000


class JobReporter:
    """Passes an algorithm's log lines, progress and metrics to the job, and keeps the metric
    points so they reach MLflow in a few batches rather than one write per point."""

    def __init__(self, ctx: JobContext) -> None:
        self.ctx = ctx
        self.points: list[tuple[str, float, int, int]] = []

    def log(self, message: str) -> None:
        self.ctx.log(message)

    def metric(self, name: str, value: float, step: int | None = None) -> None:
        self.ctx.metric(name, value, step)
        self.points.append((name, float(value), step or 0, int(time.time() * 1000)))

    def progress(self, fraction: float, message: str = "") -> None:
        self.ctx.progress(fraction, message)

    def flush(self, mlflow: Any, run_id: str, params: dict[str, str], metrics: dict[str, float],
              tags: dict[str, str]) -> None:
        """Log the collected points with ``params``, final ``metrics`` and ``tags`` to run ``run_id``,
        in as few writes as MLflow's batch limits allow (every write to its store is a transaction)."""
        from mlflow.entities import Metric, Param, RunTag

        stamp = int(time.time() * 1000)
        points = [Metric(name, value, at, step) for name, value, step, at in self.points]
        points += [Metric(name, float(value), stamp, 0) for name, value in metrics.items()]
        client = mlflow.MlflowClient()
        client.log_batch(run_id, params=[Param(k, v) for k, v in params.items()],
                         tags=[RunTag(k, v) for k, v in tags.items()], metrics=points[:MLFLOW_BATCH])
        for start in range(MLFLOW_BATCH, len(points), MLFLOW_BATCH):
            client.log_batch(run_id, metrics=points[start:start + MLFLOW_BATCH])
        self.points.clear()


def run(ctx: JobContext) -> None:
    """Train the request in ``ctx.config`` and register the model."""
    _train(ctx, training_request(ctx.config))


def training_request(config: dict[str, Any]) -> TrainingRequest:
    """The TrainingRequest a job's config was made from."""
    return TrainingRequest(**{**config, "source": DataSource(**config["source"])})


def _train(ctx: JobContext, request: TrainingRequest) -> None:
    algorithm = get_algorithm(request.algorithm)
    ctx.secondary("Downloading", f"Reading {request.source.label}")
    frame = load_frame(ctx.settings, request.source)
    ctx.log(f"Read {len(frame)} rows and {len(frame.columns)} columns")
    data = prepare_dataset(frame, request.target, requested_problem_type(algorithm, request.hyperparameters),
                           request.text_column, request.seed)
    if data.classes:
        record_labels(data.train[data.target])  # for Debugger's ClassImbalance; nothing unless a rule reads them
    ctx.secondary("Training", f"{request.algorithm}: {data.problem_type}, {len(data.train)} training rows")
    reporter = JobReporter(ctx)
    with job_run(ctx.settings, request.experiment, ctx.name, _tags(ctx, request)) as mlflow_run:
        fit = algorithm.fit(data, _fit_hyperparameters(ctx, request), reporter)
        if data.classes:  # Debugger's ClassImbalance: the validation split's predictions at the last step
            record_split_predictions(fit.predictor, data.validation, data.target, max((p[2] for p in reporter.points), default=0),
                                     predicted=fit.validation_predictions)
        ctx.secondary("Uploading", "Saving and registering the model")
        run_id = mlflow_run.info.run_id
        record = _register(ctx, request, data, fit, algorithm.framework, run_id)
        _log_run(ctx, request, data, fit, record, reporter)
    ctx.finish_with(model_id=record.model_id, run_id=run_id, metrics=fit.metrics, result=_result(data, fit, record))


def _fit_hyperparameters(ctx: JobContext, request: TrainingRequest) -> dict[str, str]:
    """The request's hyperparameters plus the private ones algorithms may use (text-minilm's feature group)."""
    return {**request.hyperparameters, "_source_table": request.source.table,
            "_source_version": request.source.table_version, "_workbench_home": str(ctx.settings.home)}


def _tags(ctx: JobContext, request: TrainingRequest) -> dict[str, str]:
    return job_tags(ctx.name, "training", request.source.label, source_version(request.source),
                    algorithm=request.algorithm, target=request.target)


def source_version(source: DataSource) -> str:
    """The table's catalog version, or for a file a fingerprint of its files' names, sizes and times."""
    if source.table:
        return source.table_version
    root = Path(source.path)
    files = sorted(p for p in ([root] if root.is_file() else root.rglob("*")) if p.is_file())
    digest = hashlib.sha256()
    for file in files:
        stat = file.stat()
        digest.update(f"{file.relative_to(root.parent)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return "file-" + digest.hexdigest()[:12]


def default_model_name(request: TrainingRequest) -> str:
    """``<table or file stem>-<algorithm>`` unless the request names it."""
    if request.name:
        return request.name
    stem = request.source.table.partition(".")[2] if request.source.table else Path(request.source.path).stem
    return f"{stem}-{request.algorithm}"


def _register(ctx: JobContext, request: TrainingRequest, data: Dataset, fit: FitResult, framework: str,
              run_id: str) -> ModelRecord:
    model_dir = ctx.job_dir / "model"
    fit.predictor.save(model_dir)
    baseline_at_training(ctx.log, data, fit.predictor, model_dir / "baseline")
    columns = getattr(fit.predictor, "feature_columns", data.feature_columns)
    local = open_local(ctx.settings)
    schema = input_schema_from_source(local.catalog, ctx.settings, request.source, columns)
    draft = ModelRecord(model_id="", name=default_model_name(request), version=0, framework=framework,
                        problem_type=data.problem_type, target=data.target, input_schema=schema,
                        classes=tuple(data.classes), metrics=fit.metrics, run_id=run_id, job_name=ctx.name,
                        artifact_path="")
    record = local.stack.models.register(draft, model_dir)
    ctx.log(f"Registered model {record.model_id}")
    return record


def _log_run(ctx: JobContext, request: TrainingRequest, data: Dataset, fit: FitResult, record: ModelRecord,
             reporter: JobReporter) -> None:
    mlflow = configure(ctx.settings)
    tags = {"workbench.model_id": record.model_id, "workbench.problem_type": data.problem_type}
    reporter.flush(mlflow, record.run_id, {**_run_params(request, data), **fit.hyperparameters}, fit.metrics, tags)
    mlflow.log_artifacts(str(ctx.job_dir / "model"), artifact_path="model")
    folder = ctx.job_dir / "artifacts"
    folder.mkdir(exist_ok=True)
    log_json_artifact(mlflow, fit.metrics, "metrics.json", folder)
    log_json_artifact(mlflow, fit.feature_importance, "feature_importance.json", folder)
    if fit.confusion_matrix is not None:
        log_json_artifact(mlflow, {"classes": data.classes, "matrix": fit.confusion_matrix}, "confusion_matrix.json", folder)
        log_json_artifact(mlflow, fit.per_class, "per_class.json", folder)


def _run_params(request: TrainingRequest, data: Dataset) -> dict[str, str]:
    return {"algorithm": request.algorithm, "target": data.target, "problem_type": data.problem_type,
            "text_column": data.text_column, "input": request.source.label, "split_seed": str(data.seed),
            "train_rows": str(len(data.train)), "validation_rows": str(len(data.validation)),
            "test_rows": str(len(data.test)), "classes": ",".join(data.classes)[:500]}


def _result(data: Dataset, fit: FitResult, record: ModelRecord) -> dict[str, Any]:
    return {"progress": 1.0, "problem_type": data.problem_type, "classes": data.classes, "text_column": data.text_column,
            "model_name": record.name, "hyperparameters": fit.hyperparameters, "per_class": fit.per_class,
            "confusion_matrix": fit.confusion_matrix, "feature_importance": dict(list(fit.feature_importance.items())[:20]),
            "rows": {"train": len(data.train), "validation": len(data.validation), "test": len(data.test)}}
