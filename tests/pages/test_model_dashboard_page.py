"""The Model dashboard page on the local backend: real registry entries (a tiny LinearSVC registered under several
groups), one real endpoint server with data capture off, approvals through the training port."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from services.config import Settings
from services.endpoints.models import DeployRequest, DriftReport, Variant
from services.registry import Services, build_services
from tests.helpers.dashboard import register_versions
from tests.helpers.endpoints import stop_everything
from tests.helpers.pages import frame_with, open_page, texts
from tests.helpers.servers import unused_port

METRICS = {"validation:f1_macro": 0.8123, "validation:rmse": 0.4}
DETAIL = f"{keys.MODEL_DASHBOARD_DETAIL}.reviews"


@pytest.fixture
def services(workspace: Path) -> Services:
    """``svc`` (1 version), ``reviews`` (3) and ``wine`` (1), reviews/1 Approved."""
    built = build_services(Settings(home=workspace, seed_on_start=False))
    register_versions(built, workspace.parent / "artifacts", {"reviews": 3, "wine": 1}, METRICS)
    built.training.set_model_approval("reviews/1", "Approved")
    return built


def test_no_models_yet_says_how_to_get_one_and_the_button_opens_train(app: AppTest) -> None:
    open_page(app, "model_dashboard")
    assert "No models yet" in texts(app.info) and "Train page" in texts(app.info)
    app.button(key="model_dashboard.train").click().run()
    assert not app.exception and app.title[0].value == "Train"


def test_one_row_per_group_with_badges_metrics_and_counts(app: AppTest, services: Services) -> None:
    open_page(app, "model_dashboard")
    table = frame_with(app, "versions by status").set_index("group")
    assert set(table.index) == {"svc", "reviews", "wine"}
    reviews = table.loc["reviews"]
    assert (reviews["latest"], list(reviews["approval"]), reviews["value"]) == (3, ["PendingManualApproval"], 0.8123)
    assert reviews["objective"] == "validation:f1_macro ↑" and reviews["other metrics"] == "validation:rmse 0.400 ↓"
    assert reviews["versions by status"] == "PendingManualApproval 2 · Approved 1"
    assert (reviews["endpoints"], list(reviews["drift"]), bool(reviews["no monitor"])) == ("—", ["—"], False)
    assert {m.label: m.value for m in app.metric} == {"Model groups": "3", "Deployed": "0", "No monitor": "0",
                                                     "Awaiting approval": "3"}


def test_a_groups_detail_lists_every_version_and_approves_one(app: AppTest, services: Services) -> None:
    open_page(app, "model_dashboard")
    app.selectbox(key=keys.MODEL_DASHBOARD_GROUP).select("reviews").run()
    versions = frame_with(app, "ModelPackageArn")
    assert list(versions["version"]) == [3, 2, 1]
    assert list(versions["ModelPackageArn"])[0] == "arn:aws:sagemaker:local:000000000000:model-package/reviews/3"
    assert "Not deployed" in texts(app.caption)
    app.selectbox(key=f"{DETAIL}.version").select("reviews/2").run()
    app.button(key=f"{DETAIL}.reject").click().run()
    assert not app.exception
    assert services.training.get_model("reviews/2").approval_status == "Rejected"
    assert "reviews/2** is now Rejected" in texts(app.success)
    app.button(key=f"{DETAIL}.approve").click().run()  # the version picked stays picked
    assert services.training.get_model("reviews/2").approval_status == "Approved"


def test_filters_narrow_the_table(app: AppTest, services: Services) -> None:
    services.training.set_model_approval("wine/1", "Rejected")
    open_page(app, "model_dashboard")
    app.selectbox(key=f"{keys.MODEL_DASHBOARD_FILTERS}.approval").select("Rejected").run()
    assert list(frame_with(app, "versions by status")["group"]) == ["wine"]
    app.selectbox(key=f"{keys.MODEL_DASHBOARD_FILTERS}.approval").select("All").run()
    app.checkbox(key=f"{keys.MODEL_DASHBOARD_FILTERS}.no_monitor").check().run()
    assert "No model group matches these filters (3 in all)" in texts(app.caption)


def test_the_lineage_button_hands_the_latest_version_over(app: AppTest, services: Services) -> None:
    open_page(app, "model_dashboard")
    app.selectbox(key=keys.MODEL_DASHBOARD_GROUP).select("reviews").run()
    app.button(key="model_dashboard.lineage").click().run()
    assert not app.exception and app.title[0].value == "Lineage"
    assert app.segmented_control(key=keys.LINEAGE_KIND).value == "model"
    assert app.selectbox(key="lineage.entity.model").value == "reviews/3"  # the Lineage page took the hand-over


def test_a_deployed_group_without_capture_is_flagged_no_monitor(app: AppTest, services: Services, workspace: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    port = unused_port()
    monkeypatch.setenv("WORKBENCH_GATEWAY_PORT", str(port))
    hosting = build_services(Settings(home=workspace, seed_on_start=False, gateway_port=port))
    hosting.endpoints.deploy(DeployRequest("dash-page", (Variant("AllTraffic", "wine/1"),), capture_percent=0))
    try:
        assert hosting.endpoints.wait_for_endpoint("dash-page", 120).status == "InService"
        open_page(app, "model_dashboard")
        wine = frame_with(app, "versions by status").set_index("group").loc["wine"]
        assert (wine["endpoints"], wine["variants"], list(wine["drift"]), bool(wine["no monitor"])) == (
            "dash-page", "dash-page/AllTraffic v1 100%", ["No report yet"], True)
        app.session_state[f"{keys.MODEL_DASHBOARD_FILTERS}.deployed"] = "deployed"
        app.run()
        assert list(frame_with(app, "versions by status")["group"]) == ["wine"]
        assert "Deployed without a monitor" in texts(app.warning)
        serving = frame_with(app, "latest drift report")
        assert list(serving["endpoint"]) == ["dash-page"] and list(serving["monitored"]) == [False]
    finally:
        stop_everything(hosting)


def test_two_hundred_groups_render_in_under_a_second(app: AppTest, workspace: Path) -> None:
    built = build_services(Settings(home=workspace, seed_on_start=False))
    register_versions(built, workspace.parent / "artifacts", {f"group-{i:03d}": 1 for i in range(199)}, METRICS)
    open_page(app, "model_dashboard")
    started = time.perf_counter()
    app.run()
    elapsed = time.perf_counter() - started
    assert not app.exception and len(frame_with(app, "versions by status")) == 200
    print(f"model dashboard with 200 groups: {elapsed:.2f} s")
    assert elapsed < 1.0


def test_a_drift_report_on_too_few_rows_shows_not_enough_traffic(app: AppTest, services: Services, workspace: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A saved drift report on 12 captured rows that lists a violation: the drift column and the serving table say
    "Not enough traffic" (12 of 30), not "Violations"."""
    port = unused_port()
    monkeypatch.setenv("WORKBENCH_GATEWAY_PORT", str(port))
    hosting = build_services(Settings(home=workspace, seed_on_start=False, gateway_port=port))
    hosting.endpoints.deploy(DeployRequest("dash-few", (Variant("AllTraffic", "wine/1"),), capture_percent=100))
    try:
        assert hosting.endpoints.wait_for_endpoint("dash-few", 120).status == "InService"
        hosting.endpoints.monitoring.write_report(DriftReport(  # type: ignore[attr-defined]
            "dash-few", "wine/1", 12, (), None, ("signal: psi 0.41 > 0.2",), created_at="2026-12-05T06:00:00.000+00:00"))
        open_page(app, "model_dashboard")
        wine = frame_with(app, "versions by status").set_index("group").loc["wine"]
        assert list(wine["drift"]) == ["Not enough traffic"] and not bool(wine["no monitor"])
        app.selectbox(key=keys.MODEL_DASHBOARD_GROUP).select("wine").run()
        serving = frame_with(app, "latest drift report")
        assert list(serving["latest drift report"]) == ["Not enough traffic"]
        assert serving["detail"][0].startswith("Not enough traffic yet — 12 of 30 captured rows")
    finally:
        stop_everything(hosting)
