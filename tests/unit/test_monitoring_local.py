"""The local monitoring adapter and the ``monitor`` command on a trained review model whose endpoint's capture is
written in SageMaker's format (no server needed) and labelled through the labels port: reading the capture
(bounded), kept reports, Failed runs, the overview, and the command line in-process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.metrics import accuracy_score, mean_absolute_error, mean_squared_error, r2_score

from services.endpoints.server_requests import render
from services.labels.models import LabelSource
from services.models import Column, ModelRecord
from services.monitoring import gather, reports
from services.monitoring.models import MonitorReport, ScheduleRequest
from services.monitoring.schedules import LocalSchedules
from services.registry import Services, start_monitoring
from services.training.algorithms.base import load_in_app_process
from services.training.algorithms.common import SklearnPredictor
from tests.helpers.cli import Run, in_process_cli, ok, refused
from tests.helpers.endpoints import TEXT_MODEL, hosting_services, trained_template, wait_for
from tests.helpers.monitoring import json_answer, review_request, write_capture, write_endpoint_record
from tests.helpers.workspace import close_services

pytestmark = pytest.mark.slow  # the trained template: two training jobs when this module is the first to need it

LABELLED, QUIET = "mq-reviews", "mq-quiet"
START = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Scene:
    services: Services
    record: ModelRecord
    pairs: tuple[tuple[str, str], ...]  # (ground truth, captured prediction) of the labelled events
    captured: int


@pytest.fixture(scope="module")
def scene(seeded_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    """60 held-out reviews scored by TEXT_MODEL in this process and captured over two hours; 45 labelled."""
    services = hosting_services(trained_template(tmp_path_factory, seeded_home), tmp_path_factory.mktemp("mq-local") / "ws")
    record = services.training.get_model(TEXT_MODEL)
    rows = services.query.run("SELECT review_body, sentiment FROM demo.reviews_sentiment ORDER BY review_id DESC LIMIT 60",
                              max_rows=60).frame
    scored = load_in_app_process(record).predict_frame(rows[["review_body"]])
    bodies = [(review_request(text), json_answer(scored.iloc[[i]])) for i, text in enumerate(rows["review_body"])]
    ids = write_capture(write_endpoint_record(services.settings.home, LABELLED, record), bodies, START, 120)
    write_endpoint_record(services.settings.home, QUIET, record)
    source, pairs = LabelSource(endpoint=LABELLED), []
    for i in range(45):
        truth = str(rows["sentiment"].iloc[i])
        services.labels.submit(source, ids[i], truth, "tester")
        pairs.append((truth, str(scored["predicted_label"].iloc[i])))
    yield Scene(services, record, tuple(pairs), len(ids))
    close_services(services)


@pytest.fixture
def cli(scene: Scene, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    return in_process_cli(scene.services.settings.home, monkeypatch, capsys)


def test_the_overview_counts_labels_given_before_any_model_quality_report(scene: Scene) -> None:
    """Right after labelling, the overview says how many captured predictions have labels (not the last report's)."""
    overview = scene.services.monitoring.overview(LABELLED)
    assert (overview.labelled, overview.captured) == (45, 60)


def test_model_quality_on_labelled_capture_equals_scikit_learn_and_is_kept(scene: Scene) -> None:
    report = scene.services.monitoring.run_monitor(LABELLED, "model-quality")
    truth, predicted = zip(*scene.pairs)
    block = report.statistics["multiclass_classification_metrics"]
    assert block["accuracy"]["value"] == pytest.approx(accuracy_score(truth, predicted))
    assert (report.item_count, report.captured_count) == (45, 60)
    assert [row["items"] for row in report.trend] == [15, 30]  # 09:30-09:58 and 10:00-10:58, every 2 minutes
    folder = Path(report.details["report_uri"])
    assert folder.parent == scene.services.settings.home / "endpoints" / LABELLED / "monitoring" / "model-quality"
    assert sorted(p.name for p in folder.iterdir()) == ["constraint_violations.json", "constraints.json", "report.json",
                                                        "statistics.json"]
    assert json.loads((folder / "statistics.json").read_text()) == report.statistics
    assert scene.services.monitoring.latest_report(LABELLED, "model-quality") == report


def test_a_run_without_capture_is_failed_with_its_reason_and_shown_on_its_tile(scene: Scene) -> None:
    monitoring = scene.services.monitoring
    quality = monitoring.run_monitor(QUIET, "model-quality")
    assert quality.status == "Failed" and "has no captured predictions" in quality.failure_reason
    drift = monitoring.run_monitor(QUIET, "data-quality")
    assert drift.status == "Failed" and "has no captured traffic yet" in drift.failure_reason
    overview = monitoring.overview(QUIET)
    assert [t.status for t in overview.tiles] == ["Failed", "Failed", "Not scheduled", "Not scheduled"]
    assert "has no captured" in overview.tiles[1].headline and (overview.labelled, overview.captured) == (0, 0)


def test_capture_is_read_within_bounds_and_says_so(scene: Scene, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gather, "CAPTURE_RECORDS", 20)
    files = sorted((scene.services.settings.home / "endpoints" / LABELLED / "capture").rglob("*.jsonl"))
    frame, notes = gather.captured_predictions(files, scene.record)
    assert len(frame) == 20 and frame["event_id"].tolist() == [f"ev-{n}" for n in range(40, 60)]  # the most recent
    assert notes == ("Read the most recent 20 of 60 captured records: a monitor reads at most 20 records and 128 MB of "
                     "capture, so older traffic is left out.",)
    assert list(frame.columns) == ["event_id", "captured_at", "review_body", "prediction", "probability"]
    assert frame["probability"].between(0, 1).all() and str(frame["captured_at"].dt.tz) == "UTC"


def test_one_row_per_instance_of_a_multi_row_request(scene: Scene, tmp_path: Path) -> None:
    scored = pd.DataFrame({"predicted_label": ["1", "-1"], "probability": [0.9, 0.6]})
    request = json.dumps({"instances": [{"review_body": "love it"}, {"review_body": "ripped"}]}).encode()
    write_capture(tmp_path, [(request, json_answer(scored))], START, 1)
    frame, _ = gather.captured_predictions(sorted(tmp_path.rglob("*.jsonl")), scene.record)
    assert frame[["event_id", "review_body", "prediction", "probability"]].values.tolist() == [
        ["ev-0", "love it", "1", 0.9], ["ev-0", "ripped", "-1", 0.6]]


def test_reports_in_the_same_millisecond_are_all_kept_in_order(scene: Scene) -> None:
    home, store = scene.services.settings.home, scene.services.stack.store
    report = MonitorReport(QUIET, "bias-drift", "Completed", "2026-03-01T12:00:00.000+00:00", {"version": 0.0}, {},
                           details={"headline": "first"})
    first = reports.save_report(home, store, report)
    second = reports.save_report(home, store, MonitorReport(**{**report.__dict__, "details": {"headline": "second"}}))
    assert Path(second.details["report_uri"]).name == Path(first.details["report_uri"]).name + "-1"
    latest = reports.latest_report(home, QUIET, "bias-drift")
    assert latest is not None and latest.details["headline"] == "second"


def test_engine_baselines_are_cached_next_to_the_model(tmp_path: Path, scene: Scene) -> None:
    record = ModelRecord(**{**scene.record.__dict__, "artifact_path": str(tmp_path)})
    assert gather.load_cache(record) == {}
    gather.save_cache(record, {"bias-drift": {"DPPL": 0.1}})
    assert gather.load_cache(record) == {"bias-drift": {"DPPL": 0.1}}
    (tmp_path / gather.CACHE_FILE).write_text("[not an object")
    assert gather.load_cache(record) == {}


def test_a_regression_endpoints_capture_gives_model_monitors_regression_metrics(scene: Scene, tmp_path: Path) -> None:
    """A real scikit-learn regression on the wine table behind an endpoint: CSV requests, the server's JSON answers,
    ground truth imported in Model Monitor's JSON lines; the report's numbers are scikit-learn's on the same rows."""
    services = scene.services
    wine = services.query.run("SELECT * FROM demo.wine", max_rows=200).frame
    columns = ["malic_acid", "color_intensity", "proline"]
    SklearnPredictor(LinearRegression().fit(wine[columns], wine["alcohol"]), "Regression", [],
                     dict.fromkeys(columns, "numeric"), "sklearn").save(tmp_path / "model")
    draft = ModelRecord(model_id="", name="mq-wine-alcohol", version=0, framework="sklearn", problem_type="Regression",
                        target="alcohol", input_schema=tuple(Column(c, "double") for c in columns), classes=(),
                        metrics={"rmse": 0.2, "mae": 0.15, "r2": 0.9}, run_id="", job_name="", artifact_path="")
    record = services.stack.models.register(draft, tmp_path / "model")
    rows = wine.head(40)
    predicted = load_in_app_process(record).predict_frame(rows[columns])["predicted_label"].to_numpy()
    bodies = [(",".join(str(v) for v in row).encode(), render([{"predicted_label": float(p)}], "json"))
              for row, p in zip(rows[columns].itertuples(index=False), predicted)]
    ids = write_capture(write_endpoint_record(services.settings.home, "mq-wine", record), bodies, START, 60,
                        request_type="text/csv")
    truth = rows["alcohol"].to_numpy()
    lines = [json.dumps({"groundTruthData": {"data": str(t), "encoding": "CSV"}, "eventMetadata": {"eventId": event},
                         "eventVersion": "0"}) for event, t in zip(ids[:30], truth)]
    assert services.labels.import_labels("mq-wine", "truth.jsonl", "\n".join(lines).encode()).imported == 30
    report = services.monitoring.run_monitor("mq-wine", "model-quality")
    assert set(report.statistics) == {"version", "dataset", "regression_metrics"} and report.item_count == 30
    block, y, p = report.statistics["regression_metrics"], truth[:30], predicted[:30]
    assert {name: block[name]["value"] for name in ("mae", "mse", "rmse", "r2")} == pytest.approx(
        {"mae": mean_absolute_error(y, p), "mse": mean_squared_error(y, p), "rmse": mean_squared_error(y, p) ** 0.5,
         "r2": r2_score(y, p)})
    assert set(report.constraints["regression_constraints"]) == {"mae", "mse", "rmse", "r2"}
    assert {v.feature_name for v in report.violations} >= {"rmse", "r2"}  # a 3-column fit is far from rmse 0.2, r2 0.9
    kept = json.loads((Path(report.details["report_uri"]) / "constraint_violations.json").read_text())["violations"]
    assert [v["metric_name"] for v in kept] == [v.feature_name for v in report.violations]  # Model Monitor's key
    assert services.monitoring.latest_report("mq-wine", "model-quality") == report
    assert [row["items"] for row in report.trend] == [30] and "rmse" in report.trend[0]
    assert report.details["headline"] == f"rmse {block['rmse']['value']:.2f} on 30 labelled predictions"


def test_the_apps_schedule_runner_catches_up_at_start_without_a_click(scene: Scene) -> None:
    """A schedule whose hours passed while the app was down: the runner the app starts (``start_monitoring``) runs it
    at once, a real model-quality execution, one for the missed hours; nobody clicks anything."""
    services, name = scene.services, "mq-caught-up"
    monitoring = services.monitoring
    before_restart = datetime.now(UTC) - timedelta(hours=5)
    LocalSchedules(services.stack, run=monitoring.run_execution, check_endpoint=monitoring.check_endpoint,  # type: ignore[attr-defined]
                   clock=lambda: before_restart).create_schedule(ScheduleRequest(LABELLED, "model-quality", name=name))
    assert monitoring.list_executions(name) == []
    runner = start_monitoring(services)
    try:
        wait_for(lambda: [e.status for e in monitoring.list_executions(name)] == ["Completed"], 60)
    finally:
        runner.stop()  # type: ignore[union-attr]
    [execution] = monitoring.list_executions(name)
    report = reports.load_report(Path(execution.report_uri))
    assert (report.schedule_name, report.item_count, report.monitor_type) == (name, 45, "model-quality")
    schedule = monitoring.describe_schedule(name)
    assert schedule.last_execution_status == "Completed" and schedule.next_execution_at > datetime.now(UTC).isoformat()
    monitoring.delete_schedule(name)


# -- the command line --------------------------------------------------------------------------------------------------


def test_monitor_model_quality_prints_model_monitors_statistics_and_writes_the_files(cli: Run, scene: Scene) -> None:
    answer = ok(cli, "monitor", LABELLED, "--type", "model-quality", "--tolerance", "0.9", "--out", "mq")
    assert set(answer) == {"version", "dataset", "multiclass_classification_metrics", "violations"}
    assert answer["dataset"]["item_count"] == 45 and answer["violations"] == []
    metrics = answer["multiclass_classification_metrics"]
    assert {"accuracy", "weighted_precision", "weighted_recall", "weighted_f1", "confusion_matrix"} <= set(metrics)
    out = scene.services.settings.home / "exports" / "mq"
    assert json.loads((out / "statistics.json").read_text()) == {k: v for k, v in answer.items() if k != "violations"}
    assert json.loads((out / "constraint_violations.json").read_text()) == {"violations": []}
    assert "multiclass_classification_constraints" in json.loads((out / "constraints.json").read_text())


def test_monitor_endpoint_is_data_quality_in_model_monitors_layout_and_run_names_any_endpoint(cli: Run, scene: Scene) -> None:
    report = ok(cli, "monitor", LABELLED, "--out", "dq")
    assert report["monitor_type"] == "data-quality" and report["item_count"] == 60
    statistics, constraints = report["statistics"], report["constraints"]
    assert statistics["dataset"] == {"item_count": 60} and statistics["version"] == 0.0
    [review] = statistics["features"]  # the review model reads one column: free text, so no categorical distribution
    assert (review["name"], review["inferred_type"]) == ("review_body", "String")
    assert review["string_statistics"]["common"] == {"num_present": 60, "num_missing": 0}
    assert constraints["features"] == [{"name": "review_body", "inferred_type": "String", "completeness": 1.0}]
    assert constraints["monitoring_config"]["distribution_constraints"] == {
        "perform_comparison": "Enabled", "comparison_threshold": 0.1, "comparison_method": "Robust"}
    assert report["violations"] == [] and report["details"]["enough_traffic"] is True
    out = scene.services.settings.home / "exports" / "dq"
    assert json.loads((out / "statistics.json").read_text()) == statistics
    assert json.loads((out / "constraint_violations.json").read_text()) == {"violations": []}
    assert ok(cli, "monitor", "run", LABELLED)["endpoint"] == LABELLED


@pytest.mark.parametrize(("args", "message"), [
    (("monitor", QUIET, "--type", "model-quality"), "The model-quality monitor of mq-quiet failed: The endpoint has no captured"),
    (("monitor", "ghost", "--type", "model-quality"), "No endpoint named 'ghost'"),
    (("monitor", "bad_name"), "'bad_name' is not a valid endpoint name"),
    (("monitor", LABELLED, "extra"), "Unexpected 'extra' after the endpoint name"),
    (("monitor", "run"), "monitor run needs an endpoint name"),
    (("monitor", LABELLED, "--type", "model-quality", "--table", "demo.wine"), "--table and --data compare rows"),
])
def test_monitor_errors_exit_2_with_one_line(cli: Run, args: tuple[str, ...], message: str) -> None:
    assert message in refused(cli, *args)


def test_schedule_words_go_to_the_schedule_commands(cli: Run) -> None:
    created = ok(cli, "monitor", "schedule", LABELLED, "--type", "model-quality", "--every", "daily", "--tolerance", "0.1")
    assert (created["MonitoringScheduleName"], created["MonitoringType"]) == (f"{LABELLED}-model-quality", "ModelQuality")
    listed = ok(cli, "monitor", "schedules", "--endpoint", LABELLED)["MonitoringScheduleSummaries"]
    assert [s["MonitoringScheduleName"] for s in listed] == [f"{LABELLED}-model-quality"]
