"""Runs in MLflow's tracking store: SQLite in the workspace (or the configured tracking server)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.config import Settings
from services.errors import BackendUnavailable, NotFound
from services.models import RunSummary
from services.runs.base import RunsPort
from services.runs.tracking import configure, tracking_uri


class MlflowRuns:
    """The runs port over an MLflow tracking store; mlflow loads on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = configure(self.settings).MlflowClient()
        return self._client

    def list_experiments(self) -> list[str]:
        try:
            experiments = self.client.search_experiments()
        except Exception as exc:  # mlflow raises its own and requests' errors for an unreachable server
            raise BackendUnavailable(
                f"The MLflow tracking store at {tracking_uri(self.settings)} cannot be read ({str(exc)[:160]}).",
                hint="Check WORKBENCH_MLFLOW_TRACKING_URI (unset it to use the workspace's own store).",
            ) from exc
        return sorted(e.name for e in experiments if e.name != "Default")

    def list_runs(self, experiment: str = "", limit: int = 1000) -> list[RunSummary]:
        experiments = {e.experiment_id: e.name for e in self.client.search_experiments()}
        ids = [i for i, name in experiments.items() if not experiment or name == experiment]
        if not ids:
            return []
        runs = self.client.search_runs(ids, max_results=limit, order_by=["attributes.start_time DESC"])
        return [_summary(run, experiments) for run in runs]

    def get_run(self, run_id: str) -> RunSummary:
        try:
            run = self.client.get_run(run_id)
        except Exception as exc:  # mlflow raises MlflowException for unknown ids
            raise NotFound(f"No run {run_id!r}.", hint="Pick a run from the runs table.") from exc
        experiments = {e.experiment_id: e.name for e in self.client.search_experiments()}
        return _summary(run, experiments)

    def metric_history(self, run_id: str, metric: str) -> list[tuple[int, float]]:
        points = self.client.get_metric_history(run_id, metric)
        return sorted((int(p.step), float(p.value)) for p in points)

    def run_artifact(self, run_id: str, path: str) -> bytes | None:
        try:
            local = self.client.download_artifacts(run_id, path)
        except Exception:  # noqa: BLE001 - a run without that artifact is normal
            return None
        return Path(local).read_bytes()


def _summary(run: Any, experiments: dict[str, str]) -> RunSummary:
    started = datetime.fromtimestamp(run.info.start_time / 1000, tz=UTC).isoformat(timespec="seconds")
    return RunSummary(
        run_id=run.info.run_id, experiment=experiments.get(run.info.experiment_id, run.info.experiment_id),
        name=run.info.run_name or run.info.run_id[:8], status=run.info.status, start_time=started,
        params=dict(run.data.params), metrics={k: float(v) for k, v in run.data.metrics.items()}, tags=dict(run.data.tags),
    )


def build_local_runs(settings: Settings) -> RunsPort:
    return MlflowRuns(settings)
