"""Benchmark: the Pipelines page with 200 executions of one pipeline — seconds to render it (AppTest, full script
run, the newest execution's DAG and steps included). Target: < 1 s.

The executions are recorded in the local pipeline store as the engine records finished ones (a two-step quality
gate, half Succeeded, half Failed at the gate with their steps), so the figure is the page's, not the engine's.

Run: `.venv/bin/python tests/benchmarks/bench_pipelines_page.py [--executions 200] [--repeats 3]`.
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
from services.embedded.metadata import utc_now  # noqa: E402
from services.pipelines.store import PipelineStore, new_execution_arn  # noqa: E402
from services.registry import build_services  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TARGET_SECONDS = 1.0
GATED = {"Version": "2020-12-01", "Parameters": [{"Name": "Score", "Type": "Float", "DefaultValue": 0.5}],
         "Steps": [{"Name": "Gate", "Type": "Condition", "Arguments": {
             "Conditions": [{"Type": "GreaterThanOrEqualTo", "LeftValue": {"Get": "Parameters.Score"}, "RightValue": 0.9}],
             "IfSteps": [{"Name": "Done", "Type": "Fail", "Arguments": {"ErrorMessage": "not reached"}}],
             "ElseSteps": [{"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": "score too low"}}]}}]}


def record_executions(settings: Settings, count: int) -> None:
    services = build_services(settings)
    services.pipelines.upsert_pipeline("gated", GATED)
    store = PipelineStore(services.stack.store)
    for index in range(count):
        arn = new_execution_arn(store.pipeline("gated").arn)
        store.create_execution(arn, "gated", GATED, {"Score": str(index / count)}, f"run-{index}")
        passed = index % 2 == 0
        now = utc_now()
        store.put_step(arn, "Gate", type="Condition", status="Succeeded", started_at=now, ended_at=now, first_started=now,
                       metadata={"Condition": {"Outcome": str(passed)}})
        if not passed:
            store.put_step(arn, "Stop", type="Fail", status="Failed", started_at=now, ended_at=now, first_started=now,
                           failure_reason="score too low", metadata={"Fail": {"ErrorMessage": "score too low"}})
        store.update_execution(arn, status="Succeeded" if passed else "Failed",
                               failure_reason="" if passed else "score too low")


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
        app.switch_page("pages/pipelines.py").run()
        times.append(time.perf_counter() - started)
        assert not app.exception, app.exception
        assert len(app.get("graphviz_chart")) == 1
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--executions", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pipelines-page-") as temp:
        settings = Settings(home=Path(temp), seed_on_start=False)
        record_executions(settings, args.executions)
        os.environ["WORKBENCH_HOME"] = temp
        os.environ["WORKBENCH_SEED_ON_START"] = "false"
        times = render_seconds(args.repeats)
        median = statistics.median(times)
        print(json.dumps({"executions": args.executions, "render_seconds_median": round(median, 3),
                          "render_seconds": [round(t, 3) for t in times], "target_seconds": TARGET_SECONDS,
                          "met": median < TARGET_SECONDS}, indent=2))


if __name__ == "__main__":
    main()
