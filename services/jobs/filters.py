"""What both jobs adapters share: checking list filters, matching a job against them, and the one wait."""

from __future__ import annotations

import time
from collections.abc import Callable

from services.errors import InvalidInput
from services.jobs.base import JOB_KINDS
from services.models import FINISHED_JOB_STATUSES, Job

JOB_STATUSES = ("InProgress", "Stopping", *FINISHED_JOB_STATUSES)


def check_filters(kind: str, status: str, limit: int) -> None:
    """``InvalidInput`` for a filter no job can match (a typo would otherwise show an empty list)."""
    if kind and kind not in JOB_KINDS:
        raise InvalidInput(f"Unknown job kind {kind!r}.", hint=f"Use one of {', '.join(JOB_KINDS)}.")
    if status and status not in JOB_STATUSES:
        raise InvalidInput(f"Unknown job status {status!r}.", hint=f"Use one of {', '.join(JOB_STATUSES)}.")
    if limit < 1:
        raise InvalidInput(f"The limit must be at least 1, got {limit}.", hint="For example 200.")


def matches(job: Job, kind: str = "", status: str = "", name_contains: str = "") -> bool:
    """True when ``job`` passes every filter that is given."""
    return ((not kind or job.kind == kind) and (not status or job.status == status)
            and name_contains.lower() in job.name.lower())


def wait_for_job(describe: Callable[[str], Job], name: str, timeout_seconds: float, poll_seconds: float,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> Job:
    """Poll ``describe(name)`` every ``poll_seconds`` until the job finishes or ``timeout_seconds`` pass."""
    deadline = clock() + timeout_seconds
    job = describe(name)
    while not job.finished and clock() < deadline:
        sleep(poll_seconds)
        job = describe(name)
    return job
