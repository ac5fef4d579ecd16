"""Hyperparameter tuning, like SageMaker Automatic Model Tuning, over a built-in algorithm or a script.

Optuna proposes hyperparameters inside the ranges (TPE for "Bayesian", ``RandomSampler`` for
"Random"); each trial is a training run of its own: a nested MLflow run under the tuning job's
run, a registered model when it produced one, and its objective (the last value of the objective
metric). Trials are numbered from 1. After every trial the job's result is rewritten, so the page
shows the trials live and a stopped job keeps the ones that finished.

At most ``max_parallel_jobs`` trials run at once. With 1 (the default, right for a 2-core
machine) trials run one after another in the worker's main thread; with more they run in threads
(a script trial is its own process either way). On Stop the running scripts get SIGTERM with the
worker's process group; built-in trials in threads stop at their next progress report.
"""

from __future__ import annotations

import json
import math
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from services.config import Settings
from services.embedded.embedded_stack import EmbeddedStack
from services.embedded.job_worker import JobContext, JobStopped
from services.errors import InvalidInput, ServiceError
from services.models import Column, DataSource, ModelRecord, ScriptJobRequest, TrainingRequest
from services.runs.tracking import DEFAULT_EXPERIMENT, configure, ensure_experiment, job_run, job_tags
from services.training import script_job, script_mode
from services.training.data import input_schema_from_source

RANGE_TYPES = ("integer", "continuous", "categorical")
SCALES = {"linear": "linear", "auto": "linear", "log": "log", "logarithmic": "log"}
OBJECTIVE_TYPES = ("Maximize", "Minimize")
STRATEGIES = ("Bayesian", "Random")
MAX_JOBS_LIMIT = 500
MLFLOW_BATCH = 1000
TRAINING_FIELDS = {f.name for f in fields(TrainingRequest)}
RANGE_EXAMPLE = 'e.g. {"max_depth": {"type": "integer", "min": 3, "max": 8}}'


class TuningFailed(ServiceError):
    """No trial of a tuning job produced an objective value."""


# -- validation (pure; callable before a job is created) -------------------------------------------


def validate_ranges(ranges: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Check hyperparameter ranges and return them normalised; ``InvalidInput`` names the first bad one.

    integer / continuous: numeric ``min`` < ``max`` (whole numbers for integer), ``scale`` linear (default)
    or log (needs ``min`` > 0); categorical: a non-empty list of ``values``.
    """
    if not ranges:
        raise InvalidInput("A tuning job needs at least one hyperparameter range.", hint=RANGE_EXAMPLE)
    return {str(name): _validate_range(str(name), spec) for name, spec in ranges.items()}


def _validate_range(name: str, spec: Any) -> dict[str, Any]:
    if not isinstance(spec, Mapping):
        raise InvalidInput(f"The range of {name!r} is not a mapping.", hint=RANGE_EXAMPLE)
    kind = spec.get("type")
    if kind == "categorical":
        return _categorical_range(name, spec)
    if kind in ("integer", "continuous"):
        return _numeric_range(name, str(kind), spec)
    raise InvalidInput(f"The range of {name!r} has unknown type {kind!r}.", hint=f"Use one of {', '.join(RANGE_TYPES)}.")


def _numeric_range(name: str, kind: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    low, high = _bound(name, spec, "min"), _bound(name, spec, "max")
    scale = SCALES.get(str(spec.get("scale") or "linear").lower())
    if scale is None:
        raise InvalidInput(f"The range of {name!r} has unknown scale {spec.get('scale')!r}.", hint="Use linear or log.")
    if kind == "integer" and not (low.is_integer() and high.is_integer()):
        raise InvalidInput(f"The integer range of {name!r} needs whole numbers, got {low:g}..{high:g}.",
                           hint="e.g. min 3, max 8.")
    if low >= high:
        raise InvalidInput(f"The range of {name!r} needs min < max, got {low:g}..{high:g}.", hint="e.g. min 3, max 8.")
    if scale == "log" and low <= 0:
        raise InvalidInput(f"The log-scaled range of {name!r} needs min > 0, got {low:g}.",
                           hint="Use a positive min (e.g. 0.001) or the linear scale.")
    if kind == "integer":
        return {"type": kind, "min": int(low), "max": int(high), "scale": scale}
    return {"type": kind, "min": low, "max": high, "scale": scale}


def _bound(name: str, spec: Mapping[str, Any], key: str) -> float:
    value = spec.get(key)
    if isinstance(value, bool):
        value = None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"The range of {name!r} needs a numeric {key}, got {value!r}.", hint="e.g. min 3, max 8.") from exc
    if not math.isfinite(number):
        raise InvalidInput(f"The range of {name!r} needs a finite {key}.", hint="e.g. min 3, max 8.")
    return number


def _categorical_range(name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    values = spec.get("values")
    if not isinstance(values, list | tuple) or not values:
        raise InvalidInput(f"The categorical range of {name!r} needs a list of values.", hint='e.g. "values": ["a", "b"].')
    cleaned = [v if isinstance(v, str | int | float | bool) else str(v) for v in values]
    return {"type": "categorical", "values": list(dict.fromkeys(cleaned))}


def validate_tuning_settings(objective_metric: str, objective_type: str, strategy: str, max_jobs: int,
                             max_parallel_jobs: int) -> None:
    """Check the tuning job's own settings (everything but the ranges and the base job)."""
    if not objective_metric.strip():
        raise InvalidInput("A tuning job needs an objective metric.", hint="e.g. validation:accuracy.")
    if objective_type not in OBJECTIVE_TYPES:
        raise InvalidInput(f"Unknown objective type {objective_type!r}.", hint="Use Maximize or Minimize.")
    if strategy not in STRATEGIES:
        raise InvalidInput(f"Unknown strategy {strategy!r}.", hint="Use Bayesian or Random.")
    if not 1 <= max_jobs <= MAX_JOBS_LIMIT or max_parallel_jobs < 1:
        raise InvalidInput(f"max_jobs must be 1..{MAX_JOBS_LIMIT} and max_parallel_jobs at least 1.",
                           hint="e.g. max_jobs 10, max_parallel_jobs 1.")


def validate_script_objective(metric_definitions: Mapping[str, str], objective_metric: str) -> None:
    """A script's objective must be one of its metric definitions (SageMaker's rule)."""
    if objective_metric not in metric_definitions:
        known = ", ".join(metric_definitions) or "none"
        raise InvalidInput(f"The objective metric {objective_metric!r} is not among the script's metric definitions ({known}).",
                           hint="Add it with --metric NAME=REGEX, e.g. validation:accuracy=accuracy=([0-9.]+).")


# -- the plan and the trials -----------------------------------------------------------------------


@dataclass(frozen=True)
class TuningPlan:
    """A tuning job's stored config, checked."""

    base_kind: str  # script | training
    base: dict[str, Any]
    ranges: dict[str, dict[str, Any]]
    objective_metric: str
    objective_type: str = "Maximize"
    strategy: str = "Bayesian"
    max_jobs: int = 10
    max_parallel_jobs: int = 1

    @property
    def seed(self) -> int:
        """The base job's seed, which also seeds the sampler."""
        return int(self.base.get("seed", 42))

    @property
    def experiment(self) -> str:
        """The MLflow experiment of the tuning job and its trials."""
        return str(self.base.get("experiment") or DEFAULT_EXPERIMENT)


def plan_from_config(config: Mapping[str, Any]) -> TuningPlan:
    """The plan a job was started with (``LocalTraining.start_tuning_job``'s config), validated."""
    base = {k: v for k, v in dict(config["base"]).items() if k != "kind"}
    plan = TuningPlan(
        base_kind=str(config["base"].get("kind", "training")), base=base, ranges=validate_ranges(config["ranges"]),
        objective_metric=str(config["objective_metric"]), objective_type=str(config.get("objective_type", "Maximize")),
        strategy=str(config.get("strategy", "Bayesian")), max_jobs=int(config.get("max_jobs", 10)),
        max_parallel_jobs=int(config.get("max_parallel_jobs", 1)),
    )
    validate_tuning_settings(plan.objective_metric, plan.objective_type, plan.strategy, plan.max_jobs,
                             plan.max_parallel_jobs)
    if plan.base_kind == "script":
        validate_script_objective(plan.base.get("metric_definitions", {}), plan.objective_metric)
    return plan


@dataclass
class TrialResult:
    """One trial: what it tried and how it went."""

    number: int
    hyperparameters: dict[str, str]
    status: str = "InProgress"  # Completed | Failed
    objective: float | None = None
    run_id: str = ""
    model_id: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    failure_reason: str = ""

    def to_json(self) -> dict[str, Any]:
        """The trial as the job's result lists it."""
        return asdict(self)


def hyperparameter_text(value: Any) -> str:
    """A suggested value as the string a training job receives."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def suggest(trial: Any, ranges: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Ask an Optuna trial for one value per range."""
    values: dict[str, Any] = {}
    for name, spec in ranges.items():
        if spec["type"] == "categorical":
            values[name] = trial.suggest_categorical(name, spec["values"])
        elif spec["type"] == "integer":
            values[name] = trial.suggest_int(name, spec["min"], spec["max"], log=spec["scale"] == "log")
        else:
            values[name] = trial.suggest_float(name, spec["min"], spec["max"], log=spec["scale"] == "log")
    return {name: hyperparameter_text(value) for name, value in values.items()}


def make_study(plan: TuningPlan) -> Any:
    """An Optuna study with the plan's direction and sampler, seeded for repeatable trials."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if plan.strategy == "Random":
        sampler: Any = optuna.samplers.RandomSampler(seed=plan.seed)
    else:
        startup = max(1, min(10, plan.max_jobs // 3))
        sampler = optuna.samplers.TPESampler(seed=plan.seed, n_startup_trials=startup,
                                             constant_liar=plan.max_parallel_jobs > 1)
    if plan.objective_type == "Maximize":
        return optuna.create_study(direction="maximize", sampler=sampler)
    return optuna.create_study(direction="minimize", sampler=sampler)


def best_result(results: list[TrialResult], objective_type: str) -> TrialResult | None:
    """The completed trial with the best objective (the earliest on ties)."""
    done = [r for r in results if r.status == "Completed" and r.objective is not None]
    if not done:
        return None
    sign = -1.0 if objective_type == "Maximize" else 1.0
    return min(done, key=lambda r: (sign * float(r.objective or 0.0), r.number))


def objective_value(metrics: Mapping[str, float], name: str) -> float:
    """The objective among a trial's final metrics (``f1_macro`` also finds ``validation:f1_macro``)."""
    for key in (name, f"validation:{name}", name.split(":", 1)[-1]):
        if key in metrics:
            return float(metrics[key])
    raise InvalidInput(f"The trial never reported the objective metric {name!r}.",
                       hint=f"It reported: {', '.join(sorted(metrics)) or 'no metrics'}.")


# -- running a tuning job ---------------------------------------------------------------------------


def run(ctx: JobContext) -> None:
    """Run the tuning job described by ``ctx.config``."""
    plan = plan_from_config(ctx.config)
    tags = job_tags(ctx.name, "tuning", _source_label(plan), str(plan.base.get("source", {}).get("table_version", "")),
                    strategy=plan.strategy, objective=plan.objective_metric)
    with job_run(ctx.settings, plan.experiment, ctx.name, tags) as parent:
        mlflow = configure(ctx.settings)
        mlflow.log_params({"strategy": plan.strategy, "objective_metric": plan.objective_metric,
                           "objective_type": plan.objective_type, "max_jobs": plan.max_jobs,
                           "max_parallel_jobs": plan.max_parallel_jobs})
        ctx.secondary("Tuning", f"{plan.strategy} search, {plan.max_jobs} trials, {plan.objective_type} {plan.objective_metric}")
        runner = TrialRunner(ctx, plan, parent.info.run_id)
        results: list[TrialResult] = []

        def on_result(result: TrialResult) -> None:
            results.append(result)
            record_progress(ctx, plan, results, parent.info.run_id)

        run_trials(make_study(plan), plan, runner.run_trial, on_result, runner.stopping)
        best = best_result(results, plan.objective_type)
        if best is None:
            raise TuningFailed(f"Every trial failed. Trial 1: {results[0].failure_reason if results else 'did not run'}")
        mlflow.log_metric(plan.objective_metric, float(best.objective or 0.0))
        mlflow.set_tags({"workbench.best_trial": str(best.number), "workbench.best_run": best.run_id})
        ctx.log(f"Best trial: {best.number} with {plan.objective_metric} = {best.objective:g} ({best.hyperparameters})")


def _source_label(plan: TuningPlan) -> str:
    if plan.base_kind == "script":
        return str(plan.base.get("entry_point", ""))
    source = plan.base.get("source", {})
    return str(source.get("table") or source.get("path") or "")


def record_progress(ctx: JobContext, plan: TuningPlan, results: list[TrialResult], parent_run_id: str) -> None:
    """Rewrite the job's result with the trials so far and the best one (its model and metrics on the job)."""
    latest = results[-1]
    if latest.objective is not None:
        ctx.metric(plan.objective_metric, latest.objective, step=latest.number)
    best = best_result(results, plan.objective_type)
    ctx.finish_with(model_id=best.model_id if best else "", run_id=parent_run_id,
                    metrics=dict(best.metrics) if best else {}, result=tuning_result(plan, results, best))
    ctx.progress(len(results) / plan.max_jobs, f"{len(results)} of {plan.max_jobs} trials done")


def tuning_result(plan: TuningPlan, results: list[TrialResult], best: TrialResult | None) -> dict[str, Any]:
    """The job's result: every trial, the best trial's number and the objective."""
    return {
        "trials": [r.to_json() for r in sorted(results, key=lambda r: r.number)],
        "best_trial": best.number if best else None,
        "objective": {"name": plan.objective_metric, "value": best.objective if best else None,
                      "type": plan.objective_type},
        "strategy": plan.strategy,
    }


def run_trials(study: Any, plan: TuningPlan, run_trial: Callable[[int, dict[str, str]], TrialResult],
               on_result: Callable[[TrialResult], None], stopping: threading.Event) -> None:
    """Ask the study for hyperparameters, run up to ``max_parallel_jobs`` trials at once, tell it the outcomes."""
    if plan.max_parallel_jobs == 1:
        for number in range(1, plan.max_jobs + 1):
            trial = study.ask()
            result = run_trial(number, suggest(trial, plan.ranges))
            _tell(study, trial, result)
            on_result(result)
        return
    _run_in_threads(study, plan, run_trial, on_result, stopping)


def _run_in_threads(study: Any, plan: TuningPlan, run_trial: Callable[[int, dict[str, str]], TrialResult],
                    on_result: Callable[[TrialResult], None], stopping: threading.Event) -> None:
    pool = ThreadPoolExecutor(max_workers=min(plan.max_parallel_jobs, plan.max_jobs), thread_name_prefix="trial")
    pending: dict[Future[TrialResult], Any] = {}
    started = 0
    try:
        while started < plan.max_jobs or pending:
            while started < plan.max_jobs and len(pending) < plan.max_parallel_jobs:
                started += 1
                trial = study.ask()
                pending[pool.submit(run_trial, started, suggest(trial, plan.ranges))] = trial
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: f.result().number):
                _tell(study, pending.pop(future), future.result())
                on_result(future.result())
    finally:
        stopping.set()
        pool.shutdown(wait=False, cancel_futures=True)


def _tell(study: Any, trial: Any, result: TrialResult) -> None:
    import optuna

    if result.status == "Completed" and result.objective is not None:
        study.tell(trial, result.objective)
    else:
        study.tell(trial, state=optuna.trial.TrialState.FAIL)


class TrialRunner:
    """Runs one trial: a nested MLflow run around a script run or a built-in training."""

    def __init__(self, ctx: JobContext, plan: TuningPlan, parent_run_id: str) -> None:
        self.ctx = ctx
        self.plan = plan
        self.parent_run_id = parent_run_id
        self.stopping = threading.Event()

    def run_trial(self, number: int, suggested: dict[str, str]) -> TrialResult:
        """Train with the base job's hyperparameters overridden by ``suggested``; failures become a Failed trial."""
        hyperparameters = {**self.plan.base.get("hyperparameters", {}), **suggested}
        result = TrialResult(number, hyperparameters)
        self.ctx.log(f"Trial {number}: {suggested}")
        try:
            with self.trial_run(number) as trial_run:
                result.run_id = trial_run.info.run_id
                self._train(number, result)
        except JobStopped:
            raise
        except ServiceError as exc:
            self._failed(result, str(exc))
        except Exception as exc:  # noqa: BLE001 - one trial's bug fails that trial, not the whole tuning job
            self.ctx.log(traceback.format_exc())
            self._failed(result, f"{type(exc).__name__}: {exc}")
        else:
            result.status = "Completed"
            self.ctx.log(f"Trial {number} completed: {self.plan.objective_metric} = {result.objective:g}")
        return result

    def _failed(self, result: TrialResult, reason: str) -> None:
        result.status, result.failure_reason = "Failed", reason[:1024]
        self.ctx.log(f"Trial {result.number} failed: {reason[:300]}")

    @contextmanager
    def trial_run(self, number: int) -> Iterator[Any]:
        """A run nested under the tuning job's run (explicit parent, so it works from any thread)."""
        mlflow = configure(self.ctx.settings)
        tags = job_tags(self.ctx.name, "tuning-trial", _source_label(self.plan), "", trial=str(number))
        experiment_id = ensure_experiment(self.ctx.settings, self.plan.experiment)
        # In the main thread the parent is the active run (nested=True); a trial thread has none of its own.
        with mlflow.start_run(experiment_id=experiment_id, run_name=trial_name(self.ctx.name, number), tags=tags,
                              parent_run_id=self.parent_run_id, nested=mlflow.active_run() is not None) as trial_run:
            yield trial_run

    def _train(self, number: int, result: TrialResult) -> None:
        mlflow = configure(self.ctx.settings)
        mlflow.log_params(result.hyperparameters)
        if self.plan.base_kind == "script":
            metrics, model_id = self._script_trial(number, result)
        else:
            reporter = TrialReporter(self.ctx, number, self.stopping)
            metrics, _, model_id = train_builtin_trial(self.ctx.settings, self._builtin_config(number),
                                                       result.hyperparameters, reporter)
        result.metrics, result.model_id = dict(metrics), model_id
        result.objective = objective_value(metrics, self.plan.objective_metric)
        mlflow.log_metric(f"objective.{self.plan.objective_metric}", result.objective)

    def _builtin_config(self, number: int) -> dict[str, Any]:
        return {**self.plan.base, "name": trial_name(self.ctx.name, number), "job_name": self.ctx.name,
                "trial_dir": str(trial_folder(self.ctx.job_dir, number))}

    def _script_trial(self, number: int, result: TrialResult) -> tuple[dict[str, float], str]:
        names = {f.name for f in fields(ScriptJobRequest)}
        request = ScriptJobRequest(**{k: v for k, v in self.plan.base.items() if k in names})
        request = replace(request, hyperparameters=result.hyperparameters)
        mlflow = configure(self.ctx.settings)
        root = trial_folder(self.ctx.job_dir, number)
        outcome = script_job.run_script(request, root, trial_name(self.ctx.name, number),
                                        TrialSink(self.ctx, number, mlflow))
        if not outcome.succeeded:
            raise script_mode.ScriptFailed(outcome.failure_reason())
        model_id = ""
        if script_mode.model_written(outcome.layout):
            draft = script_job.model_draft(self.ctx.name, result.run_id, self.ctx.name)
            model_id = script_job.register_script_model(script_job.script_registry(self.ctx), outcome, draft, self.ctx.log)
        return outcome.metrics, model_id


def trial_name(job_name: str, number: int) -> str:
    """SageMaker-style training job name of a trial: ``<tuning job>-001``."""
    return f"{job_name}-{number:03d}"


class TrialSink:
    """A script trial's output: lines into the tuning job's log (prefixed), metric points into the trial's run."""

    def __init__(self, ctx: JobContext, number: int, mlflow: Any) -> None:
        self.ctx = ctx
        self.prefix = f"[trial {number}] "
        self.mlflow = mlflow

    def log(self, message: str) -> None:
        self.ctx.log(self.prefix + message)

    def metric(self, name: str, value: float, step: int) -> None:
        self.mlflow.log_metric(name, value, step=step)


class TrialReporter:
    """The progress reporter a built-in trial gets.

    Log lines go to the tuning job's log, metric points are kept for one batched MLflow write (the
    job's live curve shows the objective per trial instead), and once the tuning job is stopping
    every call raises ``JobStopped`` so a trial in a thread ends at its next report.
    """

    def __init__(self, ctx: JobContext, number: int, stopping: threading.Event) -> None:
        self.ctx = ctx
        self.number = number
        self.stopping = stopping
        self.points: list[tuple[str, float, int, int]] = []

    def _check(self) -> None:
        if self.stopping.is_set():
            raise JobStopped()

    def log(self, message: str) -> None:
        self._check()
        self.ctx.log(f"[trial {self.number}] {message}")

    def metric(self, name: str, value: float, step: int | None = None) -> None:
        self._check()
        self.points.append((name, float(value), step or 0, int(time.time() * 1000)))

    def progress(self, fraction: float, message: str = "") -> None:
        self._check()

    def flush(self, mlflow: Any, run_id: str) -> None:
        """Write the kept metric points to the trial's run, 1,000 per write."""
        from mlflow.entities import Metric

        points = [Metric(name, value, at, step) for name, value, step, at in self.points]
        for start in range(0, len(points), MLFLOW_BATCH):
            mlflow.MlflowClient().log_batch(run_id, metrics=points[start:start + MLFLOW_BATCH])
        self.points.clear()


def train_builtin_trial(settings: Settings, base_config: dict[str, Any], hyperparameters: dict[str, str],
                        reporter: Any) -> tuple[dict[str, float], str, str]:
    """Train one built-in trial inside the active (nested) MLflow run: (final metrics, run id, model id).

    Uses the built-in algorithms of ``services.training.algorithms`` as ``builtin_job`` does. Metrics are
    ``validation:<name>`` (what the objective is chosen on) and ``test:<name>``; the model is saved in
    the trial's folder and registered as a version of the tuning job's model.
    """
    from services.training import builtin_job
    from services.training.algorithms.common import get_algorithm
    from services.training.algorithms.metrics import evaluate

    mlflow = configure(settings)
    run_id = mlflow.active_run().info.run_id
    request = builtin_job.training_request({k: v for k, v in base_config.items() if k in TRAINING_FIELDS})
    algorithm = get_algorithm(request.algorithm)
    data = trial_dataset(settings, replace(request, hyperparameters=hyperparameters), algorithm)
    fit = algorithm.fit(data, {**hyperparameters, **_private_hyperparameters(settings, request)}, reporter)
    validation, _, _ = evaluate(fit.predictor, data, "validation")
    metrics = {f"validation:{k}": float(v) for k, v in validation.items()}
    metrics |= {f"test:{k}": float(v) for k, v in fit.metrics.items()}
    mlflow.log_metrics(metrics)
    if hasattr(reporter, "flush"):
        reporter.flush(mlflow, run_id)
    folder = Path(base_config["trial_dir"]) / "model"
    fit.predictor.save(folder)
    columns = list(getattr(fit.predictor, "feature_columns", data.feature_columns))
    draft = ModelRecord(
        model_id="", name=str(base_config["job_name"]), version=0, framework=algorithm.framework,
        problem_type=data.problem_type, target=data.target, input_schema=_input_schema(settings, request.source, columns),
        classes=tuple(data.classes), metrics=metrics, run_id=run_id, job_name=str(base_config["job_name"]),
        artifact_path="")
    return metrics, run_id, _register(settings, draft, folder)


def _private_hyperparameters(settings: Settings, request: TrainingRequest) -> dict[str, str]:
    # The same private values builtin_job passes (text-minilm caches embeddings per table version with them).
    return {"_source_table": request.source.table, "_source_version": request.source.table_version,
            "_workbench_home": str(settings.home)}


def _register(settings: Settings, draft: ModelRecord, folder: Path) -> str:
    stack = EmbeddedStack.open(settings)
    try:
        return stack.models.register(draft, folder).model_id
    finally:
        stack.store.close()  # trials run in threads: one connection each, closed with the trial


_DATASETS: dict[str, Any] = {}
_DATASETS_LOCK = threading.Lock()


def trial_dataset(settings: Settings, request: TrainingRequest, algorithm: Any) -> Any:
    """The seeded split every trial of a job trains on (read once per problem type, not once per trial)."""
    from services.training.algorithms.common import requested_problem_type
    from services.training.algorithms.dataset import prepare_dataset
    from services.training.data import load_frame

    problem_type = requested_problem_type(algorithm, request.hyperparameters)
    key = json.dumps([asdict(request.source), request.target, request.text_column, request.seed, problem_type])
    with _DATASETS_LOCK:
        if key not in _DATASETS:
            frame = load_frame(settings, request.source)
            _DATASETS[key] = prepare_dataset(frame, request.target, problem_type, request.text_column, request.seed)
        return _DATASETS[key]


def _input_schema(settings: Settings, source: DataSource, columns: list[str]) -> tuple[Column, ...]:
    from services.stack import open_local  # here: the CLI imports this module on the aws backend too

    return input_schema_from_source(open_local(settings).catalog, settings, source, columns)


def trial_folder(job_dir: Path, number: int) -> Path:
    """Where a trial keeps its files inside the tuning job's folder."""
    return job_dir / "trials" / f"{number:03d}"
