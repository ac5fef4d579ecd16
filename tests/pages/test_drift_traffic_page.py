"""Issue 14 UX #10: below the minimum sample the Score page's drift view and the Monitoring page's data-quality tile and
report say "not enough traffic yet — N of M", never "Drift detected"; at the minimum the verdict is back."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from services.endpoints.models import MIN_TRAFFIC_ROWS, DriftReport, FeatureDrift
from services.monitoring.models import MonitorOverview, MonitorReport, MonitorTile, Violation, tile_status
from tests.helpers.monitoring_pages import tile_statuses
from tests.helpers.pages import texts

CREATED_AT = "2026-03-01T12:00:00.000+00:00"


def drift_report(rows: int) -> DriftReport:
    return DriftReport(endpoint="e", baseline_model_id="m/1", rows=rows, violations=("age: PSI 0.90 > 0.2",),
                       features=(FeatureDrift("age", "numeric", 0.9, 0.5, 0.4, "age: PSI 0.90 > 0.2"),),
                       prediction_drift=None, over_time=())


def score_drift_view(report):  # type: ignore[no-untyped-def]  # runs as a script: no annotations to resolve
    from components.score_views import render_drift_report

    render_drift_report(report, key="t")


def test_the_score_pages_drift_view_is_neutral_under_the_minimum_sample() -> None:
    few = AppTest.from_function(score_drift_view, args=(drift_report(4),)).run()
    assert not few.exception, few.exception
    assert "Drift detected" not in texts(few.warning)
    assert f"Not enough traffic yet — 4 of {MIN_TRAFFIC_ROWS} captured rows." in texts(few.info)
    enough = AppTest.from_function(score_drift_view, args=(drift_report(MIN_TRAFFIC_ROWS),)).run()
    assert "Drift detected" in texts(enough.warning)
    assert "Not enough traffic" not in texts(enough.info)


def monitoring_view(overview, report):  # type: ignore[no-untyped-def]
    from components.monitoring_views import render_overview, render_report

    render_overview(overview, key="tiles")
    render_report(report, key="report")


def data_quality_report(rows: int) -> MonitorReport:
    """A report as Model Monitor's files read back on AWS would give it: one column's drift violation on ``rows``."""
    violation = Violation("age", "baseline_drift_check", "Baseline drift distance: 0.41 exceeds threshold: 0.1")
    return MonitorReport("e", "data-quality", "CompletedWithViolations", CREATED_AT, {"dataset": {"item_count": rows}},
                         {}, (violation,), item_count=rows, captured_count=rows)


def test_the_data_quality_tile_and_report_are_neutral_under_the_minimum_sample() -> None:
    report = data_quality_report(4)
    status = tile_status(report, "Violations")
    overview = MonitorOverview("e", (MonitorTile("data-quality", status, violations=1),
                                     *(MonitorTile(t, "Not scheduled") for t in ("model-quality", "bias-drift",
                                                                                 "feature-attribution-drift"))))
    app = AppTest.from_function(monitoring_view, args=(overview, report)).run()
    assert not app.exception, app.exception
    assert tile_statuses(app)[0] == "Not enough traffic"
    assert f"Not enough traffic yet — 4 of {MIN_TRAFFIC_ROWS} captured rows." in texts(app.info)
    assert tile_status(data_quality_report(MIN_TRAFFIC_ROWS), "Violations") == "Violations"
