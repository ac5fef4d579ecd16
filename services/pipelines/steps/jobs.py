"""What the job-backed step executors share: starting a ``container`` job for a step and reading it back."""

from __future__ import annotations

from typing import Any

from services.embedded.jobs import MAX_RUNTIME_LIMIT
from services.embedded.sandbox import require_sandbox
from services.errors import InternalError
from services.models import Job
from services.pipelines.steps.base import StepRun
from services.pipelines.steps.deps import StepDeps


def max_runtime(arguments: dict[str, Any]) -> int:
    """StoppingCondition.MaxRuntimeInSeconds as the runner takes it (0: the workbench's default)."""
    value = (arguments.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds", 0)
    return min(int(value), MAX_RUNTIME_LIMIT) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def start_container(deps: StepDeps, run: StepRun, contract: str, job_arn: str, *, sandboxed: bool = True,
                    extra: dict[str, Any] | None = None) -> str:
    """Submit the step's ``container`` job under ``run.job_name``; its name."""
    if sandboxed:
        require_sandbox()
    config = {"contract": contract, "request": run.arguments, "job_arn": job_arn, "step_name": run.step_name,
              "execution_arn": run.execution_arn, "max_runtime_in_seconds": max_runtime(run.arguments), **(extra or {})}
    return deps.stack.runner.submit("container", config, name=run.job_name).name


def finished_job(deps: StepDeps, run: StepRun) -> Job:
    """The step's Completed job (the engine asks for an outcome only then)."""
    job = deps.stack.runner.jobs.get(run.job_name)
    if job.status != "Completed":
        raise InternalError(f"Job {job.name} is {job.status}, not Completed.", hint="Ask for a step's outcome once its job completed.")
    return job


def times(job: Job) -> dict[str, str]:
    """Describe*'s CreationTime/LastModifiedTime, with the job's own start and end."""
    return {"CreationTime": job.created_at, "LastModifiedTime": job.ended_at or job.created_at}
