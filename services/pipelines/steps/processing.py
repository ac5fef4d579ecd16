"""Processing steps: CreateProcessingJob run as a ``container`` job; properties in DescribeProcessingJob's shape."""

from __future__ import annotations

from typing import Any

from services.embedded.sandbox import require_sandbox
from services.pipelines import containers
from services.pipelines.steps.base import StepOutcome, StepRun
from services.pipelines.steps.deps import StepDeps
from services.pipelines.steps.jobs import finished_job, start_container, times

REQUEST_FIELDS = ("ProcessingInputs", "ProcessingOutputConfig", "ProcessingResources", "StoppingCondition",
                  "AppSpecification", "Environment", "NetworkConfig", "RoleArn", "ExperimentConfig")


class ProcessingExecutor:
    def __init__(self, deps: StepDeps) -> None:
        self.deps = deps

    def validate(self, step_name: str, arguments: dict[str, Any]) -> None:
        containers.check_processing(step_name, arguments)
        require_sandbox()  # refused at upsert where a step cannot get its own /opt/ml

    def start(self, run: StepRun) -> str:
        containers.check_processing(run.step_name, run.arguments)
        return start_container(self.deps, run, "processing", containers.job_arn("processing-job", run.job_name))

    def outcome(self, run: StepRun) -> StepOutcome:
        job = finished_job(self.deps, run)
        arn = containers.job_arn("processing-job", job.name)
        properties: dict[str, Any] = {key: run.arguments[key] for key in REQUEST_FIELDS if key in run.arguments}
        properties |= {"ProcessingJobName": job.name, "ProcessingJobArn": arn, "ProcessingJobStatus": "Completed",
                       "ExitMessage": "", "ProcessingStartTime": job.started_at, "ProcessingEndTime": job.ended_at,
                       **times(job)}
        properties.setdefault("ProcessingOutputConfig", {"Outputs": []})
        return StepOutcome(properties, {"ProcessingJob": {"Arn": arn}})
