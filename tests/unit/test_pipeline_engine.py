"""The local pipeline engine on real orchestrator jobs: retries, caching, resume after the orchestrator is
killed, selective execution, stop, and retrying a failed execution. Steps run with the small file-processing
executor of tests/helpers/pipeline_executors.py (it reads and writes the lake)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.config import Settings
from services.embedded.embedded_stack import EmbeddedStack
from services.embedded.sandbox import sandbox_available
from services.errors import InvalidInput, NotFound
from services.models import Job
from services.pipelines.engine import JOB_INTERNAL_ERROR, SERVICE_FAULT, Engine, job_exception, retry_delay
from services.pipelines.local import LocalPipelines
from services.pipelines.models import ExecutionStep, PipelineExecution
from services.pipelines.store import new_execution_arn
from services.pipelines.templates import template_objects
from services.registry import Services, resume_pipelines
from tests.helpers.pipeline_executors import (
    FACTORY,
    build,
    definition,
    output_ref,
    processing_step,
    script_step,
    write_sleep_script,
)
from tests.helpers.sdk_pipelines import gate_pipeline
from tests.helpers.workspace import copy_empty_mlflow_store

WAIT = 60
RETRY_ON_FAULT = [{"ExceptionType": ["Step.SERVICE_FAULT"], "MaxAttempts": 2, "IntervalSeconds": 1, "BackoffRate": 1.0}]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[EmbeddedStack]:
    stack = EmbeddedStack.open(Settings(home=tmp_path / "workspace", seed_on_start=False))
    write(stack, "s3://sdk-bucket/raw/reviews.txt", "great dress\nbad fit\n")
    yield stack
    stack.store.close()


@pytest.fixture
def pipelines(stack: EmbeddedStack) -> LocalPipelines:
    return LocalPipelines(stack, FACTORY)


@pytest.fixture(scope="module")
def sdk_definition() -> dict[str, Any]:
    return gate_pipeline(0.9)


def write(stack: EmbeddedStack, uri: str, text: str) -> None:
    path = stack.workspace.lake / uri.removeprefix("s3://")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def run(pipelines: LocalPipelines, name: str, value: dict[str, Any], **start: Any) -> PipelineExecution:
    pipelines.upsert_pipeline(name, value)
    return pipelines.wait_for_execution(pipelines.start_execution(name, **start).arn, WAIT)


def steps(pipelines: LocalPipelines, execution: PipelineExecution) -> dict[str, ExecutionStep]:
    return {step.name: step for step in pipelines.list_steps(execution.arn)}


def test_a_service_fault_is_retried_as_the_retry_policy_says(pipelines: LocalPipelines) -> None:
    flaky = definition([processing_step("Flaky", ["s3://sdk-bucket/raw/"], ["out"], {"FLAKY_FAILURES": "2"},
                                        RetryPolicies=RETRY_ON_FAULT)])
    execution = run(pipelines, "flaky", flaky)
    assert execution.status == "Succeeded", execution.failure_reason
    assert steps(pipelines, execution)["Flaky"].attempt == 3
    flaky["Steps"][0]["RetryPolicies"][0]["MaxAttempts"] = 1
    execution = run(pipelines, "flaky", flaky)
    assert execution.status == "Failed"
    assert execution.failure_reason == "Step Flaky failed: Attempt 2 could not start (a service fault)."
    assert steps(pipelines, execution)["Flaky"].attempt == 2


def test_retry_delays_follow_interval_backoff_and_expiry() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    policy = [{"ExceptionType": [SERVICE_FAULT], "MaxAttempts": 3, "IntervalSeconds": 2, "BackoffRate": 3.0,
               "ExpireAfterMin": 10}]
    started = now.isoformat()
    assert [retry_delay(policy, SERVICE_FAULT, attempt, started, now) for attempt in (1, 2, 3, 4)] == [2.0, 6.0, 18.0, None]
    assert retry_delay(policy, JOB_INTERNAL_ERROR, 1, started, now) is None
    assert retry_delay(policy, "", 1, started, now) is None  # a bad request is never retried
    assert retry_delay(policy, SERVICE_FAULT, 1, (now - timedelta(minutes=11)).isoformat(), now) is None


def test_job_failures_map_to_sagemaker_exception_types() -> None:
    def failed(result: dict[str, Any]) -> Job:
        return Job(name="j", kind="container", status="Failed", secondary_status="Failed", created_at="", config={},
                   result=result)

    assert job_exception(failed({})) == JOB_INTERNAL_ERROR  # vanished process or an unexpected error
    assert job_exception(failed({"failure_type": "InternalError"})) == JOB_INTERNAL_ERROR
    assert job_exception(failed({"failure_type": "InvalidInput"})) == ""


def test_a_cached_step_reuses_the_earlier_result_until_its_inputs_change(
        pipelines: LocalPipelines, stack: EmbeddedStack, sdk_definition: dict[str, Any]) -> None:
    first = run(pipelines, "cached", sdk_definition)
    second = pipelines.wait_for_execution(pipelines.start_execution("cached").arn, WAIT)
    assert (first.status, second.status) == ("Succeeded", "Succeeded")
    prep = steps(pipelines, second)["Prep"]
    assert prep.cache_hit_source == first.arn
    assert prep.as_api()["CacheHitResult"] == {"SourcePipelineExecutionArn": first.arn}
    assert prep.metadata == steps(pipelines, first)["Prep"].metadata
    assert steps(pipelines, first)["Prep"].cache_miss_reason == "no earlier run of this step"
    assert "Cache hit" in pipelines.step_logs(second.arn, "Prep")
    write(stack, "s3://sdk-bucket/raw/more.txt", "runs small\n")
    third = pipelines.wait_for_execution(pipelines.start_execution("cached").arn, WAIT)
    assert steps(pipelines, third)["Prep"].cache_hit_source == ""
    assert steps(pipelines, third)["Prep"].cache_miss_reason == "input data changed"


def test_a_killed_orchestrator_is_replaced_and_the_execution_resumes(pipelines: LocalPipelines, stack: EmbeddedStack) -> None:
    slow = definition([processing_step("Slow", ["s3://sdk-bucket/raw/"], ["out"], {"SLEEP_SECONDS": "2"}),
                       processing_step("After", [output_ref("Slow", "out")], ["out"])])
    pipelines.upsert_pipeline("resumable", slow)
    execution = pipelines.start_execution("resumable")
    orchestrator = wait_for_step(pipelines, stack, execution.arn, "Slow")
    os.kill(stack.runner.jobs.pid(orchestrator) or 0, signal.SIGKILL)
    finished = pipelines.wait_for_execution(execution.arn, WAIT)  # describe notices and starts a new orchestrator
    assert finished.status == "Succeeded", finished.failure_reason
    assert stack.runner.jobs.get(orchestrator).status == "Failed"
    orchestrators = stack.runner.jobs.recent("pipeline", name_contains=execution.arn.rsplit("/", 1)[-1])
    assert [job.status for job in orchestrators] == ["Completed", "Failed"]
    assert set(steps(pipelines, finished)) == {"Slow", "After"}


def wait_for_step(pipelines: LocalPipelines, stack: EmbeddedStack, arn: str, step: str) -> str:
    """The orchestrator's job name once it has started ``step``."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if step in {s.name for s in pipelines.list_steps(arn)}:
            row = stack.store.fetch_one("SELECT orchestrator_job FROM pipeline_executions WHERE arn = ?", (arn,))
            assert row is not None
            return str(row["orchestrator_job"])
        time.sleep(0.05)
    raise AssertionError(f"{step} never started")


def test_selective_execution_runs_the_chosen_steps_on_the_source_outputs(
        pipelines: LocalPipelines, sdk_definition: dict[str, Any]) -> None:
    source = run(pipelines, "selective", sdk_definition)
    assert source.status == "Succeeded"
    chosen = pipelines.start_execution("selective", selected_steps=("Eval",), source_execution_arn=source.arn)
    chosen = pipelines.wait_for_execution(chosen.arn, WAIT)
    assert chosen.status == "Succeeded", chosen.failure_reason
    assert list(steps(pipelines, chosen)) == ["Eval"]
    assert chosen.as_api()["SelectiveExecutionConfig"] == {"SourcePipelineExecutionArn": source.arn,
                                                           "SelectedSteps": [{"StepName": "Eval"}]}
    with pytest.raises(InvalidInput, match="Ghost"):
        pipelines.start_execution("selective", selected_steps=("Ghost",), source_execution_arn=source.arn)


def test_selective_execution_needs_the_source_to_have_produced_what_is_reused(pipelines: LocalPipelines) -> None:
    broken = definition([processing_step("A", ["s3://sdk-bucket/raw/"], ["out"], {"FAIL": "no"}),
                         processing_step("B", [output_ref("A", "out")], ["out"])])
    source = run(pipelines, "selective-broken", broken)
    with pytest.raises(InvalidInput, match="A did not succeed"):
        pipelines.start_execution("selective-broken", selected_steps=("B",), source_execution_arn=source.arn)


def test_stop_ends_the_execution_stopped_and_nothing_new_starts(pipelines: LocalPipelines, stack: EmbeddedStack) -> None:
    slow = definition([processing_step("Slow", ["s3://sdk-bucket/raw/"], ["out"], {"SLEEP_SECONDS": "1.5"}),
                       processing_step("Next", [output_ref("Slow", "out")], ["out"])])
    pipelines.upsert_pipeline("stoppable", slow)
    execution = pipelines.start_execution("stoppable")
    wait_for_step(pipelines, stack, execution.arn, "Slow")
    assert pipelines.stop_execution(execution.arn).status == "Stopping"
    stopped = pipelines.wait_for_execution(execution.arn, WAIT)
    assert stopped.status == "Stopped"
    assert "Next" not in steps(pipelines, stopped)


def test_retry_reruns_the_failed_steps_and_keeps_the_succeeded_ones(pipelines: LocalPipelines, stack: EmbeddedStack) -> None:
    late = definition([processing_step("First", ["s3://sdk-bucket/raw/"], ["out"]),
                       processing_step("NeedsLate", ["s3://sdk-bucket/late/"], ["out"], {"REQUIRE_INPUT": "1"},
                                       DependsOn=["First"])])
    failed = run(pipelines, "retryable", late)
    assert failed.status == "Failed" and failed.failure_reason.startswith("Step NeedsLate failed: No input data")
    first = steps(pipelines, failed)["First"]
    write(stack, "s3://sdk-bucket/late/data.txt", "arrived\n")
    retried = pipelines.retry_execution(failed.arn)
    assert (retried.arn, retried.status, retried.failure_reason) == (failed.arn, "Executing", "")
    finished = pipelines.wait_for_execution(failed.arn, WAIT)
    assert finished.status == "Succeeded", finished.failure_reason
    assert steps(pipelines, finished)["First"] == first  # not run again
    assert steps(pipelines, finished)["NeedsLate"].status == "Succeeded"


def test_an_orchestrator_that_is_no_longer_the_executions_own_stops_driving_it(
        pipelines: LocalPipelines, stack: EmbeddedStack) -> None:
    pipelines.upsert_pipeline("owned", definition([processing_step("Only", ["s3://sdk-bucket/raw/"], ["out"])]))
    execution = pipelines.start_execution("owned")
    said: list[str] = []
    stale = Engine(pipelines.store, stack.runner, build(stack), stack.workspace.lake, stack.settings.home / "pipelines",
                   owner="pipeline-replaced-1", log=said.append)
    assert stale.tick(execution.arn) is True
    assert said and "Another orchestrator" in said[0]
    assert pipelines.wait_for_execution(execution.arn, WAIT).status == "Succeeded"


@pytest.fixture
def job_pipelines(stack: EmbeddedStack, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> LocalPipelines:
    """Pipelines whose Training steps are real script jobs of the runner (MLflow store copied, not migrated)."""
    copy_empty_mlflow_store(tmp_path_factory, stack.settings.home)
    write_sleep_script(tmp_path / "code")
    return LocalPipelines(stack, FACTORY)


def wait_for_step_job(pipelines: LocalPipelines, arn: str, step: str) -> str:
    """The step's job name once the step is Executing (its job exists)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = {s.name: s for s in pipelines.list_steps(arn)}.get(step)
        if found is not None and found.status == "Executing":
            return found.job_name
        time.sleep(0.05)
    raise AssertionError(f"{step} never ran a job")


def test_a_running_step_job_is_watched_not_restarted_after_the_orchestrator_dies(
        job_pipelines: LocalPipelines, stack: EmbeddedStack, tmp_path: Path) -> None:
    job_pipelines.upsert_pipeline("watched", definition([
        script_step("Train", tmp_path / "code", 2), processing_step("Report", ["s3://sdk-bucket/raw/"], ["out"], DependsOn=["Train"])]))
    execution = job_pipelines.start_execution("watched")
    job_name = wait_for_step_job(job_pipelines, execution.arn, "Train")
    os.kill(stack.runner.jobs.pid(job_pipelines.store.orchestrator(execution.arn)) or 0, signal.SIGKILL)
    finished = job_pipelines.wait_for_execution(execution.arn, WAIT)
    assert finished.status == "Succeeded", finished.failure_reason
    train = steps(job_pipelines, finished)["Train"]
    assert (train.job_name, train.attempt) == (job_name, 1)
    assert [job.name for job in stack.runner.jobs.recent("script")] == [job_name]  # one job: watched, not restarted
    assert train.metadata == {"TrainingJob": {"Arn": f"arn:aws:sagemaker:local:000000000000:training-job/{job_name}"}}
    assert "slept=2" in job_pipelines.step_logs(execution.arn, "Train")


def test_stop_stops_the_running_step_job_through_the_runner(job_pipelines: LocalPipelines, stack: EmbeddedStack,
                                                            tmp_path: Path) -> None:
    job_pipelines.upsert_pipeline("stop-job", definition([
        script_step("Train", tmp_path / "code", 120), processing_step("Report", ["s3://sdk-bucket/raw/"], ["out"], DependsOn=["Train"])]))
    execution = job_pipelines.start_execution("stop-job")
    job_name = wait_for_step_job(job_pipelines, execution.arn, "Train")
    job_pipelines.stop_execution(execution.arn)
    stopped = job_pipelines.wait_for_execution(execution.arn, WAIT)
    assert stopped.status == "Stopped"
    assert stack.runner.jobs.get(job_name).status == "Stopped"
    assert {name: step.status for name, step in steps(job_pipelines, stopped).items()} == {"Train": "Stopped"}


@pytest.mark.parametrize(("limit", "started_in_first_tick"), [(1, 1), (2, 2), (50, 3)])
def test_a_tick_starts_at_most_max_parallel_steps(pipelines: LocalPipelines, stack: EmbeddedStack, limit: int,
                                                  started_in_first_tick: int) -> None:
    siblings = definition([processing_step(name, ["s3://sdk-bucket/raw/"], ["out"]) for name in ("A", "B", "C")])
    pipeline = pipelines.upsert_pipeline("parallel", siblings)
    arn = new_execution_arn(pipeline.arn)
    pipelines.store.create_execution(arn, "parallel", pipeline.definition, {})  # driven in-process below
    engine = Engine(pipelines.store, stack.runner, build(stack), stack.workspace.lake, stack.settings.home / "pipelines",
                    max_parallel=limit, poll_seconds=0.01)
    engine.tick(arn)
    assert len(pipelines.list_steps(arn)) == started_in_first_tick
    assert engine.run(arn) == "Succeeded"
    assert {step.name for step in pipelines.list_steps(arn)} == {"A", "B", "C"}


def test_a_step_job_that_dies_is_a_job_internal_error_and_is_retried(job_pipelines: LocalPipelines, stack: EmbeddedStack,
                                                                     tmp_path: Path) -> None:
    retry = [{"ExceptionType": ["SageMaker.JOB_INTERNAL_ERROR"], "MaxAttempts": 1, "IntervalSeconds": 1}]
    job_pipelines.upsert_pipeline("job-retry", definition([script_step("Train", tmp_path / "code", 1, RetryPolicies=retry)]))
    execution = job_pipelines.start_execution("job-retry")
    first = wait_for_step_job(job_pipelines, execution.arn, "Train")
    os.killpg(worker_pid(stack, first), signal.SIGKILL)
    finished = job_pipelines.wait_for_execution(execution.arn, WAIT)
    assert finished.status == "Succeeded", finished.failure_reason
    train = steps(job_pipelines, finished)["Train"]
    assert train.attempt == 2 and train.job_name != first
    assert "ended without reporting" in stack.runner.jobs.get(first).failure_reason


def worker_pid(stack: EmbeddedStack, job_name: str) -> int:
    """The job's worker process once the runner has started it (-1 while it is being claimed)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        pid = stack.runner.jobs.pid(job_name)
        if pid is not None and pid > 0:
            return pid
        time.sleep(0.02)
    raise AssertionError(f"{job_name} never started")


IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


@pytest.mark.skipif(not sandbox_available()[0], reason=sandbox_available()[1])
def test_the_registry_runs_real_processing_steps_and_resumes_on_start(services: Services) -> None:
    """The app's wiring: Services.pipelines, its orchestrator building the steps' executors (Processing: a
    container job in its own /opt/ml) in its own process; nothing to resume once the execution has ended."""
    step = processing_step("Copy", ["s3://sdk-bucket/raw/"], ["out"])
    step["Arguments"]["AppSpecification"] = {"ImageUri": IMAGE, "ContainerEntrypoint": ["python3", "-c", (
        "import shutil; shutil.copytree('/opt/ml/processing/in0', '/opt/ml/processing/out', dirs_exist_ok=True)")]}
    lake = services.stack.workspace.lake
    (lake / "sdk-bucket" / "raw").mkdir(parents=True)
    (lake / "sdk-bucket" / "raw" / "reviews.txt").write_text("great dress\n")
    services.pipelines.upsert_pipeline("real-steps", definition([step]))
    execution = services.pipelines.start_execution("real-steps")
    finished = services.pipelines.wait_for_execution(execution.arn, WAIT)
    assert finished.status == "Succeeded", finished.failure_reason
    copied = lake / "test-bucket" / execution.arn.rsplit("/", 1)[-1] / "Copy" / "out" / "reviews.txt"
    assert copied.read_text() == "great dress\n"
    assert resume_pipelines(services) == []


def test_stopping_the_orchestrator_job_stops_the_execution_and_its_step_jobs(
        job_pipelines: LocalPipelines, stack: EmbeddedStack, tmp_path: Path) -> None:
    job_pipelines.upsert_pipeline("stop-orchestrator", definition([script_step("Train", tmp_path / "code", 120)]))
    execution = job_pipelines.start_execution("stop-orchestrator")
    job_name = wait_for_step_job(job_pipelines, execution.arn, "Train")
    stack.runner.stop(job_pipelines.store.orchestrator(execution.arn))  # e.g. a Stop on the Jobs page
    stopped = job_pipelines.wait_for_execution(execution.arn, WAIT)
    assert stopped.status == "Stopped", stopped.failure_reason
    assert stack.runner.jobs.get(job_name).status == "Stopped"
    assert steps(job_pipelines, stopped)["Train"].status == "Stopped"


def test_an_orchestrator_that_cannot_start_fails_the_execution_once(stack: EmbeddedStack) -> None:
    broken = LocalPipelines(stack, "tests.helpers.pipeline_executors:no_such_factory", executors=lambda: build(stack))
    broken.upsert_pipeline("unbuildable", definition([processing_step("A", ["s3://sdk-bucket/raw/"], ["out"])]))
    execution = broken.wait_for_execution(broken.start_execution("unbuildable").arn, WAIT)
    assert execution.status == "Failed"
    assert execution.failure_reason.startswith("The pipeline engine could not start: AttributeError")
    assert len(stack.runner.jobs.recent("pipeline")) == 1  # not restarted on every describe


def test_install_template_puts_its_code_in_the_lake_and_defaults_inputs_to_the_tables_location(stack: EmbeddedStack) -> None:
    def location(database: str, table: str) -> str:
        if (database, table) != ("demo", "reviews"):
            raise NotFound(f"No table {database}.{table}.")
        return "s3://workbench-lake/demo/reviews/v3/"

    accepting = {kind: NothingToRun() for kind in ("Processing", "Training", "RegisterModel", "Model")}
    pipelines = LocalPipelines(stack, FACTORY, executors=lambda: accepting, table_location=location)
    installed = pipelines.install_template("review-sentiment", "reviews-v3")
    assert {p.name: p.default for p in installed.parameters}["InputData"] == "s3://workbench-lake/demo/reviews/v3/"
    code = [uri for uri in template_objects("review-sentiment")]
    assert code and all((stack.workspace.lake / uri.removeprefix("s3://")).is_file() for uri in code)
    with pytest.raises(NotFound):
        pipelines.install_template("no-such-template")


class NothingToRun:
    """Accepts every step at upsert; the test installs a pipeline and runs nothing."""

    def validate(self, step_name: str, arguments: dict[str, Any]) -> None:
        return None

    def start(self, run: Any) -> str:
        raise AssertionError("nothing runs in this test")

    def outcome(self, run: Any) -> Any:
        raise AssertionError("nothing runs in this test")
