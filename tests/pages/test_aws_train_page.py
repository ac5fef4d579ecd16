"""The Train page on the aws backend: the Glue table in moto, SageMaker's CreateAutoMLJobV2 / CreateTrainingJob in
moto, errors answered through botocore's hooks in AWS's documented error shape."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import boto3
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from services.config import Settings
from services.registry import build_services
from tests.helpers.aws import BUCKET, REGION, aws_settings
from tests.helpers.moto_gaps import fail_calls
from tests.helpers.pages import APP, texts

ROLE = "arn:aws:iam::123456789012:role/workbench-sagemaker"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return replace(aws_settings(tmp_path / "home"), sagemaker_role=ROLE)


@pytest.fixture
def aws_app(mocked_aws: None, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    for name, value in {"WORKBENCH_BACKEND": "aws", "WORKBENCH_HOME": str(settings.home), "WORKBENCH_AWS_REGION": REGION,
                        "WORKBENCH_S3_BUCKET": BUCKET, "WORKBENCH_SAGEMAKER_ROLE": ROLE,
                        "WORKBENCH_ATHENA_OUTPUT": f"s3://{BUCKET}/athena/"}.items():
        monkeypatch.setenv(name, value)
    return AppTest.from_file(str(APP), default_timeout=60)


@pytest.fixture
def with_table(mocked_aws: None, settings: Settings, tmp_path: Path) -> None:
    source = tmp_path / "reviews.csv"
    pd.DataFrame({"rating": [i % 5 + 1 for i in range(40)], "age": range(20, 60),
                  "division": [("General", "Petite")[i % 2] for i in range(40)]}).to_csv(source, index=False)
    build_services(settings).catalog.import_path(source, "demo", "reviews")


def open_train(app: AppTest) -> AppTest:
    app.run()
    app.switch_page("pages/train.py").run()
    assert not app.exception, app.exception
    return app


def fill_autopilot(app: AppTest, name: str) -> None:
    app.selectbox(key="train.autopilot.target").select("rating")
    app.selectbox(key="train.autopilot.problem").select("MulticlassClassification")
    app.text_input(key="train.autopilot.name").input(name)


def test_starting_autopilot_creates_the_automl_job_and_opens_it(with_table: None, aws_app: AppTest) -> None:
    open_train(aws_app)
    fill_autopilot(aws_app, "reviews-autopilot")
    aws_app.button(key="FormSubmitter:train.autopilot-Start Autopilot").click().run()
    assert not aws_app.exception, aws_app.exception
    assert aws_app.session_state[keys.JOBS_SELECTED] == "reviews-autopilot"
    described = boto3.client("sagemaker", region_name=REGION).describe_auto_ml_job_v2(AutoMLJobName="reviews-autopilot")
    assert described["AutoMLProblemTypeConfig"]["TabularJobConfig"]["TargetAttributeName"] == "rating"


def test_starting_a_builtin_training_job_creates_it(with_table: None, aws_app: AppTest) -> None:
    open_train(aws_app)
    aws_app.selectbox(key="train.builtin.target").select("rating")
    aws_app.text_input(key="train.builtin.name").input("reviews-xgboost")
    aws_app.button(key="FormSubmitter:train.builtin.form-Start training").click().run()
    assert not aws_app.exception, aws_app.exception
    described = boto3.client("sagemaker", region_name=REGION).describe_training_job(TrainingJobName="reviews-xgboost")
    assert described["HyperParameters"]["objective"] == "multi:softprob"


def test_access_denied_is_a_clear_error_and_keeps_the_form(with_table: None, aws_app: AppTest,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    fail_calls(monkeypatch, "sagemaker", "CreateAutoMLJobV2", "AccessDeniedException",
               "User: arn:aws:iam::123456789012:user/analyst is not authorized to perform: sagemaker:CreateAutoMLJobV2")
    open_train(aws_app)
    fill_autopilot(aws_app, "denied-autopilot")
    aws_app.button(key="FormSubmitter:train.autopilot-Start Autopilot").click().run()
    assert not aws_app.exception, aws_app.exception
    assert "not authorized" in texts(aws_app.error) and "credentials" in texts(aws_app.error)
    assert aws_app.text_input(key="train.autopilot.name").value == "denied-autopilot"
    assert aws_app.selectbox(key="train.autopilot.problem").value == "MulticlassClassification"


def test_throttling_is_a_clear_error_and_keeps_the_form(with_table: None, aws_app: AppTest,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    fail_calls(monkeypatch, "sagemaker", "CreateTrainingJob", "ThrottlingException", "Rate exceeded")
    open_train(aws_app)
    aws_app.text_input(key="train.builtin.name").input("busy-xgboost")
    aws_app.button(key="FormSubmitter:train.builtin.form-Start training").click().run()
    assert not aws_app.exception, aws_app.exception
    assert "busy" in texts(aws_app.error)
    assert aws_app.text_input(key="train.builtin.name").value == "busy-xgboost"


def test_an_empty_catalog_says_where_to_get_a_table(aws_app: AppTest) -> None:
    open_train(aws_app)
    assert "Import a file or crawl a lake folder on the Catalog page" in texts(aws_app.info)


def test_a_builtin_job_with_debugger_rules_sends_them_to_sagemaker(with_table: None, aws_app: AppTest,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.helpers.debugger_pages import record_requests

    created = record_requests(monkeypatch, "CreateTrainingJob")
    open_train(aws_app)
    offered = [c.key for c in aws_app.checkbox if c.key.startswith("train.builtin.debugger.")]
    assert "train.builtin.debugger.LowCPUUtilization" not in offered  # SageMaker has no such built-in rule
    assert not [c for c in aws_app.checkbox if c.key.startswith("train.autopilot.debugger.")]  # AutoML V2 takes none
    aws_app.checkbox(key="train.builtin.debugger.LossNotDecreasing").check()
    aws_app.text_input(key="train.builtin.debugger.LossNotDecreasing.parameters").input("num_steps=5")
    aws_app.checkbox(key="train.builtin.debugger.stop").check()
    aws_app.selectbox(key="train.builtin.target").select("rating")
    aws_app.text_input(key="train.builtin.name").input("reviews-xgboost")
    aws_app.button(key="FormSubmitter:train.builtin.form-Start training").click().run()
    assert not aws_app.exception, aws_app.exception
    [rule] = created[-1]["DebugRuleConfigurations"]
    assert rule["RuleConfigurationName"] == "LossNotDecreasing"
    assert rule["RuleParameters"]["num_steps"] == "5" and rule["RuleParameters"]["rule_to_invoke"] == "LossNotDecreasing"
    assert "reviews-xgboost" in rule["RuleParameters"]["action_json"]
    assert created[-1]["ProfilerRuleConfigurations"][-1]["RuleConfigurationName"] == "ProfilerReport"


def test_a_column_that_relabels_the_target_is_warned_about_from_an_athena_sample(
        aws_app: AppTest, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from services.training.data import read_file
    from tests.helpers.athena import athena_answers_from

    source = tmp_path / "graded.csv"
    pd.DataFrame({"rating": [i % 5 + 1 for i in range(40)], "age": range(20, 60),
                  "grade": [("E", "D", "C", "B", "A")[i % 5] for i in range(40)]}).to_csv(source, index=False)
    build_services(settings).catalog.import_path(source, "demo", "graded")
    with athena_answers_from(monkeypatch, {"demo.graded": read_file(source)}) as sent:
        open_train(aws_app)
        aws_app.selectbox(key="train.autopilot.target").select("rating").run()
    assert not aws_app.exception, aws_app.exception
    warning = texts(aws_app.warning)
    assert "Possible target leakage" in warning and "**grade**" in warning and "renamed copy" in warning
    assert "all 40 rows" in warning and "**age**" not in warning
    assert any("LIMIT 5001" in sql for sql in sent)  # a bounded sample, not the table
