"""Pipeline orchestration overhead (issue 11). Run: ``.venv/bin/python tests/benchmarks/bench_pipeline.py
[--steps processing|test] [--work 1.0]``.

A 5-step chain (each Processing step reads the previous step's output through a property reference) run
by the local engine — an orchestrator job of the runner, steps started as they become ready — against the
same five steps started by hand, one after the other, through the same executor with the same resolved
arguments (each job watched with a tight 50 ms poll); ``--repeat`` rounds alternate the two and the medians
are compared. Target: pipeline ≤ 1.10 × by hand + 2 s.

``--steps processing`` (default): the real Processing executor (services/pipelines/steps/): each step is a
``container`` job running ``python3 -c …`` in its private /opt/ml, copying its input to its output.
``--steps test``: the engine tests' file-processing executor (tests/helpers/pipeline_executors.py), which
works ``--work`` seconds inside the orchestrator (no job).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.config import Settings  # noqa: E402
from services.embedded.embedded_stack import EmbeddedStack  # noqa: E402
from services.pipelines.expressions import Scope, resolve  # noqa: E402
from services.pipelines.local import LocalPipelines  # noqa: E402
from services.pipelines.steps.base import StepExecutor, StepRun  # noqa: E402
from services.registry import LOCAL_PIPELINE_EXECUTORS, build_services, pipeline_executors  # noqa: E402
from tests.helpers.pipeline_executors import FACTORY, build, definition, output_ref, processing_step  # noqa: E402

STEPS = 5
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
COPY = ("import shutil; shutil.copytree('/opt/ml/processing/input', '/opt/ml/processing/out', dirs_exist_ok=True); "
        "open('/opt/ml/processing/out/steps.txt', 'a').write('one more step')")


def chain(steps: str, work: float) -> dict[str, Any]:
    environment = {"SLEEP_SECONDS": str(work)} if steps == "test" else {}
    chained = [processing_step("Step1", ["s3://bench/raw/"], ["out"], environment)]
    for i in range(2, STEPS + 1):
        chained.append(processing_step(f"Step{i}", [output_ref(f"Step{i - 1}", "out")], ["out"], environment))
    for step in chained:
        if steps == "processing":
            step["Arguments"]["AppSpecification"] = {"ImageUri": IMAGE, "ContainerEntrypoint": ["python3", "-c", COPY]}
            step["Arguments"]["ProcessingInputs"][0]["S3Input"]["LocalPath"] = "/opt/ml/processing/input"
    return definition(chained)


def by_pipeline(pipelines: LocalPipelines, value: dict[str, Any]) -> float:
    pipelines.upsert_pipeline("bench", value)
    started = time.perf_counter()
    execution = pipelines.start_execution("bench")
    while not pipelines.store.execution(execution.arn).finished:
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    finished = pipelines.store.execution(execution.arn)
    assert finished.status == "Succeeded", finished.failure_reason
    return elapsed


def by_hand(stack: EmbeddedStack, executor: StepExecutor, value: dict[str, Any], folder: Path, round_: int) -> float:
    """The same steps, each started as soon as the previous one ended, arguments resolved as the engine does."""
    properties: dict[str, Any] = {}
    run_id = f"byhand{round_:06d}"
    started = time.perf_counter()
    for step in value["Steps"]:
        scope = Scope({}, {"PipelineExecutionId": run_id}, properties)
        run = StepRun("arn:by-hand", run_id, "bench", step["Name"], "Processing",
                      resolve(step["Arguments"], scope), folder / run_id / step["Name"], f"{step['Name']}-{run_id}-1")
        run.folder.mkdir(parents=True)
        job_name = executor.start(run)
        while job_name and not stack.runner.jobs.get(job_name).finished:
            time.sleep(0.05)
            stack.runner.dispatch()
        assert not job_name or stack.runner.jobs.get(job_name).status == "Completed"
        properties[step["Name"]] = executor.outcome(run).properties
    return time.perf_counter() - started


def world(steps: str, home: Path) -> tuple[EmbeddedStack, LocalPipelines, Mapping[str, StepExecutor]]:
    settings = Settings(home=home, seed_on_start=False)
    if steps == "test":
        stack = EmbeddedStack.open(settings)
        return stack, LocalPipelines(stack, FACTORY), build(stack)
    services = build_services(settings)
    return services.stack, LocalPipelines(services.stack, LOCAL_PIPELINE_EXECUTORS), pipeline_executors(services)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", choices=("processing", "test"), default="processing")
    parser.add_argument("--work", type=float, default=1.0, help="seconds of work per step (--steps test)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds, by hand and by pipeline alternately; medians shown")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        stack, pipelines, executors = world(args.steps, Path(scratch) / "workspace")
        raw = stack.workspace.lake / "bench" / "raw"
        raw.mkdir(parents=True)
        (raw / "data.txt").write_text("a\nb\n")
        value = chain(args.steps, args.work)
        hand_times, pipeline_times = [], []
        for round_ in range(args.repeat):
            hand_times.append(by_hand(stack, executors["Processing"], value, Path(scratch) / "by-hand", round_))
            pipeline_times.append(by_pipeline(pipelines, value))
        stack.store.close()
    baseline, pipeline = statistics.median(hand_times), statistics.median(pipeline_times)
    target = 1.10 * baseline + 2.0
    print(f"{STEPS}-step chain of Processing steps ({args.steps} executor"
          f"{f', {args.work:g} s of work per step' if args.steps == 'test' else ', one container job each'}), "
          f"median of {args.repeat} rounds")
    print(f"  by hand (baseline): {baseline:.2f} s  ({', '.join(f'{t:.2f}' for t in hand_times)})")
    print(f"  pipeline engine:    {pipeline:.2f} s  ({', '.join(f'{t:.2f}' for t in pipeline_times)}); "
          f"ratio {pipeline / baseline:.3f}, overhead {pipeline - baseline:.2f} s")
    print(f"  target ≤ 1.10 × baseline + 2 s = {target:.2f} s: {'met' if pipeline <= target else 'MISSED'}")


if __name__ == "__main__":
    main()
