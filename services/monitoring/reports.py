"""Keeping monitor reports on the local stack, one folder per execution as Model Monitor writes them to S3.

``<home>/endpoints/<name>/monitoring/<type>/<UTC stamp>/`` holds ``statistics.json``, ``constraints.json`` and
``constraint_violations.json`` plus ``report.json`` (the rest of the ``MonitorReport``: status, counts, trend,
details, notes). The stamp sorts in time order (``20261205T151200123Z``; a second report in the same millisecond
gets ``-1``, ``-2``…). The drift reports the endpoints port writes sit beside them as ``monitoring/<stamp>.json``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from services.embedded.metadata import MetadataStore
from services.endpoints.monitoring import REPORTS_FOLDER, endpoint_folder
from services.lineage.hooks import record_monitoring_report
from services.monitoring.models import MonitorReport, Violation
from services.monitoring.schedules import REPORT_URI_DETAIL

REPORT_FILE = "report.json"
FILES = ("statistics.json", "constraints.json", "constraint_violations.json")


def reports_folder(home: Path, endpoint: str, monitor_type: str) -> Path:
    """Where an endpoint's reports of one type are kept (the endpoint name and type are checked by the caller)."""
    return endpoint_folder(home, endpoint) / REPORTS_FOLDER / monitor_type


def stamp(created_at: str) -> str:
    """``2026-12-05T15:12:00.123+00:00`` -> ``20261205T151200123Z``."""
    digits = "".join(ch for ch in created_at[:23] if ch.isdigit())
    return f"{digits[:8]}T{digits[8:]}Z"


def save_report(home: Path, store: MetadataStore, report: MonitorReport) -> MonitorReport:
    """Write the report's folder and return the report with ``details["report_uri"]`` naming it."""
    parent = reports_folder(home, report.endpoint, report.monitor_type)
    parent.mkdir(parents=True, exist_ok=True)
    folder, suffix = parent / stamp(report.created_at), 0
    while folder.exists():
        suffix += 1
        folder = parent / f"{stamp(report.created_at)}-{suffix}"
    partial = parent / f".{folder.name}.partial"
    partial.mkdir()
    kept = replace(report, details={**report.details, REPORT_URI_DETAIL: str(folder)})
    for name, data in kept.files().items():
        (partial / name).write_bytes(data)
    (partial / REPORT_FILE).write_text(json.dumps(rest_of(kept), indent=2))
    partial.rename(folder)  # readers never see a half-written report
    record_monitoring_report(store, report.endpoint, str(folder), report.created_at)
    return kept


def rest_of(report: MonitorReport) -> dict[str, Any]:
    """What ``report.json`` keeps: everything but the three Model Monitor files."""
    return {"endpoint": report.endpoint, "monitor_type": report.monitor_type, "status": report.status,
            "created_at": report.created_at, "item_count": report.item_count, "captured_count": report.captured_count,
            "trend": list(report.trend), "details": report.details, "notes": list(report.notes),
            "failure_reason": report.failure_reason, "schedule_name": report.schedule_name}


def load_report(folder: Path) -> MonitorReport:
    """A kept report read back from its folder."""
    rest = json.loads((folder / REPORT_FILE).read_text())
    violations = json.loads((folder / "constraint_violations.json").read_text()).get("violations", [])
    return MonitorReport(
        endpoint=rest["endpoint"], monitor_type=rest["monitor_type"], status=rest["status"], created_at=rest["created_at"],
        statistics=json.loads((folder / "statistics.json").read_text()),
        constraints=json.loads((folder / "constraints.json").read_text()),
        violations=tuple(Violation.from_json(v) for v in violations),
        item_count=rest["item_count"], captured_count=rest["captured_count"], trend=tuple(rest["trend"]),
        details=rest["details"], notes=tuple(rest["notes"]), failure_reason=rest["failure_reason"],
        schedule_name=rest["schedule_name"])


def report_folders(home: Path, endpoint: str, monitor_type: str) -> list[Path]:
    """The kept report folders of one type, oldest first."""
    parent = reports_folder(home, endpoint, monitor_type)
    if not parent.is_dir():
        return []
    return sorted((p for p in parent.iterdir() if p.is_dir() and not p.name.startswith(".")), key=_order)


def _order(folder: Path) -> tuple[str, int]:
    name, _, suffix = folder.name.partition("-")
    return name, int(suffix or 0)


def latest_report(home: Path, endpoint: str, monitor_type: str) -> MonitorReport | None:
    folders = report_folders(home, endpoint, monitor_type)
    return load_report(folders[-1]) if folders else None
