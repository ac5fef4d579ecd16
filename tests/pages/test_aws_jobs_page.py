"""The Jobs page on the aws backend: SageMaker jobs in moto (training, tuning, AutoML V2 create/describe), with
the calls moto lacks (ListTrainingJobsForHyperParameterTuningJob, ListCandidatesForAutoMLJob) and the error
answers given through botocore's hooks in their documented shapes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from services.config import Settings
from services.errors import InvalidInput
from services.models import AutopilotRequest, DataSource, TrainingRequest, TuningRequest
from services.registry import Services, build_services
from tests.helpers.autopilot_aws import autopilot_description, put_autopilot_reports
from tests.helpers.aws import BUCKET, REGION, aws_settings
from tests.helpers.moto_gaps import answer_calls, fail_calls
from tests.helpers.pages import APP, frame_with, texts

ROLE = "arn:aws:iam::123456789012:role/workbench-sagemaker"
TABLE = DataSource(table="demo.reviews")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return replace(aws_settings(tmp_path / "home"), sagemaker_role=ROLE)


@pytest.fixture
def services(mocked_aws: None, settings: Settings, tmp_path: Path) -> Services:
    source = tmp_path / "reviews.csv"
    pd.DataFrame({"rating": [i % 5 + 1 for i in range(40)], "age": range(20, 60),
                  "division": [("General", "Petite")[i % 2] for i in range(40)]}).to_csv(source, index=False)
    built = build_services(settings)
    built.catalog.import_path(source, "demo", "reviews")
    return built


@pytest.fixture
def aws_app(services: Services, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    for name, value in {"WORKBENCH_BACKEND": "aws", "WORKBENCH_HOME": str(settings.home), "WORKBENCH_AWS_REGION": REGION,
                        "WORKBENCH_S3_BUCKET": BUCKET, "WORKBENCH_SAGEMAKER_ROLE": ROLE,
                        "WORKBENCH_ATHENA_OUTPUT": f"s3://{BUCKET}/athena/"}.items():
        monkeypatch.setenv(name, value)
    return AppTest.from_file(str(APP), default_timeout=60)


def open_jobs(app: AppTest, selected: str = "") -> AppTest:
    app.run()
    if selected:
        app.session_state[keys.JOBS_SELECTED] = selected
    return app.switch_page("pages/jobs.py").run()


def trial_summaries(params: dict[str, Any]) -> dict[str, Any]:
    """``ListTrainingJobsForHyperParameterTuningJob``: two finished trials, the second the best."""
    name = params["HyperParameterTuningJobName"]
    return {"TrainingJobSummaries": [
        {"TrainingJobName": f"{name}-00{i}-abc", "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:training-job/t{i}",
         "CreationTime": datetime(2025, 1, 1, 0, i), "TrainingJobStatus": "Completed", "TunedHyperParameters": {"max_depth": str(3 + i)},
         "FinalHyperParameterTuningJobObjectiveMetric": {"MetricName": "validation:merror", "Value": 0.4 - i / 10}}
        for i in range(2)]}


def test_a_finished_tuning_job_shows_its_trials(aws_app: AppTest, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """Crashed before: the trials table read SageMaker's status counters (a dict) as trials."""
    answer_calls(monkeypatch, "sagemaker", "ListTrainingJobsForHyperParameterTuningJob", trial_summaries)
    base = TrainingRequest(algorithm="xgboost", source=TABLE, target="rating")
    name = services.training.start_tuning_job(TuningRequest(base=base, ranges={"max_depth": {"type": "integer", "min": 3, "max": 8}},
                                                            objective_metric="validation:merror", objective_type="Minimize"))
    open_jobs(aws_app, name)
    assert not aws_app.exception, aws_app.exception
    trials = frame_with(aws_app, "max_depth")
    assert list(trials["max_depth"]) == ["3", "4"] and list(trials["status"]) == ["Completed", "Completed"]
    assert list(trials["training_job"]) == [f"{name}-000-abc", f"{name}-001-abc"]


def test_a_finished_training_job_opens(aws_app: AppTest, services: Services) -> None:
    name = services.training.start_training_job(TrainingRequest(algorithm="xgboost", source=TABLE, target="rating"))
    open_jobs(aws_app, name)
    assert not aws_app.exception, aws_app.exception
    assert name in texts(aws_app.markdown)
    assert "training" in [m.value for m in aws_app.metric]


def test_an_autopilot_job_shows_its_leaderboard_insights_and_notebooks(aws_app: AppTest, services: Services,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    name = services.training.start_autopilot_job(AutopilotRequest(source=TABLE, target="rating", problem_type="BinaryClassification"))
    description = autopilot_description(name, BUCKET)
    put_autopilot_reports(description)
    answer_calls(monkeypatch, "sagemaker", "DescribeAutoMLJobV2", lambda _: description)
    answer_calls(monkeypatch, "sagemaker", "ListCandidatesForAutoMLJob",
                 lambda _: {"Candidates": [description["BestCandidate"]]})
    open_jobs(aws_app, name)
    assert not aws_app.exception, aws_app.exception
    assert "Model insights (best candidate)" in texts(aws_app.subheader)
    assert len(aws_app.get("plotly_chart")) >= 3  # confusion matrix, ROC, precision-recall, importance
    assert "SageMakerAutopilotDataExplorationNotebook.ipynb" in texts(aws_app.caption)
    assert [b.proto.label for b in aws_app.get("download_button")] == ["Download the notebooks"]


def test_a_failed_job_shows_sagemakers_reason(aws_app: AppTest, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    name = services.training.start_autopilot_job(AutopilotRequest(source=TABLE, target="rating", problem_type="BinaryClassification"))
    reason = "ClientError: The target attribute rating has a single value in the training data."
    answer_calls(monkeypatch, "sagemaker", "DescribeAutoMLJobV2",
                 lambda _: autopilot_description(name, BUCKET, status="Failed", failure_reason=reason))
    open_jobs(aws_app, name)
    assert not aws_app.exception, aws_app.exception
    assert reason in texts(aws_app.error)


def test_no_jobs_yet_is_an_empty_state(aws_app: AppTest) -> None:
    open_jobs(aws_app)
    assert not aws_app.exception, aws_app.exception
    assert "No jobs yet" in texts(aws_app.info)


@pytest.mark.parametrize(("code", "expected"), [("AccessDeniedException", "credentials"), ("ThrottlingException", "busy")])
def test_aws_refusing_the_describe_is_a_clear_error(aws_app: AppTest, services: Services, monkeypatch: pytest.MonkeyPatch,
                                                    code: str, expected: str) -> None:
    name = services.training.start_autopilot_job(AutopilotRequest(source=TABLE, target="rating", problem_type="BinaryClassification"))
    message = "User is not authorized to perform sagemaker:DescribeAutoMLJobV2" if code.startswith("Access") else "Rate exceeded"
    fail_calls(monkeypatch, "sagemaker", "DescribeAutoMLJobV2", code, message)
    open_jobs(aws_app, name)
    assert not aws_app.exception, aws_app.exception
    assert expected in texts(aws_app.error).lower()


def test_a_training_job_with_debugger_rules_shows_their_statuses_and_profiler_report(
        aws_app: AppTest, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    from services.debugger.models import DebuggerConfig, RuleConfig
    from tests.helpers.debugger_pages import add_rule_statuses, put_profiler_report, rule_status

    rules = DebuggerConfig(rules=(RuleConfig("LossNotDecreasing"), RuleConfig("Overfit")))
    name = services.training.start_training_job(TrainingRequest(algorithm="xgboost", source=TABLE, target="rating",
                                                                debugger=rules))
    add_rule_statuses(monkeypatch, [rule_status("LossNotDecreasing", "IssuesFound", "loss flat since step 40"),
                                    rule_status("Overfit", "NoIssuesFound")],
                      [rule_status("ProfilerReport", "NoIssuesFound")])
    put_profiler_report(name, b"<html>SageMaker's report</html>")
    open_jobs(aws_app, name)
    assert not aws_app.exception, aws_app.exception
    statuses = frame_with(aws_app, "details")
    assert list(statuses["rule"]) == ["LossNotDecreasing", "Overfit", "ProfilerReport"]
    assert list(statuses["status"]) == ["IssuesFound", "NoIssuesFound", "NoIssuesFound"]
    assert statuses["details"][0] == "loss flat since step 40"
    assert [t.value for t in aws_app.toast] == [f"LossNotDecreasing found an issue in {name}: loss flat since step 40"]
    assert aws_app.get("download_button")[0].proto.label == "Profiler report"


def test_an_autopilot_jobs_notebooks_download_as_one_zip_of_what_sagemaker_wrote(
        services: Services, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the page's "Download the notebooks" button gives on AWS (the button calls this when pressed)."""
    import io
    import zipfile

    import boto3

    name = services.training.start_autopilot_job(AutopilotRequest(source=TABLE, target="rating", problem_type="BinaryClassification"))
    with pytest.raises(InvalidInput, match="no notebooks"):  # moto's describe names no S3 locations
        services.training.autopilot_notebooks(name)
    description = autopilot_description(name, BUCKET)
    answer_calls(monkeypatch, "sagemaker", "DescribeAutoMLJobV2", lambda _: description)
    answer_calls(monkeypatch, "sagemaker", "ListCandidatesForAutoMLJob", lambda _: {"Candidates": [description["BestCandidate"]]})
    services = build_services(settings)  # clients made after the answers are set
    s3 = boto3.client("s3", region_name=REGION)
    for uri in description["AutoMLJobArtifacts"].values():
        if uri.endswith(".ipynb"):
            bucket, _, key = uri.removeprefix("s3://").partition("/")
            s3.put_object(Bucket=bucket, Key=key, Body=b'{"cells": [], "nbformat": 4}')
    archive = zipfile.ZipFile(io.BytesIO(services.training.autopilot_notebooks(name)))
    assert sorted(archive.namelist()) == [f"{name}/SageMakerAutopilotCandidateDefinitionNotebook.ipynb",
                                          f"{name}/SageMakerAutopilotDataExplorationNotebook.ipynb"]
