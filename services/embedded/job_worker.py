"""The process that runs one job: ``python -m services.embedded.job_worker --home HOME NAME``.

It looks up the job's kind, runs the matching task with a ``JobContext``, records the outcome
(Completed, Failed with the reason, or Stopped on SIGTERM) and, as it exits, starts the next
waiting job so the queue moves even when no app is open.
"""

from __future__ import annotations

import argparse
import importlib
import json
import signal
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import Any

from services.config import Settings
from services.embedded.jobs import JobRunner, JobStore
from services.embedded.metadata import MetadataStore, utc_now
from services.errors import ServiceError

# kind -> "module:function(ctx)"; imported only in the worker, so the app never loads ML libraries.
TASKS = {
    "training": "services.training.builtin_job:run",
    "autopilot": "services.training.autopilot_job:run",
    "script": "services.training.script_job:run",
    "tuning": "services.training.tuning_job:run",
    "transform": "services.training.transform_job:run",
    "bias": "services.bias.bias_job:run",
    "explain": "services.explain.explain_job:run",
    "batch": "services.endpoints.batch_job:run",
}


class JobStopped(Exception):
    """Raised in the worker when a Stop was requested (SIGTERM)."""


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


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    raise JobStopped()


def _task(kind: str) -> Callable[[JobContext], None]:
    module_name, function_name = TASKS[kind].split(":")
    return getattr(importlib.import_module(module_name), function_name)  # type: ignore[no-any-return]


def run_job(home: Path, name: str) -> str:
    """Run job ``name`` to its end and return its final status."""
    settings = replace(Settings.from_env(), home=home, seed_on_start=False)
    store = MetadataStore(home / "metadata.sqlite")
    runner = JobRunner(home, store, settings.max_heavy_jobs)
    job = runner.jobs.get(name)
    ctx = JobContext(name, job.config, runner.job_dir(name), settings, runner.jobs)
    signal.signal(signal.SIGTERM, _raise_stopped)
    try:
        ctx.log(f"Job {name} ({job.kind}) started")
        _task(job.kind)(ctx)
        runner.jobs.finish(name, "Completed")
        ctx.log("Completed")
    except JobStopped:
        runner.jobs.finish(name, "Stopped", "Stopped on request.")
        ctx.log("Stopped on request")
    except ServiceError as error:
        runner.jobs.finish(name, "Failed", str(error))
        ctx.log(f"Failed: {error}")
    except Exception as error:  # noqa: BLE001 - a job's bug must end as Failed with the reason, not a hang
        runner.jobs.finish(name, "Failed", f"{type(error).__name__}: {error}")
        ctx.log("Failed:\n" + traceback.format_exc())
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        runner.dispatch()
    return runner.jobs.get(name).status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("name")
    args = parser.parse_args(argv)
    status = run_job(args.home, args.name)
    return 0 if status == "Completed" else 1


if __name__ == "__main__":
    raise SystemExit(main())
