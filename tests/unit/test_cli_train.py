"""``python -m services train`` / ``predict``: JSON on stdout; bad input exits 2 with one ``error:`` line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from services.registry import build_services
from tests.helpers.workspace import close_services, copy_empty_mlflow_store, settings_for_tests

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-train") / "workspace"
    copy_empty_mlflow_store(tmp_path_factory, folder)
    return folder


@pytest.fixture(scope="module")
def tiny_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """120 rows: ``label`` (yes/no) depends on ``x`` and ``colour``."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=120)
    colour = rng.choice(["red", "blue", "green"], 120)
    frame = pd.DataFrame({"x": x.round(3), "colour": colour, "label": np.where(x + (colour == "red") > 0.4, "yes", "no")})
    path = tmp_path_factory.mktemp("cli-data") / "tiny.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def trained(home: Path, tiny_csv: Path) -> dict[str, object]:
    done = cli("train", "--algorithm", "linear-learner", "--data", str(tiny_csv), "--target", "label",
               "--hp", "epochs=3", "--hp", "mini_batch_size=16", home=home)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKBENCH_") or k == "WORKBENCH_IMPORT_ROOTS"}
    env |= {"WORKBENCH_HOME": str(home), "WORKBENCH_SEED_ON_START": "false", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "services", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=180)


@pytest.fixture
def in_process(home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[object]:
    """``services.cli.main`` in this process (no interpreter start-up): returns (exit code, stdout, stderr)."""
    from services.cli import main

    for name in [k for k in os.environ if k.startswith("WORKBENCH_") and k != "WORKBENCH_IMPORT_ROOTS"]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.setenv("WORKBENCH_SEED_ON_START", "false")

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    yield run


def job_count(home: Path) -> int:
    services = build_services(settings_for_tests(home=home, seed_on_start=False))
    try:
        return len(services.jobs.list_jobs())
    finally:
        close_services(services)


def test_train_prints_the_job_model_run_and_metrics(trained: dict[str, object]) -> None:
    assert set(trained) == {"job_name", "status", "model_id", "run_id", "metrics"}
    assert trained["status"] == "Completed"
    assert trained["model_id"] == "tiny-linear-learner/1"
    assert trained["run_id"]
    metrics = trained["metrics"]
    assert isinstance(metrics, dict) and metrics["accuracy"] > 0.7 and "roc_auc" in metrics


def test_predict_scores_into_a_table_and_writes_the_csv(trained: dict[str, object], home: Path, tiny_csv: Path,
                                                        tmp_path: Path) -> None:
    output = tmp_path / "out" / "scored.csv"
    done = cli("predict", str(trained["model_id"]), "--data", str(tiny_csv), "--out", str(output), home=home)
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert set(printed) == {"job_name", "status", "output", "table", "rows"}
    assert (printed["status"], printed["output"], printed["rows"]) == ("Completed", str(output), 120)
    assert printed["table"] == "demo.tiny_linear_learner_scored"  # a file input: the demo database
    scored = pd.read_csv(output)
    assert list(scored.columns) == ["x", "colour", "label", "predicted_label", "probability", "probability_no",
                                    "probability_yes"]
    assert (scored["predicted_label"] == scored["label"]).mean() > 0.7
    services = build_services(settings_for_tests(home=home, seed_on_start=False))
    try:
        assert len(services.storage.read_table("demo", "tiny_linear_learner_scored")) == 120
    finally:
        close_services(services)


def test_predict_refuses_an_existing_csv_unless_overwrite(trained: dict[str, object], home: Path, tiny_csv: Path,
                                                         tmp_path: Path, in_process: object) -> None:
    existing = tmp_path / "scored.csv"
    existing.write_text("keep me\n")
    before = job_count(home)
    args = ["predict", str(trained["model_id"]), "--data", str(tiny_csv), "--out", str(existing),
            "--output-table", "demo.cli_overwrite"]
    code, out, err = in_process(*args)  # type: ignore[operator]
    assert (code, out) == (2, "") and "exists already" in err
    assert existing.read_text() == "keep me\n" and job_count(home) == before
    code, out, _ = in_process(*args, "--overwrite")  # type: ignore[operator]
    assert code == 0 and json.loads(out)["table"] == "demo.cli_overwrite"
    assert len(pd.read_csv(existing)) == 120


def test_predict_no_wait_returns_at_once(trained: dict[str, object], home: Path, tiny_csv: Path,
                                         in_process: object) -> None:
    code, out, _ = in_process("predict", str(trained["model_id"]), "--data", str(tiny_csv),  # type: ignore[operator]
                              "--output-table", "demo.cli_later", "--no-wait")
    printed = json.loads(out)
    assert code == 0 and printed["status"] == "InProgress" and printed["rows"] is None
    assert printed["output"] == printed["table"] == "demo.cli_later"
    services = build_services(settings_for_tests(home=home, seed_on_start=False))
    try:
        assert services.jobs.wait_for_job(printed["job_name"], 120).status == "Completed"
        assert len(services.storage.read_table("demo", "cli_later")) == 120
    finally:
        close_services(services)


def test_a_job_failing_on_its_data_prints_the_reason_and_exits_2(home: Path, tmp_path: Path, in_process: object) -> None:
    data = tmp_path / "constant.csv"
    pd.DataFrame({"x": range(30), "label": ["same"] * 30}).to_csv(data, index=False)
    code, out, err = in_process("train", "--algorithm", "xgboost", "--data", str(data), "--target", "label")  # type: ignore[operator]
    assert code == 2
    printed = json.loads(out)
    assert printed["status"] == "Failed" and "single value" in printed["failure_reason"]
    assert err.startswith("error: job ") and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(("args", "fragment"), [
    (["train", "--algorithm", "svm", "--data", "{csv}", "--target", "label"], "Unknown algorithm 'svm'"),
    (["train", "--algorithm", "xgboost", "--data", "{csv}", "--target", "label", "--hp", "max_depth=abc"],
     "max_depth must be an integer ≥ 0, got 'abc'"),
    (["train", "--algorithm", "xgboost", "--data", "{csv}", "--target", "label", "--hp", "max_depth"], "is not KEY=VALUE"),
    (["train", "--algorithm", "xgboost", "--data", "{csv}", "--target", "label", "--hp", "_source_table=x"], "reserved"),
    (["train", "--algorithm", "xgboost", "--data", "{csv}", "--target", "colour_name"], "target column 'colour_name'"),
    (["train", "--algorithm", "xgboost", "--data", "/no/such/file.csv", "--target", "label"], "does not exist"),
    (["train", "--algorithm", "xgboost", "--table", "demo.nope", "--target", "label"], "demo"),
    (["predict", "nope/1", "--data", "{csv}", "--out", "out.csv"], "No model 'nope/1'"),
    (["predict", "nope/1", "--data", "{csv}", "--out", "out.csv", "--no-wait"], "cannot be used with --no-wait"),
])
def test_bad_input_exits_2_with_one_error_line_and_no_job(args: list[str], fragment: str, home: Path, tiny_csv: Path,
                                                           in_process: object) -> None:
    before = job_count(home)
    code, out, err = in_process(*[a.replace("{csv}", str(tiny_csv)) for a in args])  # type: ignore[operator]
    assert code == 2 and out == ""
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1 and fragment in err, err
    assert job_count(home) == before
