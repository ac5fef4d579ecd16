"""The runs port's contract: every adapter must pass ``RunsContract``.

``TestLocalRuns`` runs it on the local adapter (MLflow's SQLite store in the workspace);
``TestAwsRuns`` on the aws adapter, which ``build_aws_runs`` points at any MLflow URI: here a SQLite
store, standing where SageMaker's managed tracking server is in production. Runs are logged with
MLflow's own client, as jobs log them.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from services.config import Settings
from services.errors import BackendUnavailable, NotFound
from services.runs.aws import build_aws_runs
from services.runs.base import RunsPort
from services.runs.local import build_local_runs
from services.runs.models import leaderboard
from services.runs.tracking import tracking_uri
from tests.helpers.workspace import copy_empty_mlflow_store

UNKNOWN_RUN = "0" * 32


def closed_port() -> int:
    """A loopback port nothing listens on: an unreachable tracking server."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RunsContract:
    """Tests any runs adapter must pass. Subclasses provide ``settings_for`` and ``build``."""

    def settings_for(self, home: Path, uri: str = "") -> Settings:
        raise NotImplementedError

    def build(self, settings: Settings) -> RunsPort:
        raise NotImplementedError

    @pytest.fixture
    def settings(self, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
        copy_empty_mlflow_store(tmp_path_factory, tmp_path)  # creating a store takes seconds; copy one
        return self.settings_for(tmp_path)

    @pytest.fixture
    def runs(self, settings: Settings) -> RunsPort:
        return self.build(settings)

    @pytest.fixture
    def client(self, settings: Settings) -> Any:
        import mlflow

        return mlflow.MlflowClient(tracking_uri(settings))

    def log_run(self, client: Any, settings: Settings, experiment: str, name: str, **metrics: float) -> str:
        found = client.get_experiment_by_name(experiment)
        experiment_id = found.experiment_id if found else client.create_experiment(
            experiment, artifact_location=(settings.home / "artifacts" / experiment).as_uri())
        run_id = str(client.create_run(experiment_id, run_name=name).info.run_id)
        client.log_param(run_id, "algorithm", name)
        for metric, value in metrics.items():
            client.log_metric(run_id, metric, value, step=0)
        client.set_terminated(run_id)
        return run_id

    def test_experiments_sorted_without_default(self, runs: RunsPort, client: Any, settings: Settings) -> None:
        self.log_run(client, settings, "reviews", "xgb")
        self.log_run(client, settings, "autopilot", "c1")
        assert runs.list_experiments() == ["autopilot", "reviews"]

    def test_runs_newest_first_from_one_experiment_or_all(self, runs: RunsPort, client: Any, settings: Settings) -> None:
        first = self.log_run(client, settings, "reviews", "xgb", accuracy=0.8)
        second = self.log_run(client, settings, "reviews", "linear", accuracy=0.7)
        other = self.log_run(client, settings, "other", "tfidf")
        assert [r.run_id for r in runs.list_runs("reviews")][:2] == [second, first]
        assert {r.run_id for r in runs.list_runs()} == {first, second, other}
        assert runs.list_runs("no-such-experiment") == []
        summary = next(r for r in runs.list_runs("reviews") if r.run_id == first)
        assert (summary.experiment, summary.name, summary.status) == ("reviews", "xgb", "FINISHED")
        assert (summary.params, summary.metrics) == ({"algorithm": "xgb"}, {"accuracy": 0.8})

    def test_get_run_and_unknown_run_is_not_found(self, runs: RunsPort, client: Any, settings: Settings) -> None:
        run_id = self.log_run(client, settings, "reviews", "xgb", accuracy=0.8)
        assert runs.get_run(run_id).metrics == {"accuracy": 0.8}
        with pytest.raises(NotFound, match=UNKNOWN_RUN):
            runs.get_run(UNKNOWN_RUN)

    def test_metric_history_in_step_order(self, runs: RunsPort, client: Any, settings: Settings) -> None:
        run_id = self.log_run(client, settings, "reviews", "xgb")
        for step, value in ((2, 0.2), (0, 0.5), (1, 0.3)):
            client.log_metric(run_id, "validation:merror", value, step=step)
        assert runs.metric_history(run_id, "validation:merror") == [(0, 0.5), (1, 0.3), (2, 0.2)]

    def test_artifact_bytes_missing_artifact_none_unknown_run_not_found(self, runs: RunsPort, client: Any,
                                                                          settings: Settings, tmp_path: Path) -> None:
        run_id = self.log_run(client, settings, "reviews", "xgb")
        matrix = tmp_path / "confusion_matrix.json"
        matrix.write_text(json.dumps({"labels": ["a", "b"]}))
        client.log_artifact(run_id, str(matrix))
        assert json.loads(runs.run_artifact(run_id, "confusion_matrix.json") or b"") == {"labels": ["a", "b"]}
        assert runs.run_artifact(run_id, "no_such_file.json") is None
        with pytest.raises(NotFound, match=UNKNOWN_RUN):
            runs.run_artifact(UNKNOWN_RUN, "confusion_matrix.json")

    def test_sagemaker_and_workbench_metric_names_rank_on_one_column(self, runs: RunsPort, client: Any,
                                                                     settings: Settings) -> None:
        builtin = self.log_run(client, settings, "reviews", "xgb", accuracy=0.8)
        candidate = self.log_run(client, settings, "reviews", "c1", Accuracy=0.9)
        listed = runs.list_runs("reviews")
        assert all(r.end_time > r.start_time for r in listed)  # finished runs carry their end (the tie-break)
        board = leaderboard(listed, "accuracy")
        assert list(board["run_id"]) == [candidate, builtin] and list(board["logged as"]) == ["Accuracy", "accuracy"]

    @pytest.mark.parametrize("call", ["list_experiments", "list_runs", "get_run", "metric_history", "run_artifact"])
    def test_an_unreachable_tracking_server_is_unavailable_never_not_found(
            self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str) -> None:
        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # fail at once instead of backing off
        uri = f"http://127.0.0.1:{closed_port()}"
        runs = self.build(self.settings_for(tmp_path, uri))
        args = {"get_run": (UNKNOWN_RUN,), "metric_history": (UNKNOWN_RUN, "m"),
                "run_artifact": (UNKNOWN_RUN, "a.json")}.get(call, ())
        with pytest.raises(BackendUnavailable, match="cannot be read") as raised:
            getattr(runs, call)(*args)
        assert uri in raised.value.message and "WORKBENCH_MLFLOW_TRACKING_URI" in raised.value.hint
        assert raised.value.__cause__ is not None  # the cause is kept for the log

    def test_a_store_that_is_not_mlflow_is_unavailable(self, tmp_path: Path) -> None:
        broken = tmp_path / "broken.db"
        broken.write_text("not a database")
        runs = self.build(self.settings_for(tmp_path, f"sqlite:///{broken}"))
        with pytest.raises(BackendUnavailable):
            runs.get_run(UNKNOWN_RUN)


class TestLocalRuns(RunsContract):
    def settings_for(self, home: Path, uri: str = "") -> Settings:
        return Settings(home=home, seed_on_start=False, mlflow_tracking_uri=uri)

    def build(self, settings: Settings) -> RunsPort:
        return build_local_runs(settings)


    def test_reading_an_empty_workspace_creates_no_store(self, tmp_path: Path) -> None:
        """Before any job logged a run there is nothing to read: no store is created (its migrations take seconds
        on the Compare page's first open) and unknown runs are not found."""
        runs = self.build(self.settings_for(tmp_path / "fresh"))
        assert (runs.list_experiments(), runs.list_runs()) == ([], [])
        with pytest.raises(NotFound):
            runs.get_run(UNKNOWN_RUN)
        with pytest.raises(NotFound):
            runs.metric_history(UNKNOWN_RUN, "accuracy")
        assert not (tmp_path / "fresh").exists()


class TestAwsRuns(RunsContract):
    def settings_for(self, home: Path, uri: str = "") -> Settings:
        return Settings(backend="aws", home=home, seed_on_start=False,
                        mlflow_tracking_uri=uri or f"sqlite:///{home / 'mlflow.db'}")

    def build(self, settings: Settings) -> RunsPort:
        return build_aws_runs(settings)
