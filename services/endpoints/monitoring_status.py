"""The local backend's monitoring status of endpoints: is data capture on (the app's scheduled drift reports read
it) and what the newest saved report (``<home>/endpoints/<name>/monitoring/<timestamp>.json``) said.

Only the newest report file is read (file names sort by time), so a dashboard over many endpoints stays cheap. A
report on fewer than ``MIN_TRAFFIC_ROWS`` captured rows gives no verdict: its status is the neutral
``NOT_ENOUGH_TRAFFIC``, whatever violations it lists (distances on a handful of rows say nothing)."""

from __future__ import annotations

import json
from pathlib import Path

from services.endpoints.models import NOT_ENOUGH_TRAFFIC, MonitoringStatus, traffic_shortfall

REPORTS_FOLDER = "monitoring"  # as services.endpoints.monitoring writes them


def newest_report(folder: Path) -> Path | None:
    """The newest ``<timestamp>.json`` of a reports folder; ``None`` when there is none."""
    reports = sorted(folder.glob("*.json")) if folder.is_dir() else []
    return reports[-1] if reports else None


def report_status(endpoint: str, monitored: bool, report: Path | None) -> MonitoringStatus:
    """An endpoint's status from its newest saved drift report: violations, OK, or ``NOT_ENOUGH_TRAFFIC`` (with the
    shortfall as its detail) when the report compared fewer than ``MIN_TRAFFIC_ROWS`` rows."""
    if report is None:
        return MonitoringStatus(endpoint, monitored)
    data = json.loads(report.read_text())
    created_at = str(data.get("created_at", ""))
    shortfall = traffic_shortfall(int(data.get("rows") or 0))
    if shortfall:
        return MonitoringStatus(endpoint, monitored, NOT_ENOUGH_TRAFFIC, 0, created_at, shortfall)
    violations = len(data.get("violations") or ())
    return MonitoringStatus(endpoint, monitored, "Violations" if violations else "OK", violations, created_at,
                            "; ".join(data.get("violations") or ()))


def local_monitoring_status(home: Path, capture_percent: dict[str, int], names: list[str]) -> list[MonitoringStatus]:
    """One status per name: ``capture_percent`` holds the existing endpoints' data-capture share (0 = off)."""
    statuses = []
    for name in names:
        report = newest_report(Path(home) / "endpoints" / name / REPORTS_FOLDER) if name in capture_percent else None
        statuses.append(report_status(name, capture_percent.get(name, 0) > 0, report))
    return statuses
