"""The full demo built in the background of the app process, so the app opens at once (``WORKBENCH_DEMO=full``).

Once per workspace: nothing starts when the status file says the build is done, and a build another process
holds the lock of (the CLI's ``seed``, a second app) is left to it. A build interrupted by a restart carries on
at the next start (every step finds what exists). Local backend only: on AWS the demo would start paid
SageMaker jobs and endpoints, so nothing is built there.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from services.config import Settings
from services.demo.full import STEPS, DemoPorts, build_full_demo, build_in_progress, build_lock
from services.demo.status import (
    DONE,
    INTERRUPTED,
    RUNNING,
    DemoStatus,
    failed,
    read_status,
    started,
    with_live_elapsed,
    write_status,
)
from services.errors import ServiceError


def wants_full_demo(settings: Settings) -> bool:
    """The local backend, ``WORKBENCH_DEMO=full``, and seeding at start not switched off (``WORKBENCH_SEED_ON_START``)."""
    return settings.backend == "local" and settings.demo == "full" and settings.seed_on_start


def start_demo_build(ports: Callable[[], DemoPorts], settings: Settings) -> threading.Thread | None:
    """Start the build on a daemon thread unless it is not wanted or done already; the thread, or None. The ports
    are built on that thread (building the endpoints port relaunches endpoints), never on the page's first paint."""
    if not wants_full_demo(settings):
        return None
    home = Path(settings.home)
    status = read_status(home)
    if status is not None and status.state == DONE:
        return None
    thread = threading.Thread(target=build_unless_building, args=(ports, home), name="demo-build", daemon=True)
    thread.start()
    return thread


def build_unless_building(ports: Callable[[], DemoPorts], home: Path) -> DemoStatus | None:
    """Build when no other process is building this workspace's demo; the final status, or None when skipped.
    A step's expected failure is in the status file for the Home page and one line of the app's log; anything
    else is raised (the thread's end prints its traceback)."""
    with build_lock(home, wait=False) as acquired:
        if not acquired:
            return None
        write_status(home, started(STEPS))  # Home shows the build from now on, not once the ports are built
        try:
            return build_full_demo(ports(), home, say=log)
        except ServiceError as error:
            log(f"demo: {error.message} {error.hint or ''}".strip())
            status = read_status(home)
            if status is not None and status.state == RUNNING:  # the ports failed before the first step began
                write_status(home, failed(status, status.elapsed_seconds, error.message, error.hint or ""))
            return read_status(home)


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def demo_progress(settings: Settings) -> DemoStatus | None:
    """The full demo's progress in this workspace (None: never started, or not the local backend); a build
    recorded as running that no process holds the lock of any more is ``interrupted``."""
    if settings.backend != "local":
        return None
    home = Path(settings.home)
    status = read_status(home)
    if status is None or status.state != RUNNING:
        return status
    if not build_in_progress(home):
        return replace(status, state=INTERRUPTED)
    return with_live_elapsed(status, datetime.now(UTC))
