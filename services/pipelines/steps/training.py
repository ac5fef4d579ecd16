"""Training steps: CreateTrainingJob (sagemaker 3.x ModelTrainer or 2.x script mode on a framework image) run as a
``container`` job; properties in DescribeTrainingJob's shape (ModelArtifacts, FinalMetricDataList from the
MetricDefinitions regexes over the log)."""

from __future__ import annotations

from typing import Any

from services.embedded.model_registry import model_name
from services.embedded.sandbox import require_sandbox
from services.pipelines import containers
from services.pipelines.steps.base import StepOutcome, StepRun
from services.pipelines.steps.deps import StepDeps
from services.pipelines.steps.jobs import finished_job, start_container, times

REQUEST_FIELDS = ("AlgorithmSpecification", "HyperParameters", "InputDataConfig", "OutputDataConfig", "ResourceConfig",
                  "StoppingCondition", "RoleArn", "Environment", "CheckpointConfig", "VpcConfig", "ExperimentConfig")


class TrainingExecutor:
    def __init__(self, deps: StepDeps) -> None:
        self.deps = deps

    def validate(self, step_name: str, arguments: dict[str, Any]) -> None:
        image = containers.check_training(step_name, arguments)
        if image is None or image.kind != "builtin":
            require_sandbox()  # the user's code needs its own /opt/ml: refused at upsert where there is none

    def start(self, run: StepRun) -> str:
        image = containers.check_training(run.step_name, run.arguments)
        arn = containers.job_arn("training-job", run.job_name)
        if image is not None and image.kind == "builtin":  # the workbench's own algorithm: no user code, no sandbox
            name = model_name(f"{run.pipeline_name}-{run.step_name}")
            return start_container(self.deps, run, "builtin", arn, sandboxed=False, extra={"model_name": name})
        return start_container(self.deps, run, "training", arn)

    def outcome(self, run: StepRun) -> StepOutcome:
        job = finished_job(self.deps, run)
        arn = containers.job_arn("training-job", job.name)
        metrics = [{"MetricName": name, "Value": value, "Timestamp": job.ended_at} for name, value in sorted(job.metrics.items())]
        properties: dict[str, Any] = {key: run.arguments[key] for key in REQUEST_FIELDS if key in run.arguments}
        properties |= {"TrainingJobName": job.name, "TrainingJobArn": arn, "TrainingJobStatus": "Completed",
                       "SecondaryStatus": "Completed", "ModelArtifacts": {"S3ModelArtifacts": job.result.get("model_artifacts", "")},
                       "FinalMetricDataList": metrics, "TrainingStartTime": job.started_at, "TrainingEndTime": job.ended_at,
                       **times(job)}
        return StepOutcome(properties, {"TrainingJob": {"Arn": arn}})
