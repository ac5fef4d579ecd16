"""The Model dashboard page on the aws backend: model packages, models, endpoint configs and endpoints in moto; Model
Monitor (which moto lacks) answered through botocore's hooks in SageMaker's documented shapes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import boto3
import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from services.config import Settings
from services.endpoints.models import DeployRequest, Variant
from services.registry import Services, build_services
from tests.helpers.aws import BUCKET, REGION, aws_settings
from tests.helpers.aws_endpoints import ROLE
from tests.helpers.dashboard import answer_monitors, execution_summary, register_aws_versions, schedule_summary
from tests.helpers.moto_gaps import fail_calls
from tests.helpers.pages import APP, frame_with, open_page, texts

METRICS = {"validation:f1_macro": 0.77}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return replace(aws_settings(tmp_path / "home"), sagemaker_role=ROLE)


@pytest.fixture
def services(mocked_aws: None, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Services:
    for name, value in {"WORKBENCH_BACKEND": "aws", "WORKBENCH_HOME": str(settings.home), "WORKBENCH_AWS_REGION": REGION,
                        "WORKBENCH_S3_BUCKET": BUCKET, "WORKBENCH_ATHENA_OUTPUT": f"s3://{BUCKET}/athena/",
                        "WORKBENCH_SAGEMAKER_ROLE": ROLE, "WORKBENCH_SEED_ON_START": "false"}.items():
        monkeypatch.setenv(name, value)
    return build_services(settings)


@pytest.fixture
def arns(services: Services) -> dict[str, list[str]]:
    """``sentiment`` (2 versions, v1 Approved) on endpoint ``live``; ``churn`` on ``bare``; ``spare`` not deployed."""
    found = {group: register_aws_versions(group, count, METRICS) for group, count in (("sentiment", 2), ("churn", 1), ("spare", 1))}
    services.training.set_model_approval("sentiment/1", "Approved")
    services.endpoints.deploy(DeployRequest("live", (Variant("AllTraffic", "sentiment/2"),), capture_percent=0))
    services.endpoints.deploy(DeployRequest("bare", (Variant("AllTraffic", "churn/1"),), capture_percent=0))
    return found


def app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=60)


def test_rows_show_sagemakers_packages_endpoints_and_model_monitor(arns: dict[str, list[str]],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    listed, asked = answer_monitors(monkeypatch, [schedule_summary("live")],
                                    {"live": execution_summary("live", "CompletedWithViolations")})
    page = app().run()
    listed.clear()  # Home's overview counts the schedules once; what follows is the dashboard's own asking
    asked.clear()
    page.switch_page("pages/model_dashboard.py").run()
    assert not page.exception, page.exception
    table = frame_with(page, "versions by status").set_index("group")
    assert set(table.index) == {"sentiment", "churn", "spare"}
    sentiment, churn, spare = table.loc["sentiment"], table.loc["churn"], table.loc["spare"]
    assert (sentiment["latest"], sentiment["versions by status"], sentiment["value"]) == (
        2, "PendingManualApproval 1 · Approved 1", 0.77)
    assert (sentiment["endpoints"], list(sentiment["drift"]), bool(sentiment["no monitor"])) == ("live", ["Violations"], False)
    assert (churn["endpoints"], list(churn["drift"]), bool(churn["no monitor"])) == ("bare", ["No report yet"], True)
    assert (spare["endpoints"], bool(spare["no monitor"])) == ("—", False)
    assert len(listed) == 1 and [a["EndpointName"] for a in asked] == ["live"]  # only monitored endpoints are asked
    assert asked[0] | {"EndpointName": "live"} == {"EndpointName": "live", "SortBy": "ScheduledTime",
                                                   "SortOrder": "Descending", "MaxResults": 1}
    page.selectbox(key=keys.MODEL_DASHBOARD_GROUP).select("sentiment").run()
    assert list(frame_with(page, "ModelPackageArn")["ModelPackageArn"]) == arns["sentiment"][::-1]
    serving = frame_with(page, "latest drift report")
    assert list(serving["latest drift report"]) == ["Violations"] and "constraint_violations.json" in serving["detail"][0]


def test_approving_a_version_updates_the_model_package(arns: dict[str, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    answer_monitors(monkeypatch, [], {})
    page = open_page(app(), "model_dashboard")
    page.selectbox(key=keys.MODEL_DASHBOARD_GROUP).select("sentiment").run()
    detail = f"{keys.MODEL_DASHBOARD_DETAIL}.sentiment"
    page.selectbox(key=f"{detail}.version").select("sentiment/2").run()
    page.button(key=f"{detail}.approve").click().run()
    assert not page.exception and not texts(page.error), texts(page.error)
    package = boto3.client("sagemaker", region_name=REGION).describe_model_package(ModelPackageName=arns["sentiment"][1])
    assert package["ModelApprovalStatus"] == "Approved"
    assert list(frame_with(page, "versions by status").set_index("group").loc["sentiment", "approval"]) == ["Approved"]


def test_a_failed_monitor_shows_its_reason_and_a_stopped_schedule_is_no_monitor(arns: dict[str, list[str]],
                                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    answer_monitors(monkeypatch, [schedule_summary("live", "Stopped")],
                    {"live": execution_summary("live", "Failed", "Job inputs had no data")})
    page = open_page(app(), "model_dashboard")
    sentiment = frame_with(page, "versions by status").set_index("group").loc["sentiment"]
    assert (list(sentiment["drift"]), bool(sentiment["no monitor"])) == (["Failed"], True)
    page.selectbox(key=keys.MODEL_DASHBOARD_GROUP).select("sentiment").run()
    assert list(frame_with(page, "latest drift report")["detail"]) == ["Job inputs had no data"]


def test_no_permission_to_list_monitors_is_an_error_with_a_hint(arns: dict[str, list[str]],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    fail_calls(monkeypatch, "sagemaker", "ListMonitoringSchedules", "AccessDeniedException",
               "User is not authorized to perform: sagemaker:ListMonitoringSchedules")
    page = open_page(app(), "model_dashboard")
    assert "ListMonitoringSchedules" in texts(page.error)
