"""``monitor schedule ENDPOINT --type … --every hourly|daily [--name NAME]`` and ``monitor schedules [--endpoint E]``.

The ``monitor`` command's parser is ``cli_monitoring``'s; it adds these options with ``add_schedule_options`` and
hands a parsed ``schedule`` / ``schedules`` call to ``schedule`` / ``schedules``. Output is SageMaker's:
DescribeMonitoringSchedule for one schedule (``MonitoringScheduleName``, ``MonitoringScheduleStatus``,
``MonitoringType``, ``MonitoringScheduleConfig.ScheduleConfig.ScheduleExpression``,
``LastMonitoringExecutionSummary``) plus the local runner's ``NextExecutionTime``; ListMonitoringSchedules'
``MonitoringScheduleSummaries`` for the list.
"""

from __future__ import annotations

import argparse
from typing import Any

from services.monitoring.base import MonitoringPort
from services.monitoring.models import SCHEDULE_EXPRESSIONS, MonitorConfig, MonitoringSchedule, ScheduleRequest


def add_schedule_options(parser: argparse.ArgumentParser) -> None:
    """``--every`` and ``--name`` of ``monitor schedule`` (``--type`` and the endpoint are the monitor command's)."""
    parser.add_argument("--every", choices=tuple(SCHEDULE_EXPRESSIONS), default="hourly",
                        help="hourly: cron(0 * ? * * *), on the hour; daily: cron(0 0 ? * * *), at 00:00 UTC")
    parser.add_argument("--name", default="", help="MonitoringScheduleName (default <endpoint>-<type>)")


def schedule(monitoring: MonitoringPort, endpoint: str, monitor_type: str, every: str = "hourly", name: str = "",
             config: MonitorConfig | None = None) -> dict[str, Any]:
    """CreateMonitoringSchedule, then the schedule as DescribeMonitoringSchedule shows it."""
    request = ScheduleRequest(endpoint, monitor_type, every, name, config or MonitorConfig())
    return schedule_json(monitoring.create_schedule(request))


def schedules(monitoring: MonitoringPort, endpoint: str = "") -> dict[str, Any]:
    """ListMonitoringSchedules (of one endpoint when given), newest first."""
    return {"MonitoringScheduleSummaries": [schedule_json(s) for s in monitoring.list_schedules(endpoint)]}


def schedule_json(item: MonitoringSchedule) -> dict[str, Any]:
    described: dict[str, Any] = {
        "MonitoringScheduleName": item.name, "MonitoringScheduleStatus": item.status,
        "MonitoringType": item.monitoring_type, "EndpointName": item.endpoint, "CreationTime": item.created_at,
        "MonitoringScheduleConfig": {"ScheduleConfig": {"ScheduleExpression": item.schedule_expression}},
    }
    if item.last_execution_status:
        summary = {"MonitoringScheduleName": item.name, "MonitoringExecutionStatus": item.last_execution_status,
                   "CreationTime": item.last_execution_at, "EndpointName": item.endpoint,
                   "MonitoringType": item.monitoring_type}
        described["LastMonitoringExecutionSummary"] = summary | ({"FailureReason": item.failure_reason}
                                                                 if item.failure_reason else {})
    if item.next_execution_at:
        described["NextExecutionTime"] = item.next_execution_at
    return described
