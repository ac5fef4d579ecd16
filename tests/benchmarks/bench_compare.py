"""Benchmark: the Compare runs page with 500 MLflow runs — seconds to render it (AppTest, full script run).

Run: `.venv/bin/python tests/benchmarks/bench_compare.py [--runs 500] [--repeats 3]`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.config import Settings  # noqa: E402
from services.registry import build_services  # noqa: E402
from services.runs.tracking import configure, ensure_experiment  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def log_runs(settings: Settings, count: int) -> None:
    from mlflow.entities import Metric, Param

    client = configure(settings).MlflowClient()
    experiments = [ensure_experiment(settings, name) for name in ("reviews", "wine", "bikes")]
    now = int(time.time() * 1000)
    for index in range(count):
        run = client.create_run(experiments[index % 3], run_name=f"run-{index}",
                                tags={"workbench.kind": ("training", "autopilot", "script")[index % 3],
                                      "workbench.job": f"job-{index // 5}"})
        params = [Param("algorithm", ("xgboost", "linear-learner", "text-tfidf")[index % 3]),
                  Param("max_depth", str(3 + index % 5)), Param("eta", str(0.05 * (1 + index % 4))), Param("seed", str(index % 3))]
        metrics = [Metric("f1_macro", 0.5 + (index % 37) / 100, now, 0), Metric("accuracy", 0.6 + (index % 29) / 100, now, 0)]
        metrics += [Metric("validation:logloss", 1 / (step + 1 + index % 7), now, step) for step in range(10)]
        client.log_batch(run.info.run_id, metrics=metrics, params=params)
        client.set_terminated(run.info.run_id)


def render_seconds(repeats: int) -> list[float]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    times = []
    for _ in range(repeats):
        st.cache_data.clear()
        st.cache_resource.clear()
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        app.run()
        started = time.perf_counter()
        app.switch_page("pages/compare.py").run()
        times.append(time.perf_counter() - started)
        assert not app.exception, app.exception
        assert any(len(d.value) == min(500, len(d.value)) for d in app.dataframe)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-compare-") as temp:
        settings = Settings(home=Path(temp), seed_on_start=False)
        build_services(settings)
        started = time.perf_counter()
        log_runs(settings, args.runs)
        logged = time.perf_counter() - started
        os.environ["WORKBENCH_HOME"] = temp
        os.environ["WORKBENCH_SEED_ON_START"] = "false"
        times = render_seconds(args.repeats)
        print(json.dumps({"runs": args.runs, "log_seconds": round(logged, 1),
                          "render_seconds_median": round(statistics.median(times), 3),
                          "render_seconds": [round(t, 3) for t in times]}, indent=2))


if __name__ == "__main__":
    main()
