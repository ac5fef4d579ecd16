"""What the local pipeline engine asks of each step type: validate at upsert, start, and read the outcome.

The engine (``services/pipelines/engine.py``) resolves a step's ``Arguments`` (every ``{"Get": …}``,
``Std:Join`` and ``Std:JsonGet`` replaced by its value) and hands them to the executor of the step's
``Type`` as a ``StepRun``. A step that runs long starts a job of the one job runner and returns its name;
the engine watches the job and, once it is Completed, asks for the step's ``StepOutcome``: its
properties in the shape of the matching Describe* response (what ``{"Get": "Steps.<name>.<path>"}``
reads, e.g. ``ModelArtifacts.S3ModelArtifacts`` of DescribeTrainingJob) and the ``Metadata`` entry of
ListPipelineExecutionSteps (e.g. ``{"TrainingJob": {"Arn": …}}``). Condition and Fail steps are the
engine's own; every other type has an executor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class StepRun:
    """One attempt of one step of one execution."""

    execution_arn: str
    execution_id: str  # the last part of the ARN; the SDK's default output locations contain it
    pipeline_name: str
    step_name: str
    step_type: str
    arguments: dict[str, Any]  # resolved: the Create*Job (CreateModelPackage, …) request shape, no references left
    folder: Path  # this attempt's own folder (logs, scratch), created by the engine
    job_name: str  # the name a job started for this attempt must take (unique per attempt)
    attempt: int = 1


@dataclass(frozen=True)
class StepOutcome:
    """What a finished step exposes to later steps and to ListPipelineExecutionSteps."""

    properties: dict[str, Any]  # Describe*-shaped (DescribeTrainingJob, DescribeProcessingJob, …)
    metadata: dict[str, Any] = field(default_factory=dict)  # ListPipelineExecutionSteps Metadata


class StepExecutor(Protocol):
    def validate(self, step_name: str, arguments: dict[str, Any]) -> None:
        """At upsert: ``InvalidInput`` naming the step for what cannot run locally (an unknown image, a
        missing required field). Arguments may still hold references here; check only concrete values."""
        ...

    def start(self, run: StepRun) -> str:
        """Start the step; the job's name (``run.job_name``), or "" when the step finished at once. A
        ``ServiceError`` means the step failed; its message becomes the step's FailureReason."""
        ...

    def outcome(self, run: StepRun) -> StepOutcome:
        """After the step's job Completed (or at once when ``start`` returned ""): its properties."""
        ...
