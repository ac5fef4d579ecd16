"""``python -m services explain MODEL_ID (--data FILE | --table DB.TABLE | --sql SQL) --out shap.csv``.

Starts a SHAP job (or reuses the finished one for the same model, data version and settings), waits
for it, copies its per-row SHAP values (Clarify's ``out.csv``: one column per input column, one row
per explained row) to ``--out`` and returns the global importances as JSON. Exit codes: 0 done; 2 bad
input before a job exists (unknown model, table or column) or a job that failed on the data (e.g. a
classifier without probabilities); 1 a job that failed otherwise or was stopped.

``--data`` follows the import-root rule of ``services/paths.py`` like the Explain page; ``--out`` is the
shell user's own file (relative to the current directory): the CLI runs with the user's own rights at
their own prompt, so confining it would protect nothing.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from services.errors import InvalidInput, ServiceError
from services.explain.base import AGGREGATIONS, ExplainRequest
from services.models import DataSource, Job
from services.registry import Services

COMMANDS = ("explain",)


class JobFailed(ServiceError):
    """The SHAP job did not complete; ``exit_code`` says whose fault it was."""

    def __init__(self, message: str, hint: str, exit_code: int) -> None:
        super().__init__(message, hint)
        self.exit_code = exit_code


def add_commands(commands: Any) -> None:
    """Add ``explain`` to the CLI's subparsers."""
    explain = commands.add_parser("explain", help="SHAP importances of a registered model on a table, file or query")
    explain.add_argument("model_id", help="NAME/VERSION from the model registry")
    source = explain.add_mutually_exclusive_group(required=True)
    source.add_argument("--table", default="", help="DATABASE.TABLE")
    source.add_argument("--data", default="", help="a CSV/TSV/JSON-lines/Parquet file or folder")
    source.add_argument("--sql", default="", help="explain on this query's result (Athena SQL)")
    explain.add_argument("--rows", type=int, default=500, help="rows explained (a seeded sample of larger data)")
    explain.add_argument("--background-rows", type=int, default=100, help="background sample (0: trees' own statistics)")
    explain.add_argument("--aggregation", choices=AGGREGATIONS, default="mean_abs")
    explain.add_argument("--class", dest="explained_class", default="", help="the class to explain (classifiers)")
    explain.add_argument("--seed", type=int, default=0)
    explain.add_argument("--out", required=True, type=Path, help="the CSV of per-row SHAP values to write")
    explain.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for the job")


def run_command(services: Services, args: argparse.Namespace) -> Any:
    """Run the SHAP job, write ``--out`` and return the JSON-able summary."""
    request = ExplainRequest(model_id=args.model_id, source=DataSource(table=args.table, path=args.data), sql=args.sql,
                             rows=args.rows, background_rows=args.background_rows, aggregation=args.aggregation,
                             seed=args.seed, explained_class=args.explained_class)
    out = args.out.expanduser().resolve()
    if out.is_dir():
        raise InvalidInput(f"--out {out} is a folder.", hint="Give a file name, e.g. --out shap.csv.")
    name = services.explain.start_job(request)
    job = wait(services, name, args.timeout)
    explanation = services.explain.explanation(name)
    values, _ = services.explain.shap_frames(name)
    out.parent.mkdir(parents=True, exist_ok=True)
    values.to_csv(out, index=False)
    return {"model_id": explanation.model_id, "job_name": job.name, "explainer": explanation.explainer,
            "explained_output": explanation.explained_output, "aggregation": explanation.aggregation,
            "base_value": explanation.base_value, "global_shap_values": explanation.global_importance,
            "rows": explanation.rows, "seconds": explanation.seconds, "notes": list(explanation.notes),
            "top_words": explanation.top_words, "out": str(out)}


def wait(services: Services, name: str, timeout: float) -> Job:
    """The finished job; ``JobFailed`` when it failed, was stopped or is still running at the timeout."""
    job = services.jobs.wait_for_job(name, timeout)
    if not job.finished:
        raise JobFailed(f"SHAP job {name} is still running after {timeout:g} s.",
                        "Wait longer with --timeout, or explain fewer --rows.", 1)
    if job.status != "Completed":
        raise JobFailed(f"SHAP job {name} {job.status.lower()}: {job.failure_reason or 'no reason given'}",
                        "See the job's log on the Jobs page.", int(job.result.get("exit_code", 1)))
    return job
