"""The jobs port: every long piece of work (training, Autopilot, scripts, tuning, batch scoring, bias and
SHAP) is a job with SageMaker's statuses, watched and stopped through this one port.

Statuses are SageMaker's (InProgress, Completed, Failed, Stopping, Stopped) with secondary statuses
(Starting, Downloading, Training, …). Capabilities start their own jobs and read their own results
(``BiasPort.job_report``, ``ExplainPort.explanation``, ``TrainingPort.list_candidates``); everything
about a job as a job — its state, log, stages, live metrics, stopping and waiting — lives here.
"""

from __future__ import annotations

from typing import Protocol

from services.models import Job

JOB_KINDS = ("training", "autopilot", "script", "tuning", "transform", "bias", "explain", "batch", "container", "pipeline",
             "ingestion", "processing")


class JobsPort(Protocol):
    def list_jobs(self, kind: str = "", status: str = "", name_contains: str = "", limit: int = 200) -> list[Job]:
        """Jobs newest first; each filter applies when given: one kind (``JOB_KINDS``), one status
        (``InProgress``, ``Completed``, …), a part of the name (any case). ``InvalidInput`` for an unknown
        kind or status, or a limit below 1."""
        ...

    def describe_job(self, name: str) -> Job:
        """The job's current state; ``NotFound`` for unknown names."""
        ...

    def job_logs(self, name: str, tail_bytes: int = 64_000) -> str:
        """The end of the job's log (at most ``tail_bytes``); ``""`` when it has written none yet."""
        ...

    def job_transitions(self, name: str) -> list[dict[str, str]]:
        """Secondary-status transitions, oldest first: ``{"at", "status", "message"}``."""
        ...

    def job_metric_points(self, name: str) -> list[dict[str, object]]:
        """Live metric points (``name``, ``value``, ``step``, ``seconds``) reported so far."""
        ...

    def stop_job(self, name: str) -> Job:
        """Ask the job to stop (Stopping → Stopped); a finished job is returned unchanged."""
        ...

    def wait_for_job(self, name: str, timeout_seconds: float = 3600) -> Job:
        """Poll ``describe_job`` until the job finishes or the timeout passes, and return it (finished or not)."""
        ...
