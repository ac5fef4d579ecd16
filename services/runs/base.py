"""The runs port: experiment tracking (MLflow), read for comparing runs."""

from __future__ import annotations

from typing import Protocol

from services.models import RunSummary


class RunsPort(Protocol):
    """Runs logged by jobs. Reading never changes anything."""

    def list_experiments(self) -> list[str]:
        """Experiment names, sorted."""
        ...

    def list_runs(self, experiment: str = "", limit: int = 1000) -> list[RunSummary]:
        """Runs newest first, from one experiment or all of them."""
        ...

    def get_run(self, run_id: str) -> RunSummary:
        """One run; ``NotFound`` when missing."""
        ...

    def metric_history(self, run_id: str, metric: str) -> list[tuple[int, float]]:
        """A metric's (step, value) points in step order."""
        ...

    def run_artifact(self, run_id: str, path: str) -> bytes | None:
        """A small artifact's bytes (e.g. ``confusion_matrix.json``), or None when the run has none."""
        ...
