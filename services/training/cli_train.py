"""``python -m services train`` and ``python -m services predict``: training and batch scoring jobs.

Both wait for the job unless ``--no-wait`` and print JSON on stdout. Exit codes: 0 when the job
completed (or was left running with ``--no-wait``); 2 for bad input, before a job exists (unknown
algorithm, column or hyperparameter, missing table) or when the job failed on the data (e.g. a
single-class target); 1 when the job failed for another reason (a bug, a killed process) or was
stopped. A failed job still prints its JSON (with ``failure_reason``) and then one ``error:`` line
on stderr.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from services.config import Settings
from services.debugger.cli_flags import add_debugger_arguments, debugger_from_args, status_fields
from services.errors import InvalidInput, ServiceError
from services.models import DataSource, Job, TrainingRequest
from services.paths import publish_file, writable_path
from services.registry import build_services
from services.storage.base import StoragePort

COMMANDS = ("train", "predict")


class JobFailed(ServiceError):
    """A job the CLI waited for did not complete; ``exit_code`` says whose fault it was."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def add_commands(commands: Any) -> None:
    """Add ``train`` and ``predict`` to the CLI's subparsers."""
    train = commands.add_parser("train", help="train a built-in algorithm (waits for the job)")
    train.add_argument("--algorithm", required=True, help="xgboost | linear-learner | text-tfidf | text-minilm")
    _add_source(train)
    train.add_argument("--target", required=True)
    train.add_argument("--text-column", default="")
    train.add_argument("--hp", action="append", default=[], metavar="KEY=VALUE", help="a hyperparameter (repeatable)")
    train.add_argument("--name", default="", help="job and model name (default: <table or file stem>-<algorithm>)")
    train.add_argument("--experiment", default="")
    train.add_argument("--seed", type=int, default=42)
    add_debugger_arguments(train)
    train.add_argument("--no-wait", action="store_true")
    predict = commands.add_parser("predict", help="batch transform: score a table or file with a registered model "
                                                 "into a catalog table")
    predict.add_argument("model_id", help="NAME/VERSION from the model registry")
    _add_source(predict)
    predict.add_argument("--output-table", default="", metavar="DB.TABLE",
                         help="the catalog table the scored rows go to (default: <database of --table, else demo>."
                              "<model name>_scored; an earlier batch output of that name is replaced)")
    predict.add_argument("--out", type=Path,
                         help="also write the scored table to this CSV: a bare name or relative path lands in "
                              "<workspace>/exports/, an absolute path must be under WORKBENCH_IMPORT_ROOTS")
    predict.add_argument("--overwrite", action="store_true", help="replace --out if it exists (refused otherwise)")
    predict.add_argument("--no-wait", action="store_true")


def _add_source(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--table", default="", help="DATABASE.TABLE")
    source.add_argument("--data", default="", help="a CSV/TSV/JSON-lines/Parquet file or folder")


def run_command(args: argparse.Namespace) -> str:
    """Run ``train`` or ``predict`` and return the JSON for stdout (raises ``JobFailed`` after printing it)."""
    services = build_services(Settings.from_env())
    if args.command == "train":
        return _train(services, args)
    return _predict(services, args)


def parse_hyperparameters(items: list[str]) -> dict[str, str]:
    """``KEY=VALUE`` strings as a dict; ``InvalidInput`` for anything else."""
    values = {}
    for item in items:
        key, separator, value = item.partition("=")
        if not separator or not key.strip():
            raise InvalidInput(f"--hp {item!r} is not KEY=VALUE.", hint="e.g. --hp max_depth=4 --hp eta=0.2")
        if key.startswith("_"):
            raise InvalidInput(f"--hp {key}: names starting with _ are reserved for the training job.",
                               hint="Leave it out; the job sets it.")
        values[key.strip()] = value.strip()
    return values


def _train(services: Any, args: argparse.Namespace) -> str:
    from services.training.algorithms.common import validate_hyperparameters

    hyperparameters = parse_hyperparameters(args.hp)
    validate_hyperparameters(args.algorithm, hyperparameters)
    request = TrainingRequest(algorithm=args.algorithm, source=DataSource(table=args.table, path=args.data),
                              target=args.target, hyperparameters=hyperparameters, text_column=args.text_column,
                              name=args.name, experiment=args.experiment, seed=args.seed,
                              debugger=debugger_from_args(args))
    job = _finish(services, services.training.start_training_job(request), args.no_wait)
    return _report(job, {"job_name": job.name, "status": job.status, "model_id": job.model_id, "run_id": job.run_id,
                         "metrics": job.metrics, **status_fields(job.result)})


def _predict(services: Any, args: argparse.Namespace) -> str:
    """Batch scoring through the endpoints port into a catalog table; ``--out`` also writes it to a CSV."""
    source = DataSource(table=args.table, path=args.data)
    output_table = args.output_table or _default_output_table(args.model_id, args.table)
    csv = _checked_csv(services.settings, args) if args.out else None
    name = services.endpoints.start_batch_transform(args.model_id, source, output_table)
    job = _finish(services, name, args.no_wait)
    if job.finished:  # on AWS the port's describe is what registers the output table
        job = services.endpoints.describe_batch_transform(name)
    table = job.config.get("output_table") or output_table
    if csv is not None and job.status == "Completed":
        _write_csv(services.storage, table, csv, args.overwrite)
    return _report(job, {"job_name": job.name, "status": job.status, "output": str(csv) if csv else table,
                         "table": table, "rows": job.result.get("rows")})


def _default_output_table(model_id: str, input_table: str) -> str:
    """``<database of the input, else demo>.<model name>_scored``: the Score page's rule, with the model's
    name in place of the endpoint's (not imported: endpoints already depends on training)."""
    database = (input_table or "demo").split(".")[0]
    return f"{database}.{model_id.split('/')[0].replace('-', '_').lower()}_scored"


def _checked_csv(settings: Settings, args: argparse.Namespace) -> Path:
    """Where ``--out`` writes, checked before any job exists (an existing file needs ``--overwrite``)."""
    if args.no_wait:
        raise InvalidInput("--out needs the job's result, so it cannot be used with --no-wait.",
                           hint="Drop --no-wait, or drop --out and read the output table later.")
    return writable_path(args.out, settings, args.overwrite)


def _write_csv(storage: StoragePort, table: str, csv: Path, overwrite: bool) -> None:
    database, name = table.split(".", 1)
    csv.parent.mkdir(parents=True, exist_ok=True)
    partial = csv.with_name(csv.name + ".partial")
    storage.read_table(database, name).to_csv(partial, index=False)
    publish_file(partial, csv, overwrite)


def _finish(services: Any, name: str, no_wait: bool) -> Job:
    jobs = services.jobs
    return jobs.describe_job(name) if no_wait else jobs.wait_for_job(name)


def _report(job: Job, fields: dict[str, Any]) -> str:
    text = json.dumps(fields | ({"failure_reason": job.failure_reason} if job.failure_reason else {}),
                      indent=2, default=str, ensure_ascii=False)
    if job.status in ("Failed", "Stopped"):
        print(text)
        raise JobFailed(f"job {job.name} {job.status.lower()}: {job.failure_reason or 'no reason given'}",
                        int(job.result.get("exit_code", 1)))
    return text

