"""Model steps (CreateModel: PrimaryContainer Image + ModelDataUrl): the artifact is registered in the local model
registry (a ``container`` job of contract "register", named after the pipeline) so that later Transform and
endpoint steps can use it by ``ModelName``; properties in DescribeModel's shape."""

from __future__ import annotations

from typing import Any

from services.embedded.model_registry import model_name
from services.errors import InvalidInput, NotFound
from services.pipelines import containers
from services.pipelines.steps.base import StepOutcome, StepRun
from services.pipelines.steps.deps import StepDeps
from services.pipelines.steps.images import repository
from services.pipelines.steps.jobs import finished_job, start_container

HINT = "Fix the Model step's arguments (the CreateModel request shape)."


def primary_container(step: str, arguments: dict[str, Any]) -> dict[str, Any]:
    container = arguments.get("PrimaryContainer")
    if not isinstance(container, dict):
        many = arguments.get("Containers") or []
        if len(many) != 1 or not isinstance(many[0], dict):
            raise InvalidInput(f"Step {step!r}: give one PrimaryContainer (serial inference pipelines do not run "
                               "locally).", hint=HINT)
        container = many[0]
    url = container.get("ModelDataUrl")
    if not url:
        raise InvalidInput(f"Step {step!r}: PrimaryContainer.ModelDataUrl is missing.", hint=HINT)
    if containers.concrete(url) and not str(url).startswith("s3://"):
        raise InvalidInput(f"Step {step!r}: ModelDataUrl {url!r} is not an s3:// URI.", hint=HINT)
    image = container.get("Image")
    if containers.concrete(image) and image and not repository(str(image)):
        raise InvalidInput(f"Step {step!r}: image {image!r} is not a SageMaker image URI.", hint=HINT)
    return container


def model_id_of(deps: StepDeps, model: str) -> str:
    """The registry model a Model step created, by the ModelName it reported (the step's job name)."""
    job = deps.stack.runner.jobs.find(model)
    if job is None or job.status != "Completed" or not job.result.get("model_id"):
        raise NotFound(f"No model named {model!r} was created by a pipeline here.",
                       hint="Refer to a Model step's ModelName, e.g. {\"Get\": \"Steps.CreateModel.ModelName\"}.")
    return str(job.result["model_id"])


class ModelExecutor:
    def __init__(self, deps: StepDeps) -> None:
        self.deps = deps

    def validate(self, step_name: str, arguments: dict[str, Any]) -> None:
        primary_container(step_name, arguments)

    def start(self, run: StepRun) -> str:
        container = primary_container(run.step_name, run.arguments)
        spec = {"name": model_name(f"{run.pipeline_name}-{run.step_name}"), "model_data_url": str(container["ModelDataUrl"]),
                "approval_status": "PendingManualApproval"}
        return start_container(self.deps, run, "register", "", sandboxed=False, extra={"register": spec})

    def outcome(self, run: StepRun) -> StepOutcome:
        job = finished_job(self.deps, run)
        arn = containers.job_arn("model", job.name)
        properties = {"ModelName": job.name, "ModelArn": arn, "PrimaryContainer": primary_container(run.step_name, run.arguments),
                      "ExecutionRoleArn": run.arguments.get("ExecutionRoleArn", ""), "CreationTime": job.ended_at}
        return StepOutcome(properties, {"Model": {"Arn": arn}})
