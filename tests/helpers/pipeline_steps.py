"""Helpers for the step executors' tests: services over a fresh workspace, the executors over their ports, lake
objects, a StepRun for one step and waiting for its job."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from services.embedded.embedded_stack import EmbeddedStack
from services.models import Job
from services.pipelines.steps import build_executors
from services.pipelines.steps.base import StepExecutor, StepRun
from services.pipelines.steps.deps import StepDeps
from services.registry import Services

EXECUTION_ARN = "arn:aws:sagemaker:local:000000000000:pipeline/p/execution/exec-1"


def executors_of(services: Services) -> dict[str, StepExecutor]:
    return build_executors(StepDeps(settings=services.settings, stack=services.stack, catalog=services.catalog,
                                    storage=services.storage, training=services.training, endpoints=services.endpoints))


def lake(services: Services, uri: str) -> Path:
    return services.stack.workspace.lake / uri.removeprefix("s3://")


def put(services: Services, uri: str, data: str | bytes) -> Path:
    path = lake(services, uri)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def step_run(services: Services, name: str, step_type: str, arguments: dict[str, Any], job: str) -> StepRun:
    """Step ``name`` of pipeline "p", execution "exec-1", with resolved ``arguments`` and job name ``job``."""
    folder = services.settings.home / "pipelines" / "exec-1" / name
    folder.mkdir(parents=True, exist_ok=True)
    return StepRun(EXECUTION_ARN, "exec-1", "p", name, step_type, arguments, folder, job)


def wait_for_job(stack: EmbeddedStack, name: str, seconds: float = 60) -> Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        stack.runner.dispatch()
        job = stack.runner.jobs.get(name)
        if job.finished:
            return job
        time.sleep(0.1)
    raise AssertionError(f"{name} did not finish: {stack.runner.logs(name)[-3000:]}")
