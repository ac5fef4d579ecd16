"""What the Explain page decides from jobs and models, as plain functions over ``Job`` records.

* which SHAP jobs explain a model (the job's own ``model_id``, else the one its config asked for);
* which catalog table a model was trained on (its training job's ``source``), the form's default;
* whether ``ExplainPort.start_job`` handed back a job that already existed (a cached result) rather
  than starting one.

Pure: the page asks the jobs port once and passes the records in.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.models import Job

EXPLAIN_KIND = "explain"
LISTED_JOBS = 500  # explain jobs the page considers (newest first)


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
