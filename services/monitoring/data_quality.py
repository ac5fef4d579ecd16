"""The data-quality monitor (Model Monitor's DataQuality) on the local stack, in Model Monitor's own files.

The baseline is the model's training data (a seeded sample of at most ``MAX_ROWS`` rows of the table its training job
read): its ``statistics.json`` and the ``constraints.json`` a baselining job would suggest from it
(``services/monitoring/data_quality_files.py``), computed once per model and kept with the engines' baselines next to
the model (``monitoring-baselines.json``). Each run summarises the captured requests' input columns (the most recent
capture, bounded as every monitor reads it) into ``statistics.json`` and checks them against the constraints:
data type, completeness, missing and extra columns, categorical values and the baseline drift distance per feature
against ``comparison_threshold``. Below ``MIN_TRAFFIC_ROWS`` captured rows the drift comparison is left out and the
report says there is not enough traffic yet (``details["enough_traffic"]``), so no tile or view calls it drift.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from services.embedded.embedded_stack import EmbeddedStack
from services.endpoints.models import MIN_TRAFFIC_ROWS, traffic_shortfall
from services.endpoints.monitoring import capture_files, capture_root, monitored_variant, read_endpoint
from services.errors import InvalidInput
from services.models import ModelRecord
from services.monitoring import data_quality_files as files
from services.monitoring.gather import captured_predictions, load_cache, save_cache, training_sampler
from services.monitoring.models import MonitorConfig, MonitorReport
from services.training.baseline import MAX_ROWS

CACHE_KEY = "data_quality"


def run(stack: EmbeddedStack, endpoint: str, config: MonitorConfig, created_at: str) -> MonitorReport:
    """The captured traffic against the training baseline; Failed (with the reason) when there is no captured traffic
    or no training data to take a baseline from. ``NotFound`` for an unknown endpoint or model."""
    home = Path(stack.settings.home)
    described = read_endpoint(home, endpoint)
    variant, model_id = monitored_variant(described, config.baseline_model_id)
    record = stack.models.get(model_id)
    captured, notes = captured_predictions(capture_files(capture_root(home, described), variant), record)
    if captured.empty:
        return failed(endpoint, created_at, f"Endpoint {endpoint} has no captured traffic yet (variant {variant}).")
    try:
        baseline = baseline_files(stack, record)
    except InvalidInput as exc:
        return failed(endpoint, created_at, f"No baseline for model {record.model_id}: {exc.message}")
    report = evaluate(endpoint, created_at, captured, baseline)
    return replace(report, notes=notes + report.notes,
                   details={**report.details, "variant": variant, "baseline_model_id": record.model_id})


def evaluate(endpoint: str, created_at: str, captured: pd.DataFrame, baseline: dict[str, Any]) -> MonitorReport:
    """The report of ``captured`` rows (the gatherer's frame: input columns, ``event_id``, ``captured_at``, …) against
    a baseline ``{"statistics", "constraints"}`` (pure)."""
    statistics, constraints = baseline["statistics"], baseline["constraints"]
    names = [str(c["name"]) for c in constraints.get("features", [])]
    rows = len(captured)
    enough = not traffic_shortfall(rows)
    inputs = captured[[c for c in captured.columns if c in names]]
    current, violations, distances = files.check(inputs, statistics, constraints, drift=enough)
    notes = () if enough else (traffic_shortfall(rows) + " The distribution (baseline drift) check was left out.",)
    return MonitorReport(
        endpoint, "data-quality", "CompletedWithViolations" if violations else "Completed", created_at, current,
        constraints, tuple(violations), item_count=rows, captured_count=rows,
        trend=hourly_trend(captured, names, statistics, constraints) if enough else (),
        details={"headline": headline(rows, names, violations), "enough_traffic": enough, "minimum_rows": MIN_TRAFFIC_ROWS,
                 "distances": distances}, notes=notes)


def hourly_trend(captured: pd.DataFrame, names: list[str], statistics: dict[str, Any],
                 constraints: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """Per hour of capture: its rows and each comparable feature's drift distance."""
    hours = pd.to_datetime(captured["captured_at"], utc=True, errors="coerce").dt.strftime("%Y-%m-%dT%H")
    config = constraints.get("monitoring_config") or files.MONITORING_CONFIG
    types = {str(c["name"]): str(c.get("inferred_type")) for c in constraints.get("features", [])}
    trend = []
    for hour, part in captured.groupby(hours, sort=True):
        current = files.dataset_statistics(part, [n for n in names if n in part.columns], types)
        distances = files.drift_distances(statistics, current, config)
        trend.append({"hour": str(hour), "items": len(part), **{f"distance_{n}": d for n, d in distances.items()}})
    return tuple(trend)


def headline(rows: int, names: list[str], violations: list[Any]) -> str:
    if traffic_shortfall(rows):
        return f"not enough traffic yet — {rows:,} of {MIN_TRAFFIC_ROWS} captured rows"
    drifted = {v.feature_name for v in violations if v.constraint_check_type == "baseline_drift_check"}
    return f"{len(drifted)} of {len(names)} column(s) drifted, {len(violations)} violation(s) on {rows:,} captured rows"


# -- the baseline ------------------------------------------------------------------------------------------------------


def baseline_files(stack: EmbeddedStack, record: ModelRecord) -> dict[str, Any]:
    """The model's data-quality baseline (statistics and suggested constraints), computed from its training data the
    first time and kept next to the model. ``InvalidInput`` when the model has no training data to read."""
    cache = load_cache(record)
    kept = cache.get(CACHE_KEY)
    if isinstance(kept, dict) and kept.get("model_id") == record.model_id and kept.get("version") == files.VERSION:
        return kept
    sample = training_sampler(stack, record)(MAX_ROWS)
    baseline = baseline_of(sample, [c.name for c in record.input_schema] or [c for c in sample.columns if c != record.target])
    cache[CACHE_KEY] = {"model_id": record.model_id, "version": files.VERSION, **baseline}
    save_cache(record, cache)
    return baseline


def baseline_of(frame: pd.DataFrame, columns: list[str]) -> dict[str, Any]:
    """``{"statistics", "constraints"}`` of training rows (pure)."""
    statistics = files.dataset_statistics(frame, columns)
    return {"statistics": statistics, "constraints": files.suggested_constraints(statistics)}


def failed(endpoint: str, created_at: str, reason: str) -> MonitorReport:
    return MonitorReport(endpoint, "data-quality", "Failed", created_at, {}, {}, failure_reason=reason)
