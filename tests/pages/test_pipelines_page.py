"""The Pipelines page on the local backend: the empty state, a ready-made pipeline installed from its card, an
execution started from the typed form and run by the real engine (its orchestrator job), its DAG and failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from components import keys
from components.pipeline_views import dag_dot
from services.config import Settings
from services.pipelines.models import pipeline_graph
from services.registry import build_services
from tests.helpers.pages import frame_with, open_page, texts


def gated() -> dict[str, Any]:
    """A quality gate on a parameter: below the bar the Fail step ends the execution with the Reason parameter."""
    return {"Version": "2020-12-01",
            "Parameters": [{"Name": "Reason", "Type": "String", "DefaultValue": "the gate failed"},
                           {"Name": "Score", "Type": "Float", "DefaultValue": 0.5}],
            "Steps": [{"Name": "Gate", "Type": "Condition", "Arguments": {
                "Conditions": [{"Type": "GreaterThanOrEqualTo", "LeftValue": {"Get": "Parameters.Score"}, "RightValue": 0.9}],
                "IfSteps": [],
                "ElseSteps": [{"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": {"Get": "Parameters.Reason"}}}]}}]}


def graphs(app: AppTest) -> list[Any]:
    return list(app.get("graphviz_chart"))


def test_without_pipelines_the_page_offers_the_ready_made_one(app: AppTest) -> None:
    open_page(app, "pipelines")
    assert "No pipelines yet" in texts(app.info)
    assert app.button(key="pipelines.template.review-sentiment").label == "Use this pipeline"
    assert app.button(key="pipelines.template.tabular-autopilot").label == "Use this pipeline"


def test_the_autopilot_pipeline_is_installed_from_the_second_card(app: AppTest, workspace: Path) -> None:
    open_page(app, "pipelines")
    app.button(key="pipelines.template.tabular-autopilot").click().run()
    assert not app.exception, app.exception
    assert "Pipeline **tabular-autopilot** is ready." in texts(app.success)
    form = "pipelines.start.tabular-autopilot"
    assert app.number_input(key=f"{form}.param.MinAccuracy").value == 0.8
    assert app.number_input(key=f"{form}.param.MaxRuntimeSeconds").value == 60
    services = build_services(Settings(home=workspace, seed_on_start=False))
    wine = services.catalog.get_table("demo", "wine").location
    assert app.text_input(key=f"{form}.param.InputData").value == wine  # the seeded table's current Location
    dot = graphs(app)[0].proto.spec
    for step in ("SplitTable", "Autopilot", "CreateBestModel", "ScoreHeldOutRows", "EvaluateBestModel", "RegisterBestModel"):
        assert f'"{step}"' in dot
    assert '"CheckAccuracy" -> "AccuracyTooLow" [label="else"]' in dot


def test_the_ready_made_pipeline_is_installed_from_its_card(app: AppTest, workspace: Path) -> None:
    open_page(app, "pipelines")
    app.button(key="pipelines.template.review-sentiment").click().run()
    assert not app.exception, app.exception
    assert "Pipeline **review-sentiment** is ready." in texts(app.success)
    assert app.selectbox(key=keys.PIPELINES_SELECTED).value == "review-sentiment"
    form = "pipelines.start.review-sentiment"
    assert app.number_input(key=f"{form}.param.MinMacroF1").value == 0.7
    assert "No executions yet" in texts(app.info)
    dot = graphs(app)[0].proto.spec
    for step in ("PrepareReviews", "TrainSentimentModel", "CheckQualityGates", "RegisterSentimentModel", "QualityGateFailed"):
        assert f'"{step}"' in dot
    assert '"CheckQualityGates" -> "QualityGateFailed" [label="else"]' in dot
    pipelines = build_services(Settings(home=workspace, seed_on_start=False)).pipelines
    assert [p.name for p in pipelines.list_pipelines()] == ["review-sentiment"]


def test_an_execution_started_from_the_form_fails_at_the_gate_with_its_reason(app: AppTest, workspace: Path) -> None:
    pipelines = build_services(Settings(home=workspace, seed_on_start=False)).pipelines
    pipelines.upsert_pipeline("gated", gated())
    open_page(app, "pipelines")
    form = "pipelines.start.gated"
    app.text_input(key=f"{form}.param.Reason").input("macro-F1 too low")
    app.button(key=f"FormSubmitter:{form}-Start execution").click().run()
    assert not app.exception, app.exception
    arn = app.session_state[keys.PIPELINES_EXECUTION]
    finished = pipelines.wait_for_execution(arn, 60)
    assert (finished.status, finished.failure_reason) == ("Failed", "macro-F1 too low")
    app.run()
    assert "macro-F1 too low" in texts(app.error)
    steps = frame_with(app, "attempt")
    assert list(zip(steps["step"], steps["status"], strict=True)) == [("Gate", "Succeeded"), ("Stop", "Failed")]
    assert app.button(key=f"pipelines.retry.{arn}").label == "Retry from the failed step"


def test_the_dag_colours_steps_by_status_and_leaves_the_untaken_branch_dashed() -> None:
    from services.pipelines.models import ExecutionStep

    steps = [ExecutionStep("Gate", "Condition", "Succeeded", metadata={"Condition": {"Outcome": "False"}}),
             ExecutionStep("Stop", "Fail", "Failed")]
    definition = gated()
    definition["Steps"][0]["Arguments"]["IfSteps"] = [{"Name": "Register", "Type": "RegisterModel", "Arguments": {}}]
    dot = dag_dot(pipeline_graph(definition, steps))
    assert '"Gate" [label="Gate\\nCondition · Succeeded", shape=diamond' in dot
    assert '"Stop" [label="Stop\\nFail · Failed", shape=octagon, style="filled,rounded", fillcolor="#ef9a9a"]' in dot
    assert '"Register" [label="Register\\nRegisterModel · NotStarted", shape=folder, style="filled,rounded,dashed"' in dot
    assert '"Gate" -> "Register" [label="if"]' in dot and '"Gate" -> "Stop" [label="else"]' in dot
