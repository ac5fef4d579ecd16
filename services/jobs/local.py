"""The jobs port on this machine: the rows of the metadata store and the worker processes of the one
job runner every local capability shares (``EmbeddedStack.runner``)."""

from __future__ import annotations

from services.embedded.job_worker import read_metrics
from services.embedded.jobs import JobRunner
from services.jobs.base import JobsPort
from services.jobs.filters import check_filters, wait_for_job
from services.models import Job

POLL_SECONDS = 0.5  # a local job's state is one SQLite row away


class LocalJobs:
    """Every kind of job the runner starts (training, autopilot, script, tuning, transform, bias, explain, batch)."""

    def __init__(self, runner: JobRunner) -> None:
        self.runner = runner

    def list_jobs(self, kind: str = "", status: str = "", name_contains: str = "", limit: int = 200) -> list[Job]:
        check_filters(kind, status, limit)
        self.runner.dispatch()
        return self.runner.jobs.recent(kind, limit, status=status, name_contains=name_contains)

    def describe_job(self, name: str) -> Job:
        self.runner.dispatch()  # notices dead workers and starts waiting jobs, as the page polls
        return self.runner.jobs.get(name)

    def job_logs(self, name: str, tail_bytes: int = 64_000) -> str:
        return self.runner.logs(name, tail_bytes)

    def job_transitions(self, name: str) -> list[dict[str, str]]:
        self.runner.jobs.get(name)
        return self.runner.jobs.transitions(name)

    def job_metric_points(self, name: str) -> list[dict[str, object]]:
        self.runner.jobs.get(name)
        return read_metrics(self.runner.job_dir(name))

    def stop_job(self, name: str) -> Job:
        return self.runner.stop(name)

    def wait_for_job(self, name: str, timeout_seconds: float = 3600) -> Job:
        return wait_for_job(self.describe_job, name, timeout_seconds, POLL_SECONDS)


def build_local_jobs(runner: JobRunner) -> JobsPort:
    return LocalJobs(runner)
