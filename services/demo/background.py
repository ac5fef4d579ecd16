"""The full demo built in the background of the app process, so the app opens at once (``WORKBENCH_DEMO=full``).

Once per workspace: nothing starts when the status file says the build is done, and a build another process
holds the lock of (the CLI's ``seed``, a second app) is left to it. A build interrupted by a restart carries on
at the next start (every step finds what exists). Local backend only: on AWS the demo would start paid
SageMaker jobs and endpoints, so nothing is built there.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from services.demo.full import DemoPorts, build_full_demo, build_lock
from services.demo.status import DONE, DemoStatus, read_status
from services.errors import ServiceError

if TYPE_CHECKING:
    from services.registry import Services


def demo_ports(services: Services) -> DemoPorts:
    """The ports the full demo uses, from the app's or the CLI's services."""
    return DemoPorts(training=services.training, jobs=services.jobs, bias=services.bias, endpoints=services.endpoints)


def wants_full_demo(services: Services) -> bool:
    return services.is_local and services.settings.demo == "full"


def start_demo_build(services: Services) -> threading.Thread | None:
    """Start the build on a daemon thread unless it is not wanted or done already; the thread, or None."""
    if not wants_full_demo(services):
        return None
    home = Path(services.settings.home)
    status = read_status(home)
    if status is not None and status.state == DONE:
        return None
    thread = threading.Thread(target=build_unless_building, args=(demo_ports(services), home), name="demo-build",
                              daemon=True)
    thread.start()
    return thread


def build_unless_building(ports: DemoPorts, home: Path) -> DemoStatus | None:
    """Build when no other process is building this workspace's demo; the final status, or None when skipped.
    A step's expected failure is in the status file for the Home page and one line of the app's log; anything
    else is raised (the thread's end prints its traceback)."""
    with build_lock(home, wait=False) as acquired:
        if not acquired:
            return None
        try:
            return build_full_demo(ports, home, say=log)
        except ServiceError as error:
            log(f"demo: {error.message} {error.hint or ''}".strip())
            return read_status(home)


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def demo_status(services: Services) -> DemoStatus | None:
    """The full demo's progress in this workspace (None: never started, or not the local backend)."""
    return read_status(Path(services.settings.home)) if services.is_local else None
