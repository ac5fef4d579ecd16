"""Runs in MLflow's tracking store: SQLite in the workspace (or the configured tracking server)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from requests.exceptions import RequestException

from services.config import Settings
from services.errors import BackendUnavailable, NotFound
from services.models import RunSummary
from services.runs.base import RunsPort
from services.runs.tracking import STORE_FILE, configure, tracking_uri


class MlflowRuns:
    """The runs port over an MLflow tracking store; mlflow loads on first use.

    Only what MLflow says does not exist is "not found"; any other MLflow error (an unreachable
    server, a store that is not MLflow's) is ``BackendUnavailable`` with its cause. Bugs propagate."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            with self._reading():
                self._client = configure(self.settings).MlflowClient()
        return self._client

    def store_exists(self) -> bool:
        """False only for the workspace's own store before any job logged a run: reading it then needs
        neither mlflow (slow to import) nor a new store (its schema migrations take seconds)."""
        return bool(self.settings.mlflow_tracking_uri) or (self.settings.home / STORE_FILE).exists()

    def list_experiments(self) -> list[str]:
        if not self.store_exists():
            return []
        with self._reading():
            experiments = self.client.search_experiments()
        return sorted(e.name for e in experiments if e.name != "Default")

    def list_runs(self, experiment: str = "", limit: int = 1000) -> list[RunSummary]:
        if not self.store_exists():
            return []
        experiments = self._experiment_names()
        ids = [i for i, name in experiments.items() if not experiment or name == experiment]
        if not ids:
            return []
        with self._reading():
            runs = self.client.search_runs(ids, max_results=limit, order_by=["attributes.start_time DESC"])
        return [_summary(run, experiments) for run in runs]

    def get_run(self, run_id: str) -> RunSummary:
        if not self.store_exists():
            raise NotFound(f"No run {run_id!r}: no job has logged a run yet.", hint="Train a model on the Train page.")
        with self._reading(missing=f"No run {run_id!r}."):
            run = self.client.get_run(run_id)
        return _summary(run, self._experiment_names())

    def metric_history(self, run_id: str, metric: str) -> list[tuple[int, float]]:
        if not self.store_exists():
            self.get_run(run_id)  # NotFound
        with self._reading(missing=f"No run {run_id!r}."):
            points = self.client.get_metric_history(run_id, metric)
        return sorted((int(p.step), float(p.value)) for p in points)

    def run_artifact(self, run_id: str, path: str) -> bytes | None:
        self.get_run(run_id)  # an unknown run is NotFound; after this, "does not exist" is the artifact
        try:
            with self._reading():
                local = self.client.download_artifacts(run_id, path)
        except NotFound:
            return None  # a run without that artifact is normal
        return Path(local).read_bytes()

    def _experiment_names(self) -> dict[str, str]:
        with self._reading():
            return {e.experiment_id: e.name for e in self.client.search_experiments()}

    @contextmanager
    def _reading(self, missing: str = "") -> Iterator[None]:
        """Translate MLflow's errors: RESOURCE_DOES_NOT_EXIST is ``NotFound``, the rest ``BackendUnavailable``."""
        from mlflow.exceptions import MlflowException
        from sqlalchemy.exc import SQLAlchemyError

        try:
            yield
        except MlflowException as exc:
            if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                raise NotFound(missing or exc.message, hint="Pick a run from the runs table.") from exc
            raise self._unavailable(exc) from exc
        except (RequestException, SQLAlchemyError) as exc:  # what MLflow's REST and database stores let through
            raise self._unavailable(exc) from exc

    def _unavailable(self, exc: Exception) -> BackendUnavailable:
        return BackendUnavailable(
            f"The MLflow tracking store at {tracking_uri(self.settings)} cannot be read ({str(exc)[:160]}).",
            hint="Check WORKBENCH_MLFLOW_TRACKING_URI (unset it to use the workspace's own store).",
        )


def _summary(run: Any, experiments: dict[str, str]) -> RunSummary:
    started = datetime.fromtimestamp(run.info.start_time / 1000, tz=UTC).isoformat(timespec="seconds")
    ended = run.info.end_time  # milliseconds: the ranking's tie-break tells runs ended in one second apart
    return RunSummary(
        run_id=run.info.run_id, experiment=experiments.get(run.info.experiment_id, run.info.experiment_id),
        name=run.info.run_name or run.info.run_id[:8], status=run.info.status, start_time=started,
        params=dict(run.data.params), metrics={k: float(v) for k, v in run.data.metrics.items()}, tags=dict(run.data.tags),
        end_time=datetime.fromtimestamp(ended / 1000, tz=UTC).isoformat(timespec="milliseconds") if ended else "",
    )


def build_local_runs(settings: Settings) -> RunsPort:
    return MlflowRuns(settings)
