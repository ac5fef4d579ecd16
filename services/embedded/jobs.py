"""Jobs on the local stack: a row in the metadata store plus a separate OS process each.

Statuses are SageMaker's (InProgress, Completed, Failed, Stopping, Stopped) with secondary
statuses. A small queue keeps heavy jobs to ``max_heavy`` at once (2 cores here): a job waits
as InProgress/Starting until a slot frees. Whoever notices a free slot starts the next job:
the app, the CLI, or a worker as it exits. A job whose process is gone is marked Failed.

Workers start with ``child_env.worker_environment()``, never the app's environment (no credentials).
Every job has a maximum runtime, SageMaker's ``StoppingCondition.MaxRuntimeInSeconds``: the request's
``max_runtime_in_seconds`` when it gives one, else ``WORKBENCH_JOB_MAX_RUNTIME_SECONDS``; the worker
enforces it (``job_worker.RuntimeLimit``).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from services.embedded.child_env import worker_environment
from services.embedded.metadata import MetadataStore, utc_now
from services.errors import InvalidInput, NotFound
from services.models import FINISHED_JOB_STATUSES, Job
from services.names import check_job_name

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    name TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, secondary_status TEXT NOT NULL,
    created_at TEXT NOT NULL, started_at TEXT NOT NULL DEFAULT '', ended_at TEXT NOT NULL DEFAULT '',
    failure_reason TEXT NOT NULL DEFAULT '', config TEXT NOT NULL, heavy INTEGER NOT NULL DEFAULT 1,
    pid INTEGER, model_id TEXT NOT NULL DEFAULT '', run_id TEXT NOT NULL DEFAULT '',
    metrics TEXT NOT NULL DEFAULT '{}', result TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created_at);
CREATE TABLE IF NOT EXISTS job_transitions (
    name TEXT NOT NULL, at TEXT NOT NULL, status TEXT NOT NULL, message TEXT NOT NULL DEFAULT ''
);
"""
WAITING = "Waiting for a free slot"
RUNTIME_KEY = "max_runtime_in_seconds"  # StoppingCondition.MaxRuntimeInSeconds, in a job's config
MAX_RUNTIME_LIMIT = 28 * 24 * 3600  # SageMaker's largest MaxRuntimeInSeconds for a training job
CLAIMED = -1  # pid placeholder while the claiming process starts the worker


class JobStore:
    """Job rows and their secondary-status transitions."""

    def __init__(self, store: MetadataStore) -> None:
        self.store = store
        store.ensure_schema(SCHEMA)

    def create(self, kind: str, config: dict[str, Any], name: str = "", heavy: bool = True) -> Job:
        name = name or new_job_name(kind)
        if self.find(name) is not None:
            raise InvalidInput(f"A job named {name!r} exists already.", hint="Job names are unique; pick another.")
        job = Job(name=name, kind=kind, status="InProgress", secondary_status="Starting", created_at=utc_now(),
                  config=config)
        self.store.execute(
            "INSERT INTO jobs (name, kind, status, secondary_status, created_at, config, heavy) VALUES (?,?,?,?,?,?,?)",
            (name, kind, job.status, job.secondary_status, job.created_at, json.dumps(config), int(heavy)),
        )
        self.transition(name, "Starting", WAITING)
        return job

    def find(self, name: str) -> Job | None:
        row = self.store.fetch_one("SELECT * FROM jobs WHERE name = ?", (name,))
        return None if row is None else _job(row)

    def get(self, name: str) -> Job:
        job = self.find(name)
        if job is None:
            raise NotFound(f"No job named {name!r}.", hint="Pick a job from the jobs list.")
        return job

    def recent(self, kind: str = "", limit: int = 200, *, status: str = "", name_contains: str = "") -> list[Job]:
        """Newest first; each filter applies when given (``name_contains`` in any case, taken literally)."""
        pattern = "%" + name_contains.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self.store.fetch_all(
            "SELECT * FROM jobs WHERE (? = '' OR kind = ?) AND (? = '' OR status = ?) AND lower(name) LIKE ? ESCAPE '\\'"
            " ORDER BY created_at DESC LIMIT ?", (kind, kind, status, status, pattern, limit)
        )
        return [_job(r) for r in rows]

    def update(self, name: str, **fields: Any) -> None:
        for key in ("metrics", "result", "config"):
            if key in fields:
                fields[key] = json.dumps(fields[key])
        assignments = ", ".join(f"{key} = ?" for key in fields)
        self.store.execute(f"UPDATE jobs SET {assignments} WHERE name = ?", (*fields.values(), name))

    def transition(self, name: str, secondary_status: str, message: str = "") -> None:
        with self.store.transaction() as conn:
            conn.execute("UPDATE jobs SET secondary_status = ? WHERE name = ?", (secondary_status, name))
            conn.execute(
                "INSERT INTO job_transitions (name, at, status, message) VALUES (?, ?, ?, ?)",
                (name, utc_now(), secondary_status, message),
            )

    def transitions(self, name: str) -> list[dict[str, str]]:
        rows = self.store.fetch_all("SELECT at, status, message FROM job_transitions WHERE name = ? ORDER BY rowid", (name,))
        return [dict(r) for r in rows]

    def finish(self, name: str, status: str, failure_reason: str = "", secondary_status: str = "") -> None:
        """End the job; ``secondary_status`` defaults to ``status`` (SageMaker's MaxRuntimeExceeded differs)."""
        if status not in FINISHED_JOB_STATUSES:
            raise ValueError(status)
        secondary_status = secondary_status or status
        self.update(name, status=status, secondary_status=secondary_status, ended_at=utc_now(),
                    failure_reason=failure_reason[:1024])
        self.transition(name, secondary_status, failure_reason[:200])

    def pid(self, name: str) -> int | None:
        row = self.store.fetch_one("SELECT pid FROM jobs WHERE name = ?", (name,))
        return None if row is None or row["pid"] is None else int(row["pid"])


class JobRunner:
    """Starts queued jobs as worker processes, stops them, and notices the ones that died."""

    def __init__(self, home: Path, store: MetadataStore, max_heavy: int = 1) -> None:
        self.home = home
        self.jobs = JobStore(store)
        self.max_heavy = max(1, max_heavy)
        self._children: dict[str, subprocess.Popen[bytes]] = {}

    def job_dir(self, name: str) -> Path:
        """``<home>/jobs/<name>``; ``InvalidInput`` when the name would lead anywhere else (``..``, ``/abs``)."""
        root = self.home / "jobs"
        folder = root / name
        if not name or "\x00" in name or folder.parent != root or folder.resolve().parent != root.resolve():
            raise InvalidInput(f"{name!r} cannot name a job folder: it leads outside {root}.",
                               hint="Job names are letters, digits and hyphens.")
        return folder

    def submit(self, kind: str, config: dict[str, Any], name: str = "", heavy: bool = True) -> Job:
        """Record a job and start it when a slot is free (``InvalidInput`` for a bad maximum runtime)."""
        max_runtime_seconds(config, 1.0)
        name = check_job_name(kind, name or new_job_name(kind))  # the last line of defence: callers check first
        self.job_dir(name)
        job = self.jobs.create(kind, config, name, heavy)
        self.job_dir(job.name).mkdir(parents=True, exist_ok=True)
        (self.job_dir(job.name) / "config.json").write_text(json.dumps(config, indent=2))
        self.dispatch()
        return self.jobs.get(job.name)

    def dispatch(self) -> None:
        """Mark dead jobs failed, then start waiting jobs while heavy slots are free."""
        self.reap()
        rows = self.jobs.store.fetch_all(
            "SELECT name, heavy, pid, status FROM jobs WHERE status IN ('InProgress', 'Stopping') ORDER BY created_at"
        )
        running = sum(1 for r in rows if r["pid"] is not None and r["heavy"])  # a Stopping job still holds its slot
        for row in rows:
            if row["pid"] is not None or row["status"] != "InProgress":
                continue
            if row["heavy"] and running >= self.max_heavy:
                continue
            if self._claim(row["name"]):
                self._start(row["name"])
                running += int(row["heavy"])

    def _claim(self, name: str) -> bool:
        """Only one process may start a waiting job (the app, the CLI and exiting workers all dispatch)."""
        with self.jobs.store.transaction() as conn:
            claimed = conn.execute("UPDATE jobs SET pid = ? WHERE name = ? AND pid IS NULL", (CLAIMED, name)).rowcount
        return claimed == 1

    def _start(self, name: str) -> None:
        folder = self.job_dir(name)
        folder.mkdir(parents=True, exist_ok=True)
        log = (folder / "process.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "services.embedded.job_worker", "--home", str(self.home), name],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            cwd=str(Path(__file__).resolve().parents[2]), env=worker_environment(),
        )
        self._children[name] = process
        self.jobs.update(name, pid=process.pid, started_at=utc_now())

    def reap(self) -> None:
        """Jobs whose process is gone without finishing are failed, with the reason."""
        for name, child in list(self._children.items()):
            if child.poll() is not None:
                del self._children[name]
        rows = self.jobs.store.fetch_all(
            "SELECT name, pid FROM jobs WHERE status IN ('InProgress', 'Stopping') AND pid IS NOT NULL AND pid != ?", (CLAIMED,)
        )
        for row in rows:
            if not process_alive(int(row["pid"]), row["name"]):
                self._mark_vanished(row["name"], int(row["pid"]))

    def _mark_vanished(self, name: str, pid: int) -> None:
        job = self.jobs.get(name)
        if job.finished:
            return
        if job.status == "Stopping":
            self.jobs.finish(name, "Stopped")
            return
        self.jobs.finish(name, "Failed", f"The job's process (pid {pid}) ended without reporting; see the logs.")

    def stop(self, name: str) -> Job:
        """Stop a job: a waiting one at once, a running one by signal (its worker records Stopped)."""
        job = self.jobs.get(name)
        if job.finished:
            return job
        pid = self.jobs.pid(name)
        if pid is None:
            self.jobs.finish(name, "Stopped", "Stopped before it started.")
            return self.jobs.get(name)
        self.jobs.update(name, status="Stopping")
        self.jobs.transition(name, "Stopping", "Stop requested")
        _signal_group(pid, signal.SIGTERM)
        return self.jobs.get(name)

    def logs(self, name: str, tail_bytes: int = 64_000) -> str:
        """The end of the job's log (the worker's own log plus anything the process printed)."""
        self.jobs.get(name)
        parts = []
        for file_name in ("job.log", "process.log"):
            path = self.job_dir(name) / file_name
            if path.exists():
                parts.append(_tail(path, tail_bytes))
        return "\n".join(p for p in parts if p)


def max_runtime_seconds(config: dict[str, Any], default: float) -> float:
    """The job's MaxRuntimeInSeconds: its config's ``max_runtime_in_seconds`` when set (not 0), else ``default``."""
    value = config.get(RUNTIME_KEY) or 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_RUNTIME_LIMIT:
        raise InvalidInput(f"MaxRuntimeInSeconds must be a whole number of seconds from 1 to {MAX_RUNTIME_LIMIT:,}, "
                           f"got {value!r}.", hint="Leave it out (0) to use WORKBENCH_JOB_MAX_RUNTIME_SECONDS.")
    return float(value) if value else default


def new_job_name(kind: str) -> str:
    stamp = utc_now()[:19].replace(":", "").replace("-", "").replace("T", "-")
    return f"{kind}-{stamp}-{uuid.uuid4().hex[:4]}"


def process_alive(pid: int, job_name: str) -> bool:
    """True when ``pid`` is a live (non-zombie) worker for ``job_name`` (pids get reused)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]
    if state == "Z":
        return False
    # Right after fork the new process's cmdline reads empty for a few milliseconds: that is our worker.
    return not cmdline or job_name in cmdline


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(os.getpgid(pid), sig)


def _tail(path: Path, size: int) -> str:
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - size))
        return handle.read().decode(errors="replace")


def _job(row: Any) -> Job:
    return Job(
        name=row["name"], kind=row["kind"], status=row["status"], secondary_status=row["secondary_status"],
        created_at=row["created_at"], config=json.loads(row["config"]), started_at=row["started_at"],
        ended_at=row["ended_at"], failure_reason=row["failure_reason"], model_id=row["model_id"], run_id=row["run_id"],
        metrics=json.loads(row["metrics"]), result=json.loads(row["result"]),
    )
