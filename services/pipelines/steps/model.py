"""Model steps (CreateModel): the model a later endpoint or Transform step uses by ``ModelName`` (the step's job
name here). ``PrimaryContainer.ModelDataUrl`` (a model.tar.gz) is registered in the local model registry by a
``container`` job of contract "register", named after the pipeline and step; ``PrimaryContainer.ModelPackageName``
(a model package ARN, e.g. a RegisterModel step's) uses that registered version as it is. Properties in
DescribeModel's shape; Metadata ``{"Model": {"Arn": …}}``."""

from __future__ import annotations

import re
from typing import Any

from services.embedded.metadata import utc_now
from services.embedded.model_registry import model_name
from services.errors import InvalidInput, NotFound
from services.pipelines import containers
from services.pipelines.steps.base import StepOutcome, StepRun
from services.pipelines.steps.deps import StepDeps
from services.pipelines.steps.jobs import finished_job, start_container
from services.pipelines.steps.resources import load_resource, save_resource
from services.processing.images import repository

HINT = "Fix the Model step's arguments (the CreateModel request shape)."
PACKAGE_ARN = re.compile(r"^arn:aws:sagemaker:[a-z0-9-]+:\d{12}:model-package/(?P<group>[^/]+)/(?P<version>\d+)$")


def primary_container(step: str, arguments: dict[str, Any]) -> dict[str, Any]:
    container = arguments.get("PrimaryContainer")
    if not isinstance(container, dict):
        many = arguments.get("Containers") or []
        if len(many) != 1 or not isinstance(many[0], dict):
            raise InvalidInput(f"Step {step!r}: give one PrimaryContainer (serial inference pipelines do not run "
                               "locally).", hint=HINT)
        container = many[0]
    url, package = container.get("ModelDataUrl"), container.get("ModelPackageName")
    if not url and not package:
        raise InvalidInput(f"Step {step!r}: PrimaryContainer needs a ModelDataUrl or a ModelPackageName.", hint=HINT)
    if url and containers.concrete(url) and not str(url).startswith("s3://"):
        raise InvalidInput(f"Step {step!r}: ModelDataUrl {url!r} is not an s3:// URI.", hint=HINT)
    if package and containers.concrete(package) and not PACKAGE_ARN.fullmatch(str(package)):
        raise InvalidInput(f"Step {step!r}: ModelPackageName {package!r} is not a versioned model package ARN.", hint=HINT)
    image = container.get("Image")
    if containers.concrete(image) and image and not repository(str(image)):
        raise InvalidInput(f"Step {step!r}: image {image!r} is not a SageMaker image URI.", hint=HINT)
    return container


def model_id_of(deps: StepDeps, model: str) -> str:
    """The registry model a Model step created, by its ModelName."""
    return str(load_resource(deps.settings.home, "models", model)["model_id"])


class ModelExecutor:
    def __init__(self, deps: StepDeps) -> None:
        self.deps = deps

    def validate(self, step_name: str, arguments: dict[str, Any]) -> None:
        primary_container(step_name, arguments)

    def start(self, run: StepRun) -> str:
        container = primary_container(run.step_name, run.arguments)
        if container.get("ModelPackageName"):
            self._record(run.job_name, self._package_model(str(container["ModelPackageName"])))
            return ""
        spec = {"name": model_name(f"{run.pipeline_name}-{run.step_name}"), "model_data_url": str(container["ModelDataUrl"]),
                "approval_status": "PendingManualApproval"}
        return start_container(self.deps, run, "register", "", sandboxed=False, extra={"register": spec})

    def _package_model(self, arn: str) -> str:
        match = PACKAGE_ARN.fullmatch(arn)
        if match is None:
            raise InvalidInput(f"ModelPackageName {arn!r} is not a versioned model package ARN.", hint=HINT)
        record = self.deps.stack.models.get(f"{match['group']}/{match['version']}")
        return record.model_id

    def _record(self, name: str, model_id: str) -> None:
        save_resource(self.deps.settings.home, "models", name, {"model_id": model_id, "created": utc_now()})

    def outcome(self, run: StepRun) -> StepOutcome:
        container = primary_container(run.step_name, run.arguments)
        if not container.get("ModelPackageName"):
            job = finished_job(self.deps, run)
            if not job.result.get("model_id"):
                raise NotFound(f"Job {job.name} registered no model.", hint="See the step's logs.")
            self._record(run.job_name, str(job.result["model_id"]))
        arn = containers.job_arn("model", run.job_name)
        properties = {"ModelName": run.job_name, "ModelArn": arn, "PrimaryContainer": container,
                      "ExecutionRoleArn": run.arguments.get("ExecutionRoleArn", ""),
                      "CreationTime": load_resource(self.deps.settings.home, "models", run.job_name).get("created", "")}
        return StepOutcome(properties, {"Model": {"Arn": arn}})
