"""``python -m services train-script`` and ``python -m services tune``: script mode and tuning from the shell.

Both print JSON on stdout and wait for the job unless ``--no-wait``; bad input is one ``error: …``
line on stderr with exit code 2 (``services/cli.py`` prints it).
"""

from __future__ import annotations

import argparse
from typing import Any

from services.cli_args import parse_pairs
from services.debugger.cli_flags import add_debugger_arguments, debugger_from_args, status_fields
from services.errors import InvalidInput
from services.models import DataSource, Job, ScriptJobRequest, TrainingRequest, TuningRequest
from services.registry import Services
from services.training.script_mode import compile_metric_definitions, validate_channels
from services.training.tuning_job import (
    STRATEGIES,
    validate_ranges,
    validate_script_objective,
    validate_tuning_settings,
)

COMMANDS = ("train-script", "tune")

TRAIN_SCRIPT_HELP = """\
Run your own training script under the SageMaker training contract (an /opt/ml-style job folder,
SM_* variables, hyperparameters as sorted --key value arguments).

  --channel NAME=PATH   a file or folder copied into input/data/NAME/ (SM_CHANNEL_NAME); repeatable
  --hp KEY=VALUE        a hyperparameter (JSON-decoded like SageMaker: 5 is a number, abc a string); repeatable
  --metric NAME=REGEX   a metric definition: the first capture group of REGEX on a log line is the value

example:
  python -m services train-script --entry-point train.py --source-dir ./src \\
      --channel train=./data/train.csv --hp epochs=5 --metric 'validation:accuracy=accuracy=([0-9.]+)'

prints {"job_name", "status", "failure_reason", "model_dir", "output_dir", "metrics": {name: last value}}
"""

TUNE_HELP = """\
Tune hyperparameters (SageMaker Automatic Model Tuning) over a built-in algorithm or a script.

  base job, either a built-in algorithm:
    --algorithm xgboost --table demo.wine --target target [--data FILE] [--hp KEY=VALUE ...]
  or a script:
    --entry-point train.py --source-dir DIR --channel NAME=PATH ... --metric NAME=REGEX ... [--hp KEY=VALUE ...]

  --range NAME=integer:MIN:MAX[:log]       e.g. max_depth=integer:2:8
  --range NAME=continuous:MIN:MAX[:log]    e.g. eta=continuous:0.01:0.3:log
  --range NAME=categorical:A,B,C           e.g. objective=categorical:binary:logistic,reg:squarederror
                                           (everything after the first "categorical:" is the comma list)
  --objective-metric NAME   for a script, one of its --metric names (e.g. validation:accuracy)
  --objective-type Maximize|Minimize, --strategy Bayesian|Random, --max-jobs N, --max-parallel-jobs N

example:
  python -m services tune --algorithm xgboost --table demo.wine --target target \\
      --range max_depth=integer:2:8 --range eta=continuous:0.01:0.3:log \\
      --objective-metric validation:f1_macro --objective-type Maximize --max-jobs 6

prints {"job_name", "status", "failure_reason", "best_trial": {...} or null, "trials": [...]}
"""


def add_commands(subparsers: Any) -> None:
    """Add ``train-script`` and ``tune`` to the CLI's subcommands."""
    script = subparsers.add_parser("train-script", help="run your script under the SageMaker training contract",
                                   description=TRAIN_SCRIPT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_script_arguments(script, required=True)
    _add_common_arguments(script)
    tune = subparsers.add_parser("tune", help="hyperparameter tuning over a built-in algorithm or a script",
                                 description=TUNE_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_script_arguments(tune, required=False)
    tune.add_argument("--algorithm", default="", help="a built-in algorithm, e.g. xgboost")
    tune.add_argument("--table", default="", help="DATABASE.TABLE to train on")
    tune.add_argument("--data", default="", help="a data file to train on instead of a table")
    tune.add_argument("--target", default="", help="the target column")
    tune.add_argument("--text-column", default="")
    tune.add_argument("--range", action="append", default=[], dest="ranges", metavar="NAME=TYPE:SPEC")
    tune.add_argument("--objective-metric", required=True)
    tune.add_argument("--objective-type", default="Maximize", help="Maximize or Minimize")
    tune.add_argument("--strategy", default="Bayesian", help=f"{' or '.join(STRATEGIES)}")
    tune.add_argument("--max-jobs", type=int, default=10)
    tune.add_argument("--max-parallel-jobs", type=int, default=1)
    _add_common_arguments(tune)


def _add_script_arguments(parser: argparse.ArgumentParser, required: bool) -> None:
    parser.add_argument("--entry-point", required=required, default="", help="the script, relative to --source-dir")
    parser.add_argument("--source-dir", required=required, default="", help="the folder copied to code/")
    parser.add_argument("--channel", action="append", default=[], dest="channels", metavar="NAME=PATH")
    parser.add_argument("--metric", action="append", default=[], dest="metrics", metavar="NAME=REGEX")


def _add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--hp", action="append", default=[], dest="hyperparameters", metavar="KEY=VALUE")
    parser.add_argument("--name", default="", help="the job's name (unique); generated when empty")
    parser.add_argument("--experiment", default="", help="the MLflow experiment")
    parser.add_argument("--no-wait", action="store_true", help="print the job as it is now and return")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait at most")
    add_debugger_arguments(parser)


def run_command(services: Services, args: argparse.Namespace) -> dict[str, Any]:
    """Run ``train-script`` or ``tune`` and return what the CLI prints."""
    if args.command == "train-script":
        return train_script(services, args)
    return tune(services, args)


# -- train-script -----------------------------------------------------------------------------------


def script_request(args: argparse.Namespace) -> ScriptJobRequest:
    """The script job the arguments describe, with channels and metric regexes checked."""
    channels = parse_pairs(args.channels, "--channel", "train=./data/train.csv")
    metrics = parse_pairs(args.metrics, "--metric", "validation:accuracy=accuracy=([0-9.]+)")
    validate_channels(channels)
    compile_metric_definitions(metrics)
    return ScriptJobRequest(
        entry_point=args.entry_point, source_dir=args.source_dir, channels=channels,
        hyperparameters=parse_pairs(args.hyperparameters, "--hp", "epochs=5"), metric_definitions=metrics,
        name=args.name, experiment=args.experiment, debugger=debugger_from_args(args),
    )


def train_script(services: Services, args: argparse.Namespace) -> dict[str, Any]:
    """Start (and by default wait for) a script job."""
    name = services.training.start_script_job(script_request(args))
    job = _settle(services, name, args)
    return {"job_name": job.name, "status": job.status, "failure_reason": job.failure_reason,
            "model_dir": job.result.get("model_dir", ""), "output_dir": job.result.get("output_dir", ""),
            "model_id": job.model_id, "metrics": job.metrics, **status_fields(job.result)}


def _settle(services: Services, name: str, args: argparse.Namespace) -> Job:
    if args.no_wait:
        return services.jobs.describe_job(name)
    return services.jobs.wait_for_job(name, args.timeout)


# -- tune -------------------------------------------------------------------------------------------


def parse_range(text: str) -> tuple[str, dict[str, Any]]:
    """``NAME=integer:MIN:MAX[:log]``, ``NAME=continuous:MIN:MAX[:log]`` or ``NAME=categorical:A,B``."""
    name, sep, spec = text.partition("=")
    kind, _, rest = spec.partition(":")
    if not sep or not name.strip() or not rest:
        raise InvalidInput(f"--range {text!r} is not NAME=TYPE:SPEC.", hint="e.g. max_depth=integer:2:8 or eta=continuous:0.01:0.3:log.")
    if kind == "categorical":
        return name.strip(), {"type": kind, "values": [v for v in rest.split(",") if v]}
    parts = rest.split(":")
    if kind not in ("integer", "continuous") or len(parts) not in (2, 3):
        raise InvalidInput(f"--range {text!r} is not NAME=TYPE:SPEC.",
                           hint="TYPE is integer, continuous (MIN:MAX[:log]) or categorical (A,B,C).")
    return name.strip(), {"type": kind, "min": _number(parts[0], text), "max": _number(parts[1], text),
                          "scale": parts[2] if len(parts) == 3 else "linear"}


def _number(text: str, whole: str) -> float:
    try:
        return float(text)
    except ValueError as exc:
        raise InvalidInput(f"--range {whole!r}: {text!r} is not a number.", hint="e.g. eta=continuous:0.01:0.3.") from exc


def tuning_request(args: argparse.Namespace) -> TuningRequest:
    """The tuning job the arguments describe, checked before anything is started."""
    ranges = validate_ranges(dict(parse_range(r) for r in args.ranges))
    validate_tuning_settings(args.objective_metric, args.objective_type, args.strategy, args.max_jobs,
                             args.max_parallel_jobs)
    return TuningRequest(base=_base_request(args), ranges=ranges, objective_metric=args.objective_metric,
                         objective_type=args.objective_type, strategy=args.strategy, max_jobs=args.max_jobs,
                         max_parallel_jobs=args.max_parallel_jobs, name=args.name)


def _base_request(args: argparse.Namespace) -> TrainingRequest | ScriptJobRequest:
    if bool(args.algorithm) == bool(args.entry_point):
        raise InvalidInput("Tune either a built-in algorithm or a script.",
                           hint="Give --algorithm with --table/--target, or --entry-point with --source-dir.")
    if args.entry_point:
        if not args.source_dir:
            raise InvalidInput("--entry-point needs --source-dir.", hint="e.g. --source-dir ./src.")
        request = script_request(args)
        validate_script_objective(request.metric_definitions, args.objective_metric)
        return request
    if not args.target:
        raise InvalidInput("A built-in algorithm needs --target.", hint="e.g. --target target.")
    return TrainingRequest(algorithm=args.algorithm, source=DataSource(table=args.table, path=args.data),
                           target=args.target, hyperparameters=parse_pairs(args.hyperparameters, "--hp", "num_round=50"),
                           text_column=args.text_column, experiment=args.experiment,
                           debugger=debugger_from_args(args))


def tune(services: Services, args: argparse.Namespace) -> dict[str, Any]:
    """Start (and by default wait for) a tuning job."""
    name = services.training.start_tuning_job(tuning_request(args))
    job = _settle(services, name, args)
    trials = job.result.get("trials", [])
    best = next((t for t in trials if t["number"] == job.result.get("best_trial")), None)
    return {"job_name": job.name, "status": job.status, "failure_reason": job.failure_reason,
            "objective": job.result.get("objective"), "best_trial": best, "trials": trials,
            **status_fields(job.result)}

