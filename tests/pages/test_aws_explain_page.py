"""The Explain page on the aws backend: Glue, S3 and SageMaker run in moto (a registered built-in model, a
Clarify SHAP job created through the adapter, its analysis.json and out.csv in Clarify's documented layout);
SageMaker answers moto never gives (a Failed job, a refusal) come through botocore's event hooks, checked
against the service model (tests/helpers/moto_gaps.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from services.config import Settings
from services.explain.base import ExplainRequest
from services.registry import build_services
from tests.helpers.aws import BUCKET, REGION, aws_settings
from tests.helpers.clarify import FIXTURES, ROLE, TABLE, processing_response, put_s3, register_model, reviews_csv
from tests.helpers.moto_gaps import answer_calls, fail_calls
from tests.helpers.pages import APP, frame_with, texts

MODEL = "sentiment/1"


@pytest.fixture
def settings(mocked_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    settings = replace(aws_settings(tmp_path / "home"), sagemaker_role=ROLE)
    (tmp_path / "files").mkdir()
    build_services(settings).catalog.import_path(reviews_csv(tmp_path / "files"), "demo", "reviews")
    register_model("sentiment", classes=("low", "high"))
    for name, value in {"WORKBENCH_BACKEND": "aws", "WORKBENCH_HOME": str(settings.home), "WORKBENCH_AWS_REGION": REGION,
                        "WORKBENCH_S3_BUCKET": BUCKET, "WORKBENCH_ATHENA_OUTPUT": f"s3://{BUCKET}/athena/",
                        "WORKBENCH_SAGEMAKER_ROLE": ROLE, "AWS_MAX_ATTEMPTS": "1"}.items():
        monkeypatch.setenv(name, value)
    return settings


def explained(settings: Settings, results: bool = True) -> str:
    """A SHAP job of the model, started through the adapter; Clarify's files written when ``results``."""
    name = build_services(settings).explain.start_job(ExplainRequest(model_id=MODEL, source=TABLE, rows=4, background_rows=3))
    if results:
        put_s3(f"s3://{BUCKET}/clarify/{name}/output/analysis.json", (FIXTURES / "explain_analysis.json").read_bytes())
        put_s3(f"s3://{BUCKET}/clarify/{name}/output/explanations_shap/out.csv",
               (FIXTURES / "explanations_shap" / "out.csv").read_bytes())
    return name


def open_explain(app: AppTest) -> AppTest:
    app.run()
    app.switch_page("pages/explain.py").run()
    assert not app.exception, app.exception
    assert app.selectbox(key="explain.model").value == MODEL
    return app


def test_a_finished_clarify_explanation_opens(settings: Settings) -> None:
    name = explained(settings)
    app = open_explain(AppTest.from_file(str(APP), default_timeout=60))
    assert app.session_state["explain.job"] == name
    importance = frame_with(app, "importance")
    assert list(importance["feature"])[:3] == ["age", "division_name", "department_name"]
    assert not app.error


def test_no_explanation_yet_is_an_empty_state(settings: Settings) -> None:
    app = open_explain(AppTest.from_file(str(APP), default_timeout=60))
    assert "No explanations of this model yet" in texts(app.caption)
    assert not app.error


def test_a_failed_clarify_job_shows_sagemakers_reason(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    explained(settings, results=False)
    reason = "AlgorithmError: the shadow endpoint returned 2 columns for 3 labels"
    answer_calls(monkeypatch, "sagemaker", "DescribeProcessingJob",
                 lambda params: processing_response(params["ProcessingJobName"], "Failed", reason))
    app = open_explain(AppTest.from_file(str(APP), default_timeout=60))
    assert reason in texts(app.error)
    assert app.selectbox(key="explain.model").value == MODEL


@pytest.mark.parametrize(("code", "expected"), [("AccessDeniedException", "credentials"), ("ThrottlingException", "busy")])
def test_sagemaker_refusing_the_describe_is_a_clear_error_in_its_section(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                                                        code: str, expected: str) -> None:
    explained(settings, results=False)
    fail_calls(monkeypatch, "sagemaker", "DescribeProcessingJob", code, f"{code}: sagemaker:DescribeProcessingJob")
    app = open_explain(AppTest.from_file(str(APP), default_timeout=60))
    assert expected in texts(app.error).lower()
    assert app.selectbox(key="explain.model").value == MODEL  # the model picker and the other tabs still render
