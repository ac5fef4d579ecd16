"""Compare runs on the aws backend: the runs adapter at an MLflow URI (a SQLite store here, where SageMaker's
managed tracking server is in production), moto behind everything else; an unreachable server is a clear error."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers.aws import BUCKET, REGION, aws_settings
from tests.helpers.pages import APP, frame_with, open_page, texts
from tests.helpers.workspace import copy_empty_mlflow_store


def log_runs(uri: str, artifacts: Path) -> None:
    import mlflow

    client = mlflow.MlflowClient(uri)
    experiment = client.create_experiment("reviews", artifact_location=artifacts.as_uri())
    for name, merror in (("xgb-a", 0.30), ("xgb-b", 0.20), ("xgb-c", 0.25)):
        run_id = client.create_run(experiment, run_name=name, tags={"workbench.kind": "training"}).info.run_id
        client.log_param(run_id, "algorithm", "xgboost")
        client.log_metric(run_id, "validation:merror", merror)
        client.set_terminated(run_id)


def aws_env(monkeypatch: pytest.MonkeyPatch, home: Path, tracking_uri: str) -> None:
    for name, value in {"WORKBENCH_BACKEND": "aws", "WORKBENCH_HOME": str(home), "WORKBENCH_AWS_REGION": REGION,
                        "WORKBENCH_S3_BUCKET": BUCKET, "WORKBENCH_ATHENA_OUTPUT": f"s3://{BUCKET}/athena/",
                        "WORKBENCH_MLFLOW_TRACKING_URI": tracking_uri}.items():
        monkeypatch.setenv(name, value)


def test_compare_ranks_runs_from_the_tracking_server(mocked_aws: None, tmp_path: Path,
                                                     tmp_path_factory: pytest.TempPathFactory,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "tracking"
    copy_empty_mlflow_store(tmp_path_factory, store)
    uri = f"sqlite:///{store / 'mlflow.db'}"
    log_runs(uri, tmp_path / "artifacts")
    aws_env(monkeypatch, aws_settings(tmp_path / "home").home, uri)
    app = open_page(AppTest.from_file(str(APP), default_timeout=60), "compare")
    assert not app.exception, app.exception
    board = frame_with(app, "rank")
    assert list(board["run"]) == ["xgb-b", "xgb-c", "xgb-a"]  # merror: lower is better, as SageMaker minimises it
    assert app.toggle(key="compare.higher").value is False


def test_compare_with_an_unreachable_tracking_server_says_so(mocked_aws: None, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    aws_env(monkeypatch, tmp_path / "home", f"http://127.0.0.1:{port}")
    app = open_page(AppTest.from_file(str(APP), default_timeout=60), "compare")
    assert not app.exception, app.exception
    assert f"http://127.0.0.1:{port}" in texts(app.error) and "cannot be read" in texts(app.error)
    assert "WORKBENCH_MLFLOW_TRACKING_URI" in texts(app.error)
