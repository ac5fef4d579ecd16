"""Pipeline orchestration overhead (issue 11). Run: ``.venv/bin/python tests/benchmarks/bench_pipeline.py [--work 1.0]``.

A 5-step chain (each Processing step reads the previous step's output through a property reference)
run by the local engine — an orchestrator job of the runner, steps started as they become ready — against
the same five steps run by hand, one after the other, with the same executor and arguments. The steps
are the engine tests' file-processing executor (tests/helpers/pipeline_executors.py: it reads its inputs
from the lake, writes its output, and works ``--work`` seconds). Target: pipeline ≤ 1.10 × by hand + 2 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.config import Settings  # noqa: E402
from services.embedded.embedded_stack import EmbeddedStack  # noqa: E402
from services.pipelines.expressions import Scope, resolve  # noqa: E402
from services.pipelines.local import LocalPipelines  # noqa: E402
from services.pipelines.steps.base import StepRun  # noqa: E402
from tests.helpers.pipeline_executors import FACTORY, FileProcessing, definition, output_ref, processing_step  # noqa: E402

STEPS = 5


def chain(work: float) -> dict[str, Any]:
    steps = [processing_step("Step1", ["s3://bench/raw/"], ["out"], {"SLEEP_SECONDS": str(work)})]
    for i in range(2, STEPS + 1):
        steps.append(processing_step(f"Step{i}", [output_ref(f"Step{i - 1}", "out")], ["out"], {"SLEEP_SECONDS": str(work)}))
    return definition(steps)


def by_pipeline(stack: EmbeddedStack, work: float) -> float:
    pipelines = LocalPipelines(stack, FACTORY)
    pipelines.upsert_pipeline("bench", chain(work))
    started = time.perf_counter()
    execution = pipelines.start_execution("bench")
    while not pipelines.store.execution(execution.arn).finished:
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    assert pipelines.store.execution(execution.arn).status == "Succeeded"
    return elapsed


def by_hand(stack: EmbeddedStack, work: float, folder: Path) -> float:
    """The same five steps, each started as soon as the previous one returned, arguments resolved as the engine does."""
    executor = FileProcessing(stack.workspace.lake)
    properties: dict[str, Any] = {}
    started = time.perf_counter()
    for step in chain(work)["Steps"]:
        scope = Scope({}, {"PipelineExecutionId": "byhand000000"}, properties)
        run = StepRun("arn:by-hand", "byhand000000", "bench", step["Name"], "Processing",
                      resolve(step["Arguments"], scope), folder / step["Name"], f"{step['Name']}-by-hand")
        run.folder.mkdir(parents=True)
        executor.start(run)
        properties[step["Name"]] = executor.outcome(run).properties
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=float, default=1.0, help="seconds of work per step")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        stack = EmbeddedStack.open(Settings(home=Path(scratch) / "workspace", seed_on_start=False))
        raw = stack.workspace.lake / "bench" / "raw"
        raw.mkdir(parents=True)
        (raw / "data.txt").write_text("a\nb\n")
        baseline = by_hand(stack, args.work, Path(scratch) / "by-hand")
        pipeline = by_pipeline(stack, args.work)
        stack.store.close()
    target = 1.10 * baseline + 2.0
    print(f"{STEPS}-step chain, {args.work:g} s of work per step (tests/helpers/pipeline_executors.py executor)")
    print(f"  by hand (baseline): {baseline:.2f} s")
    print(f"  pipeline engine:    {pipeline:.2f} s  (ratio {pipeline / baseline:.3f}; overhead {pipeline - baseline:.2f} s)")
    print(f"  target ≤ 1.10 × baseline + 2 s = {target:.2f} s: {'met' if pipeline <= target else 'MISSED'}")


if __name__ == "__main__":
    main()
