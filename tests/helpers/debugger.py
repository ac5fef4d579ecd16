"""Real jobs with Debugger rules, run by the job worker's own ``run_job`` in the test's process (no worker process:
the StopTraining action's SIGTERM reaches this process, whose handler ``run_job`` installs for the job's length)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from services.debugger.models import DebuggerConfig, RuleConfig
from services.embedded.job_worker import run_job
from services.embedded.jobs import JobStore
from services.embedded.metadata import MetadataStore
from services.models import DataSource, Job, TrainingRequest
from tests.helpers.workspace import copy_empty_mlflow_store

FLAT_LOSS_SCRIPT = """import time
for step in range(300):
    print(f"step {step} loss=0.7", flush=True)
    time.sleep(0.02)
"""
HOOK_SCRIPT = """import time
from debug_hook import Hook
hook = Hook()
hook.record_labels(["a"] * 30 + ["b"] * 2)
for step in range(6):
    hook.record_tensor("gradients/layer0", [0.0, 1e-12, -1e-12], step)
    hook.record_predictions([0, 1], [[0.9, 0.1], [0.8, 0.2]], step)  # class 1 always mispredicted
    print(f"step {step} loss={1.0 / (step + 1):.4f}", flush=True)
time.sleep(1.2)
"""
STALLED_SCRIPT = """import time
print("step 0 loss=0.7", flush=True)
time.sleep(60)
print("step 1 loss=0.6", flush=True)
"""
LOSS_METRIC = {"train_loss": r"loss=([0-9.]+)"}


def workspace(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """An empty workspace (with the session's empty MLflow store) for jobs."""
    home = tmp_path_factory.mktemp(name) / "workspace"
    copy_empty_mlflow_store(tmp_path_factory, home)
    return home


def run_in_process(home: Path, kind: str, config: dict[str, Any], name: str) -> Job:
    """Create the job and run it to its end in this process; its final row."""
    jobs = JobStore(MetadataStore(home / "metadata.sqlite"))
    jobs.create(kind, config, name)
    (home / "jobs" / name).mkdir(parents=True, exist_ok=True)
    run_job(home, name)
    return JobStore(MetadataStore(home / "metadata.sqlite")).get(name)


def run_script(home: Path, name: str, script: str, debugger: DebuggerConfig | None,
               metrics: dict[str, str] | None = None) -> Job:
    """A script-mode job running ``script`` with ``debugger`` (its metric definitions: ``metrics`` or a loss)."""
    source = home.parent / f"{name}-src"
    source.mkdir(parents=True, exist_ok=True)
    (source / "train.py").write_text(script)
    config = {"entry_point": "train.py", "source_dir": str(source), "channels": {},
              "metric_definitions": metrics or LOSS_METRIC,
              "debugger": debugger.as_json() if debugger is not None else None}
    return run_in_process(home, "script", config, name)


def stop_on_flat_loss() -> DebuggerConfig:
    return DebuggerConfig((RuleConfig("LossNotDecreasing", {"num_steps": "5"}),), stop_on_issue=True)


def noisy_imbalanced_frame(rows: int = 240, seed: int = 7) -> pd.DataFrame:
    """Random features and a target unrelated to them, 1 in 20 positive: deep trees can only memorise it."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(rows, 4)), columns=["a", "b", "c", "d"])
    frame["label"] = np.where(np.arange(rows) % 20 == 0, "yes", "no")
    return frame


def run_overfitting_xgboost(home: Path, name: str, rules: tuple[RuleConfig, ...]) -> Job:
    """xgboost with deep trees and many rounds on ``noisy_imbalanced_frame``."""
    data = home.parent / f"{name}.csv"
    noisy_imbalanced_frame().to_csv(data, index=False)
    request = TrainingRequest(algorithm="xgboost", source=DataSource(path=str(data)), target="label",
                              hyperparameters={"max_depth": "8", "num_round": "40", "eta": "0.5",
                                               "min_child_weight": "0"},
                              name=name, debugger=DebuggerConfig(rules))
    return run_in_process(home, "training", asdict(request), name)
