"""``python -m services train-script`` and ``tune``: JSON on stdout, one ``error:`` line and exit 2 on bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from services.cli import build_parser
from services.errors import InvalidInput
from services.training import cli_scripts

ROOT = Path(__file__).resolve().parents[2]


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WORKBENCH_HOME": str(home), "WORKBENCH_SEED_ON_START": "false", "WORKBENCH_BACKEND": "local"}
    return subprocess.run([sys.executable, "-m", "services", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_train_script_runs_a_script_and_prints_the_job(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "train.py").write_text(textwrap.dedent("""\
        import argparse, os
        parser = argparse.ArgumentParser()
        parser.add_argument("--epochs", type=int)
        args = parser.parse_args()
        rows = open(os.path.join(os.environ["SM_CHANNEL_TRAIN"], "rows.csv")).read().splitlines()
        for epoch in range(args.epochs):
            print(f"epoch={epoch} rows={len(rows)} loss={1 / (epoch + 1):.3f}")
        open(os.path.join(os.environ["SM_MODEL_DIR"], "model.txt"), "w").write("weights")
    """))
    (tmp_path / "rows.csv").write_text("a\n1\n2\n")
    done = cli(tmp_path / "workspace", "train-script", "--entry-point", "train.py", "--source-dir", str(source),
               "--channel", f"train={tmp_path / 'rows.csv'}", "--hp", "epochs=3",
               "--metric", "loss=loss=([0-9.]+)", "--metric", "rows=rows=(\\d+)")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["status"] == "Completed" and printed["failure_reason"] == ""
    assert printed["metrics"] == {"loss": pytest.approx(0.333), "rows": 3.0}
    assert Path(printed["model_dir"], "model.txt").read_text() == "weights"
    assert Path(printed["output_dir"], "model.tar.gz").is_file()
    assert printed["job_name"].startswith("script-") and printed["model_id"].startswith("script-train/")


@pytest.mark.parametrize("args, message", [
    (["train-script", "--entry-point", "train.py", "--source-dir", ".", "--metric", "acc=accuracy [0-9.]+"],
     "no capture group"),
    (["train-script", "--entry-point", "missing.py", "--source-dir", "."], "missing.py is not in"),
    (["tune", "--entry-point", "train.py", "--source-dir", ".", "--metric", "acc=acc=(\\S+)",
      "--range", "eta=continuous:0:0.3:log", "--objective-metric", "acc"], "needs min > 0"),
])
def test_bad_input_is_one_error_line_and_exit_code_2(tmp_path: Path, args: list[str], message: str) -> None:
    done = cli(tmp_path / "workspace", *args)
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]


# -- parsing, in process -------------------------------------------------------------------------------


def test_range_syntax() -> None:
    assert cli_scripts.parse_range("max_depth=integer:2:8") == ("max_depth", {"type": "integer", "min": 2.0, "max": 8.0,
                                                                              "scale": "linear"})
    assert cli_scripts.parse_range("eta=continuous:0.01:0.3:log")[1]["scale"] == "log"
    assert cli_scripts.parse_range("objective=categorical:binary:logistic,reg:squarederror") == (
        "objective", {"type": "categorical", "values": ["binary:logistic", "reg:squarederror"]})
    for bad in ("max_depth", "max_depth=integer:2", "eta=normal:0:1", "eta=continuous:a:1"):
        with pytest.raises(InvalidInput):
            cli_scripts.parse_range(bad)


def test_tune_arguments_become_a_tuning_request(tmp_path: Path) -> None:
    args = build_parser().parse_args([
        "tune", "--algorithm", "xgboost", "--table", "demo.wine", "--target", "target", "--hp", "num_round=20",
        "--range", "max_depth=integer:2:8", "--range", "eta=continuous:0.01:0.3:log",
        "--objective-metric", "validation:f1_macro", "--max-jobs", "6", "--strategy", "Random"])
    request = cli_scripts.tuning_request(args)
    assert request.base.algorithm == "xgboost" and request.base.hyperparameters == {"num_round": "20"}  # type: ignore[union-attr]
    assert request.ranges["max_depth"] == {"type": "integer", "min": 2, "max": 8, "scale": "linear"}
    assert (request.objective_type, request.strategy, request.max_jobs, request.max_parallel_jobs) == ("Maximize", "Random", 6, 1)


def test_tune_needs_exactly_one_base_job() -> None:
    args = build_parser().parse_args(["tune", "--range", "a=integer:1:2", "--objective-metric", "m"])
    with pytest.raises(InvalidInput, match="either a built-in algorithm or a script"):
        cli_scripts.tuning_request(args)
