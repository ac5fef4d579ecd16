"""The Monitoring page on the aws backend: an endpoint, job definitions and processing jobs in moto; the monitoring-
schedule calls moto lacks answered in botocore's output shapes (tests/helpers/aws_monitoring.py ``ScheduleBook``);
an execution's report is Model Monitor's three files in (moto) S3 under its processing job's output."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from tests.helpers.aws import BUCKET, REGION, aws_settings
from tests.helpers.aws_endpoints import ROLE
from tests.helpers.aws_monitoring import (
    ScheduleBook,
    data_quality_files,
    monitored_endpoint,
    put_capture,
    put_execution_report,
    review_requests,
)
from tests.helpers.monitoring_pages import tile_statuses
from tests.helpers.pages import APP, frame_with, open_page, texts

FORM = f"{keys.MONITORING_SCHEDULE}.form"


@pytest.fixture
def book(mocked_aws: None, monkeypatch: pytest.MonkeyPatch) -> ScheduleBook:
    return ScheduleBook().install(monkeypatch)


@pytest.fixture
def aws_page(book: ScheduleBook, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    """The Monitoring page on endpoint ``live`` (capturing, twelve captured review requests in S3)."""
    monitored_endpoint("live")
    put_capture("live", review_requests(12))
    settings = aws_settings(tmp_path / "home")
    for name, value in {"WORKBENCH_BACKEND": "aws", "WORKBENCH_HOME": str(settings.home), "WORKBENCH_AWS_REGION": REGION,
                        "WORKBENCH_S3_BUCKET": BUCKET, "WORKBENCH_ATHENA_OUTPUT": f"s3://{BUCKET}/athena/",
                        "WORKBENCH_SAGEMAKER_ROLE": ROLE, "WORKBENCH_SEED_ON_START": "false",
                        "AWS_MAX_ATTEMPTS": "1"}.items():
        monkeypatch.setenv(name, value)
    app = open_page(AppTest.from_file(str(APP), default_timeout=60), "monitoring")
    assert app.selectbox(key=keys.MONITORING_ENDPOINT).value == "live"
    yield app


def click(app: AppTest, key: str) -> AppTest:
    app.button(key=key).click().run()
    assert not app.exception, app.exception
    return app


def test_a_schedule_created_on_the_page_shows_its_executions_report_with_model_monitors_files(
        aws_page: AppTest, book: ScheduleBook) -> None:
    assert tile_statuses(aws_page) == ["Not scheduled"] * 4
    aws_page.selectbox(key=f"{keys.MONITORING_SCHEDULE}.type").set_value("data-quality")
    aws_page.radio(key=f"{keys.MONITORING_SCHEDULE}.every").set_value("hourly")
    click(aws_page, f"FormSubmitter:{FORM}-Create schedule")
    assert "Schedule created: live-data-quality runs hourly" in texts(aws_page.success)
    sent = book.calls_of("CreateMonitoringSchedule")[0]["MonitoringScheduleConfig"]
    assert (sent["MonitoringType"], sent["ScheduleConfig"]) == ("DataQuality", {"ScheduleExpression": "cron(0 * ? * * *)"})
    assert tile_statuses(aws_page)[0] == "No report yet"

    book.add_execution("live-data-quality", "CompletedWithViolations", put_execution_report("dq-1000", data_quality_files()))
    aws_page.run()
    assert tile_statuses(aws_page)[0] == "Violations"
    assert "Baseline drift distance: 0.41 exceeds threshold: 0.1" in texts(aws_page.warning)
    assert frame_with(aws_page, "present").set_index("feature").loc["age", "mean"] == 52.1  # statistics.json's features
    assert [b.label for b in aws_page.get("download_button")] == [
        "statistics.json", "constraints.json", "constraint_violations.json"]
    listed = frame_with(aws_page, "schedule").set_index("schedule").loc["live-data-quality"]
    assert list(listed["last execution"]) == ["CompletedWithViolations"] and listed["every"] == "hourly"
    aws_page.selectbox(key=f"{keys.MONITORING_SCHEDULE}.pick").set_value("live-data-quality").run()
    execution = frame_with(aws_page, "scheduled for").iloc[0]
    assert list(execution["status"]) == ["CompletedWithViolations"]
    assert execution["report"] == f"s3://{BUCKET}/monitoring/reports/dq-1000"


def test_run_now_without_a_schedule_and_access_denied_are_errors_with_the_inputs_kept(aws_page: AppTest,
                                                                                     book: ScheduleBook) -> None:
    click(aws_page, f"{keys.MONITORING_TILES}.model-quality.run")
    assert "on schedules only" in texts(aws_page.error) and "Create a model-quality schedule" in texts(aws_page.error)
    assert aws_page.selectbox(key=keys.MONITORING_ENDPOINT).value == "live"
    aws_page.text_input(key=f"{keys.MONITORING_SCHEDULE}.name").input("live-nightly")
    book.fail("CreateMonitoringSchedule", "AccessDeniedException",
              "User is not authorized to perform: sagemaker:CreateMonitoringSchedule")
    click(aws_page, f"FormSubmitter:{FORM}-Create schedule")
    assert "not authorized to perform: sagemaker:CreateMonitoringSchedule" in texts(aws_page.error)
    assert aws_page.text_input(key=f"{keys.MONITORING_SCHEDULE}.name").value == "live-nightly"
    book.fail("ListMonitoringSchedules", "AccessDeniedException",
              "User is not authorized to perform: sagemaker:ListMonitoringSchedules")
    aws_page.run()
    assert not aws_page.exception, aws_page.exception
    assert "not authorized to perform: sagemaker:ListMonitoringSchedules" in texts(aws_page.error)
