"""The Autopilot job (kind "autopilot"): AnalyzingData → FeatureEngineering → ModelTuning →
GeneratingExplainabilityReport → GeneratingModelInsightsReport, then Completed.

The whole job keeps to ``max_runtime_seconds`` plus about a minute: the search gets what is left of
the budget after the data is read, and the reports that follow are capped.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pyarrow as pa

from services.catalog.files import glue_type
from services.debugger.recording import record_labels, record_split_predictions
from services.embedded.embedded_stack import EmbeddedStack
from services.embedded.job_worker import JobContext
from services.embedded.model_registry import model_name
from services.models import AutopilotRequest, Column, DataSource, ModelRecord
from services.runs.tracking import job_run, job_tags, log_json_artifact
from services.training.autopilot import choose_mode
from services.training.autopilot.insights import model_insights, permutation_importance
from services.training.autopilot.leaderboard import SearchResult
from services.training.autopilot.logs import forwarded_logs
from services.training.autopilot.notebooks import write_notebooks, write_snapshot
from services.training.autopilot.objectives import Objective, resolve_objective
from services.training.autopilot.prepare import PreparedData, prepare_data
from services.training.baseline import baseline_at_training
from services.training.data import load_frame

SEARCH_SHARE = 0.95  # of what is left of the budget once the data is ready; the rest covers AutoGluon's overrun
MIN_SEARCH_SECONDS = 10.0
# OpenMP threads sleep instead of spinning while they wait (LightGBM, XGBoost, scikit-learn): on a shared machine
# spinning threads fight the other jobs for the cores. Measured with the machine at load 4-8 on 2 cores: 500
# LightGBM rounds on the bike-sharing rows took 12.6 s with 2 spinning threads, 0.74 s with 2 sleeping ones.
OPENMP_WAITING = {"OMP_WAIT_POLICY": "PASSIVE"}
IMPORTANCE_SECONDS = (5.0, 20.0)  # the explainability report's time cap: 10 % of the budget within these bounds
FRAMEWORKS = {"ENSEMBLING": "autogluon", "xgboost": "xgboost", "linear-learner": "linear-learner", "mlp": "sklearn"}


def request_from_config(config: dict[str, Any]) -> AutopilotRequest:
    """The request the job was started with (its config is the request as a dict)."""
    return AutopilotRequest(**{**config, "source": DataSource(**config["source"])})


def run(ctx: JobContext) -> None:
    """Run an Autopilot job end to end and record its leaderboard, reports, notebooks and best model."""
    started = time.monotonic()
    for name, value in OPENMP_WAITING.items():  # read when OpenMP loads: before any learner is imported
        os.environ.setdefault(name, value)
    request = request_from_config(ctx.config)
    ctx.secondary("AnalyzingData", f"Reading {request.source.label}")
    prepared = prepare_data(load_frame(ctx.settings, request.source), request.target, request.problem_type, request.seed)
    objective = resolve_objective(request.objective, prepared.dataset.problem_type)
    if prepared.dataset.classes:
        record_labels(prepared.dataset.train[prepared.dataset.target])  # Debugger's ClassImbalance, when configured
    mode = choose_mode(request.mode, prepared.size_bytes)
    _describe_data(ctx, prepared, objective, mode)
    write_snapshot(ctx.job_dir, prepared.dataset)
    ctx.secondary("FeatureEngineering", _feature_summary(prepared))
    search_seconds = max(MIN_SEARCH_SECONDS, (request.max_runtime_seconds - (time.monotonic() - started)) * SEARCH_SHARE)
    ctx.secondary("ModelTuning", f"{mode}: up to {request.max_candidates} candidates in {search_seconds:.0f} s")
    ctx.progress(0.1, "ModelTuning")
    search = _search(ctx, prepared, objective, mode, search_seconds, request.max_candidates)
    if prepared.dataset.classes:  # Debugger's ClassImbalance: the best candidate's validation predictions
        record_split_predictions(search.predictor, prepared.dataset.validation, prepared.dataset.target,
                                 len(search.candidates))
    ctx.progress(0.8, "GeneratingExplainabilityReport")
    ctx.secondary("GeneratingExplainabilityReport", f"Permutation importance of {search.best.name}")
    cap = min(max(IMPORTANCE_SECONDS[0], 0.1 * request.max_runtime_seconds), IMPORTANCE_SECONDS[1])
    explainability = permutation_importance(search.predictor, prepared.dataset, objective, cap)
    ctx.secondary("GeneratingModelInsightsReport", f"Test-split report of {search.best.name}")
    insights = model_insights(search.predictor, prepared.dataset)
    notebooks = write_notebooks(ctx.job_dir, ctx.name, prepared.dataset, search, objective, prepared.date_columns)
    _record(ctx, request, prepared, objective, search, {"model_insights": insights, "explainability": explainability},
            notebooks)
    ctx.progress(1.0, "Completed")
    ctx.log(f"Autopilot finished in {time.monotonic() - started:.1f} s")


def _search(ctx: JobContext, prepared: PreparedData, objective: Objective, mode: str, seconds: float,
            max_candidates: int) -> SearchResult:
    if mode == "ENSEMBLING":
        from services.training.autopilot.ensembling import run_ensembling

        return run_ensembling(prepared, objective, seconds, max_candidates, ctx.job_dir / "autogluon", ctx)
    from services.training.autopilot.tuning import run_tuning

    return run_tuning(prepared, objective, seconds, max_candidates, ctx.job_dir / "candidates", ctx)


def _describe_data(ctx: JobContext, prepared: PreparedData, objective: Objective, mode: str) -> None:
    data = prepared.dataset
    ctx.log(f"{len(data.train)} training, {len(data.validation)} validation, {len(data.test)} test rows; "
            f"{data.problem_type}; objective {objective.name}; mode {mode} ({prepared.size_bytes / 1024**2:.1f} MB)")


def _feature_summary(prepared: PreparedData) -> str:
    kinds = prepared.kinds
    return (f"{len(kinds['numeric'])} numeric, {len(kinds['categorical'])} categorical, {len(kinds['text'])} text columns; "
            f"dates expanded: {', '.join(prepared.date_columns) or 'none'}")


def _record(ctx: JobContext, request: AutopilotRequest, prepared: PreparedData, objective: Objective,
            search: SearchResult, reports: dict[str, Any], notebooks: dict[str, str]) -> None:
    """MLflow runs (the job, each candidate nested), the best model registered, and the job's result."""
    report_paths = _write_reports(ctx.job_dir, reports)
    tags = job_tags(ctx.name, "autopilot", request.source.label, request.source.table_version)
    with job_run(ctx.settings, request.experiment, ctx.name, tags) as parent:
        mlflow = _mlflow(ctx)
        mlflow.log_params(_job_params(request, prepared, objective, search))
        run_ids = _log_candidates(ctx, request, objective, search, tags)
        test_metrics = {f"test_{k}": v for k, v in reports["model_insights"]["metrics"].items() if v is not None}
        mlflow.log_metrics({objective.name: search.best.objective_value or 0.0, **test_metrics})
        for name, data in reports.items():
            log_json_artifact(mlflow, data, f"{name}.json", ctx.job_dir / "insights")
        log_json_artifact(mlflow, [asdict(c) for c in search.candidates], "leaderboard.json", ctx.job_dir)
        for path in notebooks.values():
            mlflow.log_artifact(path, "notebooks")
        model = _register(ctx, request, prepared, search, test_metrics, run_ids[search.best.name])
    candidates = [c.to_candidate(objective, model.model_id if c is search.best else "") for c in search.candidates]
    ctx.finish_with(model_id=model.model_id, run_id=parent.info.run_id,
                    metrics={objective.name: search.best.objective_value or 0.0, **test_metrics},
                    result={"candidates": [asdict(c) for c in candidates], "best_candidate": search.best.name,
                            "objective": {"name": objective.name, "value": search.best.objective_value},
                            "problem_type": prepared.dataset.problem_type, "mode": search.mode,
                            "insights": report_paths, "notebooks": notebooks, "test_metrics": test_metrics,
                            "data": str(ctx.job_dir / "data")})


def _write_reports(job_dir: Path, reports: dict[str, Any]) -> dict[str, str]:
    import json

    folder = job_dir / "insights"
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, data in reports.items():
        (folder / f"{name}.json").write_text(json.dumps(data, indent=2, default=str))
        paths[name] = str(folder / f"{name}.json")
    return paths


def _mlflow(ctx: JobContext) -> Any:
    from services.runs.tracking import configure

    return configure(ctx.settings)


def _job_params(request: AutopilotRequest, prepared: PreparedData, objective: Objective,
                search: SearchResult) -> dict[str, Any]:
    return {"target": request.target, "problem_type": prepared.dataset.problem_type, "objective": objective.name,
            "mode": search.mode, "max_runtime_seconds": request.max_runtime_seconds,
            "max_candidates": request.max_candidates, "best_candidate": search.best.name, "seed": request.seed}


def _log_candidates(ctx: JobContext, request: AutopilotRequest, objective: Objective, search: SearchResult,
                    tags: dict[str, str]) -> dict[str, str]:
    """One nested MLflow run per candidate with its hyperparameters and objective; returns their run ids."""
    mlflow = _mlflow(ctx)
    run_ids = {}
    for rank, candidate in enumerate(search.candidates, start=1):
        candidate_tags = tags | {"workbench.candidate": candidate.name, "workbench.algorithm": candidate.algorithm,
                                 "workbench.rank": str(rank), "workbench.status": candidate.status}
        with job_run(ctx.settings, request.experiment, candidate.name, candidate_tags, nested=True) as run:
            mlflow.log_params({"algorithm": candidate.algorithm, **{k: str(v)[:500] for k, v in candidate.params.items()}})
            metrics = {"training_seconds": candidate.training_seconds}
            if candidate.objective_value is not None:
                metrics[objective.name] = candidate.objective_value
            mlflow.log_metrics(metrics)
            run_ids[candidate.name] = run.info.run_id
    return run_ids


def _register(ctx: JobContext, request: AutopilotRequest, prepared: PreparedData, search: SearchResult,
              metrics: dict[str, float], run_id: str) -> ModelRecord:
    """Save the best candidate's predictor (self-contained) and register it."""
    data = prepared.dataset
    folder = ctx.job_dir / "best-model"
    with forwarded_logs(ctx, "autogluon"):
        search.predictor.save(folder)
    baseline_at_training(ctx.log, data, search.predictor, folder / "baseline")
    framework = FRAMEWORKS["ENSEMBLING"] if search.mode == "ENSEMBLING" else FRAMEWORKS[search.best.algorithm]
    draft = ModelRecord(model_id="", name=model_name(ctx.name), version=0, framework=framework,
                        problem_type=data.problem_type, target=data.target,
                        input_schema=input_schema(data.train[data.feature_columns]), classes=tuple(data.classes),
                        metrics=metrics, run_id=run_id, job_name=ctx.name, artifact_path="")
    record = EmbeddedStack.open(ctx.settings).models.register(draft, folder)
    ctx.log(f"Registered {search.best.name} as {record.model_id}")
    return record


def input_schema(frame: Any) -> tuple[Column, ...]:
    """The model's input columns with the Glue types a crawler would give them."""
    columns = []
    for name in frame.columns:
        try:
            arrow_type = pa.Schema.from_pandas(frame[[name]], preserve_index=False).field(0).type
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed values: what a crawler would call a string
            arrow_type = pa.string()
        columns.append(Column(str(name), glue_type(arrow_type)))
    return tuple(columns)
