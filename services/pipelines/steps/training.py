"""Training steps: CreateTrainingJob (sagemaker 3.x ModelTrainer or 2.x script mode on a framework image) run as a
``container`` job; properties in DescribeTrainingJob's shape (ModelArtifacts, FinalMetricDataList from the
MetricDefinitions regexes over the log)."""

from __future__ import annotations

from typing import Any

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
        containers.check_training(step_name, arguments)

    def start(self, run: StepRun) -> str:
        containers.check_training(run.step_name, run.arguments)
        return start_container(self.deps, run, "training", containers.job_arn("training-job", run.job_name))

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
