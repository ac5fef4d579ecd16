"""``monitor schedule ENDPOINT --type … --every hourly|daily [--name NAME]`` and ``monitor schedules [--endpoint E]``.

The ``monitor`` command's parser is ``cli_monitoring``'s; it hands a parsed ``schedule`` / ``schedules`` call to
``run_command``. Output is SageMaker's:
DescribeMonitoringSchedule for one schedule (``MonitoringScheduleName``, ``MonitoringScheduleStatus``,
``MonitoringType``, ``MonitoringScheduleConfig.ScheduleConfig.ScheduleExpression``,
``LastMonitoringExecutionSummary``) plus the local runner's ``NextExecutionTime``; ListMonitoringSchedules'
``MonitoringScheduleSummaries`` for the list.
"""

from __future__ import annotations

import argparse
from typing import Any

from services.errors import InvalidInput
from services.monitoring.base import MonitoringPort
from services.monitoring.cli_monitoring import monitor_config
from services.monitoring.models import MonitorConfig, MonitoringSchedule, ScheduleRequest


def run_command(services: Any, args: argparse.Namespace) -> dict[str, Any]:
    """``monitor schedule ENDPOINT …`` (``args.endpoint_arg``, ``--type``, ``--every``, ``--name`` and the monitor's
    settings) or ``monitor schedules [--endpoint E]``, as ``cli_monitoring`` parsed them."""
    if args.target == "schedules":
        if args.endpoint_arg:
            raise InvalidInput(f"Unexpected {args.endpoint_arg!r} after schedules.",
                               hint="List one endpoint's schedules with: monitor schedules --endpoint ENDPOINT")
        return schedules(services.monitoring, args.endpoint)
    if not args.endpoint_arg:
        raise InvalidInput("monitor schedule needs an endpoint name.",
                           hint="For example: monitor schedule reviews-live --type model-quality --every daily")
    return schedule(services.monitoring, args.endpoint_arg, args.monitor_type, args.every, args.name, monitor_config(args))


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
