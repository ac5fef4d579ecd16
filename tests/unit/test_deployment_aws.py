"""Safe deployment on SageMaker, offline: moto holds the control plane (model packages, models, endpoint configs,
endpoints, tags); UpdateEndpoint, which moto does not implement, is answered through botocore's event hooks with
the documented output shape, and its request is checked as sent: a new endpoint config with the new model, the
DeploymentConfig exactly as given. DescribeEndpoint's update fields become the history."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from services.config import Settings
from services.endpoints.models import AlarmRule, DeployRequest, Variant
from services.errors import InvalidInput, NotFound
from services.registry import Services, build_services
from tests.helpers.aws import REGION, aws_settings, create_lake_bucket, fake_aws_credentials
from tests.helpers.aws_endpoints import ROLE, register_model, sagemaker_backend
from tests.helpers.deployment import canary
from tests.helpers.moto_gaps import answer_calls

NAME = "live"


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Services]:
    settings: Settings = replace(aws_settings(tmp_path / "workspace"), sagemaker_role=ROLE, inference_instance_type="ml.c5.xlarge")
    fake_aws_credentials(monkeypatch, tmp_path)
    with mock_aws():
        create_lake_bucket()
        yield build_services(settings)


def serving(services: Services) -> tuple[str, str]:
    """An InService endpoint on version 1 of a group; returns (version 1, version 2)."""
    old = register_model("sentiment")
    new = register_model("sentiment-next")
    services.endpoints.deploy(DeployRequest(NAME, (Variant("AllTraffic", old),), capture_percent=0))
    sagemaker_backend().endpoints[NAME].endpoint_status = "InService"
    return old, new


def test_update_creates_a_config_and_sends_the_deployment_config_as_given(services: Services,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _, new = serving(services)
    live = boto3.client("sagemaker", region_name=REGION).describe_endpoint(EndpointName=NAME)
    arn = live["EndpointArn"]
    calls = answer_calls(monkeypatch, "sagemaker", "UpdateEndpoint", lambda params: {"EndpointArn": arn},
                         clients=[services.endpoints._sagemaker])  # type: ignore[attr-defined]
    config = canary(10, wait=300, termination=600, alarms=("errors",))
    services.endpoints.update_endpoint(NAME, (Variant("AllTraffic", new),), config, (AlarmRule("errors", "ErrorRate", 5),))
    [call] = calls
    assert call["EndpointName"] == NAME
    assert call["EndpointConfigName"] != live["EndpointConfigName"]  # even within the second of the deploy
    assert call["DeploymentConfig"] == {"BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {"Type": "CANARY", "WaitIntervalInSeconds": 300,
                                        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10}},
        "TerminationWaitInSeconds": 600}, "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "errors"}]}}
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    created = sagemaker.describe_endpoint_config(EndpointConfigName=call["EndpointConfigName"])
    [variant] = created["ProductionVariants"]
    model = sagemaker.describe_model(ModelName=variant["ModelName"])
    containers = model.get("Containers") or [model["PrimaryContainer"]]
    assert variant["VariantName"] == "AllTraffic" and "sentiment-next" in containers[0]["ModelDataUrl"]
    tags = {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=arn)["Tags"]}
    assert tags["workbench:model:AllTraffic"] == new


def test_a_failed_update_removes_the_config_and_models_it_made(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    _, new = serving(services)
    from tests.helpers.moto_gaps import fail_calls

    configs_before = set(sagemaker_backend().endpoint_configs)
    fail_calls(monkeypatch, "sagemaker", "UpdateEndpoint", "ValidationException", "Cannot update in-progress endpoint",
               clients=[services.endpoints._sagemaker])  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput, match="in-progress"):
        services.endpoints.update_endpoint(NAME, (Variant("AllTraffic", new),), canary(10))
    assert set(sagemaker_backend().endpoint_configs) == configs_before


def test_an_endpoint_not_in_service_or_unknown_is_refused_before_anything_is_created(services: Services) -> None:
    _, new = serving(services)
    sagemaker_backend().endpoints[NAME].endpoint_status = "Updating"
    with pytest.raises(InvalidInput, match="only an endpoint in service"):
        services.endpoints.update_endpoint(NAME, (Variant("AllTraffic", new),))
    with pytest.raises(NotFound):
        services.endpoints.update_endpoint("nowhere", (Variant("AllTraffic", new),))
    with pytest.raises(NotFound):
        services.endpoints.deployment_history("nowhere")


def test_history_comes_from_describe_endpoint(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    serving(services)
    assert services.endpoints.deployment_history(NAME) == []
    when = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

    def described(params: dict[str, Any]) -> dict[str, Any]:
        return {"EndpointName": NAME, "EndpointArn": f"arn:aws:sagemaker:{REGION}:123456789012:endpoint/{NAME}",
                "EndpointStatus": "InService", "CreationTime": when, "LastModifiedTime": when,
                "FailureReason": "Alarm errors went into ALARM state",
                "LastDeploymentConfig": {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE",
                                                                                                   "WaitIntervalInSeconds": 60}}}}

    answer_calls(monkeypatch, "sagemaker", "DescribeEndpoint", described,
                 clients=[services.endpoints._sagemaker])  # type: ignore[attr-defined]
    [event] = services.endpoints.deployment_history(NAME)
    assert (event.phase, event.traffic_share, event.reason) == ("RolledBack", 0.0, "rolled back: Alarm errors went into ALARM state")
