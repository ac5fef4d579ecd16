"""Comparing runs: tables and statistics the compare page shows. Pure functions over RunSummary."""

from __future__ import annotations

import math
import re
from collections import defaultdict

import pandas as pd

from services.models import RunSummary
from services.runs.confusion import Confusion as Confusion  # re-exported: pages import this models module
from services.runs.confusion import Skipped as Skipped
from services.runs.confusion import run_confusions as run_confusions
from services.runs.metric_names import canonical_values, measured_metrics
from services.runs.metric_names import metric_label as metric_label
from services.runs.ranking import rank_key

SEED_PARAMS = ("seed", "random_state", "random_seed")
SOURCE_TAGS = {"training": "built-in", "autopilot": "autopilot", "script": "script", "tuning": "tuning"}


def run_kind(run: RunSummary) -> str:
    """built-in, autopilot candidate, script, tuning trial … from the tags jobs write."""
    if run.tags.get("workbench.candidate"):
        return "autopilot candidate"
    if run.tags.get("workbench.trial"):
        return "tuning trial"
    return SOURCE_TAGS.get(run.tags.get("workbench.kind", ""), run.tags.get("workbench.kind", "other") or "other")


def runs_frame(runs: list[RunSummary], metric_columns: list[str] | None = None) -> pd.DataFrame:
    """One row per run: identity, kind, job, input, then the chosen metrics (canonical names)."""
    metrics = metric_columns if metric_columns is not None else metric_names(runs)
    rows = []
    for run in runs:
        row: dict[str, object] = {
            "run": run.name, "run_id": run.run_id, "experiment": run.experiment, "kind": run_kind(run),
            "algorithm": run.params.get("algorithm", run.tags.get("workbench.algorithm", "")),
            "job": run.tags.get("workbench.job", ""), "input": run.tags.get("workbench.input", ""),
            "status": run.status, "started": run.start_time,
        }
        values = canonical_values(run)
        row.update({m: values.get(m) for m in metrics})
        rows.append(row)
    return pd.DataFrame(rows)


def filter_runs(runs: list[RunSummary], text: str = "", kinds: list[str] | None = None) -> list[RunSummary]:
    """Runs whose name, job, input, algorithm or experiment contains ``text`` (case-insensitive)."""
    needle = text.strip().lower()
    chosen = []
    for run in runs:
        haystack = " ".join([run.name, run.experiment, run.tags.get("workbench.job", ""),
                             run.tags.get("workbench.input", ""), run.params.get("algorithm", "")]).lower()
        if needle in haystack and (not kinds or run_kind(run) in kinds):
            chosen.append(run)
    return chosen


def metric_names(runs: list[RunSummary]) -> list[str]:
    """Canonical metrics present in any run, the most common first."""
    counts: dict[str, int] = defaultdict(int)
    for run in runs:
        for name in canonical_values(run):
            counts[name] += 1
    return sorted(counts, key=lambda n: (-counts[n], n))


def logged_metric_names(runs: list[RunSummary]) -> list[str]:
    """Metrics as the runs logged them (their step-wise histories are stored under these names)."""
    counts: dict[str, int] = defaultdict(int)
    for run in runs:
        for name in run.metrics:
            counts[name] += 1
    return sorted(counts, key=lambda n: (-counts[n], n))


def param_diff(runs: list[RunSummary], differences_only: bool = True, transpose: bool = False) -> pd.DataFrame:
    """Parameters side by side (rows = parameters, columns = runs); optionally only those that differ."""
    names = sorted({p for run in runs for p in run.params})
    table = pd.DataFrame({_label(run): [run.params.get(p, "–") for p in names] for run in runs}, index=names)
    if differences_only and not table.empty:
        table = table[table.nunique(axis=1) > 1]
    table.index.name = "parameter"
    return table.T if transpose else table


def metric_long(runs: list[RunSummary], metrics: list[str]) -> pd.DataFrame:
    """Long form (run, metric, value) for bar charts; canonical metric names."""
    values = {run.run_id: canonical_values(run) for run in runs}
    rows = [(_label(run), m, values[run.run_id][m]) for run in runs for m in metrics if m in values[run.run_id]]
    return pd.DataFrame(rows, columns=["run", "metric", "value"])


def axis_values(runs: list[RunSummary], name: str) -> list[float | None]:
    """A metric or a numeric parameter per run, for scatter plots and parallel coordinates."""
    values: list[float | None] = []
    for run in runs:
        raw = canonical_values(run).get(name, run.params.get(name))
        values.append(_as_float(raw))
    return values


def numeric_params(runs: list[RunSummary]) -> list[str]:
    names = {p for run in runs for p in run.params}
    return sorted(n for n in names if all(_as_float(run.params.get(n)) is not None for run in runs if n in run.params))


def curve_summary(points: list[tuple[int, float]]) -> dict[str, float | None]:
    """min / max / last of a step-wise metric."""
    if not points:
        return {"min": None, "max": None, "last": None}
    values = [v for _, v in points]
    return {"min": min(values), "max": max(values), "last": points[-1][1]}


def seed_groups(runs: list[RunSummary], metrics: list[str]) -> pd.DataFrame:
    """Mean ± std of each metric across runs that differ only by their seed (groups of 2 or more)."""
    groups: dict[tuple[tuple[str, str], ...], list[RunSummary]] = defaultdict(list)
    for run in runs:
        key = tuple(sorted((k, v) for k, v in run.params.items() if k not in SEED_PARAMS))
        groups[key].append(run)
    rows = []
    for key, members in groups.items():
        if len(members) < 2:
            continue
        row: dict[str, object] = {"configuration": _describe(key), "runs": len(members)}
        for metric in metrics:
            values = [v for v in (canonical_values(r).get(metric) for r in members) if v is not None]
            row[metric] = _mean_std(values)
        rows.append(row)
    return pd.DataFrame(rows)


# Metrics SageMaker minimises: Autopilot's MSE, RMSE, MAE and LogLoss objectives; the built-in
# algorithms' errors, losses and negative log-likelihoods (XGBoost's error, merror, mlogloss, rmsle, mape,
# poisson-nloglik; Linear Learner's objective_loss, squared_loss, absolute_loss). The rest (accuracy, F1,
# AUC, R2, precision, recall, NDCG, MAP) are maximised.
MINIMISED = frozenset({"mse", "rmse", "mae", "mape", "rmsle", "logloss", "mlogloss", "error", "merror", "loss",
                       "nloglik"})


def metric_goal(name: str) -> str:
    """``Minimize`` or ``Maximize``, SageMaker's objective type for a metric named as a channel metric
    (``validation:rmse``), a job metric (``test_f1_macro``) or an Autopilot objective (``MSE``)."""
    words = re.split(r"[^a-z0-9]+", name.strip().lower().rsplit(":", 1)[-1])
    return "Minimize" if words[-1] in MINIMISED else "Maximize"


def leaderboard(runs: list[RunSummary], metric: str, higher_is_better: bool = True) -> pd.DataFrame:
    """One ranking across Autopilot candidates, built-in, script and tuning runs on a canonical metric: rank,
    the metric and the split it was measured on first, then who the run is. Ties: ``ranking.rank_key``."""
    measured = {run.run_id: measured_metrics(run).get(metric) for run in runs}
    scored = [r for r in runs if (m := measured[r.run_id]) is not None and not math.isnan(m.value)]
    scored.sort(key=lambda r: rank_key(measured[r.run_id].value, higher_is_better, r.end_time, r.name))  # type: ignore[union-attr]
    frame = runs_frame(scored, [])
    frame.insert(0, "rank", range(1, len(frame) + 1))
    frame.insert(1, metric, [measured[r.run_id].value for r in scored])  # type: ignore[union-attr]
    frame.insert(2, "measured on", [measured[r.run_id].split or "–" for r in scored])  # type: ignore[union-attr]
    frame.insert(3, "logged as", [measured[r.run_id].logged_as for r in scored])  # type: ignore[union-attr]
    return frame


def ranked_runs(runs: list[RunSummary], metric: str, higher_is_better: bool = True) -> list[RunSummary]:
    """``runs`` in leaderboard order; runs without ``metric`` follow, newest first."""
    order = leaderboard(runs, metric, higher_is_better)["run_id"].tolist() if metric and runs else []
    by_id = {run.run_id: run for run in runs}
    return [by_id[i] for i in order] + [run for run in runs if run.run_id not in set(order)]


def _label(run: RunSummary) -> str:
    return f"{run.name} ({run.run_id[:6]})"


def _as_float(raw: object) -> float | None:
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def _describe(key: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{k}={v}" for k, v in key)[:200] or "(no parameters)"


def _mean_std(values: list[float]) -> str:
    if not values:
        return "–"
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
    return f"{mean:.4f} ± {std:.4f}"


QUALITY_METRICS = ("accuracy", "f1_macro", "r2")  # canonical names


def fairness_frame(runs: list[RunSummary]) -> pd.DataFrame:
    """Runs whose model has a bias report: its quality metric next to the bias metrics logged by the bias job."""
    rows = []
    for run in runs:
        bias = {name.removeprefix("bias_"): value for name, value in run.metrics.items() if name.startswith("bias_")}
        if not bias:
            continue
        values = canonical_values(run)
        quality = next((name for name in QUALITY_METRICS if name in values), "")
        rows.append({"run": run.name, "facet (d)": run.tags.get("workbench.bias_facet", ""), "quality metric": quality,
                     "quality": values.get(quality) if quality else None, **dict(sorted(bias.items()))})
    return pd.DataFrame(rows)
