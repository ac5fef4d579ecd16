"""``python -m services explain``: waits for the SHAP job, writes --out, prints JSON; errors exit 2 with one line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from services.models import DataSource
from services.registry import build_services
from tests.helpers.data import signal_frame
from tests.helpers.models import register_svc, train
from tests.helpers.workspace import close_services, copy_empty_mlflow_store, settings_for_tests

ROOT = Path(__file__).resolve().parents[2]
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture(scope="module")
def home(seeded_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-explain") / "workspace"
    shutil.copytree(seeded_home, folder)
    copy_empty_mlflow_store(tmp_path_factory, folder)
    return folder


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-explain-data") / "signal.csv"
    signal_frame(200).drop(columns=["amount"]).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def model_id(home: Path, data: Path) -> str:
    services = build_services(settings_for_tests(home=home, seed_on_start=False))
    try:
        return train(services, "xgboost", DataSource(path=str(data)), "label", num_round="20", max_depth="3")
    finally:
        close_services(services)


@pytest.fixture
def run(home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Run]:
    """``services.cli.main`` in this process: returns (exit code, stdout, stderr)."""
    from services.cli import main

    for name in [k for k in os.environ if k.startswith("WORKBENCH_") and k != "WORKBENCH_IMPORT_ROOTS"]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.setenv("WORKBENCH_SEED_ON_START", "false")

    def invoke(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    yield invoke


def test_explain_writes_the_shap_csv_and_prints_global_importances(run: Run, model_id: str, data: Path, tmp_path: Path) -> None:
    out = tmp_path / "shap" / "values.csv"
    code, stdout, stderr = run("explain", model_id, "--data", str(data), "--rows", "60", "--aggregation", "mean_sq",
                               "--out", str(out))
    assert code == 0, stderr
    printed = json.loads(stdout)
    assert {"model_id", "explainer", "explained_output", "aggregation", "global_shap_values", "rows", "out"} <= set(printed)
    assert (printed["model_id"], printed["explainer"], printed["explained_output"]) == (model_id, "Tree", "yes")
    assert (printed["aggregation"], printed["rows"], printed["out"]) == ("mean_sq", 60, str(out))
    values = pd.read_csv(out)
    assert list(values.columns) == ["signal", "noise", "colour"] and len(values) == 60
    assert printed["global_shap_values"] == pytest.approx((values ** 2).mean().to_dict())
    assert list(printed["global_shap_values"]) == ["signal", "colour", "noise"]


def test_the_same_request_reuses_the_finished_job(run: Run, model_id: str, data: Path, tmp_path: Path) -> None:
    args = ("explain", model_id, "--data", str(data), "--rows", "30", "--out")
    first = json.loads(run(*args, str(tmp_path / "a.csv"))[1])
    second = json.loads(run(*args, str(tmp_path / "b.csv"))[1])
    assert first["job_name"] == second["job_name"]
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()


@pytest.mark.parametrize(("args", "fragment"), [
    (["nope/1", "--data", "{data}"], "error: No model 'nope/1' in the registry. (Pick one"),
    (["{model}", "--table", "demo.nope"], "error: "),
    (["{model}", "--table", "demo.wine"], "'signal' is not in the data"),
    (["{model}", "--data", "{data}", "--rows", "0"], "rows must be between 1"),
    (["{model}", "--data", "{data}", "--class", "maybe"], "'maybe' is not one of"),
])
def test_bad_input_exits_2_with_one_error_line(run: Run, model_id: str, data: Path, tmp_path: Path, args: list[str],
                                               fragment: str) -> None:
    filled = [a.replace("{data}", str(data)).replace("{model}", model_id) for a in args]
    code, stdout, stderr = run("explain", *filled, "--out", str(tmp_path / "out.csv"))
    assert code == 2 and stdout == ""
    assert stderr.startswith("error: ") and fragment in stderr and len(stderr.strip().splitlines()) == 1
    assert "(" in stderr  # the hint
    assert not (tmp_path / "out.csv").exists()


def test_a_classifier_without_probabilities_exits_2_with_the_reason(run: Run, home: Path, data: Path, tmp_path: Path) -> None:
    services = build_services(settings_for_tests(home=home, seed_on_start=False))
    try:
        model_id = register_svc(services, tmp_path / "svc")
    finally:
        close_services(services)
    code, stdout, stderr = run("explain", model_id, "--data", str(data), "--rows", "10", "--out", str(tmp_path / "out.csv"))
    assert code == 2 and stdout == "" and len(stderr.strip().splitlines()) == 1
    assert "failed" in stderr and "cannot give class probabilities" in stderr


def test_the_module_entry_point_runs_in_a_fresh_interpreter(home: Path, model_id: str, data: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKBENCH_") or k == "WORKBENCH_IMPORT_ROOTS"}
    env |= {"WORKBENCH_HOME": str(home), "WORKBENCH_SEED_ON_START": "false", "PYTHONPATH": str(ROOT)}
    out = tmp_path / "fresh.csv"
    done = subprocess.run([sys.executable, "-m", "services", "explain", model_id, "--data", str(data), "--rows", "20",
                           "--background-rows", "0", "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["explained_output"] == "yes (log-odds)" and len(pd.read_csv(out)) == 20
