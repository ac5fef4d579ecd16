"""The worker task of a bias job (kind "bias"): ``run(ctx)``.

With a registered model, the data is scored first (batch prediction, as ``predict`` does) and the
post-training metrics use the model's predicted label; without one, the job is the same analysis
the page runs at once. Either way the job folder ends with ``analysis.json`` (Clarify's layout),
``extras.json`` (counts, intervals, notes) and ``report.html``; a model's bias metrics are also
logged to its MLflow run so the compare page shows them beside accuracy.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd

from services.bias.engine import analyze, report_from_frame
from services.bias.html_report import render_html
from services.bias.models import BiasReport, BiasRequest, request_from_json
from services.embedded.job_worker import JobContext
from services.models import DataSource, ModelRecord
from services.query.base import QueryPort
from services.stack import open_local
from services.training.algorithms.base import load_predictor
from services.training.data import CHUNK_ROWS, check_inputs, load_frame

PREDICTION_COLUMN = "predicted_label"
LOGGED_METRICS = ("DPPL", "DI", "AD", "RD", "DCA", "CI", "DPL")


def run(ctx: JobContext) -> None:
    _run(ctx)


def _run(ctx: JobContext) -> None:
    request = request_from_json(ctx.config)
    core = open_local(ctx.settings)
    record = None
    if request.model_id:
        record = core.stack.models.get(request.model_id)
        frame = _scored_frame(ctx, core.query, request, record)
        ctx.secondary("Analyzing", "Computing the bias metrics")
        report = report_from_frame(frame, replace(request, predicted=PREDICTION_COLUMN, model_id=""))
    else:
        ctx.secondary("Analyzing", f"Counting {request.source_label} in the query engine")
        report = analyze(request, core.query, core.catalog, ctx.settings)
    report = replace(report, config={**report.config, **({"model_id": record.model_id} if record else {})})
    paths = write_report(report, ctx.job_dir)
    if record is not None and record.run_id:
        _log_to_run(ctx, record, report)
    ctx.log(f"Wrote {paths['analysis']}")
    ctx.finish_with(model_id=request.model_id, result={**paths, "progress": 1.0, "rows": report.rows})


def _scored_frame(ctx: JobContext, query: QueryPort, request: BiasRequest, record: ModelRecord) -> pd.DataFrame:
    ctx.secondary("Downloading", f"Reading {request.source_label} and model {record.model_id}")
    frame = _read_rows(ctx, query, request)
    check_inputs(frame, record)
    predictor = load_predictor(Path(record.artifact_path), allow_user_code=True)  # a job: its own process
    ctx.secondary("Transforming", f"Scoring {len(frame):,} rows with {record.model_id}")
    labels = []
    for start in range(0, len(frame), CHUNK_ROWS):
        labels.append(predictor.predict_frame(frame.iloc[start:start + CHUNK_ROWS])["predicted_label"])
        done = min(start + CHUNK_ROWS, len(frame))
        ctx.progress(0.9 * done / len(frame), f"Scored {done:,} of {len(frame):,} rows")
    predicted = pd.concat(labels)
    return frame.assign(**{PREDICTION_COLUMN: _like_label(predicted, frame[request.label])})


def _read_rows(ctx: JobContext, query: QueryPort, request: BiasRequest) -> pd.DataFrame:
    if request.sql:
        return query.run(request.sql, max_rows=10_000_000).frame
    return load_frame(ctx.settings, request.source)


def _like_label(predicted: pd.Series, label: pd.Series) -> pd.Series:
    """The model's string class labels as the label column's type, so the label's rule applies."""
    if pd.api.types.is_numeric_dtype(label):
        return pd.to_numeric(predicted, errors="coerce")
    return predicted.astype(str)


def write_report(report: BiasReport, folder: Path) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"analysis": folder / "analysis.json", "extras": folder / "extras.json", "html": folder / "report.html"}
    paths["analysis"].write_text(json.dumps(report.analysis_json(), indent=2))
    paths["extras"].write_text(json.dumps(report.extras_json(), indent=2, default=str))
    paths["html"].write_text(render_html(report))
    return {k: str(v) for k, v in paths.items()}


def read_report(folder: Path) -> BiasReport:
    analysis = json.loads((folder / "analysis.json").read_text())
    extras_path = folder / "extras.json"
    extras = json.loads(extras_path.read_text()) if extras_path.exists() else {}
    return BiasReport.from_analysis_json(analysis, extras)


def _log_to_run(ctx: JobContext, record: ModelRecord, report: BiasReport) -> None:
    """The first facet group's headline metrics as ``bias_<NAME>`` on the model's run."""
    from services.runs.tracking import configure

    values: dict[str, float] = {}
    for stage in (report.pre, report.post):
        if stage is not None and stage.entries:
            values |= {f"bias_{v.name}": v.value for v in stage.entries[0].metrics
                       if v.name in LOGGED_METRICS and v.value is not None and abs(v.value) != float("inf")}
    try:
        mlflow = configure(ctx.settings)
        with mlflow.start_run(run_id=record.run_id):
            mlflow.log_metrics(values)
            mlflow.set_tag("workbench.bias_facet", f"{report.pre.facet}={report.pre.entries[0].value_or_threshold}")
    except Exception as exc:  # noqa: BLE001 - the report is written; a tracking problem must not fail the job
        ctx.log(f"Could not log the bias metrics to run {record.run_id}: {exc}")


__all__ = ["run", "write_report", "read_report", "DataSource"]
