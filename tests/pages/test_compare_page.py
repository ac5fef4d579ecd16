"""Compare runs over a real MLflow store in the workspace (runs logged here with mlflow's client)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import keys
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


def log_autopilot_candidate(home: Path, f1_macro: float) -> None:
    """A run as an Autopilot job logs a candidate: SageMaker's objective name (F1macro), ranked first by its job."""
    mlflow = configure(Settings(home=home, seed_on_start=False))
    client = mlflow.MlflowClient()
    tags = {"workbench.kind": "autopilot", "workbench.job": "autopilot-1", "workbench.candidate": "xgboost-002",
            "workbench.rank": "1"}
    run_id = client.create_run(ensure_experiment(Settings(home=home, seed_on_start=False), "reviews"),
                               run_name="xgboost-002", tags=tags).info.run_id
    client.log_metric(run_id, "F1macro", f1_macro)
    client.set_terminated(run_id)


def pinned_columns(app: AppTest) -> list[str]:
    board = next(e for e in app.dataframe if "rank" in e.value.columns)
    config = json.loads(board.proto.columns)
    return [name for name, column in config.items() if column.get("pinned")]


def test_compare_shows_leaderboard_and_param_diff(app: AppTest, workspace: Path) -> None:
    log_runs(workspace)
    open_page(app, "compare")
    board = frame_with(app, "rank")
    assert len(board) == 6
    assert list(board["f1_macro"]) == sorted(board["f1_macro"], reverse=True)
    assert list(board.columns[:3]) == ["rank", "f1_macro", "measured on"]
    assert set(pinned_columns(app)) == {"rank", "f1_macro", "measured on"}  # stay in view on a wide table
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


def test_autopilot_and_builtin_runs_rank_together_single_values_are_points_and_matrices_name_who_is_left_out(
        app: AppTest, workspace: Path) -> None:
    log_runs(workspace, count=2)
    log_autopilot_candidate(workspace, 0.99)
    open_page(app, "compare")
    assert app.selectbox(key="compare.board_metric").value == "f1_macro"
    assert "F1macro" not in app.selectbox(key="compare.board_metric").options
    board = frame_with(app, "rank")
    assert list(board["run"]) == ["xgboost-002", "xgb-1", "xgb-0"]
    assert list(board["measured on"]) == ["validation", "test", "test"]  # built-in jobs report the test split
    app.selectbox(key="compare.curves.metric").select("f1_macro").run()
    curve = json.loads(next(c.proto.spec for c in app.get("plotly_chart") if "compare.curves" in c.proto.id))
    assert {trace["mode"] for trace in curve["data"]} == {"markers"}
    assert "logged f1_macro once (a final value, not a curve): shown as points" in texts(app.caption)
    app.selectbox(key="compare.curves.metric").select("validation:logloss").run()
    assert "shown as points" not in texts(app.caption)
    parallel = json.loads(next(c.proto.spec for c in app.get("plotly_chart") if "compare.parallel" in c.proto.id))
    assert parallel["layout"]["margin"]["l"] >= 80 and parallel["layout"]["margin"]["r"] >= 80  # titles not clipped
    assert "No confusion matrix for 1 of the selected runs" in texts(app.markdown)
    assert "**xgboost-002**: the run of its Autopilot job autopilot-1 is not in the store" in texts(app.markdown)


def test_compare_without_runs_says_what_to_do(app: AppTest) -> None:
    open_page(app, "compare")
    assert "No runs yet" in texts(app.info)
    app.button(key=keys.COMPARE_TRAIN).click().run()
    assert not app.exception
    assert [t.value for t in app.title] == ["Train"]


def test_compare_with_an_unreachable_tracking_server_explains(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_MLFLOW_TRACKING_URI", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    open_page(app, "compare")
    assert "tracking" in texts(app.error)
    assert "WORKBENCH_MLFLOW_TRACKING_URI" in texts(app.error)
