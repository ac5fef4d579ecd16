"""The local monitoring adapter: the four monitor types run in the app's process over the endpoint's capture files,
the labels port's ground truth and the model registry; every report kept under the endpoint's folder
(``services/monitoring/reports.py``); schedules in the metadata store (``services/monitoring/schedules.py``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from services.catalog.base import CatalogPort
from services.embedded.embedded_stack import EmbeddedStack
from services.embedded.metadata import utc_now
from services.endpoints.base import EndpointsPort
from services.endpoints.monitoring import capture_files, capture_root, count_lines, monitored_variant, read_endpoint
from services.errors import InvalidInput
from services.labels.base import LabelsPort
from services.monitoring import data_quality, reports
from services.monitoring.base import MonitoringPort
from services.monitoring.gather import RESERVED, captured_predictions, gather, save_cache
from services.monitoring.inputs import engine
from services.monitoring.models import (
    MONITOR_TYPES,
    MonitorConfig,
    MonitoringExecution,
    MonitoringSchedule,
    MonitorOverview,
    MonitorReport,
    MonitorTile,
    ScheduleRequest,
    tile_status,
)
from services.monitoring.schedules import LocalSchedules
from services.names import check_name
from services.query.base import QueryPort
from services.storage.base import StoragePort

FACET_RECORDS = 1000  # recent captured requests read for the columns they send
TILE_STATUS = {"Completed": "OK", "CompletedWithViolations": "Violations", "Failed": "Failed"}


class LocalMonitoring:
    """Monitors on demand and on schedules for this workspace's endpoints."""

    def __init__(self, stack: EmbeddedStack, *, endpoints: EndpointsPort, labels: LabelsPort) -> None:
        self.stack = stack
        self.endpoints = endpoints
        self.labels = labels
        self.home = Path(stack.settings.home)
        self.schedules = LocalSchedules(stack, run=self.run_execution, check_endpoint=self.check_endpoint)

    def check_endpoint(self, name: str) -> None:
        """``InvalidInput`` for a name no endpoint can have, ``NotFound`` for an endpoint that does not exist."""
        check_name("endpoint", name)
        read_endpoint(self.home, name)

    # -- running monitors ---------------------------------------------------------------------------------------------

    def run_monitor(self, endpoint: str, monitor_type: str, config: MonitorConfig | None = None) -> MonitorReport:
        """Run one monitor now and keep its report (see the port)."""
        return self.run_execution(endpoint, monitor_type, config or MonitorConfig(), "")

    def run_execution(self, endpoint: str, monitor_type: str, config: MonitorConfig, schedule_name: str) -> MonitorReport:
        """One execution (on demand when ``schedule_name`` is empty); the kept report names its folder in
        ``details["report_uri"]``."""
        if monitor_type not in MONITOR_TYPES:
            raise InvalidInput(f"Unknown monitor type {monitor_type!r}.", hint=f"Use one of: {', '.join(MONITOR_TYPES)}.")
        self.check_endpoint(endpoint)
        created_at = utc_now()
        if monitor_type == "data-quality":
            report = data_quality.run(self.stack, endpoint, config, created_at)
        else:
            gathered = gather(self.stack, endpoint, config, self.labels.ground_truth, created_at)
            report = engine(monitor_type)(gathered.inputs)
            save_cache(gathered.inputs.model, gathered.inputs.cache)
            report = replace(report, notes=gathered.notes + report.notes)
        return reports.save_report(self.home, self.stack.store, replace(report, schedule_name=schedule_name))

    def facet_candidates(self, endpoint: str) -> list[str]:
        """The model's input columns, then the other columns of the most recent ``FACET_RECORDS`` captured requests."""
        self.check_endpoint(endpoint)
        described = read_endpoint(self.home, endpoint)
        variant, model_id = monitored_variant(described, "")
        record = self.stack.models.get(model_id)
        files = capture_files(capture_root(self.home, described), variant)
        frame, _ = captured_predictions(files, record, FACET_RECORDS)
        return [*(c.name for c in record.input_schema),
                *(str(c) for c in frame.columns if c not in RESERVED and c not in {c.name for c in record.input_schema})]

    def latest_report(self, endpoint: str, monitor_type: str) -> MonitorReport | None:
        if monitor_type not in MONITOR_TYPES:
            raise InvalidInput(f"Unknown monitor type {monitor_type!r}.", hint=f"Use one of: {', '.join(MONITOR_TYPES)}.")
        self.check_endpoint(endpoint)
        return reports.latest_report(self.home, endpoint, monitor_type)

    def overview(self, endpoint: str) -> MonitorOverview:
        """Four tiles: each type's latest report (its status, violations, headline) and schedule; ``labelled`` (events
        with ground truth) and ``captured`` (captured records) counted now, so labels given since the last report show."""
        self.check_endpoint(endpoint)
        schedules = {s.monitor_type: s for s in reversed(self.list_schedules(endpoint))}  # the newest of each type
        tiles = tuple(self.tile(endpoint, kind, schedules.get(kind)) for kind in MONITOR_TYPES)
        return MonitorOverview(endpoint, tiles, labelled=len(self.labels.ground_truth(endpoint)),
                               captured=self.captured_records(endpoint))

    def tile(self, endpoint: str, monitor_type: str, schedule: MonitoringSchedule | None) -> MonitorTile:
        report = reports.latest_report(self.home, endpoint, monitor_type)
        name = schedule.name if schedule else ""
        if report is None:
            return MonitorTile(monitor_type, "No report yet" if schedule else "Not scheduled", name)
        status = tile_status(report, TILE_STATUS.get(report.status, "Failed"))
        return MonitorTile(monitor_type, status, name, report.created_at,
                           len(report.violations), str(report.details.get("headline", report.failure_reason)))

    def captured_records(self, endpoint: str) -> int:
        files = capture_files(capture_root(self.home, read_endpoint(self.home, endpoint)))
        return sum(count_lines(path) for path in files)

    # -- schedules (services/monitoring/schedules.py) ------------------------------------------------------------------

    def create_schedule(self, request: ScheduleRequest) -> MonitoringSchedule:
        return self.schedules.create_schedule(request)

    def list_schedules(self, endpoint: str = "") -> list[MonitoringSchedule]:
        return self.schedules.list_schedules(endpoint)

    def describe_schedule(self, name: str) -> MonitoringSchedule:
        return self.schedules.describe_schedule(name)

    def delete_schedule(self, name: str) -> None:
        self.schedules.delete_schedule(name)

    def list_executions(self, schedule_name: str, limit: int = 50) -> list[MonitoringExecution]:
        return self.schedules.list_executions(schedule_name, limit)

    def run_due(self) -> list[MonitoringExecution]:
        return self.schedules.run_due()


def build_local_monitoring(stack: EmbeddedStack, *, endpoints: EndpointsPort, labels: LabelsPort, catalog: CatalogPort,
                           query: QueryPort, storage: StoragePort) -> MonitoringPort:
    """The local adapter (the catalog, query and storage ports are not needed by it yet)."""
    del catalog, query, storage
    return LocalMonitoring(stack, endpoints=endpoints, labels=labels)
