"""Compare runs over a real MLflow store in the workspace (runs logged here with mlflow's client)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from services.config import Settings
from services.runs.tracking import configure, ensure_experiment
from tests.helpers.pages import frame_with, open_page, texts


def log_runs(home: Path, count: int = 6) -> None:
    settings = Settings(home=home, seed_on_start=False)
    mlflow = configure(settings)
    experiment = ensure_experiment(settings, "reviews")
    client = mlflow.MlflowClient()
    for index in range(count):
        run = client.create_run(experiment, run_name=f"xgb-{index}",
                                tags={"workbench.kind": "training", "workbench.job": f"job-{index}",
                                      "workbench.input": "demo.reviews_sentiment"})
        run_id = run.info.run_id
        client.log_param(run_id, "algorithm", "xgboost")
        client.log_param(run_id, "max_depth", str(3 + index % 3))
        client.log_param(run_id, "seed", str(index))
        client.log_param(run_id, "eta", "0.3")
        for step in range(5):
            client.log_metric(run_id, "validation:logloss", 1.0 / (step + 1 + index), step=step)
        client.log_metric(run_id, "f1_macro", 0.5 + index / 20)
        folder = home / f"cm-{index}"
        folder.mkdir()
        (folder / "confusion_matrix.json").write_text(json.dumps({"labels": ["-1", "0", "1"],
                                                                  "matrix": [[5, 1, 0], [1, 4, 1], [0, 1, 9]]}))
        client.log_artifact(run_id, str(folder / "confusion_matrix.json"))
        client.set_terminated(run_id)


def test_compare_shows_leaderboard_and_param_diff(app: AppTest, workspace: Path) -> None:
    log_runs(workspace)
    open_page(app, "compare")
    board = frame_with(app, "rank")
    assert len(board) == 6
    assert list(board["f1_macro"]) == sorted(board["f1_macro"], reverse=True)
    params = [e.value for e in app.dataframe if "parameter" in (e.value.index.name or "")]
    assert params and set(params[0].index) == {"max_depth", "seed"}  # differences only: eta is the same everywhere
    assert not app.exception


def test_compare_filter_and_seed_groups(app: AppTest, workspace: Path) -> None:
    log_runs(workspace)
    open_page(app, "compare")
    app.text_input(key="compare.filter").input("job-1").run()
    assert len(frame_with(app, "rank")) == 1
    app.text_input(key="compare.filter").input("").run()
    seeds = frame_with(app, "configuration")
    assert set(seeds["runs"]) == {2}  # runs differing only by seed: max_depth 3/4/5, two seeds each
    assert "±" in str(seeds.iloc[0]["f1_macro"])


def test_compare_without_runs_says_what_to_do(app: AppTest) -> None:
    open_page(app, "compare")
    assert "No runs yet" in texts(app.info)


def test_compare_with_an_unreachable_tracking_server_explains(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_MLFLOW_TRACKING_URI", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    open_page(app, "compare")
    assert "tracking" in texts(app.error)
    assert "WORKBENCH_MLFLOW_TRACKING_URI" in texts(app.error)
