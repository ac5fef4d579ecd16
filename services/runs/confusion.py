"""Confusion matrices of the runs being compared, and for every run without one the reason why.

Where a run's matrix lives: a built-in job logs ``confusion_matrix.json`` (``{"classes"|"labels": [...],
"matrix": [[...]]}``, rows = true class); an Autopilot job logs ``model_insights.json`` whose
``confusion_matrix`` is its best candidate's on the test split. Autopilot keeps no predictions of its other
candidates, so those are named with that reason rather than silently dropped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from services.models import RunSummary

REGRESSION = "Regression"
Reader = Callable[[str, str], bytes | None]  # the runs port's run_artifact(run_id, path)


@dataclass(frozen=True)
class Confusion:
    """One run's confusion matrix (rows = true class, columns = predicted) and where it came from."""

    run: str
    labels: list[str]
    matrix: list[list[int]]
    source: str


@dataclass(frozen=True)
class Skipped:
    """A selected run without a matrix, and why."""

    run: str
    reason: str


def run_confusions(selected: list[RunSummary], every_run: list[RunSummary], read: Reader
                   ) -> tuple[list[Confusion], list[Skipped]]:
    """The matrices of ``selected`` and the runs left out with their reasons; ``every_run`` is searched for
    the Autopilot job run of a selected candidate."""
    shown: list[Confusion] = []
    skipped: list[Skipped] = []
    for run in selected:
        found = run_confusion(run, every_run, read)
        if isinstance(found, Confusion):
            shown.append(found)
        else:
            skipped.append(found)
    return shown, skipped


def run_confusion(run: RunSummary, every_run: list[RunSummary], read: Reader) -> Confusion | Skipped:
    if run.tags.get("workbench.candidate"):
        return _candidate(run, every_run, read)
    if run.tags.get("workbench.kind") == "autopilot":
        return _from_insights(run, run, read)
    if _problem_type(run) == REGRESSION:
        return Skipped(run.name, "a regression run: there are no classes to confuse")
    parsed = parse_matrix(read(run.run_id, "confusion_matrix.json"))
    if parsed is None:
        return Skipped(run.name, "it logged no confusion_matrix.json (built-in classification jobs do; "
                                 "a script logs one itself)")
    return Confusion(run.name, *parsed, source="test split")


def parse_matrix(raw: bytes | None) -> tuple[list[str], list[list[int]]] | None:
    """``{"labels"|"classes": [...], "matrix": [[...]]}`` or a bare list of rows; None when absent or not a matrix."""
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return matrix_of(data)


def matrix_of(data: object) -> tuple[list[str], list[list[int]]] | None:
    if isinstance(data, dict):
        matrix = data.get("matrix") or data.get("confusion_matrix")
        labels = data.get("labels") or data.get("classes") or [str(i) for i in range(len(matrix or []))]
    else:
        matrix, labels = data, [str(i) for i in range(len(data))] if isinstance(data, list) else []
    if not isinstance(matrix, list) or not matrix or not all(isinstance(row, list) for row in matrix):
        return None
    return [str(label) for label in labels], matrix


def _candidate(run: RunSummary, every_run: list[RunSummary], read: Reader) -> Confusion | Skipped:
    rank = run.tags.get("workbench.rank", "")
    if rank != "1":
        return Skipped(run.name, f"Autopilot keeps test-split predictions of its best candidate only "
                                 f"(this one ranked {rank or 'lower'}); retrain it to see its matrix")
    job = run.tags.get("workbench.job", "")
    parent = next((r for r in every_run if r.tags.get("workbench.job") == job and not r.tags.get("workbench.candidate")
                   and r.tags.get("workbench.kind") == "autopilot"), None)
    if parent is None:
        return Skipped(run.name, f"the run of its Autopilot job {job} is not in the store")
    return _from_insights(run, parent, read)


def _from_insights(run: RunSummary, job_run: RunSummary, read: Reader) -> Confusion | Skipped:
    raw = read(job_run.run_id, "model_insights.json")
    try:
        insights = json.loads(raw) if raw is not None else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        insights = None
    if not isinstance(insights, dict):
        return Skipped(run.name, "its Autopilot job logged no model insights report")
    if insights.get("problem_type") == REGRESSION:
        return Skipped(run.name, "a regression run: there are no classes to confuse")
    parsed = matrix_of(insights.get("confusion_matrix"))
    if parsed is None:
        return Skipped(run.name, "its Autopilot model insights hold no confusion matrix")
    source = "the best candidate on the test split (Autopilot's model insights)"
    return Confusion(run.name, *parsed, source=source)


def _problem_type(run: RunSummary) -> str:
    return run.tags.get("workbench.problem_type") or run.params.get("problem_type", "")
