"""The process that runs one job: ``python -m services.embedded.job_worker --home HOME NAME``.

It looks up the job's kind, runs the matching task with a ``JobContext``, records the outcome
(Completed, Failed with the reason, or Stopped on SIGTERM) and, as it exits, starts the next
waiting job so the queue moves even when no app is open. Tasks just do their work and raise: a
``ServiceError`` also leaves its kind and exit code in the job's result (``record_failure``), for
every kind of job alike.

A job that runs longer than its MaxRuntimeInSeconds (``jobs.max_runtime_seconds``) ends as SageMaker's
do: ``Stopped`` with secondary status ``MaxRuntimeExceeded`` and the reason "MaxRuntimeInSeconds (N s)
exceeded". ``RuntimeLimit`` sends SIGTERM to the job's process group (the worker leads it; scripts and
the processes they start are in it), so the worker records the stop just as for a Stop request; a
worker still running ``HARD_STOP_GRACE_SECONDS`` later is stuck, so the limit records the stop itself
and kills the whole group.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import Any

from services.config import Settings
from services.debugger.session import DebuggerSession, debugger_session
from services.embedded.jobs import JobRunner, JobStore, max_runtime_seconds
from services.embedded.metadata import MetadataStore, utc_now
from services.errors import ServiceError
from services.lineage.hooks import record_finished_job

# kind -> "module:function(ctx)"; imported only in the worker, so the app never loads ML libraries.
TASKS = {
    "training": "services.training.builtin_job:run",
    "autopilot": "services.training.autopilot_job:run",
    "script": "services.training.script_job:run",
    "tuning": "services.training.tuning_job:run",
    "bias": "services.bias.bias_job:run",
    "explain": "services.explain.explain_job:run",
    "batch": "services.endpoints.batch_job:run",
    "pipeline": "services.pipelines.pipeline_job:run",
    "container": "services.pipelines.container_job:run",
    "processing": "services.processing.job:run",
    "ingestion": "services.features.ingestion_job:run",
}


HARD_STOP_GRACE_SECONDS = 30.0
MAX_RUNTIME_EXCEEDED = "MaxRuntimeExceeded"  # SageMaker's secondary status for this ending


class JobStopped(Exception):
    """Raised in the worker when a Stop was requested (SIGTERM)."""


class RuntimeLimit:
    """Ends the job when it outlives ``seconds``: SIGTERM to its process group, and after a grace period
    (a worker stuck in native code) ``hard_stop`` — which records the ending — then SIGKILL."""

    def __init__(self, seconds: float, hard_stop: Callable[[str], None]) -> None:
        self.seconds = seconds
        self.exceeded = threading.Event()
        self._done = threading.Event()
        self._hard_stop = hard_stop
        self._thread = threading.Thread(target=self._watch, name="max-runtime", daemon=True)

    @property
    def reason(self) -> str:
        return f"MaxRuntimeInSeconds ({self.seconds:g} s) exceeded"

    def start(self) -> None:
        self._thread.start()

    def finish(self) -> None:
        """The job has ended: nothing to enforce any more."""
        self._done.set()

    def _watch(self) -> None:
        if self._done.wait(self.seconds):
            return
        self.exceeded.set()
        signal_job_group(signal.SIGTERM)
        if self._done.wait(HARD_STOP_GRACE_SECONDS):
            return
        self._hard_stop(self.reason)
        signal_job_group(signal.SIGKILL)


def signal_job_group(sig: signal.Signals) -> None:
    """Signal the job's process group when this worker leads it (it was started in its own session);
    run any other way (in a test process), only SIGTERM to this process itself."""
    if os.getpgrp() == os.getpid():
        os.killpg(os.getpgrp(), sig)
    elif sig == signal.SIGTERM:
        os.kill(os.getpid(), sig)


def end_rest_of_group() -> None:
    """SIGKILL what is left of the job's process group (children that ignored SIGTERM), sparing this worker."""
    group = os.getpgrp()
    if group != os.getpid():
        return
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[-1].split()
            if int(fields[2]) == group:
                os.kill(int(entry.name), signal.SIGKILL)


@dataclass
class JobContext:
    """What a task gets: its config, its folder, and ways to report progress."""

    name: str
    config: dict[str, Any]
    job_dir: Path
    settings: Settings
    jobs: JobStore
    _started: float = field(default_factory=time.monotonic)

    def log(self, message: str) -> None:
        """A line in the job's log, streamed into the page."""
        stamp = utc_now()[11:19]
        with (self.job_dir / "job.log").open("a", encoding="utf-8") as handle:
            handle.write(f"[{stamp}] {message}\n")

    def secondary(self, status: str, message: str = "") -> None:
        """Move to a SageMaker secondary status (Downloading, Training, ModelTuning, …)."""
        self.jobs.transition(self.name, status, message)
        self.log(f"{status}{': ' + message if message else ''}")

    def metric(self, name: str, value: float, step: int | None = None) -> None:
        """A point of a live metric curve (also logged to MLflow by the task)."""
        record = {"name": name, "value": float(value), "step": step, "seconds": round(time.monotonic() - self._started, 3)}
        with (self.job_dir / "metrics.jsonl").open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")

    def progress(self, fraction: float, message: str = "") -> None:
        self.jobs.update(self.name, result={**self.jobs.get(self.name).result, "progress": round(fraction, 4),
                                             "progress_message": message})

    def finish_with(self, *, model_id: str = "", run_id: str = "", metrics: dict[str, float] | None = None,
                    result: dict[str, Any] | None = None) -> None:
        """Record what the job produced (shown on the page and returned by the CLI)."""
        fields: dict[str, Any] = {"model_id": model_id, "run_id": run_id, "metrics": metrics or {}}
        fields["result"] = {k: v for k, v in (result or {}).items()}
        self.jobs.update(self.name, **fields)


def read_metrics(job_dir: Path) -> list[dict[str, Any]]:
    """The live metric points a job has reported so far."""
    path = job_dir / "metrics.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


STOP_REQUESTED = threading.Event()  # set by SIGTERM in this worker: the task may swallow the JobStopped it raises


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    STOP_REQUESTED.set()
    raise JobStopped()


def _task(kind: str) -> Callable[[JobContext], None]:
    module_name, function_name = TASKS[kind].split(":")
    return getattr(importlib.import_module(module_name), function_name)  # type: ignore[no-any-return]


def ending(error: Exception, exceeded_reason: str = "", stopped_reason: str = "",
           stop_requested: bool = False) -> tuple[str, str, str]:
    """(status, reason, secondary status) of a job whose task raised ``error``; a run past its maximum
    runtime, stopped by a Debugger rule (``stopped_reason``) or on request (``stop_requested``) is Stopped whatever
    the task raised as it was signalled (a script killed by SIGTERM fails; a library that catches the JobStopped
    raised inside it, as pydantic's schema building does, raises its own error)."""
    if exceeded_reason:
        return "Stopped", exceeded_reason, MAX_RUNTIME_EXCEEDED
    if stopped_reason:
        return "Stopped", stopped_reason, "Stopped"
    if stop_requested or isinstance(error, JobStopped):
        return "Stopped", "Stopped on request.", "Stopped"
    if isinstance(error, ServiceError):
        return "Failed", str(error), "Failed"
    return "Failed", f"{type(error).__name__}: {error}", "Failed"


def run_job(home: Path, name: str) -> str:
    """Run job ``name`` to its end and return its final status."""
    settings = replace(Settings.from_env(), home=home, seed_on_start=False)
    store = MetadataStore(home / "metadata.sqlite")
    runner = JobRunner(home, store, settings.max_heavy_jobs)
    job = runner.jobs.get(name)
    ctx = JobContext(name, job.config, runner.job_dir(name), settings, runner.jobs)
    limit = RuntimeLimit(max_runtime_seconds(job.config, settings.job_max_runtime_seconds),
                         lambda reason: _record_hard_stop(runner, ctx, reason))
    debugger = debugger_session(job.kind, job.config, ctx.job_dir, ctx._started, lambda _: signal_job_group(signal.SIGTERM))
    STOP_REQUESTED.clear()
    signal.signal(signal.SIGTERM, _raise_stopped)
    try:
        ctx.log(f"Job {name} ({job.kind}) started")
        limit.start()
        if debugger is not None:
            debugger.start()
        _task(job.kind)(ctx)
        limit.finish()
        _end_debugger(debugger, runner.jobs, name)
        runner.jobs.finish(name, "Completed")
        record_finished_job(store, runner.jobs.get(name), ctx.log)
        ctx.log("Completed")
    except Exception as error:  # noqa: BLE001 - a job's bug must end as Failed with the reason, not a hang
        limit.finish()
        _end_debugger(debugger, runner.jobs, name)
        _record_ending(runner, ctx, error, limit.reason if limit.exceeded.is_set() else "",
                       debugger.stop_reason if debugger is not None else "")
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        runner.dispatch()
    return runner.jobs.get(name).status


def _end_debugger(debugger: DebuggerSession | None, jobs: JobStore, name: str) -> None:
    """End the job's Debugger rules and put their statuses in its result (as DescribeTrainingJob has them)."""
    if debugger is not None:
        debugger.finish()
        jobs.update(name, result={**jobs.get(name).result, **debugger.result_fields()})


def _record_ending(runner: JobRunner, ctx: JobContext, error: Exception, exceeded_reason: str,
                   stopped_reason: str = "") -> None:
    status, reason, secondary = ending(error, exceeded_reason, stopped_reason, STOP_REQUESTED.is_set())
    if status == "Failed" and isinstance(error, ServiceError):
        record_failure(runner.jobs, ctx.name, error)
    runner.jobs.finish(ctx.name, status, reason, secondary)
    if status == "Stopped":
        ctx.log(reason.rstrip("."))
        end_rest_of_group()
    elif isinstance(error, ServiceError):
        ctx.log(f"Failed: {error}")
    else:
        ctx.log("Failed:\n" + traceback.format_exc())


def record_failure(jobs: JobStore, name: str, error: ServiceError) -> None:
    """Note what kind of error failed the job, so the CLI can tell bad input (exit 2) from bugs (exit 1).
    A script job's own exit code, already in its result, stays."""
    result = jobs.get(name).result
    jobs.update(name, result={"exit_code": error.exit_code, **result, "failure_type": type(error).__name__})


def _record_hard_stop(runner: JobRunner, ctx: JobContext, reason: str) -> None:
    """The worker did not end after SIGTERM: record the stop and start the next job before the group is killed."""
    if not runner.jobs.get(ctx.name).finished:
        runner.jobs.finish(ctx.name, "Stopped", reason, MAX_RUNTIME_EXCEEDED)
        ctx.log(f"{reason}; the job did not end on SIGTERM, so its processes are killed")
    runner.dispatch()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("name")
    args = parser.parse_args(argv)
    status = run_job(args.home, args.name)
    return 0 if status == "Completed" else 1


if __name__ == "__main__":
    # Run the module under its import name: run as __main__, its JobStopped would be __main__.JobStopped, and tasks
    # that catch services.embedded.job_worker.JobStopped (a stopped tuning trial) would miss the stop.
    from services.embedded import job_worker

    raise SystemExit(job_worker.main())
