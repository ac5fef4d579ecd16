"""The SageMaker Pipelines adapter (services/pipelines/aws.py), offline.

moto answers what it implements (pipelines, executions, their definitions and parameters, CloudWatch Logs);
tests/helpers/aws_pipelines.py answers the rest (ListPipelineExecutionSteps, Stop/RetryPipelineExecution) through
moto_gaps, validated against the service model, and sets moto's execution status where SageMaker would change it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest

from services.errors import BackendUnavailable, InvalidInput, NotFound
from services.pipelines.aws import AwsPipelines, relocate_buckets
from services.registry import build_services
from tests.helpers.aws import BUCKET, REGION, FakeClock, aws_settings, create_lake_bucket, fake_aws_credentials
from tests.helpers.aws_pipelines import (
    STARTED,
    ScriptedRuns,
    job_arn,
    moto_execution,
    processing_step,
    sdk_definition_text,
    step,
)
from tests.helpers.moto_gaps import answer_calls, fail_calls
from tests.helpers.pipeline_executors import definition, output_ref
from tests.helpers.pipeline_executors import processing_step as definition_step

ROLE = "arn:aws:iam::123456789012:role/workbench-sagemaker"


def two_steps() -> dict[str, Any]:
    """Prep → Train (reads Prep's output), with a String and a Float parameter."""
    value = definition([definition_step("Prep", ["s3://workbench-test/raw/"], ["out"]),
                        definition_step("Train", [output_ref("Prep", "out")], ["model"])])
    value["Parameters"] = [{"Name": "Algorithm", "Type": "String", "DefaultValue": "xgboost"},
                           {"Name": "MinF1", "Type": "Float", "DefaultValue": 0.7}]
    return value


def gated() -> dict[str, Any]:
    """Prep → Check (Condition) → else Stop (Fail)."""
    value = definition([definition_step("Prep", ["s3://workbench-test/raw/"], ["out"])])
    value["Steps"].append({"Name": "Check", "Type": "Condition", "Arguments": {
        "Conditions": [{"Type": "GreaterThanOrEqualTo", "LeftValue": 1, "RightValue": 2}],
        "IfSteps": [], "ElseSteps": [{"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": "too low"}}]},
        "DependsOn": ["Prep"]})
    return value


@pytest.fixture(scope="module")
def sdk_text() -> str:
    return sdk_definition_text()


@pytest.fixture(scope="module")
def account(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ScriptedRuns, AwsPipelines, list[Any]]]:
    """One moto account, SageMaker's scripted answers and one adapter for the module (loading SageMaker's service
    model for each test's own session would cost seconds); each test starts from empty backends."""
    from moto import mock_aws

    folder = tmp_path_factory.mktemp("aws-pipelines")
    with pytest.MonkeyPatch.context() as monkeypatch:
        fake_aws_credentials(monkeypatch, folder)
        with mock_aws():
            create_lake_bucket()
            runs = ScriptedRuns(monkeypatch)
            adapter = new_adapter(folder)
            runs.watch(adapter._sagemaker)
            sent: list[tuple[str, dict[str, Any]]] = []

            def remember(params: dict[str, Any], model: Any, **_: Any) -> None:
                sent.append((model.name, dict(params)))

            adapter._sagemaker.meta.events.register("before-parameter-build.sagemaker", remember)
            yield runs, adapter, sent


def new_adapter(folder: Path, clock: FakeClock | None = None) -> AwsPipelines:
    settings = replace(aws_settings(folder / "workspace"), sagemaker_role=ROLE)
    clock = clock or FakeClock()
    return AwsPipelines(boto3.Session(region_name=REGION), settings, sleep=clock.sleep, clock=clock)


@pytest.fixture
def runs(account: tuple[ScriptedRuns, AwsPipelines, list[Any]]) -> ScriptedRuns:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.logs.models import logs_backends
    from moto.sagemaker.models import sagemaker_backends

    sagemaker_backends[DEFAULT_ACCOUNT_ID][REGION].pipelines.clear()
    logs_backends[DEFAULT_ACCOUNT_ID][REGION].groups.clear()
    account[0].clear()
    account[2].clear()
    return account[0]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def pipelines(account: tuple[ScriptedRuns, AwsPipelines, list[Any]], runs: ScriptedRuns, clock: FakeClock) -> AwsPipelines:
    adapter = account[1]
    adapter.settings = replace(adapter.settings, sagemaker_role=ROLE, s3_bucket=BUCKET)
    adapter._sleep, adapter._clock, adapter.table_location = clock.sleep, clock, None
    return adapter


@pytest.fixture
def calls(account: tuple[ScriptedRuns, AwsPipelines, list[Any]], pipelines: AwsPipelines) -> list[tuple[str, dict[str, Any]]]:
    """Every SageMaker operation the adapter sends in this test, with its parameters."""
    return account[2]


@pytest.fixture
def fresh(runs: ScriptedRuns, tmp_path: Path) -> AwsPipelines:
    """An adapter of its own, for a test that adds answers or failures of its own (they reach new sessions only)."""
    return new_adapter(tmp_path)


def moto_pipeline(name: str) -> Any:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sagemaker.models import sagemaker_backends

    return sagemaker_backends[DEFAULT_ACCOUNT_ID][REGION].pipelines[name]


# -- upsert ---------------------------------------------------------------------------------------------------


def test_upsert_creates_then_updates_the_same_pipeline(pipelines: AwsPipelines,
                                                       calls: list[tuple[str, dict[str, Any]]]) -> None:
    created = pipelines.upsert_pipeline("reviews", two_steps(), "first")
    changed = two_steps()
    changed["Parameters"][1]["DefaultValue"] = 0.8
    updated = pipelines.upsert_pipeline("reviews", changed, "second")
    sent = [name for name, _ in calls]
    assert sent == ["DescribePipeline", "CreatePipeline", "DescribePipeline",
                    "DescribePipeline", "UpdatePipeline", "DescribePipeline"]
    create = dict(calls[1][1])
    assert (create["RoleArn"], create["PipelineDescription"]) == (ROLE, "first")
    assert created.arn == updated.arn == f"arn:aws:sagemaker:{REGION}:123456789012:pipeline/reviews"
    assert updated.description == "second"
    assert [(p.name, p.default) for p in updated.parameters] == [("Algorithm", "xgboost"), ("MinF1", 0.8)]
    assert [p.name for p in pipelines.list_pipelines()] == ["reviews"]


def test_the_sdk_written_definition_is_uploaded_byte_for_byte(pipelines: AwsPipelines, sdk_text: str) -> None:
    pipeline = pipelines.upsert_pipeline("sdk-bytes", sdk_text)
    assert moto_pipeline("sdk-bytes").pipeline_definition == sdk_text
    assert pipeline.definition == json.loads(sdk_text)
    assert pipeline.find_step("TooMany") == json.loads(sdk_text)["Steps"][1]["Arguments"]["ElseSteps"][0]


def test_a_bad_definition_is_refused_before_any_call(pipelines: AwsPipelines,
                                                     calls: list[tuple[str, dict[str, Any]]]) -> None:
    broken = two_steps()
    broken["Steps"][1]["Arguments"]["ProcessingInputs"][0]["S3Input"]["S3Uri"] = {"Get": "Steps.Ghost.X"}
    with pytest.raises(InvalidInput, match="'Train'.*Ghost"):
        pipelines.upsert_pipeline("reviews", broken)
    unknown = two_steps()
    unknown["Steps"][0]["Type"] = "Teleport"
    with pytest.raises(InvalidInput, match="'Prep'.*Teleport"):
        pipelines.upsert_pipeline("reviews", unknown)
    with pytest.raises(InvalidInput, match="line 1, column"):
        pipelines.upsert_pipeline("reviews", '{"Version": "2020-12-01", "Steps": [}')
    with pytest.raises(InvalidInput, match="pipeline name"):
        pipelines.upsert_pipeline("bad name!", two_steps())
    assert calls == []


def test_upsert_without_a_role_says_which_setting_is_missing(pipelines: AwsPipelines,
                                                              calls: list[tuple[str, dict[str, Any]]]) -> None:
    pipelines.settings = replace(pipelines.settings, sagemaker_role=None)
    with pytest.raises(InvalidInput, match="IAM role") as refused:
        pipelines.upsert_pipeline("reviews", two_steps())
    assert "WORKBENCH_SAGEMAKER_ROLE" in (refused.value.hint or "")
    assert calls == []


# -- executions -----------------------------------------------------------------------------------------------


def test_start_sends_parameters_as_name_value_strings(pipelines: AwsPipelines,
                                                      calls: list[tuple[str, dict[str, Any]]]) -> None:
    pipelines.upsert_pipeline("reviews", two_steps())
    execution = pipelines.start_execution("reviews", {"MinF1": "0.75"}, "nightly")
    start = next(params for name, params in calls if name == "StartPipelineExecution")
    assert start["PipelineParameters"] == [{"Name": "Algorithm", "Value": "xgboost"}, {"Name": "MinF1", "Value": "0.75"}]
    assert start["PipelineExecutionDisplayName"] == "nightly" and "SelectiveExecutionConfig" not in start
    assert execution.parameters == {"Algorithm": "xgboost", "MinF1": "0.75"}
    assert (execution.pipeline_name, execution.display_name, execution.status) == ("reviews", "nightly", "Succeeded")
    assert execution.arn.startswith(f"arn:aws:sagemaker:{REGION}:123456789012:pipeline/reviews/execution/")


def test_parameters_are_checked_against_the_definition_before_starting(pipelines: AwsPipelines,
                                                                        calls: list[tuple[str, dict[str, Any]]]) -> None:
    pipelines.upsert_pipeline("reviews", two_steps())
    with pytest.raises(InvalidInput, match="Nope"):
        pipelines.start_execution("reviews", {"Nope": "1"})
    with pytest.raises(InvalidInput, match="MinF1"):
        pipelines.start_execution("reviews", {"MinF1": "high"})
    with pytest.raises(NotFound):
        pipelines.start_execution("no-such-pipeline")
    assert "StartPipelineExecution" not in [name for name, _ in calls]


def test_selective_execution_sends_sagemaker_config(pipelines: AwsPipelines,
                                                    calls: list[tuple[str, dict[str, Any]]]) -> None:
    pipelines.upsert_pipeline("reviews", two_steps())
    source = pipelines.start_execution("reviews")
    pipelines.start_execution("reviews", selected_steps=("Train",), source_execution_arn=source.arn)
    start = [params for name, params in calls if name == "StartPipelineExecution"][-1]
    assert start["SelectiveExecutionConfig"] == {"SourcePipelineExecutionArn": source.arn,
                                                 "SelectedSteps": [{"StepName": "Train"}]}
    with pytest.raises(InvalidInput, match="Ghost"):
        pipelines.start_execution("reviews", selected_steps=("Ghost",), source_execution_arn=source.arn)
    with pytest.raises(InvalidInput, match="both"):
        pipelines.start_execution("reviews", selected_steps=("Train",))


def test_access_denied_on_start_names_the_permission(fresh: AwsPipelines, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh.upsert_pipeline("reviews", two_steps())
    fail_calls(monkeypatch, "sagemaker", "StartPipelineExecution", "AccessDeniedException",
               "User: arn:aws:iam::123456789012:user/analyst is not authorized to perform: sagemaker:StartPipelineExecution",
               clients=[fresh._sagemaker])
    with pytest.raises(BackendUnavailable, match="needs the IAM permission sagemaker:StartPipelineExecution") as refused:
        fresh.start_execution("reviews")
    assert "not authorized" in str(refused.value) and "sagemaker:StartPipelineExecution" in (refused.value.hint or "")


def test_throttling_is_a_busy_backend(fresh: AwsPipelines, monkeypatch: pytest.MonkeyPatch) -> None:
    fail_calls(monkeypatch, "sagemaker", "ListPipelines", "ThrottlingException", "Rate exceeded", clients=[fresh._sagemaker])
    with pytest.raises(BackendUnavailable, match="Rate exceeded"):
        fresh.list_pipelines()


def test_unknown_pipelines_and_executions_are_not_found(pipelines: AwsPipelines) -> None:
    pipelines.upsert_pipeline("reviews", two_steps())
    missing = pipelines.start_execution("reviews").arn.rsplit("/", 1)[0] + "/zzzzzzzzzzzz"
    for call in (pipelines.describe_execution, pipelines.list_steps, pipelines.stop_execution, pipelines.retry_execution):
        with pytest.raises(NotFound):
            call(missing)
    with pytest.raises(NotFound):
        pipelines.step_logs(missing, "Prep")
    for name_call in (pipelines.describe_pipeline, pipelines.list_executions):
        with pytest.raises(NotFound):
            name_call("no-such-pipeline")


def test_sagemakers_own_not_found_answers_are_not_found(fresh: AwsPipelines, monkeypatch: pytest.MonkeyPatch) -> None:
    arn = f"arn:aws:sagemaker:{REGION}:123456789012:pipeline/reviews/execution/zzzzzzzzzzzz"
    fail_calls(monkeypatch, "sagemaker", "DescribePipelineExecution", "ResourceNotFound",
               f"Pipeline execution {arn} does not exist.", clients=[fresh._sagemaker])
    fail_calls(monkeypatch, "sagemaker", "DescribePipeline", "ValidationException",
               "Pipeline arn:aws:sagemaker:us-east-1:123456789012:pipeline/reviews does not exist.", clients=[fresh._sagemaker])
    with pytest.raises(NotFound):
        fresh.describe_execution(arn)
    with pytest.raises(NotFound):
        fresh.describe_pipeline("reviews")
    fail_calls(monkeypatch, "sagemaker", "ListPipelines", "ValidationException", "MaxResults must be at most 100",
               clients=[fresh._sagemaker])
    with pytest.raises(InvalidInput, match="MaxResults"):
        fresh.list_pipelines()


def test_steps_are_mapped_with_their_type_cache_hit_and_condition_outcome(pipelines: AwsPipelines,
                                                                          runs: ScriptedRuns) -> None:
    source = f"arn:aws:sagemaker:{REGION}:123456789012:pipeline/gated/execution/earlier12345"
    runs.script("gated", "Succeeded", [
        processing_step("Prep", CacheHitResult={"SourcePipelineExecutionArn": source}),
        step("Check", minute=1, Metadata={"Condition": {"Outcome": "True"}})])
    pipelines.upsert_pipeline("gated", gated())
    execution = pipelines.start_execution("gated")
    prep, check = pipelines.list_steps(execution.arn)
    assert (prep.name, prep.type, prep.status, prep.attempt) == ("Prep", "Processing", "Succeeded", 1)
    assert prep.cache_hit_source == source and prep.job_name == "pipelines-prep"
    assert prep.started_at == "2026-01-01T12:00:00.000+00:00" and prep.ended_at == "2026-01-01T12:01:00.000+00:00"
    assert prep.as_api()["CacheHitResult"] == {"SourcePipelineExecutionArn": source}
    assert (check.type, check.metadata, check.cache_hit_source) == ("Condition", {"Condition": {"Outcome": "True"}}, "")
    assert runs.steps_calls[-1]["SortOrder"] == "Ascending"


def test_a_failed_execution_gives_the_fail_step_message_or_the_failed_step(pipelines: AwsPipelines,
                                                                          runs: ScriptedRuns) -> None:
    runs.script("gated", "Failed", [processing_step("Prep"), step("Check", minute=1, Metadata={"Condition": {"Outcome": "False"}}),
                                    step("Stop", "Failed", 2, FailureReason="too low", Metadata={"Fail": {"ErrorMessage": "too low"}})])
    pipelines.upsert_pipeline("gated", gated())
    assert pipelines.start_execution("gated").failure_reason == "too low"
    runs.script("reviews", "Failed", [processing_step("Prep", "Failed", FailureReason="AlgorithmError: no rows")])
    pipelines.upsert_pipeline("reviews", two_steps())
    failed = pipelines.start_execution("reviews")
    assert (failed.status, failed.failure_reason) == ("Failed", "Step Prep failed: AlgorithmError: no rows")
    assert [e.status for e in pipelines.list_executions("reviews")] == ["Failed"]


def test_steps_are_read_across_pages(pipelines: AwsPipelines, runs: ScriptedRuns) -> None:
    runs.script("reviews", "Succeeded", [processing_step("Prep"), processing_step("Train", minute=1)])
    runs.page_size = 1
    pipelines.upsert_pipeline("reviews", two_steps())
    execution = pipelines.start_execution("reviews")
    assert [s.name for s in pipelines.list_steps(execution.arn)] == ["Prep", "Train"]
    assert [(p.get("NextToken"), p["MaxResults"]) for p in runs.steps_calls] == [(None, 100), ("1", 100)]


def test_executions_are_read_across_pages_up_to_the_limit(fresh: AwsPipelines, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh.upsert_pipeline("reviews", two_steps())
    arn = fresh.start_execution("reviews").arn
    summaries = [{"PipelineExecutionArn": f"{arn[:-12]}{n:012d}", "StartTime": STARTED,
                  "PipelineExecutionStatus": "Succeeded"} for n in range(3)]
    listed = answer_calls(monkeypatch, "sagemaker", "ListPipelineExecutions",
                          lambda p: {"PipelineExecutionSummaries": summaries[:2], "NextToken": "more"} if "NextToken" not in p
                          else {"PipelineExecutionSummaries": summaries[2:]}, clients=[fresh._sagemaker])
    assert [e.arn[-1] for e in fresh.list_executions("reviews")] == ["0", "1", "2"]
    assert [e.arn[-1] for e in fresh.list_executions("reviews", limit=2)] == ["0", "1"]
    assert [(p.get("NextToken"), p["MaxResults"], p["SortOrder"]) for p in listed] == [
        (None, 50, "Descending"), ("more", 50, "Descending"), (None, 2, "Descending")]
    with pytest.raises(InvalidInput, match="limit"):
        fresh.list_executions("reviews", limit=0)


def test_pipelines_are_listed_across_pages_newest_change_first(pipelines: AwsPipelines,
                                                               calls: list[tuple[str, dict[str, Any]]]) -> None:
    for name in ("a-first", "b-second", "c-third"):
        pipelines.upsert_pipeline(name, two_steps())
        time.sleep(0.002)
    moto_pipeline("a-first").last_modified_time = STARTED.replace(year=2030)
    listed = pipelines.list_pipelines()
    assert [p.name for p in listed] == ["a-first", "c-third", "b-second"]
    assert all(p.definition == two_steps() for p in listed)
    assert [params.get("MaxResults") for name, params in calls if name == "ListPipelines"] == [100]


def test_stop_and_retry(pipelines: AwsPipelines, runs: ScriptedRuns) -> None:
    pipelines.upsert_pipeline("reviews", two_steps())
    execution = pipelines.start_execution("reviews")
    assert pipelines.stop_execution(execution.arn) == execution and runs.stop_calls == []  # finished: unchanged
    with pytest.raises(InvalidInput, match="Succeeded"):
        pipelines.retry_execution(execution.arn)
    moto_execution(execution.arn).pipeline_execution_status = "Executing"
    assert pipelines.stop_execution(execution.arn).status == "Stopping"
    assert runs.stop_calls[0]["PipelineExecutionArn"] == execution.arn
    moto_execution(execution.arn).pipeline_execution_status = "Stopped"
    assert pipelines.retry_execution(execution.arn).status == "Executing"
    assert [c["PipelineExecutionArn"] for c in runs.retry_calls] == [execution.arn]


def test_wait_polls_until_the_execution_finishes(pipelines: AwsPipelines, clock: FakeClock,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    pipelines.upsert_pipeline("reviews", two_steps())
    execution = pipelines.start_execution("reviews")
    moto_execution(execution.arn).pipeline_execution_status = "Executing"

    def finish_later(seconds: float) -> None:
        clock.sleep(seconds)
        if len(clock.sleeps) == 3:
            moto_execution(execution.arn).pipeline_execution_status = "Succeeded"

    monkeypatch.setattr(pipelines, "_sleep", finish_later)
    assert pipelines.wait_for_execution(execution.arn).status == "Succeeded"
    assert clock.sleeps == [15.0, 15.0, 15.0]
    moto_execution(execution.arn).pipeline_execution_status = "Executing"
    assert pipelines.wait_for_execution(execution.arn, timeout_seconds=40).status == "Executing"


# -- logs -----------------------------------------------------------------------------------------------------


def put_log(group: str, stream: str, lines: list[str]) -> None:
    logs = boto3.client("logs", region_name=REGION)
    if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    logs.put_log_events(logGroupName=group, logStreamName=stream,
                        logEvents=[{"timestamp": int(time.time() * 1000) + i, "message": line} for i, line in enumerate(lines)])


@pytest.fixture
def logged(pipelines: AwsPipelines, runs: ScriptedRuns) -> str:
    runs.script("reviews", "Failed", [
        processing_step("Prep"),
        step("Train", "Failed", 1, FailureReason="AlgorithmError: bad label",
             Metadata={"TrainingJob": {"Arn": job_arn("training-job", "pipelines-train")}})])
    put_log("/aws/sagemaker/ProcessingJobs", "pipelines-prep/algo-1-1700000000", ["reading raw", "wrote 40 rows"])
    put_log("/aws/sagemaker/TrainingJobs", "pipelines-train/algo-1-1700000000", ["[0] train-f1: 0.5"])
    put_log("/aws/sagemaker/TrainingJobs", "pipelines-trainer/algo-1-1700000000", ["another job's log"])
    pipelines.upsert_pipeline("reviews", two_steps())
    return pipelines.start_execution("reviews").arn


def test_step_logs_read_the_step_jobs_log_group(pipelines: AwsPipelines, logged: str) -> None:
    prep = pipelines.step_logs(logged, "Prep")
    assert prep.startswith("Step Prep (Processing): Succeeded") and prep.endswith("reading raw\nwrote 40 rows")
    train = pipelines.step_logs(logged, "Train")
    assert "Failure reason: AlgorithmError: bad label" in train and "[0] train-f1: 0.5" in train
    assert "another job's log" not in train
    assert len(pipelines.step_logs(logged, "Prep", tail_bytes=8)) == 8
    with pytest.raises(NotFound, match="'Deploy' has not run"):
        pipelines.step_logs(logged, "Deploy")


def test_step_logs_without_logs_permission_say_which(fresh: AwsPipelines, logged: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    fail_calls(monkeypatch, "logs", "DescribeLogStreams", "AccessDeniedException", "not authorized",
               clients=[fresh._logs])
    with pytest.raises(BackendUnavailable, match="logs:DescribeLogStreams"):
        fresh.step_logs(logged, "Prep")


# -- wiring ---------------------------------------------------------------------------------------------------


@pytest.fixture
def aws_services(runs: ScriptedRuns, tmp_path: Path) -> Iterator[Any]:
    services = build_services(replace(aws_settings(tmp_path / "workspace"), sagemaker_role=ROLE))
    yield services
    services.stack.store.close()


def test_the_registry_builds_the_aws_adapter_with_the_catalogs_table_locations(aws_services: Any) -> None:
    assert isinstance(aws_services.pipelines, AwsPipelines)
    glue = boto3.client("glue", region_name=REGION)
    glue.create_database(DatabaseInput={"Name": "demo"})
    glue.create_table(DatabaseName="demo", TableInput={"Name": "reviews", "StorageDescriptor": {
        "Columns": [{"Name": "review_body", "Type": "string"}], "Location": f"s3://{BUCKET}/tables/reviews/"}})
    installed = aws_services.pipelines.install_template("review-sentiment")
    assert installed.parameters[0].name == "InputData"
    assert installed.parameters[0].default == f"s3://{BUCKET}/tables/reviews/"


# -- ready-made pipelines -------------------------------------------------------------------------------------


def s3_object(bucket: str, key: str) -> bytes:
    return bytes(boto3.client("s3", region_name=REGION).get_object(Bucket=bucket, Key=key)["Body"].read())


def test_a_template_is_installed_into_the_workbench_bucket(pipelines: AwsPipelines) -> None:
    from services.errors import NotFound as Missing
    from services.pipelines.templates import template_objects

    def table_location(database: str, table: str) -> str:
        if (database, table) != ("demo", "reviews"):
            raise Missing(f"no {database}.{table}")
        return f"s3://{BUCKET}/lake/demo/reviews/v2/"

    pipelines.table_location = table_location
    installed = pipelines.install_template("review-sentiment", "reviews-pipeline")
    text = moto_pipeline("reviews-pipeline").pipeline_definition
    assert "s3://workbench-pipelines" not in text and "s3://workbench-lake" not in text
    assert f"s3://{BUCKET}/pipeline-templates/workbench-pipelines/" in text
    assert installed.parameters[0].default == f"s3://{BUCKET}/lake/demo/reviews/v2/"
    objects = template_objects("review-sentiment")
    uri, body = next(iter(objects.items()))
    assert s3_object(BUCKET, "pipeline-templates/" + uri.removeprefix("s3://")) == body
    assert moto_pipeline("reviews-pipeline").role_arn == ROLE
    with pytest.raises(NotFound):
        pipelines.install_template("no-such-template")


def test_the_autopilot_template_is_installed_with_its_automl_step_unchanged(pipelines: AwsPipelines) -> None:
    """SageMaker runs the AutoMLStep's CreateAutoMLJob request itself: only its S3 locations move to the bucket."""
    from services.errors import NotFound as Missing
    from services.pipelines.templates import load_templates

    def table_location(database: str, table: str) -> str:
        if (database, table) != ("demo", "wine"):
            raise Missing(f"no {database}.{table}")
        return f"s3://{BUCKET}/lake/demo/wine/"

    pipelines.table_location = table_location
    installed = pipelines.install_template("tabular-autopilot", "wine-autopilot")
    uploaded = json.loads(moto_pipeline("wine-autopilot").pipeline_definition)
    assert next(p for p in installed.parameters if p.name == "InputData").default == f"s3://{BUCKET}/lake/demo/wine/"
    template = next(t.definition for t in load_templates() if t.key == "tabular-autopilot")
    automl = next(s for s in uploaded["Steps"] if s["Type"] == "AutoML")["Arguments"]
    original = next(s for s in template["Steps"] if s["Type"] == "AutoML")["Arguments"]
    assert automl == {**original, "OutputDataConfig": {
        "S3OutputPath": f"s3://{BUCKET}/pipeline-templates/workbench-pipelines/tabular-autopilot/automl"}}


def test_template_locations_move_whole_bucket_names_only() -> None:
    definition = {"A": "s3://lake/x", "B": {"Std:Join": {"On": "/", "Values": ["s3://lake", "run"]}}, "C": "s3://lake2/y",
                  "D": "s3://mine/z"}
    moved = relocate_buckets(definition, {"s3://lake/code/a.py": b""}, "mine")
    assert moved == {"A": "s3://mine/pipeline-templates/lake/x",
                     "B": {"Std:Join": {"On": "/", "Values": ["s3://mine/pipeline-templates/lake", "run"]}},
                     "C": "s3://mine/pipeline-templates/lake2/y", "D": "s3://mine/z"}


def test_a_template_for_another_region_or_without_a_bucket_is_refused(pipelines: AwsPipelines, tmp_path: Path) -> None:
    elsewhere = AwsPipelines(boto3.Session(region_name="eu-west-1"), pipelines.settings)
    with pytest.raises(InvalidInput, match="in us-east-1, not in eu-west-1"):
        elsewhere.install_template("review-sentiment")
    pipelines.settings = replace(pipelines.settings, s3_bucket=None)
    with pytest.raises(InvalidInput, match="bucket") as refused:
        pipelines.install_template("review-sentiment")
    assert "WORKBENCH_S3_BUCKET" in (refused.value.hint or "")


def test_sagemaker_step_types_the_local_engine_lacks_are_uploaded(pipelines: AwsPipelines,
                                                                  calls: list[tuple[str, dict[str, Any]]]) -> None:
    """SageMaker runs Lambda, Callback, QualityCheck, … steps: only types SageMaker itself lacks are refused on AWS."""
    value = two_steps()
    value["Steps"].append({"Name": "Notify", "Type": "Lambda", "DependsOn": ["Train"], "Arguments": {},
                           "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:notify"})
    pipelines.upsert_pipeline("reviews-notify", value)
    assert "CreatePipeline" in [name for name, _ in calls]
    value["Steps"][-1]["Type"] = "Teleport"
    with pytest.raises(InvalidInput, match="'Notify'.*Teleport.*SageMaker Pipelines does not run"):
        pipelines.upsert_pipeline("reviews-notify", value)
