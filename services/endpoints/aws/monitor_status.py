"""Model Monitor on SageMaker as the dashboard reads it: which endpoints have a monitoring schedule
(``ListMonitoringSchedules``, one paginated listing for every endpoint) and the latest execution of the
monitored ones (``ListMonitoringExecutions``, newest scheduled first, one result)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.aws.errors import translated
from services.aws.sagemaker import iso
from services.endpoints.aws.common import EndpointsBase
from services.endpoints.models import MonitoringStatus

WATCHING = ("Pending", "Scheduled")  # MonitoringScheduleStatus values of a schedule that still runs
EXECUTION_STATUSES = {"Completed": "OK", "CompletedWithViolations": "Violations", "Failed": "Failed"}
VIOLATIONS_NOTE = "SageMaker's execution status does not count violations: see the report's constraint_violations.json."


class MonitorStatus(EndpointsBase):
    @translated
    def monitoring_status(self, names: Sequence[str]) -> list[MonitoringStatus]:
        """Per name: monitored when a schedule on the endpoint is Scheduled or Pending; the latest execution of any
        of its schedules gives the status (Completed → OK, CompletedWithViolations → Violations, Failed → Failed)."""
        schedules = self._schedules_by_endpoint()
        statuses = []
        for name in names:
            mine = schedules.get(name, [])
            latest = self._latest_execution(name) if mine else None
            statuses.append(execution_status(name, any(s.get("MonitoringScheduleStatus") in WATCHING for s in mine), latest))
        return statuses

    def _schedules_by_endpoint(self) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        for page in self._sagemaker.get_paginator("list_monitoring_schedules").paginate():
            for summary in page.get("MonitoringScheduleSummaries", []):
                found.setdefault(str(summary.get("EndpointName", "")), []).append(summary)
        return found

    def _latest_execution(self, name: str) -> dict[str, Any] | None:
        answer = self._sagemaker.list_monitoring_executions(EndpointName=name, SortBy="ScheduledTime",
                                                            SortOrder="Descending", MaxResults=1)
        summaries = answer.get("MonitoringExecutionSummaries", [])
        return summaries[0] if summaries else None


def execution_status(name: str, monitored: bool, execution: dict[str, Any] | None) -> MonitoringStatus:
    """A ``MonitoringExecutionSummary`` as the endpoint's status (no execution yet: No report yet)."""
    if execution is None:
        return MonitoringStatus(name, monitored)
    raw = str(execution.get("MonitoringExecutionStatus", ""))
    status = EXECUTION_STATUSES.get(raw, raw)
    detail = str(execution.get("FailureReason", "")) or (VIOLATIONS_NOTE if status == "Violations" else "")
    return MonitoringStatus(name, monitored, status, 0, iso(execution.get("ScheduledTime")), detail)
