"""The debugger port on this machine: reads what a job's worker recorded in ``jobs/<name>/debug-output/``."""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path
from typing import Any

from services.debugger import recording
from services.debugger.base import DebuggerPort
from services.debugger.models import DebugSeries, RuleStatus
from services.debugger.profiler_report import profiler_html
from services.debugger.rules import catalog_json
from services.debugger.session import read_statuses
from services.embedded.embedded_stack import EmbeddedStack
from services.errors import NotFound

MAX_SERIES_POINTS = 100_000  # per file; the newest are kept when a job recorded more


class LocalDebugger:
    """Reads rule statuses and series from the job folders of the local stack's runner."""

    def __init__(self, stack: EmbeddedStack) -> None:
        self.runner = stack.runner

    def rule_catalog(self) -> dict[str, dict[str, Any]]:
        return catalog_json()

    def rule_statuses(self, job_name: str) -> list[RuleStatus]:
        return read_statuses(self._folder(job_name))

    def series(self, job_name: str) -> DebugSeries:
        folder = self._folder(job_name)
        return DebugSeries(*(tuple(read_newest(folder / name, MAX_SERIES_POINTS))
                             for name in (recording.SCALARS, recording.TENSORS, recording.SYSTEM)))

    def profiler_report(self, job_name: str) -> bytes:
        job = self.runner.jobs.get(job_name)
        series = self.series(job_name)
        if not series.system:
            raise NotFound(f"Job {job_name} recorded no profile.",
                           hint="Start the job with Debugger's profiler on (the default when rules are configured).")
        return profiler_html(job, series, self.rule_statuses(job_name), self.rule_catalog())

    def _folder(self, job_name: str) -> Path:
        self.runner.jobs.get(job_name)  # NotFound for an unknown job
        return recording.debug_dir(self.runner.job_dir(job_name))


def read_newest(path: Path, limit: int) -> list[dict[str, Any]]:
    """The last ``limit`` records of a JSON-lines file, read line by line (memory: ``limit`` records)."""
    if not path.is_file():
        return []
    newest: deque[dict[str, Any]] = deque(maxlen=limit)
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.endswith("\n") and line.strip():  # a line still being written waits
                newest.append(json.loads(line))
    return list(newest)


def build_local_debugger(stack: EmbeddedStack) -> DebuggerPort:
    return LocalDebugger(stack)
