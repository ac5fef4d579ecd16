"""Local monitoring schedules: SageMaker's shapes, cron next times, due runs with one catch-up, the runner thread.

The schedules run whatever ``run`` they are given (the local adapter passes its own monitor run); here a run that
returns real ``MonitorReport`` objects — or raises what a monitor raises — stands for it, so each test can say
which outcome an execution must record.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.embedded.embedded_stack import EmbeddedStack
from services.errors import AlreadyExists, InvalidInput, NotFound
from services.monitoring.models import MonitorConfig, MonitorReport, ScheduleRequest, Violation
from services.monitoring.schedules import (
    ORPHAN_REASON,
    LocalSchedules,
    ScheduleRunner,
    default_schedule_name,
    latest_slot,
    next_run,
)
from tests.helpers.workspace import settings_for_tests

ROOT = Path(__file__).resolve().parents[2]
HOURLY, DAILY = "cron(0 * ? * * *)", "cron(0 0 ? * * *)"
ENDPOINTS = {"reviews-live", "other-live"}


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


class Runs:
    """Records each run; answers with the outcome queued for the endpoint (a report status or an exception)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, MonitorConfig, str]] = []
        self.outcomes: dict[str, object] = {}

    def __call__(self, endpoint: str, monitor_type: str, config: MonitorConfig, schedule: str) -> MonitorReport:
        self.calls.append((endpoint, monitor_type, config, schedule))
        outcome = self.outcomes.get(endpoint, "Completed")
        if isinstance(outcome, Exception):
            raise outcome
        violations = (Violation("accuracy", "LessThanThreshold", "accuracy 0.61 is below 0.80"),) \
            if outcome == "CompletedWithViolations" else ()
        return MonitorReport(endpoint, monitor_type, str(outcome), "2026-12-05T10:00:00.000+00:00", {}, {},
                             violations, details={"report_uri": f"lake/monitoring/{endpoint}/{schedule}"})


def known_endpoint(name: str) -> object:
    if name not in ENDPOINTS:
        raise NotFound(f"No endpoint named {name!r}.", hint="Deploy one.")
    return name


@pytest.fixture
def stack(tmp_path: Path) -> EmbeddedStack:
    return EmbeddedStack.open(settings_for_tests(home=tmp_path / "workspace", seed_on_start=False))


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 12, 5, 9, 30, 12, tzinfo=UTC))


@pytest.fixture
def runs() -> Runs:
    return Runs()


@pytest.fixture
def schedules(stack: EmbeddedStack, runs: Runs, clock: Clock) -> LocalSchedules:
    return LocalSchedules(stack, runs, check_endpoint=known_endpoint, clock=clock)


def test_next_run_follows_sagemakers_hourly_and_daily_expressions() -> None:
    at = datetime(2026, 12, 31, 23, 0, 0, tzinfo=UTC)
    assert next_run(HOURLY, at) == datetime(2027, 1, 1, 0, 0, tzinfo=UTC)  # strictly after, across the year
    assert next_run(HOURLY, at - timedelta(seconds=1)) == at
    assert next_run(DAILY, at) == datetime(2027, 1, 1, tzinfo=UTC)
    assert next_run(DAILY, datetime(2027, 1, 1, tzinfo=UTC)) == datetime(2027, 1, 2, tzinfo=UTC)
    assert latest_slot(HOURLY, datetime(2026, 12, 5, 13, 59, tzinfo=UTC)) == datetime(2026, 12, 5, 13, tzinfo=UTC)
    assert latest_slot(DAILY, datetime(2026, 12, 5, 13, 59, tzinfo=UTC)) == datetime(2026, 12, 5, tzinfo=UTC)
    with pytest.raises(InvalidInput):
        next_run("rate(5 minutes)", at)


def test_a_schedule_is_created_in_sagemakers_shape(schedules: LocalSchedules) -> None:
    config = MonitorConfig(facet="division_name", facet_values=("Tops",), band=0.2)
    schedule = schedules.create_schedule(ScheduleRequest("reviews-live", "bias-drift", "daily", config=config))
    assert (schedule.name, schedule.monitoring_type, schedule.schedule_expression, schedule.status) == (
        "reviews-live-bias-drift", "ModelBias", DAILY, "Scheduled")
    assert schedule.next_execution_at == "2026-12-06T00:00:00.000+00:00"
    assert schedule.last_execution_status == "" and schedule.config == config
    assert schedules.describe_schedule("reviews-live-bias-drift") == schedule


def test_list_is_newest_first_and_filters_by_endpoint(schedules: LocalSchedules, clock: Clock) -> None:
    schedules.create_schedule(ScheduleRequest("reviews-live", "data-quality"))
    clock.moment += timedelta(seconds=5)
    schedules.create_schedule(ScheduleRequest("other-live", "model-quality", name="mq"))
    clock.moment += timedelta(seconds=5)
    schedules.create_schedule(ScheduleRequest("reviews-live", "feature-attribution-drift"))
    assert [s.name for s in schedules.list_schedules()] == [
        "reviews-live-feature-attribution-drift", "mq", "reviews-live-data-quality"]
    assert [s.name for s in schedules.list_schedules("other-live")] == ["mq"]
    assert schedules.list_schedules("no-such") == []


@pytest.mark.parametrize(("request_", "error"), [
    (ScheduleRequest("reviews-live", "drift"), InvalidInput),
    (ScheduleRequest("reviews-live", "data-quality", every="weekly"), InvalidInput),
    (ScheduleRequest("reviews-live", "data-quality", name="../escape"), InvalidInput),
    (ScheduleRequest("reviews-live", "data-quality", name="x" * 64), InvalidInput),
    (ScheduleRequest("gone-live", "data-quality"), NotFound),
    (ScheduleRequest("reviews-live", "bias-drift"), InvalidInput),  # no facet
])
def test_bad_requests_are_refused_and_nothing_is_kept(schedules: LocalSchedules, request_: ScheduleRequest,
                                                      error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        schedules.create_schedule(request_)
    assert getattr(caught.value, "hint", "")
    assert schedules.list_schedules() == []


def test_a_taken_name_is_refused(schedules: LocalSchedules) -> None:
    schedules.create_schedule(ScheduleRequest("reviews-live", "data-quality", name="nightly"))
    with pytest.raises(AlreadyExists):
        schedules.create_schedule(ScheduleRequest("other-live", "model-quality", name="nightly"))
    assert schedules.describe_schedule("nightly").endpoint == "reviews-live"


def test_the_default_name_keeps_within_sagemakers_limit() -> None:
    endpoint = "e" * 60
    name = default_schedule_name(endpoint, "feature-attribution-drift")
    assert len(name) == 63 and name.endswith("-feature-attribution-drift")


def test_an_unknown_endpoint_is_refused_by_default_from_the_workspace(stack: EmbeddedStack, runs: Runs) -> None:
    schedules = LocalSchedules(stack, runs)
    with pytest.raises(NotFound):
        schedules.create_schedule(ScheduleRequest("reviews-live", "data-quality"))


def test_nothing_runs_before_its_time(schedules: LocalSchedules, runs: Runs, clock: Clock) -> None:
    schedules.create_schedule(ScheduleRequest("reviews-live", "data-quality"))
    clock.moment = datetime(2026, 12, 5, 9, 59, 59, tzinfo=UTC)
    assert schedules.run_due() == [] and runs.calls == []


def test_a_due_schedule_runs_once_and_records_its_execution(schedules: LocalSchedules, runs: Runs, clock: Clock) -> None:
    config = MonitorConfig(tolerance=0.1)
    schedules.create_schedule(ScheduleRequest("reviews-live", "model-quality", config=config))
    clock.moment = datetime(2026, 12, 5, 10, 0, 3, tzinfo=UTC)
    [execution] = schedules.run_due()
    assert runs.calls == [("reviews-live", "model-quality", config, "reviews-live-model-quality")]
    assert (execution.status, execution.scheduled_time, execution.report_uri) == (
        "Completed", "2026-12-05T10:00:00.000+00:00", "lake/monitoring/reviews-live/reviews-live-model-quality")
    assert schedules.run_due() == []  # the same slot is not run twice
    schedule = schedules.describe_schedule("reviews-live-model-quality")
    assert (schedule.last_execution_status, schedule.next_execution_at) == ("Completed", "2026-12-05T11:00:00.000+00:00")


def test_a_restart_catches_up_with_one_execution_not_one_per_missed_hour(
        schedules: LocalSchedules, runs: Runs, clock: Clock) -> None:
    schedules.create_schedule(ScheduleRequest("reviews-live", "data-quality"))
    clock.moment = datetime(2026, 12, 5, 17, 42, tzinfo=UTC)  # seven hourly slots missed
    [execution] = schedules.run_due()
    assert len(runs.calls) == 1 and execution.scheduled_time == "2026-12-05T17:00:00.000+00:00"
    assert schedules.describe_schedule("reviews-live-data-quality").next_execution_at == "2026-12-05T18:00:00.000+00:00"


def test_violations_and_failures_are_execution_statuses(schedules: LocalSchedules, runs: Runs, clock: Clock) -> None:
    runs.outcomes = {"reviews-live": "CompletedWithViolations",
                     "other-live": NotFound("No endpoint named 'other-live'.", hint="It was deleted.")}
    schedules.create_schedule(ScheduleRequest("reviews-live", "model-quality"))
    schedules.create_schedule(ScheduleRequest("other-live", "data-quality"))
    clock.moment += timedelta(hours=1)
    finished = {e.schedule_name: e for e in schedules.run_due()}
    assert finished["reviews-live-model-quality"].status == "CompletedWithViolations"
    assert (finished["other-live-data-quality"].status, finished["other-live-data-quality"].failure_reason) == (
        "Failed", "No endpoint named 'other-live'. It was deleted.")
    schedule = schedules.describe_schedule("other-live-data-quality")
    assert (schedule.last_execution_status, schedule.failure_reason) == ("Failed", "No endpoint named 'other-live'. It was deleted.")


def test_an_unexpected_error_fails_its_execution_then_is_raised_after_the_others_ran(
        schedules: LocalSchedules, runs: Runs, clock: Clock) -> None:
    runs.outcomes = {"other-live": ZeroDivisionError("division by zero")}
    schedules.create_schedule(ScheduleRequest("other-live", "data-quality"))
    schedules.create_schedule(ScheduleRequest("reviews-live", "data-quality"))
    clock.moment += timedelta(hours=1)
    with pytest.raises(ZeroDivisionError):
        schedules.run_due()
    assert len(runs.calls) == 2
    assert schedules.list_executions("reviews-live-data-quality")[0].status == "Completed"
    [failed] = schedules.list_executions("other-live-data-quality")
    assert (failed.status, failed.failure_reason) == ("Failed", "Internal error: division by zero")


def test_an_execution_is_in_progress_while_its_monitor_runs(schedules: LocalSchedules, runs: Runs, clock: Clock) -> None:
    seen: list[str] = []

    def run(endpoint: str, monitor_type: str, config: MonitorConfig, schedule: str) -> MonitorReport:
        seen.append(schedules.list_executions(schedule)[0].status)
        return runs(endpoint, monitor_type, config, schedule)

    schedules.run = run
    schedules.create_schedule(ScheduleRequest("reviews-live", "data-quality"))
    clock.moment += timedelta(hours=1)
    schedules.run_due()
    assert seen == ["InProgress"]


def test_executions_are_newest_first_and_deleting_a_schedule_removes_them(
        schedules: LocalSchedules, clock: Clock) -> None:
    schedules.create_schedule(ScheduleRequest("reviews-live", "data-quality"))
    for _ in range(3):
        clock.moment += timedelta(hours=1)
        schedules.run_due()
    times = [e.scheduled_time[11:16] for e in schedules.list_executions("reviews-live-data-quality")]
    assert times == ["12:00", "11:00", "10:00"]
    assert len(schedules.list_executions("reviews-live-data-quality", limit=2)) == 2
    schedules.delete_schedule("reviews-live-data-quality")
    with pytest.raises(NotFound):
        schedules.list_executions("reviews-live-data-quality")
    with pytest.raises(NotFound):
        schedules.delete_schedule("reviews-live-data-quality")


def test_two_callers_at_once_run_a_slot_once(stack: EmbeddedStack, runs: Runs, clock: Clock) -> None:
    """The app's runner and a CLI call share the store: a slot is claimed in one transaction."""
    first = LocalSchedules(stack, runs, check_endpoint=known_endpoint, clock=clock)
    second = LocalSchedules(EmbeddedStack.open(stack.settings), runs, check_endpoint=known_endpoint, clock=clock)
    first.create_schedule(ScheduleRequest("reviews-live", "data-quality"))
    clock.moment += timedelta(hours=1)
    barrier = threading.Barrier(2)
    results: list[int] = []

    def call(schedules: LocalSchedules) -> None:
        barrier.wait()
        results.append(len(schedules.run_due()))

    threads = [threading.Thread(target=call, args=(s,)) for s in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 1] and len(runs.calls) == 1


def test_the_runner_catches_up_at_start_and_keeps_running_after_a_bad_round() -> None:
    rounds: list[int] = []
    twice = threading.Event()

    def run_due() -> list[object]:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise RuntimeError("a bad round")
        twice.set()
        return []

    runner = ScheduleRunner(run_due, every_seconds=0.01).start()
    assert twice.wait(timeout=30)
    runner.stop()
    assert not runner.thread.is_alive() and len(rounds) >= 2


def test_the_runner_refuses_a_non_positive_interval() -> None:
    with pytest.raises(InvalidInput):
        ScheduleRunner(list, every_seconds=0)


CRASHING_RUNNER = """
import sys, time
from pathlib import Path
from datetime import datetime
from services.embedded.embedded_stack import EmbeddedStack
from services.monitoring.schedules import LocalSchedules
from tests.helpers.workspace import settings_for_tests

def run(*args):
    print("running", flush=True)
    time.sleep(600)

stack = EmbeddedStack.open(settings_for_tests(home=Path(sys.argv[1]), seed_on_start=False))
later = datetime.fromisoformat(sys.argv[2])
LocalSchedules(stack, run, check_endpoint=lambda name: name, clock=lambda: later).run_due()
"""


def test_an_execution_whose_process_died_is_failed_by_the_next_round(schedules: LocalSchedules, stack: EmbeddedStack,
                                                                      clock: Clock, runs: Runs) -> None:
    """A process stopped in the middle of an execution (the app killed) leaves it InProgress; the next run_due
    (here, after a restart) marks it Failed and runs the schedule's next slot as usual."""
    schedules.create_schedule(ScheduleRequest("reviews-live", "data-quality"))
    later = clock.moment + timedelta(hours=1)
    child = subprocess.Popen([sys.executable, "-c", CRASHING_RUNNER, str(stack.settings.home), later.isoformat()],
                             cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "running"
        assert schedules.list_executions("reviews-live-data-quality")[0].status == "InProgress"
    finally:
        child.kill()
        child.wait()
    clock.moment = later + timedelta(hours=1)
    finished = schedules.run_due()
    [current, orphan] = schedules.list_executions("reviews-live-data-quality")
    assert (orphan.status, orphan.failure_reason) == ("Failed", ORPHAN_REASON)
    assert current.status == "Completed" and [e.status for e in finished] == ["Completed"]
