"""RegisterModel steps: what ``ModelStep(step_args=ModelBuilder(...).register(...))`` writes (CreateModelPackage:
ModelPackageGroupName, InferenceSpecification.Containers[0].ModelDataUrl, ModelApprovalStatus, ModelMetrics)
→ the local model registry, as a ``container`` job of contract "register" (the model is unpacked and described
in a worker, not in the orchestrator). Properties in DescribeModelPackage's shape; the step's Metadata is
``{"RegisterModel": {"Arn": …}}``."""

from __future__ import annotations

from typing import Any

from services.embedded.model_registry import APPROVAL_STATUSES, model_name
from services.errors import InvalidInput
from services.pipelines import containers
from services.pipelines.steps.base import StepOutcome, StepRun
from services.pipelines.steps.deps import StepDeps
from services.pipelines.steps.jobs import finished_job, start_container, times

HINT = "Fix the RegisterModel step's arguments (the CreateModelPackage request shape)."


def model_data_url(step: str, arguments: dict[str, Any]) -> Any:
    """InferenceSpecification.Containers[0].ModelDataUrl (possibly still a reference at upsert)."""
    containers_ = (arguments.get("InferenceSpecification") or {}).get("Containers") or []
    if not containers_ or not isinstance(containers_[0], dict) or not containers_[0].get("ModelDataUrl"):
        raise InvalidInput(f"Step {step!r}: InferenceSpecification.Containers[0].ModelDataUrl is missing.", hint=HINT)
    if len(containers_) > 1:
        raise InvalidInput(f"Step {step!r}: {len(containers_)} inference containers (a serial pipeline) do not "
                           "register locally; give one.", hint=HINT)
    return containers_[0]["ModelDataUrl"]


def statistics_uri(arguments: dict[str, Any]) -> str:
    """ModelMetrics.ModelQuality.Statistics.S3Uri (else ModelDataQuality's), where the evaluation JSON is."""
    metrics = arguments.get("ModelMetrics") or {}
    for section in ("ModelQuality", "ModelDataQuality"):
        uri = ((metrics.get(section) or {}).get("Statistics") or {}).get("S3Uri")
        if isinstance(uri, str) and uri.startswith("s3://"):
            return uri
    return ""


def check_register(step: str, arguments: dict[str, Any]) -> None:
    group = arguments.get("ModelPackageGroupName")
    if not group:
        raise InvalidInput(f"Step {step!r}: ModelPackageGroupName is missing (unversioned packages do not register "
                           "locally).", hint=HINT)
    if containers.concrete(group):
        model_name(str(group))
    url = model_data_url(step, arguments)
    if containers.concrete(url) and not str(url).startswith("s3://"):
        raise InvalidInput(f"Step {step!r}: ModelDataUrl {url!r} is not an s3:// URI.", hint=HINT)
    status = arguments.get("ModelApprovalStatus", "PendingManualApproval")
    if containers.concrete(status) and status not in APPROVAL_STATUSES:
        raise InvalidInput(f"Step {step!r}: ModelApprovalStatus {status!r} is not one of {', '.join(APPROVAL_STATUSES)}.",
                           hint=HINT)


def package_arn(group: str, version: int) -> str:
    return containers.job_arn("model-package", f"{group}/{version}")


class RegisterModelExecutor:
    def __init__(self, deps: StepDeps) -> None:
        self.deps = deps

    def validate(self, step_name: str, arguments: dict[str, Any]) -> None:
        check_register(step_name, arguments)

    def start(self, run: StepRun) -> str:
        check_register(run.step_name, run.arguments)
        spec = {"name": str(run.arguments["ModelPackageGroupName"]),
                "model_data_url": str(model_data_url(run.step_name, run.arguments)),
                "approval_status": str(run.arguments.get("ModelApprovalStatus", "PendingManualApproval")),
                "statistics_uri": statistics_uri(run.arguments)}
        return start_container(self.deps, run, "register", "", sandboxed=False, extra={"register": spec})

    def outcome(self, run: StepRun) -> StepOutcome:
        job = finished_job(self.deps, run)
        record = self.deps.stack.models.get(str(job.result["model_id"]))
        arn = package_arn(record.name, record.version)
        properties: dict[str, Any] = {key: value for key, value in run.arguments.items()
                                      if key in ("InferenceSpecification", "ModelMetrics", "CustomerMetadataProperties",
                                                 "ModelPackageDescription", "Domain", "Task")}
        properties |= {"ModelPackageGroupName": record.name, "ModelPackageVersion": record.version,
                       "ModelPackageName": f"{record.name}/{record.version}", "ModelPackageArn": arn,
                       "ModelApprovalStatus": record.approval_status, "ModelPackageStatus": "Completed", **times(job)}
        return StepOutcome(properties, {"RegisterModel": {"Arn": arn}})
