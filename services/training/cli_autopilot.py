"""``python -m services autopilot``: start a local Autopilot job and, unless --no-wait, wait for its leaderboard."""

from __future__ import annotations

import argparse
from typing import Any

from services.debugger.cli_flags import add_debugger_arguments, debugger_from_args, status_fields
from services.errors import ServiceError
from services.models import AutopilotRequest, DataSource, Job
from services.registry import Services
from services.training.autopilot.objectives import check_objective

MODES = ("AUTO", "ENSEMBLING", "HYPERPARAMETER_TUNING")
PROBLEM_TYPES = ("BinaryClassification", "MulticlassClassification", "Regression")
COMMANDS = ("autopilot",)
WAIT_MARGIN_SECONDS = 300  # on top of the job's own budget: queueing, start-up and the reports


class AutopilotFailed(ServiceError):
    """The Autopilot job ended as Failed or Stopped; the message carries its reason."""


def add_commands(commands: Any) -> None:
    """Add the ``autopilot`` command to the CLI's subparsers."""
    parser = commands.add_parser("autopilot", help="AutoML: find the best model for a target column")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--table", help="DATABASE.TABLE in the catalog")
    source.add_argument("--data", help="a CSV/TSV/JSON-lines/Parquet file or folder")
    parser.add_argument("--target", required=True)
    parser.add_argument("--problem-type", choices=PROBLEM_TYPES, default="")
    parser.add_argument("--objective", default="", help="Accuracy, BalancedAccuracy, F1, F1macro, AUC, Precision, "
                                                        "Recall, MSE, RMSE, MAE or R2 (default: Autopilot's)")
    parser.add_argument("--mode", choices=MODES, default="AUTO")
    parser.add_argument("--max-runtime", type=int, default=300, help="seconds for the whole job (at least 30)")
    parser.add_argument("--max-candidates", type=int, default=10)
    parser.add_argument("--name", default="")
    parser.add_argument("--experiment", default="")
    parser.add_argument("--no-wait", action="store_true", help="return as soon as the job is started")
    add_debugger_arguments(parser)


def run_command(services: Services, args: argparse.Namespace) -> dict[str, Any]:
    """Start the job (checking the objective first) and report its leaderboard."""
    check_objective(args.objective, args.problem_type)
    request = AutopilotRequest(
        source=DataSource(table=args.table or "", path=args.data or ""), target=args.target,
        problem_type=args.problem_type, objective=args.objective, mode=args.mode,
        max_runtime_seconds=args.max_runtime, max_candidates=args.max_candidates, name=args.name,
        experiment=args.experiment, debugger=debugger_from_args(args),
    )
    name = services.training.start_autopilot_job(request)
    if args.no_wait:
        return {"job_name": name, "status": services.jobs.describe_job(name).status}
    job = services.jobs.wait_for_job(name, timeout_seconds=args.max_runtime + WAIT_MARGIN_SECONDS)
    if job.status in ("Failed", "Stopped"):
        raise AutopilotFailed(f"Autopilot job {name} {job.status.lower()}: {job.failure_reason}",
                              hint=f"See its log in {services.settings.home / 'jobs' / name / 'job.log'}.")
    return summary(job)


def summary(job: Job) -> dict[str, Any]:
    """The job's leaderboard as the CLI prints it."""
    candidates = [{"name": c["name"], "algorithm": c["algorithm"], "model_id": c["model_id"],
                   "objective": {"name": c["objective_name"], "value": c["objective_value"]}}
                  for c in job.result.get("candidates", [])]
    best = next((c for c in candidates if c["name"] == job.result.get("best_candidate")), None)
    best_out = None if best is None else {"name": best["name"], "model_id": best["model_id"], "objective": best["objective"]}
    return {"job_name": job.name, "status": job.status, "best_candidate": best_out, "candidates": candidates,
            **status_fields(job.result)}
