"""The Endpoints page on the aws backend: moto runs SageMaker's control plane (model packages, models, endpoint
configs, endpoints), CloudWatch and CloudWatch Logs; refusals come from botocore's event hooks with AWS's codes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from services.endpoints.models import DeployRequest, Variant
from services.registry import build_services
from tests.helpers.aws import BUCKET, REGION, aws_settings
from tests.helpers.aws_endpoints import ROLE, register_model, sagemaker_backend
from tests.helpers.moto_gaps import answer_calls
from tests.helpers.pages import APP, open_page, texts

DEPLOY = "FormSubmitter:endpoints.deploy-Deploy"


@pytest.fixture
def home(mocked_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    settings = replace(aws_settings(tmp_path / "home"), sagemaker_role=ROLE)
    for name, value in {"WORKBENCH_BACKEND": "aws", "WORKBENCH_HOME": str(settings.home), "WORKBENCH_AWS_REGION": REGION,
                        "WORKBENCH_S3_BUCKET": BUCKET, "WORKBENCH_ATHENA_OUTPUT": f"s3://{BUCKET}/athena/",
                        "WORKBENCH_SAGEMAKER_ROLE": ROLE, "WORKBENCH_SEED_ON_START": "false"}.items():
        monkeypatch.setenv(name, value)
    return settings.home


def app_for() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=60)


def refuse(operation: str, code: str, message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every SageMaker client the app makes answers ``operation`` with ``code`` (AWS's error shape)."""
    import boto3

    original = boto3.Session.client

    def client(self: boto3.Session, service: str, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        made = original(self, service, *args, **kwargs)  # type: ignore[arg-type]
        if service == "sagemaker":
            from tests.helpers.aws_endpoints import fail_operation

            fail_operation(made, operation, code, message)
        return made

    monkeypatch.setattr(boto3.Session, "client", client)


def test_deploying_a_registered_model_shows_it_in_service(home: Path) -> None:
    register_model("scorer")
    app = open_page(app_for(), "endpoints")
    assert "No endpoints yet" in texts(app.info)
    app.text_input(key="endpoints.deploy.name").input("scorer-live")
    app.button(key=DEPLOY).click().run()
    for _ in range(3):  # the watching fragment sees InService and reruns the page
        if "endpoints.watching" not in app.session_state:
            break
        app.run()
    assert not app.exception, app.exception
    assert not texts(app.error), texts(app.error)
    assert "Endpoint **scorer-live** is in service." in texts(app.success)
    assert app.selectbox(key="endpoints.selected").value == "scorer-live"


def test_a_failed_endpoint_shows_sagemakers_reason(home: Path) -> None:
    build_services(replace(aws_settings(home), sagemaker_role=ROLE)).endpoints.deploy(
        DeployRequest("broken", (Variant("a", register_model("scorer")),), capture_percent=0))
    endpoint = sagemaker_backend().endpoints["broken"]
    endpoint.endpoint_status = "Failed"
    endpoint.failure_reason = "The primary container for production variant a did not pass the ping health check."
    app = open_page(app_for(), "endpoints")
    assert not app.exception, app.exception
    assert "did not pass the ping health check" in texts(app.error)


@pytest.mark.parametrize(("code", "message"), [
    ("AccessDeniedException", "User: arn:aws:iam::123456789012:user/analyst is not authorized to perform: sagemaker:CreateModel"),
    ("ThrottlingException", "Rate exceeded"),
])
def test_a_refused_deploy_is_a_clear_error_and_the_form_keeps_the_name(home: Path, monkeypatch: pytest.MonkeyPatch,
                                                                        code: str, message: str) -> None:
    register_model("scorer")
    refuse("CreateModel", code, message, monkeypatch)
    app = open_page(app_for(), "endpoints")
    app.text_input(key="endpoints.deploy.name").input("scorer-live")
    app.button(key=DEPLOY).click().run()
    assert not app.exception, app.exception
    assert message.split(": ")[-1] in texts(app.error)
    assert app.text_input(key="endpoints.deploy.name").value == "scorer-live"
    assert sagemaker_backend().endpoints == {}


def test_no_permission_to_list_endpoints_is_a_clear_error(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    refuse("ListEndpoints", "AccessDeniedException", "not authorized to perform: sagemaker:ListEndpoints", monkeypatch)
    app = open_page(app_for(), "endpoints")
    assert "not authorized to perform: sagemaker:ListEndpoints" in texts(app.error)


# -- updating to a new model version ---------------------------------------------------------------------------

UPDATE = "FormSubmitter:endpoints.update-Update"


def serving_live(home: Path) -> tuple[str, str]:
    """``live`` InService on one model package, another registered; returns (endpoint ARN, the other model)."""
    services = build_services(replace(aws_settings(home), sagemaker_role=ROLE))
    services.endpoints.deploy(DeployRequest("live", (Variant("AllTraffic", register_model("scorer")),), capture_percent=0))
    sagemaker_backend().endpoints["live"].endpoint_status = "InService"
    return sagemaker_backend().endpoints["live"].arn, register_model("scorer-next")


def test_an_update_from_the_page_sends_update_endpoint_with_the_deployment_config(home: Path,
                                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    arn, new = serving_live(home)
    calls = answer_calls(monkeypatch, "sagemaker", "UpdateEndpoint", lambda params: {"EndpointArn": arn})
    app = open_page(app_for(), "endpoints")
    app.selectbox(key="endpoints.update.model").set_value(new)
    app.radio(key="endpoints.update.strategy").set_value("canary")
    app.number_input(key="endpoints.update.percent").set_value(20)
    app.number_input(key="endpoints.update.wait").set_value(600)
    app.button(key=UPDATE).click().run()
    assert not app.exception and not texts(app.error), texts(app.error)
    [call] = calls
    assert call["EndpointName"] == "live"
    assert call["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"] == {
        "Type": "CANARY", "WaitIntervalInSeconds": 600, "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 20}}
    assert call["DeploymentConfig"]["AutoRollbackConfiguration"] == {"Alarms": [{"AlarmName": "live-error-rate"}]}


def test_a_rollback_sagemaker_reports_is_shown_with_its_reason(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    arn, _ = serving_live(home)
    when = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    described = sagemaker_backend().endpoints["live"]
    answer_calls(monkeypatch, "sagemaker", "DescribeEndpoint", lambda params: {
        "EndpointName": "live", "EndpointArn": arn, "EndpointConfigName": described.endpoint_config_name,
        "EndpointStatus": "InService", "CreationTime": when, "LastModifiedTime": when,
        "FailureReason": "CloudWatch alarm live-error-rate went into ALARM",
        "LastDeploymentConfig": {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {
            "Type": "CANARY", "WaitIntervalInSeconds": 600, "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10}}},
            "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "live-error-rate"}]}}})
    app = open_page(app_for(), "endpoints")
    assert not app.exception, app.exception
    assert "Rolled back — CloudWatch alarm live-error-rate went into ALARM" in texts(app.error)
    assert len(app.get("plotly_chart")) == 1
