"""SageMaker job descriptions as our ``Job``s: which Describe*/Stop* call and log group each kind uses,
the transform job request, and the metric points of a training or tuning job."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from services.aws.autopilot_reports import notebook_locations
from services.aws.sagemaker import iso
from services.models import FINISHED_JOB_STATUSES, Job

DESCRIBE = {
    "training": ("describe_training_job", "TrainingJobName"),
    "script": ("describe_training_job", "TrainingJobName"),
    "autopilot": ("describe_auto_ml_job_v2", "AutoMLJobName"),
    "tuning": ("describe_hyper_parameter_tuning_job", "HyperParameterTuningJobName"),
    "transform": ("describe_transform_job", "TransformJobName"),
}
STOP = {
    "training": ("stop_training_job", "TrainingJobName"),
    "script": ("stop_training_job", "TrainingJobName"),
    "autopilot": ("stop_auto_ml_job", "AutoMLJobName"),
    "tuning": ("stop_hyper_parameter_tuning_job", "HyperParameterTuningJobName"),
    "transform": ("stop_transform_job", "TransformJobName"),
}
TRAINING_LOGS = "/aws/sagemaker/TrainingJobs"
LOG_GROUPS = {"training": TRAINING_LOGS, "script": TRAINING_LOGS, "tuning": TRAINING_LOGS,
              "autopilot": TRAINING_LOGS, "transform": "/aws/sagemaker/TransformJobs"}


def transform_job_spec(name: str, model_name: str, prefix: str, instance_type: str) -> dict[str, Any]:
    return {
        "TransformJobName": name, "ModelName": model_name,
        "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"{prefix}input/"}},
                           "ContentType": "text/csv", "SplitType": "Line"},
        "TransformOutput": {"S3OutputPath": f"{prefix}output/", "AssembleWith": "Line", "Accept": "text/csv"},
        "TransformResources": {"InstanceType": instance_type, "InstanceCount": 1},
    }


def job_from_training(raw: dict[str, Any], kind: str, config: dict[str, Any]) -> Job:
    metrics = {m["MetricName"]: float(m["Value"]) for m in raw.get("FinalMetricDataList", []) if "Value" in m}
    result = {"arn": raw.get("TrainingJobArn", ""), "model_artifacts": raw.get("ModelArtifacts", {}).get("S3ModelArtifacts", ""),
              "billable_seconds": raw.get("BillableTimeInSeconds")}
    return Job(name=raw["TrainingJobName"], kind=kind, status=raw["TrainingJobStatus"],
               secondary_status=raw.get("SecondaryStatus", raw["TrainingJobStatus"]), created_at=iso(raw.get("CreationTime")),
               config=config, started_at=iso(raw.get("TrainingStartTime")), ended_at=iso(raw.get("TrainingEndTime")),
               failure_reason=raw.get("FailureReason", ""), metrics=metrics, result=result)


def job_from_autopilot(raw: dict[str, Any], kind: str, config: dict[str, Any]) -> Job:
    best = raw.get("BestCandidate") or {}
    objective = best.get("FinalAutoMLJobObjectiveMetric") or {}
    metrics = {objective["MetricName"]: float(objective["Value"])} if "Value" in objective else {}
    result = {"arn": raw.get("AutoMLJobArn", ""), "best_candidate": best.get("CandidateName", ""),
              "problem_type": resolved_problem_type(raw), "output": raw.get("OutputDataConfig", {}).get("S3OutputPath", ""),
              "notebooks": notebook_locations(raw), "inference_containers": best.get("InferenceContainers", []),
              "algorithm": candidate_algorithm(best) if best else "", "log_prefix": best_training_step(best)}
    return Job(name=raw["AutoMLJobName"], kind=kind, status=raw["AutoMLJobStatus"],
               secondary_status=raw.get("AutoMLJobSecondaryStatus", raw["AutoMLJobStatus"]),
               created_at=iso(raw.get("CreationTime")), config=config, started_at=iso(raw.get("CreationTime")),
               ended_at=iso(raw.get("EndTime")) if raw["AutoMLJobStatus"] in FINISHED_JOB_STATUSES else "",
               failure_reason=raw.get("FailureReason", ""), metrics=metrics, result=result)


def job_from_tuning(raw: dict[str, Any], kind: str, config: dict[str, Any],
                    trial_summaries: Sequence[dict[str, Any]] = ()) -> Job:
    """A tuning job with its trials (``ListTrainingJobsForHyperParameterTuningJob``'s summaries, oldest first) in
    the local tuning job's result shape: ``trials``, ``best_trial``, ``objective``, ``strategy``; SageMaker's
    status counters apart, as ``trial_counts``."""
    status = raw["HyperParameterTuningJobStatus"]
    best = raw.get("BestTrainingJob") or {}
    objective = best.get("FinalHyperParameterTuningJobObjectiveMetric") or {}
    metrics = {objective["MetricName"]: float(objective["Value"])} if "Value" in objective else {}
    trials = [tuning_trial(number, summary) for number, summary in enumerate(trial_summaries)]
    tuning = raw.get("HyperParameterTuningJobConfig") or {}
    goal = tuning.get("HyperParameterTuningJobObjective") or {}
    result = {"arn": raw.get("HyperParameterTuningJobArn", ""), "best_training_job": best.get("TrainingJobName", ""),
              "best_hyperparameters": best.get("TunedHyperParameters", {}), "trials": trials,
              "best_trial": next((t["number"] for t in trials if t["training_job"] == best.get("TrainingJobName")), None),
              "objective": {"name": goal.get("MetricName", ""), "value": next(iter(metrics.values()), None),
                            "type": goal.get("Type", "")},
              "strategy": tuning.get("Strategy", ""), "trial_counts": raw.get("TrainingJobStatusCounters", {})}
    return Job(name=raw["HyperParameterTuningJobName"], kind=kind, status=status,
               secondary_status="Tuning" if status == "InProgress" else status, created_at=iso(raw.get("CreationTime")),
               config=config, started_at=iso(raw.get("CreationTime")), ended_at=iso(raw.get("HyperParameterTuningEndTime")),
               failure_reason=raw.get("FailureReason", ""), metrics=metrics, result=result)


def tuning_trial(number: int, summary: dict[str, Any]) -> dict[str, Any]:
    """One of a tuner's training jobs as the local tuning job lists a trial (``TrialResult.to_json``), plus
    the training job's name. Trials are numbered from 0 in the order they were created."""
    metric = summary.get("FinalHyperParameterTuningJobObjectiveMetric") or {}
    value = float(metric["Value"]) if "Value" in metric else None
    return {"number": number, "hyperparameters": dict(summary.get("TunedHyperParameters") or {}),
            "status": summary.get("TrainingJobStatus", ""), "objective": value, "run_id": "", "model_id": "",
            "metrics": {metric["MetricName"]: value} if value is not None else {},
            "failure_reason": summary.get("FailureReason", ""), "training_job": summary.get("TrainingJobName", "")}


def tuning_trial_summaries(sagemaker: Any, name: str) -> list[dict[str, Any]]:
    """Every training job the tuner ``name`` started, oldest first (all pages)."""
    pages = sagemaker.get_paginator("list_training_jobs_for_hyper_parameter_tuning_job").paginate(
        HyperParameterTuningJobName=name, SortBy="CreationTime", SortOrder="Ascending")
    return [t for page in pages for t in page.get("TrainingJobSummaries", [])]


def describe_remote(call: Callable[..., Any], sagemaker: Any, kind: str, name: str, config: dict[str, Any]) -> Job:
    """The job as SageMaker describes it now. ``call(operation, **parameters)`` makes the Describe* call (turning
    "no such job" into ``NotFound``); a tuning job's trials are listed with ``sagemaker``, the boto3 client."""
    operation, parameter = DESCRIBE[kind]
    raw = call(operation, **{parameter: name})
    if kind == "tuning":
        return job_from_tuning(raw, kind, config, tuning_trial_summaries(sagemaker, name))
    return JOB_MAPPERS[kind](raw, kind, config)


def job_from_transform(raw: dict[str, Any], kind: str, config: dict[str, Any]) -> Job:
    status = raw["TransformJobStatus"]
    result = {"arn": raw.get("TransformJobArn", ""), "output": raw.get("TransformOutput", {}).get("S3OutputPath", ""),
              "model_name": raw.get("ModelName", "")}
    return Job(name=raw["TransformJobName"], kind=kind, status=status,
               secondary_status="Transforming" if status == "InProgress" else status, created_at=iso(raw.get("CreationTime")),
               config=config, started_at=iso(raw.get("TransformStartTime")), ended_at=iso(raw.get("TransformEndTime")),
               failure_reason=raw.get("FailureReason", ""), model_id=config.get("model_id", ""), result=result)


JOB_MAPPERS: dict[str, Callable[[dict[str, Any], str, dict[str, Any]], Job]] = {
    "training": job_from_training, "script": job_from_training, "autopilot": job_from_autopilot,
    "tuning": job_from_tuning, "transform": job_from_transform}


def resolved_problem_type(raw: dict[str, Any]) -> str:
    attributes = (raw.get("ResolvedAttributes") or {}).get("AutoMLProblemTypeResolvedAttributes") or {}
    tabular = attributes.get("TabularResolvedAttributes") or {}
    return str(tabular.get("ProblemType") or tabular.get("TabularProblemType") or "")


def candidate_algorithm(raw: dict[str, Any]) -> str:
    """The learner behind a candidate, from its inference images (the sklearn one only preprocesses)."""
    images = [str(c.get("Image", "")) for c in raw.get("InferenceContainers", [])]
    for image in reversed(images):
        for known in ("autogluon", "xgboost", "linear-learner", "lightgbm", "catboost", "mxnet", "pytorch"):
            if known in image:
                return "mlp" if known in ("mxnet", "pytorch") else known
    return images[-1].rsplit("/", 1)[-1].split(":")[0] if images else "unknown"


def best_training_step(best: dict[str, Any]) -> str:
    steps = [s for s in best.get("CandidateSteps", []) if s.get("CandidateStepType") == "AWS::SageMaker::TrainingJob"]
    return f"{steps[-1]['CandidateStepName']}/" if steps else ""


def log_stream_prefix(job: Job) -> str:
    """Training streams are ``{job}/algo-1-…``; a tuner's trials are ``{tuner}-001-…/…``."""
    if job.kind == "autopilot":
        return str(job.result.get("log_prefix", ""))
    return f"{job.name}-" if job.kind == "tuning" else f"{job.name}/"


def final_metric_points(raw: dict[str, Any]) -> list[dict[str, object]]:
    started = raw.get("TrainingStartTime") or raw.get("CreationTime")
    points: list[dict[str, object]] = []
    for metric in raw.get("FinalMetricDataList", []):
        at = metric.get("Timestamp")
        seconds = (at - started).total_seconds() if isinstance(at, datetime) and isinstance(started, datetime) else 0.0
        points.append({"name": metric["MetricName"], "value": float(metric["Value"]), "step": None, "seconds": round(seconds, 3)})
    return points


def trial_metric_points(trials: list[dict[str, Any]]) -> list[dict[str, object]]:
    first = trials[0].get("CreationTime") if trials else None
    points: list[dict[str, object]] = []
    for step, trial in enumerate(trials):
        metric = trial.get("FinalHyperParameterTuningJobObjectiveMetric") or {}
        if "Value" not in metric:
            continue
        at = trial.get("TrainingEndTime") or trial.get("CreationTime")
        seconds = (at - first).total_seconds() if isinstance(at, datetime) and isinstance(first, datetime) else 0.0
        points.append({"name": metric["MetricName"], "value": float(metric["Value"]), "step": step, "seconds": round(seconds, 3)})
    return points
