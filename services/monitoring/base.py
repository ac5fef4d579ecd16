"""The monitoring port: Model Monitor's four monitor types on demand and on schedules.

Data quality is the endpoints port's drift report in Model Monitor's files; model quality joins captured
predictions with ground truth (``LabelsPort.ground_truth``) by ``eventId``; bias drift runs the bias engine's
post-training metrics on the labelled captured traffic against the training-time values; feature-attribution
drift compares SHAP attributions of a sample of captured traffic with the training baseline's by NDCG.
Locally schedules run in the app's process (and are caught up on restart); on AWS they are SageMaker monitoring
schedules whose executions and reports are read back from S3.
"""

from __future__ import annotations

from typing import Protocol

from services.monitoring.models import (
    MonitorConfig,
    MonitoringExecution,
    MonitoringSchedule,
    MonitorOverview,
    MonitorReport,
    ScheduleRequest,
)


class MonitoringPort(Protocol):
    def run_monitor(self, endpoint: str, monitor_type: str, config: MonitorConfig | None = None) -> MonitorReport:
        """Run one monitor now and keep its report. ``NotFound`` for an unknown endpoint, ``InvalidInput`` for an
        unknown type or a config the type cannot use (e.g. a facet that is not a request column). A run that cannot
        compute (no captured traffic, no labels) returns a ``Failed`` report with the reason, as an execution does."""
        ...

    def facet_candidates(self, endpoint: str) -> list[str]:
        """The request columns a bias-drift monitor can take as its facet: the served model's input columns, then the
        other columns its captured requests sent alongside them (e.g. a review's ``product_category``) where the
        backend can see them. ``NotFound`` for an unknown endpoint."""
        ...

    def latest_report(self, endpoint: str, monitor_type: str) -> MonitorReport | None:
        """The newest kept report of that type, or None."""
        ...

    def create_schedule(self, request: ScheduleRequest) -> MonitoringSchedule:
        """CreateMonitoringSchedule; ``AlreadyExists`` for a taken name, ``InvalidInput`` for a bad name, type or
        frequency, ``NotFound`` for an unknown endpoint."""
        ...

    def list_schedules(self, endpoint: str = "") -> list[MonitoringSchedule]:
        """Every schedule (of one endpoint when given), newest first."""
        ...

    def describe_schedule(self, name: str) -> MonitoringSchedule:
        """``NotFound`` for an unknown schedule."""
        ...

    def delete_schedule(self, name: str) -> None:
        """DeleteMonitoringSchedule; its past reports stay."""
        ...

    def list_executions(self, schedule_name: str, limit: int = 50) -> list[MonitoringExecution]:
        """The schedule's executions, newest first."""
        ...

    def run_due(self) -> list[MonitoringExecution]:
        """Run every schedule whose next time has passed (each at most once per call, so a restart catches up
        with one execution rather than one per missed hour); local only — AWS runs its own (returns [])."""
        ...

    def overview(self, endpoint: str) -> MonitorOverview:
        """Four tiles, one per type: schedule, latest status, violations, a headline figure."""
        ...
