"""Local monitoring schedules in SageMaker's shapes, kept in the workspace's metadata store.

A schedule is CreateMonitoringSchedule's: ``MonitoringScheduleName``, its endpoint, ``MonitoringType`` and a
``ScheduleExpression`` — ``cron(0 * ? * * *)`` (hourly, at minute 0) or ``cron(0 0 ? * * *)`` (daily, at 00:00
UTC) — with status ``Scheduled``. Each execution is a row going Pending → InProgress → Completed |
CompletedWithViolations | Failed (ListMonitoringExecutions' ``MonitoringExecutionStatus``); the schedule's
``LastMonitoringExecutionSummary`` is its newest execution.

``LocalSchedules.run_due`` claims every schedule whose next time has passed in one transaction (so the app's
runner and a CLI call never run the same slot twice), moves its next time past *now* — after a restart that is
one execution for the latest missed slot, not one per missed hour — and runs each claimed execution with the
``run`` function it was given (the local monitoring adapter's own run). Each execution records the process running
it; one left Pending/InProgress by a process that is gone (the app was stopped mid-run) is marked Failed by the next
``run_due``. ``ScheduleRunner`` is the app's
background thread that calls ``run_due`` at start (the catch-up) and every minute while the app runs.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from services.embedded.embedded_stack import EmbeddedStack
from services.errors import AlreadyExists, InvalidInput, NotFound, ServiceError
from services.monitoring.models import (
    MONITOR_TYPES,
    SAGEMAKER_MONITORING_TYPES,
    SCHEDULE_EXPRESSIONS,
    MonitorConfig,
    MonitoringExecution,
    MonitoringSchedule,
    MonitorReport,
    ScheduleRequest,
)
from services.names import RULES, check_name

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS monitoring_schedules (
    name TEXT PRIMARY KEY, endpoint TEXT NOT NULL, monitor_type TEXT NOT NULL, schedule_expression TEXT NOT NULL,
    status TEXT NOT NULL, created_at TEXT NOT NULL, next_execution_at TEXT NOT NULL, config TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS monitoring_schedules_endpoint ON monitoring_schedules (endpoint);
CREATE TABLE IF NOT EXISTS monitoring_executions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, schedule_name TEXT NOT NULL, scheduled_time TEXT NOT NULL,
    status TEXT NOT NULL, created_at TEXT NOT NULL, report_uri TEXT NOT NULL DEFAULT '',
    failure_reason TEXT NOT NULL DEFAULT '', runner TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS monitoring_executions_schedule ON monitoring_executions (schedule_name, id);
"""

RunMonitor = Callable[[str, str, MonitorConfig, str], MonitorReport]  # (endpoint, type, config, schedule) -> report
REPORT_URI_DETAIL = "report_uri"  # a report's details key naming where its three files are kept (optional)
FAILURE_REASON_LIMIT = 1024  # DescribeMonitoringSchedule's FailureReason is at most 1024 characters
RUN_EVERY_SECONDS = 60.0
ORPHAN_REASON = "The process running this execution ended before it finished (the app or command was stopped)."


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def next_run(expression: str, after: datetime) -> datetime:
    """The first time strictly after ``after`` that ``expression`` (one of SCHEDULE_EXPRESSIONS) fires, in UTC."""
    moment = after.astimezone(UTC)
    if expression == SCHEDULE_EXPRESSIONS["hourly"]:
        return moment.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    if expression == SCHEDULE_EXPRESSIONS["daily"]:
        return moment.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    raise InvalidInput(f"Unsupported schedule expression {expression!r}.",
                       hint=f"Use {SCHEDULE_EXPRESSIONS['hourly']} (hourly) or {SCHEDULE_EXPRESSIONS['daily']} (daily).")


def latest_slot(expression: str, now: datetime) -> datetime:
    """The newest time at or before ``now`` that ``expression`` fires (the slot a catch-up execution is for)."""
    return next_run(expression, now) - (timedelta(hours=1) if expression == SCHEDULE_EXPRESSIONS["hourly"]
                                        else timedelta(days=1))


def default_schedule_name(endpoint: str, monitor_type: str) -> str:
    """``<endpoint>-<type>``, the endpoint part shortened when the whole would pass the 63-character limit."""
    room = RULES["monitoring-schedule"].max_length - len(monitor_type) - 1
    return f"{endpoint[:room].rstrip('-')}-{monitor_type}"


def check_schedule_request(request: ScheduleRequest) -> tuple[str, str]:
    """(schedule name, schedule expression) for a valid request; ``InvalidInput`` saying what is wrong."""
    if request.monitor_type not in MONITOR_TYPES:
        raise InvalidInput(f"Unknown monitor type {request.monitor_type!r}.", hint=f"Use one of: {', '.join(MONITOR_TYPES)}.")
    if request.every not in SCHEDULE_EXPRESSIONS:
        raise InvalidInput(f"Unknown frequency {request.every!r}.", hint="Use hourly or daily.")
    if request.monitor_type == "bias-drift" and not request.config.facet:
        raise InvalidInput("A bias-drift schedule needs a facet: the request column whose groups are compared.",
                           hint="Choose the facet in the monitor's settings (--facet on the command line).")
    check_name("endpoint", request.endpoint)
    name = check_name("monitoring-schedule", request.name or default_schedule_name(request.endpoint, request.monitor_type))
    return name, SCHEDULE_EXPRESSIONS[request.every]


def config_from_json(data: dict[str, Any]) -> MonitorConfig:
    return MonitorConfig(**{**data, "facet_values": tuple(data.get("facet_values", ()))})


class LocalSchedules:
    """The schedule half of the local monitoring port.

    ``run(endpoint, monitor_type, config, schedule_name)`` runs one execution and returns its report (a report
    whose ``details`` has ``report_uri`` gives the execution its ``report_uri``); ``check_endpoint(name)`` raises
    ``NotFound`` for an unknown endpoint (by default: the workspace's endpoint records); ``clock`` gives now (UTC).
    """

    def __init__(self, stack: EmbeddedStack, run: RunMonitor, *, check_endpoint: Callable[[str], object] | None = None,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.store = stack.store
        self.run = run
        self.check_endpoint = check_endpoint or self._endpoint_record(stack)
        self.clock = clock
        self.store.ensure_schema(SCHEMA)

    @staticmethod
    def _endpoint_record(stack: EmbeddedStack) -> Callable[[str], object]:
        def check(name: str) -> object:
            from services.endpoints.monitoring import read_endpoint

            return read_endpoint(stack.settings.home, name)

        return check

    # -- the port ----------------------------------------------------------------------------------------------------

    def create_schedule(self, request: ScheduleRequest) -> MonitoringSchedule:
        """CreateMonitoringSchedule: ``AlreadyExists`` for a taken name, ``InvalidInput`` for a bad name, type or
        frequency, ``NotFound`` for an unknown endpoint. The first execution is at the next slot."""
        name, expression = check_schedule_request(request)
        self.check_endpoint(request.endpoint)
        now = self.clock()
        with self.store.transaction() as conn:
            if conn.execute("SELECT 1 FROM monitoring_schedules WHERE name = ?", (name,)).fetchone():
                raise AlreadyExists(f"A monitoring schedule named {name!r} exists already.",
                                    hint="Pick another name, or delete that schedule first.")
            conn.execute("INSERT INTO monitoring_schedules VALUES (?, ?, ?, ?, 'Scheduled', ?, ?, ?)",
                         (name, request.endpoint, request.monitor_type, expression, iso(now),
                          iso(next_run(expression, now)), json.dumps(request.config.as_json())))
        return self.describe_schedule(name)

    def list_schedules(self, endpoint: str = "") -> list[MonitoringSchedule]:
        """Every schedule (of one endpoint when given), newest first."""
        where, params = ("WHERE endpoint = ?", (endpoint,)) if endpoint else ("", ())
        rows = self.store.fetch_all(f"SELECT * FROM monitoring_schedules {where} ORDER BY created_at DESC, name", params)
        return [self._schedule(row) for row in rows]

    def describe_schedule(self, name: str) -> MonitoringSchedule:
        """DescribeMonitoringSchedule; ``NotFound`` for an unknown schedule."""
        row = self.store.fetch_one("SELECT * FROM monitoring_schedules WHERE name = ?", (name,))
        if row is None:
            raise NotFound(f"No monitoring schedule named {name!r}.", hint="List the schedules to see their names.")
        return self._schedule(row)

    def delete_schedule(self, name: str) -> None:
        """DeleteMonitoringSchedule with its execution list; the reports its executions wrote stay."""
        self.describe_schedule(name)
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM monitoring_schedules WHERE name = ?", (name,))
            conn.execute("DELETE FROM monitoring_executions WHERE schedule_name = ?", (name,))

    def list_executions(self, schedule_name: str, limit: int = 50) -> list[MonitoringExecution]:
        """The schedule's executions, newest first; ``NotFound`` for an unknown schedule."""
        self.describe_schedule(schedule_name)
        rows = self.store.fetch_all("SELECT * FROM monitoring_executions WHERE schedule_name = ? ORDER BY id DESC LIMIT ?",
                                    (schedule_name, max(1, limit)))
        return [_execution(row) for row in rows]

    def run_due(self) -> list[MonitoringExecution]:
        """Run every schedule whose next time has passed, once each; the executions as they ended.

        An execution whose monitor raised a ``ServiceError`` (endpoint gone, bad config) is Failed with the
        message; an unexpected error is recorded as Failed too and then raised, once the others have run. First,
        executions left Pending/InProgress by a process that is gone are marked Failed."""
        self.fail_orphans()
        claimed = self._claim_due(self.clock())
        finished, unexpected = [], None
        for execution_id, schedule in claimed:
            try:
                finished.append(self._execute(execution_id, schedule))
            except Exception as exc:  # noqa: BLE001 - recorded on the execution, re-raised after the other schedules ran
                self._finish(execution_id, schedule, "Failed", failure_reason=f"Internal error: {exc}")
                unexpected = unexpected or exc
        if unexpected is not None:
            raise unexpected
        return finished

    # -- executions --------------------------------------------------------------------------------------------------

    def fail_orphans(self) -> int:
        """Mark Failed the unfinished executions whose process is gone (killed, machine restarted); how many."""
        rows = self.store.fetch_all("SELECT id, runner FROM monitoring_executions WHERE status IN ('Pending', 'InProgress')")
        orphans = [row["id"] for row in rows if not runner_alive(row["runner"])]
        for execution_id in orphans:
            self.store.execute("UPDATE monitoring_executions SET status = 'Failed', failure_reason = ? "
                               "WHERE id = ? AND status IN ('Pending', 'InProgress')", (ORPHAN_REASON, execution_id))
        return len(orphans)

    def _claim_due(self, now: datetime) -> list[tuple[int, MonitoringSchedule]]:
        """In one transaction: a Pending execution per due schedule, and each schedule's next time moved past now."""
        claimed = []
        with self.store.transaction() as conn:
            rows = conn.execute("SELECT * FROM monitoring_schedules WHERE status = 'Scheduled' AND next_execution_at <= ?",
                                (iso(now),)).fetchall()
            for row in rows:
                expression = row["schedule_expression"]
                conn.execute("UPDATE monitoring_schedules SET next_execution_at = ? WHERE name = ?",
                             (iso(next_run(expression, now)), row["name"]))
                cursor = conn.execute("INSERT INTO monitoring_executions (schedule_name, scheduled_time, status, created_at, "
                                      "runner) VALUES (?, ?, 'Pending', ?, ?)",
                                      (row["name"], iso(latest_slot(expression, now)), iso(now), this_runner()))
                claimed.append((int(cursor.lastrowid or 0), row))
        return [(execution_id, self._schedule(row)) for execution_id, row in claimed]

    def _execute(self, execution_id: int, schedule: MonitoringSchedule) -> MonitoringExecution:
        self.store.execute("UPDATE monitoring_executions SET status = 'InProgress' WHERE id = ?", (execution_id,))
        try:
            report = self.run(schedule.endpoint, schedule.monitor_type, schedule.config, schedule.name)
        except ServiceError as exc:
            log.warning("Monitoring schedule %s failed: %s", schedule.name, exc)
            return self._finish(execution_id, schedule, "Failed", failure_reason=str(exc))
        return self._finish(execution_id, schedule, report.status, report_uri=str(report.details.get(REPORT_URI_DETAIL, "")),
                            failure_reason=report.failure_reason)

    def _finish(self, execution_id: int, schedule: MonitoringSchedule, status: str, *, report_uri: str = "",
                failure_reason: str = "") -> MonitoringExecution:
        self.store.execute("UPDATE monitoring_executions SET status = ?, report_uri = ?, failure_reason = ? WHERE id = ?",
                           (status, report_uri, failure_reason[:FAILURE_REASON_LIMIT], execution_id))
        row = self.store.fetch_one("SELECT * FROM monitoring_executions WHERE id = ?", (execution_id,))
        if row is None:  # the schedule was deleted while it ran: the execution went with it
            return MonitoringExecution(schedule.name, "", status, "", report_uri, failure_reason)
        return _execution(row)

    def _schedule(self, row: Any) -> MonitoringSchedule:
        last = self.store.fetch_one("SELECT status, created_at, failure_reason FROM monitoring_executions "
                                    "WHERE schedule_name = ? ORDER BY id DESC LIMIT 1", (row["name"],))
        return MonitoringSchedule(
            name=row["name"], endpoint=row["endpoint"], monitor_type=row["monitor_type"],
            monitoring_type=SAGEMAKER_MONITORING_TYPES[row["monitor_type"]], schedule_expression=row["schedule_expression"],
            status=row["status"], created_at=row["created_at"],
            last_execution_status=last["status"] if last else "", last_execution_at=last["created_at"] if last else "",
            next_execution_at=row["next_execution_at"], failure_reason=last["failure_reason"] if last else "",
            config=config_from_json(json.loads(row["config"])))


def this_runner() -> str:
    """This process as ``pid:start time`` (the start time tells a reused pid apart)."""
    return f"{os.getpid()}:{_start_time(os.getpid())}"


def runner_alive(runner: str) -> bool:
    """Whether the process ``this_runner()`` named is still running (not a zombie, not a reused pid)."""
    pid, _, started = runner.partition(":")
    return pid.isdigit() and bool(started) and _start_time(int(pid)) == started


def _start_time(pid: int) -> str:
    """Field 22 of /proc/<pid>/stat (clock ticks after boot); "" when the process is gone or a zombie."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
    except OSError:
        return ""
    return "" if fields[0] == "Z" else fields[19]


def _execution(row: Any) -> MonitoringExecution:
    return MonitoringExecution(schedule_name=row["schedule_name"], scheduled_time=row["scheduled_time"],
                               status=row["status"], created_at=row["created_at"], report_uri=row["report_uri"],
                               failure_reason=row["failure_reason"])


class ScheduleRunner:
    """A daemon thread calling ``run_due`` at once (the catch-up after a restart) and every ``every_seconds``,
    plus ``extra`` (e.g. the endpoints' drift-report round) on its own interval, until ``stop()``."""

    def __init__(self, run_due: Callable[[], object], every_seconds: float = RUN_EVERY_SECONDS,
                 extra: Callable[[], object] | None = None, extra_every_seconds: float = 3600.0) -> None:
        if every_seconds <= 0 or extra_every_seconds <= 0:
            raise InvalidInput("The monitoring intervals must be positive.", hint="For example every 60 seconds.")
        self.run_due = run_due
        self.every_seconds = every_seconds
        self.extra = extra
        self.extra_every_seconds = extra_every_seconds
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="monitoring-schedules", daemon=True)

    def start(self) -> ScheduleRunner:
        self.thread.start()
        return self

    def _loop(self) -> None:
        extra_at = time.monotonic() + self.extra_every_seconds
        while True:
            self._round(self.run_due, "A monitoring-schedule round failed")
            if self.extra is not None and time.monotonic() >= extra_at:
                self._round(self.extra, "A scheduled drift-report round failed")
                extra_at = time.monotonic() + self.extra_every_seconds
            if self._stop.wait(self.every_seconds):
                return

    @staticmethod
    def _round(work: Callable[[], object], message: str) -> None:
        try:
            work()
        except Exception:  # noqa: BLE001 - the runner outlives one bad round; the traceback goes to the log
            log.exception(message)

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=5)
