"""The Monitoring page over a real local endpoint: the review model deployed once per module with twelve captured,
labelled reviews (tests/helpers/monitoring_pages.py). Tests share that workspace and keep apart by monitor type and
schedule name; the empty state runs on the seeded workspace without endpoints.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from services.labels.models import LabelSource
from services.monitoring.models import MonitorConfig, ScheduleRequest
from services.monitoring.schedules import LocalSchedules
from services.registry import build_services
from services.training.algorithms.base import load_in_app_process
from tests.helpers.cli import in_process_cli, ok, refused
from tests.helpers.endpoints import wait_for
from tests.helpers.monitoring import json_answer, write_capture, write_endpoint_record
from tests.helpers.monitoring_pages import ENDPOINT, monitored_endpoint, monitoring_app, tile_statuses
from tests.helpers.pages import REVIEW_MODEL, frame_with, open_page, texts
from tests.helpers.workspace import settings_for_tests

FORM = f"{keys.MONITORING_SCHEDULE}.form"
FACETS = "reviews-facets"


@pytest.fixture(scope="module")
def monitored(review_model_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int]]:
    with monitored_endpoint(review_model_home, tmp_path_factory.mktemp("monitoring") / "workspace") as deployed:
        yield deployed


@pytest.fixture
def page(monitored: tuple[Path, int], monkeypatch: pytest.MonkeyPatch) -> AppTest:
    app = open_page(monitoring_app(*monitored, monkeypatch), "monitoring")
    assert app.selectbox(key=keys.MONITORING_ENDPOINT).value == ENDPOINT
    return app


def click(app: AppTest, key: str) -> AppTest:
    app.button(key=key).click().run()
    assert not app.exception, app.exception
    return app


def create_schedule(app: AppTest, monitor_type: str, every: str, name: str = "") -> AppTest:
    app.selectbox(key=f"{keys.MONITORING_SCHEDULE}.type").set_value(monitor_type)
    app.radio(key=f"{keys.MONITORING_SCHEDULE}.every").set_value(every)
    app.text_input(key=f"{keys.MONITORING_SCHEDULE}.name").input(name)
    return click(app, f"FormSubmitter:{FORM}-Create schedule")


def test_no_endpoints_offers_the_endpoints_page(app: AppTest) -> None:
    open_page(app, "monitoring")
    assert "No endpoints yet" in texts(app.info)
    app.button(key=keys.MONITORING_OPEN_ENDPOINTS).click().run()
    assert not app.exception, app.exception


def test_running_model_quality_from_its_tile_shows_the_tile_the_coverage_and_the_report(page: AppTest) -> None:
    assert len(tile_statuses(page)) == 4
    click(page, f"{keys.MONITORING_TILES}.model-quality.run")
    assert f"Model quality on {ENDPOINT}: Completed" in texts(page.success) + texts(page.warning)
    assert tile_statuses(page)[1] in ("OK", "Violations")
    assert "Labelled 12 of 12 captured predictions (100%)." in texts(page.markdown)
    assert page.segmented_control(key=keys.MONITORING_TYPE).value == "model-quality"
    metrics = frame_with(page, "metric").set_index("metric")
    assert 0.0 <= metrics.loc["accuracy", "value"] <= 1.0
    assert {"macro_f1", "weighted_f1"} <= set(metrics.index)
    per_class = frame_with(page, "class").set_index("class")  # each class's precision and recall
    assert list(per_class.columns) == ["precision", "recall", "f1", "support"] and per_class["support"].sum() == 12
    assert [b.label for b in page.get("download_button")] == [
        "statistics.json", "constraints.json", "constraint_violations.json"]
    assert len(page.get("plotly_chart")) >= 1  # the confusion matrix (and the per-hour trend when it has points)
    assert "12 rows of 12 captured" in texts(page.caption)


def test_the_monitor_shown_runs_from_under_its_report_and_twelve_rows_are_not_enough_for_a_drift_verdict(
        page: AppTest) -> None:
    assert page.segmented_control(key=keys.MONITORING_TYPE).value == "data-quality"
    click(page, keys.MONITORING_RUN)
    notice = texts(page.success) + texts(page.warning)
    assert f"Data quality on {ENDPOINT}: Completed" in notice
    features = frame_with(page, "present").set_index("feature")  # Model Monitor's statistics.json, one row per column
    assert (features.loc["review_body", "type"], features.loc["review_body", "present"]) == ("String", 12)
    assert "Not enough traffic yet — 12 of 30 captured rows." in texts(page.info)  # UX #10: no drift verdict
    assert tile_statuses(page)[0] == "Not enough traffic"
    assert "not enough traffic yet — 12 of 30 captured rows" in texts(page.markdown)
    assert [b.label for b in page.get("download_button")] == [
        "statistics.json", "constraints.json", "constraint_violations.json"]


def test_a_schedule_is_created_listed_with_its_next_run_and_deleted(page: AppTest) -> None:
    create_schedule(page, "feature-attribution-drift", "daily", "reviews-nightly-shap")
    assert "Schedule created: reviews-nightly-shap runs daily; next at" in texts(page.success)
    listed = frame_with(page, "schedule").set_index("schedule").loc["reviews-nightly-shap"]
    assert (listed["monitor"], listed["every"], listed["status"]) == ("Feature attribution drift", "daily", "Scheduled")
    assert listed["next run"].endswith("00:00 UTC") and list(listed["last execution"]) == []
    assert "Schedule: reviews-nightly-shap" in texts(page.caption)  # on the feature-attribution tile
    page.selectbox(key=f"{keys.MONITORING_SCHEDULE}.pick").set_value("reviews-nightly-shap").run()
    assert "No executions yet" in texts(page.caption)
    click(page, keys.MONITORING_DELETE)
    assert "Schedule deleted: reviews-nightly-shap" in texts(page.success)
    assert "reviews-nightly-shap" not in texts(page.caption)


def test_an_execution_the_runner_caught_up_on_shows_its_status(page: AppTest, monitored: tuple[Path, int]) -> None:
    """A data-quality schedule whose hour passed while the app was down: the runner's catch-up runs it once (the
    local adapter's real run), and the page lists the execution and its status."""
    home, port = monitored
    services = build_services(settings_for_tests(home=home, seed_on_start=False, gateway_port=port))
    adapter = services.monitoring
    services.monitoring.create_schedule(ScheduleRequest(ENDPOINT, "data-quality", "hourly", "reviews-hourly-dq"))
    later = datetime.now(UTC) + timedelta(hours=3)
    caught_up = LocalSchedules(services.stack, run=adapter.run_execution,  # type: ignore[attr-defined]
                               check_endpoint=adapter.check_endpoint, clock=lambda: later).run_due()  # type: ignore[attr-defined]
    [execution] = [e for e in caught_up if e.schedule_name == "reviews-hourly-dq"]
    assert execution.status in ("Completed", "CompletedWithViolations"), execution.failure_reason
    page.run()
    listed = frame_with(page, "schedule").set_index("schedule").loc["reviews-hourly-dq"]
    assert list(listed["last execution"]) == [execution.status]
    page.selectbox(key=f"{keys.MONITORING_SCHEDULE}.pick").set_value("reviews-hourly-dq").run()
    assert list(frame_with(page, "scheduled for")["status"].iloc[0]) == [execution.status]
    assert tile_statuses(page)[0] == "Not enough traffic"  # twelve captured rows: a neutral tile, not a verdict
    services.monitoring.delete_schedule("reviews-hourly-dq")


def test_bias_drift_needs_a_facet_picked_from_the_request_columns_and_a_schedule_takes_the_settings(
        page: AppTest, monitored: tuple[Path, int]) -> None:
    page.segmented_control(key=keys.MONITORING_TYPE).set_value("bias-drift").run()
    settings = f"{keys.MONITORING_SETTINGS}.bias-drift"
    page.number_input(key=f"{settings}.band").set_value(0.25).run()
    click(page, keys.MONITORING_RUN)
    assert "Choose the facet" in texts(page.error)
    assert page.number_input(key=f"{settings}.band").value == 0.25
    facet = page.selectbox(key=f"{settings}.facet")
    assert facet.options == ["review_body"]  # the review model's request has one column
    facet.set_value("review_body").run()
    create_schedule(page, "bias-drift", "daily", "reviews-bias-daily")
    assert "Schedule created: reviews-bias-daily runs daily" in texts(page.success)
    monitoring = build_services(settings_for_tests(home=monitored[0], seed_on_start=False)).monitoring
    config = monitoring.describe_schedule("reviews-bias-daily").config
    assert (config.facet, config.band) == ("review_body", 0.25)
    monitoring.delete_schedule("reviews-bias-daily")


def test_bad_and_taken_schedule_names_are_refused_with_the_form_kept(page: AppTest) -> None:
    create_schedule(page, "data-quality", "hourly", "../escape")
    assert "monitoring schedule name" in texts(page.error)
    assert page.text_input(key=f"{keys.MONITORING_SCHEDULE}.name").value == "../escape"
    create_schedule(page, "bias-drift", "daily", "reviews-bias")
    assert "A bias-drift schedule needs a facet" in texts(page.error)  # none chosen in the run settings yet
    create_schedule(page, "data-quality", "hourly", "reviews-taken")
    create_schedule(page, "model-quality", "daily", "reviews-taken")
    assert "'reviews-taken' exists already" in texts(page.error)
    assert page.selectbox(key=f"{keys.MONITORING_SCHEDULE}.type").value == "model-quality"
    page.selectbox(key=f"{keys.MONITORING_SCHEDULE}.pick").set_value("reviews-taken").run()
    click(page, keys.MONITORING_DELETE)
    assert "Schedule deleted: reviews-taken" in texts(page.success)


def test_the_command_line_creates_and_lists_schedules_in_sagemakers_shape(
        monitored: tuple[Path, int], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """``monitor schedule`` / ``monitor schedules`` on the same endpoint (beside the page tests, which deployed it)."""
    cli = in_process_cli(monitored[0], monkeypatch, capsys, gateway_port=str(monitored[1]))
    created = ok(cli, "monitor", "schedule", ENDPOINT, "--type", "bias-drift", "--every", "daily", "--facet", "review_body",
                 "--band", "0.2", "--name", "reviews-cli-bias")
    assert {k: created[k] for k in ("MonitoringScheduleName", "MonitoringScheduleStatus", "MonitoringType", "EndpointName")} \
        == {"MonitoringScheduleName": "reviews-cli-bias", "MonitoringScheduleStatus": "Scheduled",
            "MonitoringType": "ModelBias", "EndpointName": ENDPOINT}
    assert created["MonitoringScheduleConfig"] == {"ScheduleConfig": {"ScheduleExpression": "cron(0 0 ? * * *)"}}
    assert created["NextExecutionTime"].endswith("T00:00:00.000+00:00") and "LastMonitoringExecutionSummary" not in created
    listed = ok(cli, "monitor", "schedules", "--endpoint", ENDPOINT)["MonitoringScheduleSummaries"]
    assert "reviews-cli-bias" in [s["MonitoringScheduleName"] for s in listed]
    assert ok(cli, "monitor", "schedules", "--endpoint", "no-such-endpoint") == {"MonitoringScheduleSummaries": []}
    assert "needs a facet" in refused(cli, "monitor", "schedule", ENDPOINT, "--type", "bias-drift", "--name", "reviews-other")
    assert "exists already" in refused(cli, "monitor", "schedule", ENDPOINT, "--type", "data-quality", "--name", "reviews-cli-bias")
    assert "No endpoint named 'gone'" in refused(cli, "monitor", "schedule", "gone", "--type", "data-quality")
    assert "needs an endpoint name" in refused(cli, "monitor", "schedule", "--type", "data-quality")
    build_services(settings_for_tests(home=monitored[0], seed_on_start=False)).monitoring.delete_schedule("reviews-cli-bias")


def test_a_review_endpoint_sent_product_category_gets_bias_drift_per_category(monitored: tuple[Path, int]) -> None:
    """Requests carry ``product_category`` beside the review (the model reads only the review; its training table has
    the column): it is offered as a facet, and the bias-drift report compares each category's metrics on the labelled
    capture (labels from the labels store) with training time. The capture is written as the server writes it."""
    services = build_services(settings_for_tests(home=monitored[0], seed_on_start=False))
    record = services.training.get_model(REVIEW_MODEL)
    rows = services.query.run("SELECT review_body, product_category, sentiment FROM demo.reviews_sentiment "
                              "ORDER BY review_id DESC LIMIT 40", max_rows=40).frame
    scored = load_in_app_process(record).predict_frame(rows[["review_body"]])
    bodies = [(json.dumps({"instances": [{"review_body": text, "product_category": category}]}).encode(),
               json_answer(scored.iloc[[i]])) for i, (text, category) in enumerate(zip(rows["review_body"], rows["product_category"]))]
    ids = write_capture(write_endpoint_record(monitored[0], FACETS, record), bodies, datetime(2026, 3, 1, 9, tzinfo=UTC), 60)
    for event_id, truth in zip(ids, rows["sentiment"]):
        services.labels.submit(LabelSource(endpoint=FACETS), event_id, str(truth), "tester")
    assert services.monitoring.facet_candidates(FACETS) == ["review_body", "product_category"]
    report = services.monitoring.run_monitor(FACETS, "bias-drift", MonitorConfig(facet="product_category"))
    assert report.status in ("Completed", "CompletedWithViolations"), report.failure_reason
    assert report.item_count == 40 and report.details["facet"] == "product_category"
    groups = [e["value_or_threshold"] for e in report.statistics["post_training_bias_metrics"]["facets"]["product_category"]]
    assert sorted(groups) == sorted(set(rows["product_category"].astype(str)))
    baseline = report.constraints["post_training_bias_metrics"]["facets"]["product_category"]
    assert {e["value_or_threshold"] for e in baseline} >= set(groups)  # every live category has its training-time values


def test_the_facet_picker_offers_the_columns_sent_beside_the_review(monitored: tuple[Path, int],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Last in the module (it adds a captured request): a request to the deployed endpoint sending ``product_category``
    beside the review makes the bias-drift facet picker offer it."""
    home, port = monitored
    services = build_services(settings_for_tests(home=home, seed_on_start=False, gateway_port=port))
    body = {"instances": [{"review_body": "The seams ripped after one wash.", "product_category": "Dresses"}]}
    services.endpoints.invoke(ENDPOINT, json.dumps(body).encode())
    wait_for(lambda: "product_category" in services.monitoring.facet_candidates(ENDPOINT), 30)  # capture is written after the answer
    page = open_page(monitoring_app(home, port, monkeypatch), "monitoring")
    page.segmented_control(key=keys.MONITORING_TYPE).set_value("bias-drift").run()
    assert page.selectbox(key=f"{keys.MONITORING_SETTINGS}.bias-drift.facet").options == ["review_body", "product_category"]
