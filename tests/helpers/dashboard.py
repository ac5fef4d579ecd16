"""Model registry entries for the model dashboard's tests: a tiny real model (a script's LinearSVC) registered under
several groups and versions through the local registry, as a training job registers it; on the aws backend, model
packages in moto and Model Monitor's answers (moto has no Model Monitor) in SageMaker's documented shapes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from services.aws.model_packages import metadata_properties
from services.models import ModelRecord
from services.registry import Services
from tests.helpers.aws import REGION
from tests.helpers.aws_endpoints import register_model
from tests.helpers.models import register_svc
from tests.helpers.moto_gaps import answer_calls


def register_versions(services: Services, folder: Path, versions: dict[str, int],
                      metrics: dict[str, float] | None = None) -> list[ModelRecord]:
    """``versions`` (group → count) registered in that order, each a copy of one real LinearSVC with ``metrics``."""
    first = services.training.get_model(register_svc(services, folder / "svc"))
    records = [first]
    for group, count in versions.items():
        for _ in range(count):
            draft = replace(first, name=group, metrics=dict(metrics or {}))
            records.append(services.stack.models.register(draft, folder / "svc"))
    return records


# -- Model Monitor on the aws backend (moto has none): answers in SageMaker's documented shapes -----------------------

SCHEDULED = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)


def schedule_summary(endpoint: str, status: str = "Scheduled") -> dict[str, Any]:
    """A ``MonitoringScheduleSummary`` of ``ListMonitoringSchedules``."""
    name = f"{endpoint}-data-quality"
    return {"MonitoringScheduleName": name, "MonitoringScheduleArn": f"arn:aws:sagemaker:us-east-1:123456789012:monitoring-schedule/{name}",
            "CreationTime": SCHEDULED, "LastModifiedTime": SCHEDULED, "MonitoringScheduleStatus": status,
            "EndpointName": endpoint, "MonitoringType": "DataQuality"}


def execution_summary(endpoint: str, status: str, failure: str = "") -> dict[str, Any]:
    """A ``MonitoringExecutionSummary`` of ``ListMonitoringExecutions``."""
    summary = {"MonitoringScheduleName": f"{endpoint}-data-quality", "ScheduledTime": SCHEDULED, "CreationTime": SCHEDULED,
               "LastModifiedTime": SCHEDULED, "MonitoringExecutionStatus": status, "EndpointName": endpoint,
               "MonitoringType": "DataQuality",
               "ProcessingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:processing-job/{endpoint}-monitor"}
    return summary | ({"FailureReason": failure} if failure else {})


def answer_monitors(monkeypatch: pytest.MonkeyPatch, schedules: list[dict[str, Any]],
                    executions: dict[str, dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Model Monitor as SageMaker answers it: ``schedules`` listed, each endpoint's latest execution from
    ``executions``; returns the parameters of the two kinds of calls made."""
    listed = answer_calls(monkeypatch, "sagemaker", "ListMonitoringSchedules", lambda _: {"MonitoringScheduleSummaries": schedules})
    asked = answer_calls(monkeypatch, "sagemaker", "ListMonitoringExecutions", lambda params: {
        "MonitoringExecutionSummaries": [executions[params["EndpointName"]]] if params["EndpointName"] in executions else []})
    return listed, asked


def register_aws_versions(group: str, count: int, metrics: dict[str, float]) -> list[str]:
    """``count`` versions of a model package group as the training adapter registers them (first through
    ``register_model``), with ``metrics``; returns their ModelPackageArns, oldest first."""
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    register_model(group)
    first = sagemaker.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"][0]["ModelPackageArn"]
    package = sagemaker.describe_model_package(ModelPackageName=first)
    metadata = package["CustomerMetadataProperties"] | metadata_properties({"metrics": metrics})
    sagemaker.update_model_package(ModelPackageArn=first, CustomerMetadataProperties=metadata)
    arns = [first]
    for _ in range(count - 1):
        arns.append(sagemaker.create_model_package(ModelPackageGroupName=group, CustomerMetadataProperties=metadata,
                                                   InferenceSpecification=package["InferenceSpecification"])["ModelPackageArn"])
    return arns
