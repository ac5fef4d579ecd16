"""What the Explain page decides from jobs and models, as plain functions over ``Job`` records.

* which SHAP jobs explain a model (the job's own ``model_id``, else the one its config asked for);
* which catalog table a model was trained on (its training job's ``source``), the form's default;
* whether ``ExplainPort.start_job`` handed back a job that already existed (a cached result) rather
  than starting one;
* how long a new explanation will take, from the model's last completed one with the same explainer.

Pure: the page asks the jobs port once and passes the records in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from services.models import Job

EXPLAIN_KIND = "explain"
LISTED_JOBS = 500  # explain jobs the page considers (newest first)
# Explainers whose cost grows with the background sample too (each masked row is scored against every background row).
PER_BACKGROUND_ROW = ("Permutation", "KernelSHAP (Clarify)")


def jobs_of_model(jobs: Iterable[Job], model_id: str) -> list[Job]:
    """The explain jobs of ``model_id``, in the order given (newest first from the jobs port)."""
    if not model_id:
        return []
    return [j for j in jobs if j.kind == EXPLAIN_KIND and model_id in (j.model_id, str(j.config.get("model_id", "")))]


def trained_on_table(training_job: Job | None) -> str:
    """``DATABASE.TABLE`` the job trained on, or ``""`` (a file, a SQL result, or no job recorded)."""
    if training_job is None:
        return ""
    source = training_job.config.get("source")
    return str(source.get("table") or "") if isinstance(source, dict) else ""


def was_reused(name: str, earlier: Iterable[Job]) -> bool:
    """True when ``name`` (what ``start_job`` returned) was already among the jobs listed before starting."""
    return any(job.name == name for job in earlier)


@dataclass(frozen=True)
class Estimate:
    """A new explanation's expected run time, scaled from an earlier job of the same model and explainer."""

    seconds: float
    job_name: str
    rows: int  # what that job explained …
    job_seconds: float  # … in this many seconds


def estimate(jobs: Iterable[Job], explainer: str, rows: int, background_rows: int) -> Estimate | None:
    """From the newest completed job with ``explainer`` (``jobs`` newest first): its seconds per row, times ``rows``
    (and, for explainers that score every background row, the ratio of background rows); ``None`` without one."""
    for job in jobs:
        done = int(job.result.get("rows") or job.config.get("rows") or 0)
        seconds = float(job.result.get("seconds") or _duration(job))
        if job.status != "Completed" or job.result.get("explainer", explainer) != explainer or done <= 0 or seconds <= 0:
            continue
        scale = rows / done
        if explainer in PER_BACKGROUND_ROW:
            scale *= max(background_rows, 1) / max(int(job.config.get("background_rows") or 1), 1)
        return Estimate(seconds * scale, job.name, done, seconds)
    return None


def _duration(job: Job) -> float:
    if not job.started_at or not job.ended_at:
        return 0.0
    try:
        return (datetime.fromisoformat(job.ended_at) - datetime.fromisoformat(job.started_at)).total_seconds()
    except ValueError:  # a timestamp in another format: no estimate from this job
        return 0.0
