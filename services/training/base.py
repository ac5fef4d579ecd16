"""The training port: SageMaker's model of training, tuning and AutoML jobs, and a model registry."""

from __future__ import annotations

from typing import Any, Protocol

from services.models import (
    AutopilotRequest,
    Candidate,
    ModelRecord,
    ScriptJobRequest,
    TrainingRequest,
    TuningRequest,
)


class TrainingPort(Protocol):
    """Jobs run asynchronously: ``start_*`` returns the job's name at once; ``JobsPort`` watches it.

    Statuses are SageMaker's (InProgress, Completed, Failed, Stopping, Stopped) with secondary
    statuses. Bad requests (unknown algorithm or column, impossible hyperparameters) raise
    ``InvalidInput`` before a job is created; failures inside a job end it as Failed with a reason.
    """

    def start_training_job(self, request: TrainingRequest) -> str:
        """Train a built-in algorithm on a table or file; the model is registered when it completes."""
        ...

    def start_autopilot_job(self, request: AutopilotRequest) -> str:
        """Start an AutoML job; its candidates form a leaderboard and the best is registered."""
        ...

    def start_script_job(self, request: ScriptJobRequest) -> str:
        """Run the user's training script under the SageMaker training contract."""
        ...

    def start_tuning_job(self, request: TuningRequest) -> str:
        """Tune hyperparameters; each trial is its own run."""
        ...

    def list_candidates(self, job_name: str) -> list[Candidate]:
        """An Autopilot job's candidates, best first."""
        ...

    def job_insights(self, name: str) -> dict[str, Any]:
        """An Autopilot job's reports: ``model_insights`` (confusion matrix, ROC/PR curves or residuals)
        and ``explainability`` (feature importance); ``{}`` when the job has none."""
        ...

    def autopilot_notebooks(self, job_name: str) -> bytes:
        """A completed Autopilot job's two generated notebooks as one zip: locally run top to bottom (outputs
        kept) with the ``data/`` they read; on SageMaker the notebooks it wrote to S3, as it wrote them (they read
        the job's S3 data). ``InvalidInput`` for any other job."""
        ...

    def list_models(self) -> list[ModelRecord]:
        """Registered models, newest first."""
        ...

    def get_model(self, model_id: str) -> ModelRecord:
        """One registered model; ``NotFound`` when missing."""
        ...

    def set_model_approval(self, model_id: str, status: str) -> ModelRecord:
        """Approved | Rejected | PendingManualApproval."""
        ...
