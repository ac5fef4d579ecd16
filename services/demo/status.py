"""The full demo's progress, persisted in the workspace so the Home page (any process) can show it.

``<home>/demo/status.json``::

    {"state": "running", "step": "Deploy endpoint reviews-demo", "done": 2, "total": 5,
     "steps": ["Train …", …], "elapsed_seconds": 41.2, "started_at": "2026-…Z", "updated_at": "2026-…Z",
     "error": "", "hint": "", "built": ["model demo-review-sentiment/1", …], "found": […]}

``state`` is ``running``, ``done`` or ``failed`` (readers also see ``interrupted``: ``running`` with no
build holding the lock, ``services.demo.background.demo_status``); no file means the full demo was never started in this
workspace. The file is replaced atomically (written beside it, then renamed), so a reader never sees half of it.
Pure apart from reading and writing that one file.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path

from services.embedded.metadata import utc_now

STATUS_FILE = "status.json"
RUNNING, DONE, FAILED = "running", "done", "failed"
INTERRUPTED = "interrupted"  # never written: a "running" file no process is building any more (see demo_status)
MAX_STATUS_BYTES = 64_000  # the file is ours and small; anything bigger is not a status file


@dataclass(frozen=True)
class DemoStatus:
    """Where the full demo's build is: the step under way (or the last one), how many of ``total`` are done."""

    state: str
    steps: tuple[str, ...]
    done: int = 0
    step: str = ""
    elapsed_seconds: float = 0.0
    started_at: str = ""
    updated_at: str = ""
    error: str = ""
    hint: str = ""
    built: tuple[str, ...] = ()
    found: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


def with_live_elapsed(status: DemoStatus, now: datetime) -> DemoStatus:
    """A running build's elapsed time up to ``now`` (the file has it as of the last step's start or end)."""
    try:
        since = (now - datetime.fromisoformat(status.started_at)).total_seconds()
    except ValueError:
        return status
    return replace(status, elapsed_seconds=round(max(since, status.elapsed_seconds), 1))


def status_path(home: Path) -> Path:
    return Path(home) / "demo" / STATUS_FILE


def started(steps: tuple[str, ...]) -> DemoStatus:
    now = utc_now()
    return DemoStatus(state=RUNNING, steps=steps, step=steps[0] if steps else "", started_at=now, updated_at=now)


def step_started(status: DemoStatus, index: int, elapsed: float) -> DemoStatus:
    return replace(status, step=status.steps[index], done=index, elapsed_seconds=round(elapsed, 1), updated_at=utc_now())


def step_finished(status: DemoStatus, index: int, elapsed: float, thing: str, built: bool) -> DemoStatus:
    lists = {"built": status.built + (thing,)} if built else {"found": status.found + (thing,)}
    return replace(status, done=index + 1, elapsed_seconds=round(elapsed, 1), updated_at=utc_now(), **lists)  # type: ignore[arg-type]


def finished(status: DemoStatus, elapsed: float) -> DemoStatus:
    return replace(status, state=DONE, step="", done=status.total, elapsed_seconds=round(elapsed, 1), updated_at=utc_now())


def failed(status: DemoStatus, elapsed: float, error: str, hint: str) -> DemoStatus:
    return replace(status, state=FAILED, elapsed_seconds=round(elapsed, 1), updated_at=utc_now(), error=error, hint=hint)


def write_status(home: Path, status: DemoStatus) -> None:
    """Replace the status file atomically."""
    path = status_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{STATUS_FILE}.{os.getpid()}")
    partial.write_text(json.dumps({**asdict(status), "total": status.total}, indent=2))
    os.replace(partial, path)


def read_status(home: Path) -> DemoStatus | None:
    """The last status written, or None when the full demo never started here (or the file is not ours)."""
    path = status_path(home)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_STATUS_BYTES + 1)
    except FileNotFoundError:
        return None
    if len(raw) > MAX_STATUS_BYTES:
        return None
    try:
        data = json.loads(raw)
        return DemoStatus(state=str(data["state"]), steps=tuple(data["steps"]), done=int(data["done"]),
                          step=str(data.get("step", "")), elapsed_seconds=float(data.get("elapsed_seconds", 0.0)),
                          started_at=str(data.get("started_at", "")), updated_at=str(data.get("updated_at", "")),
                          error=str(data.get("error", "")), hint=str(data.get("hint", "")),
                          built=tuple(data.get("built", ())), found=tuple(data.get("found", ())))
    except (ValueError, KeyError, TypeError):
        return None
