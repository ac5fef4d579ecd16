"""What every SageMaker-backed adapter shares: lazily made clients, "no such resource" as
``NotFound``, the Model Registry lookups (``group/version`` → package → SageMaker model), job
names, timestamps, and the hints for a missing bucket or role.

Imported only by aws adapters (training, bias, explain, endpoints).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import boto3
from botocore.exceptions import ClientError

from services.errors import InvalidInput, NotFound
from services.names import check_job_name

BUCKET_HINT = "Set WORKBENCH_S3_BUCKET to a bucket SageMaker may read and write, e.g. my-team-workbench-lake."
ROLE_HINT = ("Set WORKBENCH_SAGEMAKER_ROLE to the ARN of an IAM role SageMaker can assume "
             "(e.g. arn:aws:iam::123456789012:role/workbench-sagemaker) that reads and writes the bucket.")


def job_name(requested: str, kind: str, now: datetime | None = None) -> str:
    """The requested name as it is (``InvalidInput`` when SageMaker would refuse it, the same rule as the
    local backend's), else ``{kind}-{yymmdd-hhmmss}-{hex4}``."""
    if requested:
        return check_job_name(kind, requested)
    stamp = (now or datetime.now(UTC)).strftime("%y%m%d-%H%M%S")
    return check_job_name(kind, f"{kind}-{stamp}-{uuid.uuid4().hex[:4]}")


def iso(value: Any) -> str:
    """A SageMaker timestamp as ISO 8601 in UTC; ``""`` when absent."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds")
    return "" if value is None else str(value)


def parse_model_id(model_id: str) -> tuple[str, int]:
    group, _, version = model_id.rpartition("/")
    if not group or not version.isdigit():
        raise InvalidInput(f"{model_id!r} is not a model id.", hint="Model ids are GROUP/VERSION (or a model package ARN).")
    return group, int(version)


def model_id_of(package: dict[str, Any]) -> str:
    group = package.get("ModelPackageGroupName") or package.get("ModelPackageName", "")
    return f"{group}/{package.get('ModelPackageVersion') or 1}"


def sagemaker_model_name(package: dict[str, Any]) -> str:
    group, version = model_id_of(package).split("/")
    return f"{group[:55].rstrip('-')}-v{version}"


def is_missing(exc: ClientError) -> bool:
    """SageMaker answers some look-ups of missing things with ValidationException."""
    code = error_code(exc)
    message = str(exc.response.get("Error", {}).get("Message", ""))
    if code in ("ResourceNotFound", "ResourceNotFoundException"):
        return True
    return code == "ValidationException" and bool(re.search(r"not found|could not find|does not exist", message, re.I))


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class SageMakerClients:
    """Mixed into an adapter that sets ``self.session`` (a boto3 session)."""

    session: boto3.Session

    @cached_property
    def _sagemaker(self) -> Any:
        return self.session.client("sagemaker")

    @cached_property
    def _s3(self) -> Any:
        return self.session.client("s3")

    @cached_property
    def _logs(self) -> Any:
        return self.session.client("logs")

    @property
    def region(self) -> str:
        return str(self.session.region_name)

    def _call(self, operation: str, **parameters: Any) -> Any:
        """A SageMaker call whose "no such resource" answers (some are ValidationExceptions) become ``NotFound``."""
        try:
            return getattr(self._sagemaker, operation)(**parameters)
        except ClientError as exc:
            if is_missing(exc):
                name = next(iter(parameters.values()), "")
                raise NotFound(f"SageMaker has no {name!r} in {self.region}.", hint="Pick one from the list.") from exc
            raise

    def _package_arn(self, model_id: str) -> str:
        """The ARN of ``group/version`` (versioned packages are described by ARN only)."""
        if model_id.startswith("arn:"):
            return model_id
        group, version = parse_model_id(model_id)
        pages = self._sagemaker.get_paginator("list_model_packages").paginate(ModelPackageGroupName=group)
        for page in pages:
            for summary in page.get("ModelPackageSummaryList", []):
                if int(summary.get("ModelPackageVersion") or 0) == version:
                    return str(summary["ModelPackageArn"])
        raise NotFound(f"No model {model_id!r} in the SageMaker Model Registry.", hint="Pick one from the models list (group/version).")

    def _package(self, model_id: str) -> dict[str, Any]:
        """The model package behind ``group/version`` (or an ARN); ``NotFound`` when missing."""
        return self._call("describe_model_package", ModelPackageName=self._package_arn(model_id))  # type: ignore[no-any-return]

    def _ensure_model(self, package: dict[str, Any], role: str) -> str:
        """A SageMaker model for the package's containers (reused when it exists)."""
        name = sagemaker_model_name(package)
        try:
            self._call("describe_model", ModelName=name)
        except NotFound:
            containers = [{k: c[k] for k in ("Image", "ModelDataUrl", "Environment") if c.get(k)}
                          for c in package["InferenceSpecification"]["Containers"]]
            self._sagemaker.create_model(ModelName=name, Containers=containers, ExecutionRoleArn=role)
        return name
