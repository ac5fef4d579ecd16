"""The local monitoring status the Model dashboard shows: a saved drift report on fewer than MIN_TRAFFIC_ROWS rows is
neutral ("Not enough traffic"), never "Violations"."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from services.endpoints.models import MIN_TRAFFIC_ROWS, DriftReport
from services.endpoints.monitoring_status import NOT_ENOUGH_TRAFFIC, report_status


def saved_report(folder: Path, rows: int, violations: tuple[str, ...]) -> Path:
    path = folder / f"report-{rows}.json"
    report = DriftReport("live", "reviews/1", rows, (), None, violations, created_at="2026-12-05T06:00:00+00:00")
    path.write_text(json.dumps(asdict(report)))
    return path


def test_a_report_on_too_few_rows_is_not_enough_traffic_whatever_it_lists(tmp_path: Path) -> None:
    few = report_status("live", True, saved_report(tmp_path, 12, ("age: PSI 0.41 > 0.2",)))
    assert (few.latest_status, few.violations, few.report_time) == (NOT_ENOUGH_TRAFFIC, 0, "2026-12-05T06:00:00+00:00")
    assert few.detail.startswith(f"Not enough traffic yet — 12 of {MIN_TRAFFIC_ROWS} captured rows")


def test_from_the_minimum_on_the_report_decides(tmp_path: Path) -> None:
    enough = report_status("live", True, saved_report(tmp_path, MIN_TRAFFIC_ROWS, ("age: PSI 0.41 > 0.2",)))
    assert (enough.latest_status, enough.violations, enough.detail) == ("Violations", 1, "age: PSI 0.41 > 0.2")
    calm = report_status("live", True, saved_report(tmp_path, 500, ()))
    assert (calm.latest_status, calm.violations) == ("OK", 0)
