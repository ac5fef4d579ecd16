"""The container job's ``tuning`` contract: CreateHyperParameterTuningJob run as SageMaker Automatic Model Tuning
runs it, one training job per trial, each in its own /opt/ml (``container_job.train_once``).

The search is the training capability's (``services/training/tuning_job.py``): Optuna's TPE for "Bayesian",
its random sampler for "Random", inside ParameterRanges converted to that module's ranges. Trials run one
after another here (MaxParallelTrainingJobs is logged, not used: a 2-core machine). Each trial is named
``<tuning job>-<NNN>-<8 hex>`` as SageMaker names them, its hyperparameters are StaticHyperParameters plus the
suggested ones, and its objective is the last value of the objective metric (MetricDefinitions over its log).
A failed trial counts as Failed and the search goes on; the job fails only when no trial completed."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

from services.embedded.job_worker import JobContext
from services.errors import InvalidInput, ServiceError
from services.pipelines import containers
from services.training.tuning_job import (
    TrialResult,
    TuningPlan,
    best_result,
    make_study,
    run_trials,
    validate_ranges,
    validate_tuning_settings,
)

STRATEGIES = ("Bayesian", "Random")
RANGE_KEYS = {"IntegerParameterRanges": "integer", "ContinuousParameterRanges": "continuous",
              "CategoricalParameterRanges": "categorical"}
SCALING = {"Auto": "auto", "Linear": "linear", "Logarithmic": "log", "ReverseLogarithmic": "linear"}


def tuning_ranges(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """ParameterRanges as ``tuning_job``'s ranges (validated there)."""
    ranges: dict[str, dict[str, Any]] = {}
    for key, kind in RANGE_KEYS.items():
        for item in (config.get("ParameterRanges") or {}).get(key) or []:
            if kind == "categorical":
                ranges[str(item["Name"])] = {"type": kind, "values": list(item.get("Values") or [])}
            else:
                number = (lambda text: int(float(text))) if kind == "integer" else float
                ranges[str(item["Name"])] = {"type": kind, "min": number(item["MinValue"]), "max": number(item["MaxValue"]),
                                             "scale": SCALING.get(str(item.get("ScalingType", "Auto")), "auto")}
    return validate_ranges(ranges)


def tuning_plan(step: str, request: dict[str, Any]) -> TuningPlan:
    """The search the request asks for; ``InvalidInput`` naming the step for what does not run here."""
    config = request.get("HyperParameterTuningJobConfig") or {}
    strategy = str(config.get("Strategy", "Bayesian"))
    if strategy not in STRATEGIES:
        raise InvalidInput(f"Step {step!r}: tuning Strategy {strategy!r} does not run locally; use Bayesian or Random.",
                           hint="Grid and Hyperband searches need SageMaker.")
    objective = config.get("HyperParameterTuningJobObjective") or {}
    limits = config.get("ResourceLimits") or {}
    try:
        plan = TuningPlan(base_kind="pipeline", base={}, ranges=tuning_ranges(config),
                          objective_metric=str(objective.get("MetricName", "")),
                          objective_type=str(objective.get("Type", "Maximize")), strategy=strategy,
                          max_jobs=int(limits.get("MaxNumberOfTrainingJobs", 1)), max_parallel_jobs=1)
        validate_tuning_settings(plan.objective_metric, plan.objective_type, plan.strategy, plan.max_jobs, 1)
    except (InvalidInput, KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"Step {step!r}: {exc}", hint="Fix HyperParameterTuningJobConfig.") from exc
    definition = request.get("TrainingJobDefinition") or {}
    metrics = containers.metric_definitions(definition)
    if plan.objective_metric not in metrics:
        raise InvalidInput(f"Step {step!r}: the objective metric {plan.objective_metric!r} is not among the training "
                           f"job's MetricDefinitions ({', '.join(metrics) or 'none'}).",
                           hint="Add a MetricDefinition whose regex reads it from the log.")
    return plan


def trial_name(tuning_job: str, number: int) -> str:
    return f"{tuning_job}-{number:03d}-{hashlib.sha256(f'{tuning_job}/{number}'.encode()).hexdigest()[:8]}"


def trial_request(definition: dict[str, Any], hyperparameters: dict[str, str]) -> dict[str, Any]:
    """A CreateTrainingJob request for one trial: the definition with its static and suggested hyperparameters."""
    request = {key: value for key, value in definition.items() if key != "StaticHyperParameters"}
    request["HyperParameters"] = {**(definition.get("StaticHyperParameters") or {}), **hyperparameters}
    return request


def run_tuning(ctx: JobContext, lake: Path) -> None:
    from services.pipelines.container_job import TrainingJob, train_once  # the worker's side (steps import this module)

    request, step = ctx.config["request"], ctx.config.get("step_name", ctx.name)
    plan = tuning_plan(step, request)
    limits = (request["HyperParameterTuningJobConfig"].get("ResourceLimits") or {})
    ctx.log(f"{plan.strategy} search over {', '.join(plan.ranges)}: {plan.max_jobs} trial(s), one at a time here "
            f"(MaxParallelTrainingJobs {limits.get('MaxParallelTrainingJobs', 1)})")
    results: list[TrialResult] = []
    summaries: dict[int, dict[str, Any]] = {}

    def run_trial(number: int, hyperparameters: dict[str, str]) -> TrialResult:
        name = trial_name(ctx.name, number)
        job = TrainingJob(name, containers.job_arn("training-job", name), ctx.job_dir / "trials" / f"{number:03d}", step)
        outcome = train_once(ctx, lake, trial_request(request["TrainingJobDefinition"], hyperparameters), job)
        value = outcome.metrics.get(plan.objective_metric)
        status = "Completed" if outcome.exit_code == 0 and value is not None else "Failed"
        reason = "" if status == "Completed" else (outcome.failure_reason() if outcome.exit_code else
                                                    f"The trial never reported {plan.objective_metric}.")
        summaries[number] = summary(job, hyperparameters, status, reason, plan, value, outcome.artifacts)
        ctx.log(f"Trial {number} ({name}): {status} {plan.objective_metric}={value}")
        return TrialResult(number, hyperparameters, status, value, metrics=outcome.metrics, failure_reason=reason)

    run_trials(make_study(plan), plan, run_trial, results.append, threading.Event())
    best = best_result(results, plan.objective_type)
    ordered = sorted(summaries.values(), key=lambda s: _rank(s, plan.objective_type))
    ctx.finish_with(metrics={plan.objective_metric: best.objective} if best and best.objective is not None else {},
                    result={"training_job_summaries": ordered, "job_arn": ctx.config.get("job_arn", "")})
    if best is None:
        raise ServiceError(f"No training job of the tuning job completed with {plan.objective_metric}.",
                           hint="See the trials' failure reasons in the log.")


def summary(job: Any, hyperparameters: dict[str, str], status: str, reason: str, plan: TuningPlan,
            value: float | None, artifacts: str) -> dict[str, Any]:
    """A TrainingJobSummary of ListTrainingJobsForHyperParameterTuningJob (plus the model's location)."""
    found: dict[str, Any] = {"TrainingJobName": job.name, "TrainingJobArn": job.arn, "TrainingJobStatus": status,
                             "TunedHyperParameters": hyperparameters, "ObjectiveStatus": "Succeeded" if status == "Completed" else "Failed"}
    if value is not None:
        found["FinalHyperParameterTuningJobObjectiveMetric"] = {"Type": plan.objective_type,
                                                                 "MetricName": plan.objective_metric, "Value": value}
    if reason:
        found["FailureReason"] = reason[:1024]
    if artifacts:
        found["ModelArtifacts"] = {"S3ModelArtifacts": artifacts}
    return found


def _rank(summary: dict[str, Any], objective_type: str) -> tuple[int, float]:
    metric = summary.get("FinalHyperParameterTuningJobObjectiveMetric")
    if summary["TrainingJobStatus"] != "Completed" or metric is None:
        return (1, 0.0)
    return (0, -float(metric["Value"]) if objective_type == "Maximize" else float(metric["Value"]))
