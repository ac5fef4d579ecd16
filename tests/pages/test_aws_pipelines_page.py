"""The Pipelines page on the aws backend: SageMaker Pipelines on moto (pipelines, executions, definitions,
parameters) with ListPipelineExecutionSteps and the outcome of each execution answered in SageMaker's documented
shapes (tests/helpers/aws_pipelines.py: moto runs no step), and AWS refusals shown as clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from services.config import Settings
from services.registry import build_services
from tests.helpers.aws import BUCKET, REGION
from tests.helpers.aws_pipelines import ScriptedRuns, moto_execution, processing_step, step
from tests.helpers.moto_gaps import fail_calls
from tests.helpers.pages import APP, frame_with, texts
from tests.helpers.pipeline_executors import definition
from tests.helpers.pipeline_executors import processing_step as definition_step

ROLE = "arn:aws:iam::123456789012:role/workbench-sagemaker"


@pytest.fixture
def aws_env(mocked_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in {"WORKBENCH_BACKEND": "aws", "WORKBENCH_HOME": str(tmp_path / "home"), "WORKBENCH_AWS_REGION": REGION,
                        "WORKBENCH_S3_BUCKET": BUCKET, "WORKBENCH_ATHENA_OUTPUT": f"s3://{BUCKET}/athena/",
                        "WORKBENCH_SAGEMAKER_ROLE": ROLE, "WORKBENCH_SEED_ON_START": "false"}.items():
        monkeypatch.setenv(name, value)
    return Settings.from_env()


@pytest.fixture
def runs(aws_env: Settings, monkeypatch: pytest.MonkeyPatch) -> ScriptedRuns:
    return ScriptedRuns(monkeypatch)


def gated_definition() -> dict:  # type: ignore[type-arg]
    value = definition([definition_step("Prep", [f"s3://{BUCKET}/raw/"], ["out"])])
    value["Parameters"] = [{"Name": "MinF1", "Type": "Float", "DefaultValue": 0.7}]
    value["Steps"].append({"Name": "Check", "Type": "Condition", "DependsOn": ["Prep"], "Arguments": {
        "Conditions": [{"Type": "GreaterThanOrEqualTo", "LeftValue": 0.5, "RightValue": {"Get": "Parameters.MinF1"}}],
        "IfSteps": [], "ElseSteps": [{"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": "macro-F1 below the gate"}}]}})
    return value


def open_pipelines(app: AppTest) -> AppTest:
    app.run()
    app.switch_page("pages/pipelines.py").run()
    assert not app.exception, app.exception
    return app


def test_an_execution_sagemaker_failed_at_the_gate_shows_its_steps_and_reason(aws_env: Settings, runs: ScriptedRuns) -> None:
    build_services(aws_env).pipelines.upsert_pipeline("gated", gated_definition())
    runs.script("gated", "Failed", [
        processing_step("Prep", minute=0),
        step("Check", minute=1, Metadata={"Condition": {"Outcome": "False"}}),
        step("Stop", "Failed", minute=2, FailureReason="macro-F1 below the gate",
             Metadata={"Fail": {"ErrorMessage": "macro-F1 below the gate"}}),
    ])
    app = open_pipelines(AppTest.from_file(str(APP), default_timeout=60))
    assert app.selectbox(key=keys.PIPELINES_SELECTED).value == "gated"
    app.number_input(key="pipelines.start.gated.param.MinF1").set_value(0.8)
    app.button(key="FormSubmitter:pipelines.start.gated-Start execution").click().run()
    assert not app.exception, app.exception
    moto_execution(app.session_state[keys.PIPELINES_EXECUTION]).pipeline_execution_status = "Failed"  # as SageMaker ends it
    app.run()
    assert "macro-F1 below the gate" in texts(app.error)
    steps = frame_with(app, "attempt")
    assert list(zip(steps["step"], steps["status"], strict=True)) == [("Prep", "Succeeded"), ("Check", "Succeeded"),
                                                                       ("Stop", "Failed")]
    dot = app.get("graphviz_chart")[0].proto.spec
    assert '"Check" -> "Stop" [label="else"]' in dot
    execution = build_services(aws_env).pipelines.describe_execution(app.session_state[keys.PIPELINES_EXECUTION])
    assert execution.parameters["MinF1"] == "0.8"


def test_no_permission_to_start_is_a_clear_error_and_keeps_the_form(aws_env: Settings, runs: ScriptedRuns,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    build_services(aws_env).pipelines.upsert_pipeline("gated", gated_definition())
    fail_calls(monkeypatch, "sagemaker", "StartPipelineExecution", "AccessDeniedException", "not authorized")
    app = open_pipelines(AppTest.from_file(str(APP), default_timeout=60))
    app.number_input(key="pipelines.start.gated.param.MinF1").set_value(0.9)
    app.button(key="FormSubmitter:pipelines.start.gated-Start execution").click().run()
    assert not app.exception, app.exception
    assert "sagemaker:StartPipelineExecution" in texts(app.error)
    assert app.number_input(key="pipelines.start.gated.param.MinF1").value == 0.9
    assert "No executions yet" in texts(app.info)


def test_without_pipelines_the_ready_made_one_is_offered(aws_env: Settings, runs: ScriptedRuns) -> None:
    app = open_pipelines(AppTest.from_file(str(APP), default_timeout=60))
    assert "No pipelines yet" in texts(app.info)
    assert app.button(key="pipelines.template.review-sentiment").label == "Use this pipeline"
    assert app.button(key="pipelines.template.tabular-autopilot").label == "Use this pipeline"
