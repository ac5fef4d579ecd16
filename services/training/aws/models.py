"""The SageMaker Model Registry as the training port's models: versioned model packages, their approval."""

from __future__ import annotations

from collections.abc import Callable

from services.aws.errors import translated
from services.aws.model_packages import model_from_package
from services.aws.sagemaker import SageMakerClients
from services.errors import InvalidInput
from services.models import ModelRecord

APPROVAL_STATUSES = ("PendingManualApproval", "Approved", "Rejected")


class ModelPackages(SageMakerClients):
    """Listing, reading and approving model package versions."""

    on_approved: Callable[[ModelRecord], object] | None = None  # set by AwsTraining

    def list_models(self) -> list[ModelRecord]:
        """Every versioned model package in the region, newest first (one DescribeModelPackage each)."""
        pages = self._sagemaker.get_paginator("list_model_packages").paginate(
            ModelPackageType="Versioned", SortBy="CreationTime", SortOrder="Descending")
        arns = [s["ModelPackageArn"] for page in pages for s in page.get("ModelPackageSummaryList", [])]
        return [model_from_package(self._call("describe_model_package", ModelPackageName=arn)) for arn in arns]

    @translated
    def get_model(self, model_id: str) -> ModelRecord:
        """One model package version, by ``group/version`` or ARN."""
        return model_from_package(self._package(model_id))

    @translated
    def set_model_approval(self, model_id: str, status: str) -> ModelRecord:
        """``UpdateModelPackage`` with the new ``ModelApprovalStatus``."""
        if status not in APPROVAL_STATUSES:
            raise InvalidInput(f"{status!r} is not an approval status.", hint=f"Use one of {', '.join(APPROVAL_STATUSES)}.")
        arn = self._package_arn(model_id)
        self._call("update_model_package", ModelPackageArn=arn, ModelApprovalStatus=status)
        record = self.get_model(arn)
        if self.on_approved is not None:
            self.on_approved(record)
        return record
