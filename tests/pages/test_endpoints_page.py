"""The Endpoints page: deploy a real model to a real local endpoint from the page, watch it come up, delete it.

One TF-IDF review model is trained once per module and copied into each test's workspace; every endpoint a
test deploys is deleted (and the workspace's gateway stopped) when the test ends, whatever happened.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components.deployment_views import traffic_figure, update_in_progress
from components.endpoint_views import (
    boto3_snippet,
    default_model,
    deploy_variants,
    endpoint_slug,
    endpoints_frame,
    model_summary,
    variants_frame,
)
from services.config import Settings
from services.endpoints.models import DeploymentEvent, DeployRequest, Endpoint, Variant, VariantStats
from services.models import Column, ModelRecord
from services.registry import Services, build_services
from tests.helpers.deployment import ScoringClient, register_tabular
from tests.helpers.pages import APP, REVIEW_MODEL, frame_with, open_page, remove_endpoints, texts
from tests.helpers.servers import unused_port

DEPLOY = "FormSubmitter:endpoints.deploy-Deploy"


@pytest.fixture(scope="module")
def trained_home(review_model_home: Path) -> Path:
    """The seeded workspace with REVIEW_MODEL (the session's, shared with the score and explain pages)."""
    return review_model_home


@pytest.fixture
def trained_app(trained_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    home = tmp_path / "trained"
    shutil.copytree(trained_home, home)
    for name in ("WORKBENCH_BACKEND", "WORKBENCH_QUERY_TIMEOUT_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.setenv("WORKBENCH_SEED_ON_START", "false")
    try:
        yield AppTest.from_file(str(APP), default_timeout=60)
    finally:
        remove_endpoints(home)


def wait_for_notice(app: AppTest, fragment: str, timeout: float = 90) -> None:
    """Rerun the page (as the polling fragment would) until the deploy's outcome is shown."""
    deadline = time.monotonic() + timeout
    while fragment not in texts(app.success) + texts(app.error):
        assert time.monotonic() < deadline, f"no {fragment!r} after {timeout} s: {texts(app.error)}"
        time.sleep(0.5)
        app.run()
        assert not app.exception, app.exception


# -- the page ---------------------------------------------------------------------------------------------------


def test_without_models_or_endpoints_the_page_says_what_to_do(app: AppTest) -> None:
    open_page(app, "endpoints")
    shown = texts(app.info)
    assert "No models yet" in shown
    assert "No endpoints yet" in shown


def test_deploy_watch_it_come_up_see_it_listed_and_delete_it(trained_app: AppTest) -> None:
    app = open_page(trained_app, "endpoints")
    assert app.selectbox(key="endpoints.deploy.model").value == REVIEW_MODEL
    assert app.text_input(key="endpoints.deploy.name").value == "reviews-sentiment-text-tfidf-1"
    app.button(key=DEPLOY).click().run()
    assert not app.exception, app.exception
    wait_for_notice(app, "is in service")

    listed = frame_with(app, "p99")
    assert listed["endpoint"].tolist() == ["reviews-sentiment-text-tfidf-1"]
    assert "InService" in listed["status"].iloc[0]
    assert {m.label: m.value for m in app.metric}["Status"] == "InService"
    variants = frame_with(app, "traffic")
    assert variants[["variant", "model", "traffic"]].values.tolist() == [["AllTraffic", REVIEW_MODEL, "100%"]]

    app.toggle(key="endpoints.show_snippet").set_value(True).run()
    snippets = [c.value for c in app.code if "boto3.client(" in c.value]  # the deploy form's "Show the code" is another
    assert len(snippets) == 1
    snippet = snippets[0]
    assert 'boto3.client(' in snippet and "endpoint_url=" in snippet
    assert 'EndpointName="reviews-sentiment-text-tfidf-1"' in snippet

    app.button(key="endpoints.delete").click().run()
    assert "Delete **reviews-sentiment-text-tfidf-1**?" in texts(app.warning)
    app.button(key="endpoints.delete_confirm").click().run()
    assert not app.exception, app.exception
    assert "deleted" in texts(app.success)
    assert "No endpoints yet" in texts(app.info)


def test_a_bad_name_is_refused_and_the_form_keeps_it(trained_app: AppTest) -> None:
    app = open_page(trained_app, "endpoints")
    app.text_input(key="endpoints.deploy.name").input("reviews live!")
    app.button(key=DEPLOY).click().run()
    assert not app.exception, app.exception
    assert "is not a valid endpoint name" in texts(app.error)
    assert app.text_input(key="endpoints.deploy.name").value == "reviews live!"
    assert "No endpoints yet" in texts(app.info)


def test_open_in_score_hands_the_endpoint_over(trained_app: AppTest) -> None:
    app = open_page(trained_app, "endpoints")
    app.text_input(key="endpoints.deploy.name").input("reviews-live")
    app.button(key=DEPLOY).click().run()
    wait_for_notice(app, "is in service")
    app.button(key="endpoints.open_score").click().run()
    assert not app.exception, app.exception
    assert app.selectbox(key="score.endpoint").value == "reviews-live"


def test_a_failed_endpoint_shows_its_reason() -> None:
    def page() -> None:
        from components.endpoint_views import render_endpoint_summary
        from services.endpoints.models import Endpoint, VariantStats

        render_endpoint_summary(Endpoint(name="broken", status="Failed", url="http://127.0.0.1:1", created_at="2026-01-01T00:00:00",
                                         variants=(VariantStats("AllTraffic", "m/1", 1.0, False),),
                                         failure_reason="The server process exited with code 1. Last log lines: No module named x"))

    app = AppTest.from_function(page).run()
    assert not app.exception, app.exception
    assert "No module named x" in texts(app.error)


# -- the helpers --------------------------------------------------------------------------------------------------


def model(model_id: str, created_at: str, approval: str = "PendingManualApproval") -> ModelRecord:
    return ModelRecord(model_id=model_id, name=model_id.split("/")[0], version=int(model_id.split("/")[1]), framework="xgboost",
                       problem_type="Regression", target="y", input_schema=(Column("x", "double"),), classes=(), metrics={},
                       run_id="", job_name="", artifact_path="", approval_status=approval, created_at=created_at)


def test_the_default_model_is_the_newest_approved_else_the_newest() -> None:
    old_approved = model("a/1", "2026-01-01", "Approved")
    newest = model("b/1", "2026-03-01")
    assert default_model([old_approved, newest]).model_id == "a/1"
    assert default_model([newest, model("c/2", "2026-02-01")]).model_id == "b/1"


def test_endpoint_names_are_valid_slugs_of_the_model() -> None:
    assert endpoint_slug("reviews-sentiment-text-tfidf/1") == "reviews-sentiment-text-tfidf-1"
    assert endpoint_slug("My model_v2/10") == "My-model-v2-10"
    assert len(endpoint_slug("x" * 100 + "/1")) == 63
    assert endpoint_slug("///") == "endpoint"


def test_ab_and_shadow_variants_and_their_table() -> None:
    variants = deploy_variants("a/1", "b/1", 20, "c/1")
    assert [(v.name, v.model_id, v.weight, v.shadow) for v in variants] == [
        ("VariantA", "a/1", 0.8, False), ("VariantB", "b/1", 0.2, False), ("Shadow", "c/1", 1.0, True)]
    assert [v.name for v in deploy_variants("a/1", "(none)", 20, "(none)")] == ["AllTraffic"]
    endpoint = Endpoint(name="ab", status="InService", url="http://127.0.0.1:9", created_at="2026-01-01T00:00:00",
                        variants=tuple(VariantStats(v.name, v.model_id, v.weight, v.shadow, requests=3) for v in variants),
                        uptime_seconds=4000, requests=9, latency_p50_ms=3.2, latency_p99_ms=12.0)
    assert variants_frame(endpoint)["traffic"].tolist() == ["80%", "20%", "copies"]
    assert model_summary(endpoint) == "a/1 (80%), b/1 (20%), shadow c/1"
    row = endpoints_frame([endpoint]).iloc[0]
    assert (row["status"], row["uptime"], row["p50"], row["p99"]) == ("● InService", "67 min", "3 ms", "12 ms")


def test_the_boto3_snippet_uses_the_gateway_and_the_endpoint() -> None:
    endpoint = Endpoint(name="wine", status="InService", url="", created_at="", variants=(), input_columns=("a", "b"))
    snippet = boto3_snippet("http://127.0.0.1:8765", endpoint)
    compile(snippet, "snippet", "exec")
    for part in ('"sagemaker-runtime"', 'endpoint_url="http://127.0.0.1:8765"', 'region_name="us-east-1"',
                 'aws_access_key_id="local"', 'aws_secret_access_key="local"', ".invoke_endpoint(", 'EndpointName="wine"', '"0,0"'):
        assert part in snippet


# -- updating to a new model version (blue/green) --------------------------------------------------------------

UPDATE = "FormSubmitter:endpoints.update-Update"


@pytest.fixture
def serving_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[AppTest, Services, str, str]]:
    """An endpoint ``live`` serving one small model, two more registered (one broken), and the app on it."""
    home = tmp_path / "serving"
    for name in ("WORKBENCH_BACKEND", "WORKBENCH_QUERY_TIMEOUT_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    port = unused_port()
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.setenv("WORKBENCH_SEED_ON_START", "false")
    monkeypatch.setenv("WORKBENCH_GATEWAY_PORT", str(port))
    services = build_services(Settings(home=home, seed_on_start=False, gateway_port=port))
    old = register_tabular(services, tmp_path / "a", "blue")
    new = register_tabular(services, tmp_path / "b", "green")
    broken = register_tabular(services, tmp_path / "c", "broken", broken=True)
    services.endpoints.deploy(DeployRequest("live", (Variant("AllTraffic", old),), capture_percent=0))
    assert services.endpoints.wait_for_endpoint("live", 120).status == "InService"
    try:
        yield AppTest.from_file(str(APP), default_timeout=60), services, new, broken
    finally:
        remove_endpoints(home)


def submit_update(app: AppTest, model_id: str, strategy: str, percent: int, wait: int, follow: bool = False) -> None:
    open_page(app, "endpoints")
    app.checkbox(key="endpoints.update.follow").set_value(follow)
    app.selectbox(key="endpoints.update.model").set_value(model_id)
    app.radio(key="endpoints.update.strategy").set_value(strategy)
    app.number_input(key="endpoints.update.percent").set_value(percent)
    app.number_input(key="endpoints.update.wait").set_value(wait)
    app.button(key=UPDATE).click().run()
    assert not app.exception, app.exception


def rerun_until(app: AppTest, shown: Callable[[AppTest], bool], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not shown(app):
        assert time.monotonic() < deadline, f"timed out: {texts(app.error)} {texts(app.info)}"
        time.sleep(0.5)
        app.run()
        assert not app.exception, app.exception


def test_a_canary_update_from_the_page_shows_the_traffic_shift(serving_app: tuple[AppTest, Services, str, str]) -> None:
    app, services, new, _ = serving_app
    submit_update(app, new, "canary", 50, 1, follow=True)
    assert [(r.endpoint, r.group, r.choices.strategy) for r in services.endpoints.follow_rules()] == [("live", "green", "canary")]
    rerun_until(app, lambda a: "Updated (Canary 50%)" in texts(a.success))
    assert len(app.get("plotly_chart")) == 1
    events = frame_with(app, "new fleet %")
    assert list(events["phase"]) == ["Creating", "Shifting", "Baking", "Completing", "Completed"]
    assert list(events["new fleet %"]) == [0.0, 50.0, 100.0, 100.0, 100.0]
    assert [v.model_id for v in services.endpoints.describe_endpoint("live").variants] == [new]


def test_a_broken_version_is_rolled_back_and_the_page_names_the_alarm(serving_app: tuple[AppTest, Services, str, str]) -> None:
    app, services, _, broken = serving_app
    with ScoringClient(services, "live") as client:
        submit_update(app, broken, "canary", 50, 30)
        rerun_until(app, lambda a: "Rolled back" in texts(a.error))
    assert "live-error-rate (error rate" in texts(app.error)
    assert client.failures == []
    assert list(frame_with(app, "new fleet %")["new fleet %"])[-1] == 0.0


def test_an_invalid_update_is_refused_with_the_form_kept(serving_app: tuple[AppTest, Services, str, str]) -> None:
    app, services, new, _ = serving_app
    submit_update(app, new, "linear", 5, 1)  # SageMaker's linear steps are 10–50 %
    assert "LinearStepSize 5 is outside 10–50" in texts(app.error)
    assert app.number_input(key="endpoints.update.percent").value == 5
    assert services.endpoints.deployment_history("live") == []


def test_the_traffic_chart_is_a_step_line_of_the_share() -> None:
    history = [DeploymentEvent("2026-01-05T12:00:00.000+00:00", "Creating", 0.0, "update requested"),
               DeploymentEvent("2026-01-05T12:00:03.000+00:00", "Shifting", 0.2, "Canary 20%"),
               DeploymentEvent("2026-01-05T12:01:03.000+00:00", "RollingBack", 0.0, "rolled back: errors (…)")]
    figure = traffic_figure(history)
    assert list(figure.data[0].y) == [0.0, 20.0, 0.0] and figure.data[0].line.shape == "hv"
    assert update_in_progress(history) and not update_in_progress([*history[:-1], replace(history[-1], phase="RolledBack")])
