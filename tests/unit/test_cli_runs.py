from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from services.config import Settings
from services.runs.tracking import job_run

ROOT = Path(__file__).resolve().parents[2]


def test_runs_list_prints_logged_runs(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, seed_on_start=False)
    with job_run(settings, "reviews", "tfidf-1", {"workbench.job": "training-1"}) as run:
        import mlflow

        mlflow.log_param("algorithm", "text-tfidf")
        mlflow.log_metric("f1_macro", 0.71)
    env = os.environ | {"WORKBENCH_HOME": str(tmp_path), "WORKBENCH_SEED_ON_START": "false"}
    done = subprocess.run([sys.executable, "-m", "services", "runs", "list", "--experiment", "reviews"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    runs = json.loads(done.stdout)
    assert [(r["run_id"], r["experiment"], r["params"], r["metrics"]) for r in runs] == [
        (run.info.run_id, "reviews", {"algorithm": "text-tfidf"}, {"f1_macro": 0.71})
    ]
    assert set(runs[0]) == {"run_id", "experiment", "name", "status", "start_time", "params", "metrics"}
