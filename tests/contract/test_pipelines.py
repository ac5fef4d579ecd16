"""The pipelines port's contract: every adapter must pass ``PipelinesContract``.

The definitions are the ones the real sagemaker SDK writes (tests/helpers/sdk_pipelines.py): a gate
pipeline Prep → Eval (a property file with the accuracy) → Gate (accuracy ≥ MinAccuracy) → Publish, else
TooLow (Fail). ``TestLocalPipelines`` runs it on the local engine: real orchestrator jobs of the runner,
with the small file-processing executor of tests/helpers/pipeline_executors.py reading and writing the lake.
``TestAwsPipelines`` runs it on moto's SageMaker Pipelines, where each execution's outcome is scripted
(tests/helpers/aws_pipelines.py: moto runs no step and lacks ListPipelineExecutionSteps).
Each execution the class needs runs once (class-scoped fixtures).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import boto3
import pytest

from services.config import Settings
from services.embedded.embedded_stack import EmbeddedStack
from services.errors import InvalidInput, NotFound
from services.pipelines.base import PipelinesPort
from services.pipelines.local import build_local_pipelines
from services.pipelines.models import ExecutionStep, PipelineExecution
from tests.helpers.aws import BUCKET as AWS_BUCKET
from tests.helpers.aws import REGION as AWS_REGION
from tests.helpers.aws import aws_settings, fake_aws_credentials
from tests.helpers.aws_pipelines import ScriptedRuns
from tests.helpers.aws_pipelines import processing_step as aws_processing_step
from tests.helpers.aws_pipelines import step as aws_step
from tests.helpers.pipeline_executors import FACTORY, definition, output_ref, processing_step
from tests.helpers.sdk_pipelines import gate_pipeline

WAIT_SECONDS = 60


@dataclass
class PipelinesWorld:
    """What the contract needs from a backend."""

    pipelines: PipelinesPort
    gate_definition: Callable[[float], dict[str, Any]]  # the SDK-written gate pipeline; Eval reports that accuracy
    failing_definition: dict[str, Any]  # Broken fails; Downstream reads its output
    failing_reason: str  # what Broken's failure says


class PipelinesContract:
    """Tests any pipelines adapter must pass. Subclasses provide the class-scoped ``world`` fixture."""

    @pytest.fixture(scope="class")
    def world(self) -> PipelinesWorld:
        raise NotImplementedError

    @pytest.fixture(scope="class")
    def passed(self, world: PipelinesWorld) -> PipelineExecution:
        world.pipelines.upsert_pipeline("contract-pass", world.gate_definition(0.9), "passes its gate")
        started = world.pipelines.start_execution("contract-pass", {"MinAccuracy": "0.75"}, "first-run")
        return world.pipelines.wait_for_execution(started.arn, WAIT_SECONDS)

    @pytest.fixture(scope="class")
    def gated(self, world: PipelinesWorld) -> PipelineExecution:
        world.pipelines.upsert_pipeline("contract-gated", world.gate_definition(0.5))
        started = world.pipelines.start_execution("contract-gated")
        return world.pipelines.wait_for_execution(started.arn, WAIT_SECONDS)

    @pytest.fixture(scope="class")
    def broken(self, world: PipelinesWorld) -> PipelineExecution:
        world.pipelines.upsert_pipeline("contract-broken", world.failing_definition)
        started = world.pipelines.start_execution("contract-broken")
        return world.pipelines.wait_for_execution(started.arn, WAIT_SECONDS)

    def steps(self, world: PipelinesWorld, execution: PipelineExecution) -> dict[str, ExecutionStep]:
        return {step.name: step for step in world.pipelines.list_steps(execution.arn)}

    def test_upsert_describe_and_list(self, world: PipelinesWorld) -> None:
        created = world.pipelines.upsert_pipeline("contract-upsert", world.gate_definition(0.9), "first")
        assert created.name == "contract-upsert" and created.arn.endswith(":pipeline/contract-upsert")
        assert [p.name for p in world.pipelines.list_pipelines()].count("contract-upsert") == 1
        changed = world.gate_definition(0.9)
        changed["Parameters"][0]["DefaultValue"] = 0.8
        updated = world.pipelines.upsert_pipeline("contract-upsert", changed, "second")
        described = world.pipelines.describe_pipeline("contract-upsert")
        assert (updated.arn, described.arn) == (created.arn, created.arn)
        assert described.description == "second"
        assert [(p.name, p.default) for p in described.parameters] == [("MinAccuracy", 0.8),
                                                                       ("InputData", "s3://sdk-bucket/raw/")]
        assert described.as_api()["PipelineName"] == "contract-upsert"

    def test_a_bad_definition_is_refused_naming_the_step(self, world: PipelinesWorld) -> None:
        value = copy.deepcopy(world.gate_definition(0.9))
        value["Steps"][2]["Arguments"]["IfSteps"][0]["Type"] = "Teleport"
        with pytest.raises(InvalidInput, match="'Publish'"):
            world.pipelines.upsert_pipeline("contract-bad", value)
        value = copy.deepcopy(world.gate_definition(0.9))
        value["Steps"][1]["Arguments"]["ProcessingInputs"][0]["S3Input"]["S3Uri"] = {"Get": "Steps.Ghost.X"}
        with pytest.raises(InvalidInput, match="'Eval'.*Ghost"):
            world.pipelines.upsert_pipeline("contract-bad", value)
        with pytest.raises(InvalidInput, match="line 1"):
            world.pipelines.upsert_pipeline("contract-bad", '{"Version": "2020-12-01", "Steps": [}')
        with pytest.raises(NotFound):
            world.pipelines.describe_pipeline("contract-bad")

    def test_unknown_names_are_not_found(self, world: PipelinesWorld, passed: PipelineExecution) -> None:
        missing = passed.arn.rsplit("/", 1)[0] + "/zzzzzzzzzzzz"
        for call in (world.pipelines.describe_execution, world.pipelines.list_steps, world.pipelines.stop_execution,
                     world.pipelines.retry_execution):
            with pytest.raises(NotFound):
                call(missing)
        with pytest.raises(NotFound):
            world.pipelines.step_logs(missing, "Prep")
        for call in (world.pipelines.describe_pipeline, world.pipelines.start_execution, world.pipelines.list_executions):
            with pytest.raises(NotFound):
                call("no-such-pipeline")

    def test_unknown_or_badly_typed_parameters_are_refused_at_start(self, world: PipelinesWorld,
                                                                    passed: PipelineExecution) -> None:
        with pytest.raises(InvalidInput, match="Nope"):
            world.pipelines.start_execution("contract-pass", {"Nope": "1"})
        with pytest.raises(InvalidInput, match="MinAccuracy"):
            world.pipelines.start_execution("contract-pass", {"MinAccuracy": "high"})

    def test_an_execution_runs_its_steps_in_list_pipeline_execution_steps_shape(self, world: PipelinesWorld,
                                                                                passed: PipelineExecution) -> None:
        assert passed.status == "Succeeded", passed.failure_reason
        assert passed.display_name == "first-run"
        assert passed.parameters == {"MinAccuracy": "0.75", "InputData": "s3://sdk-bucket/raw/"}
        steps = self.steps(world, passed)
        assert set(steps) == {"Prep", "Eval", "Gate", "Publish"}  # TooLow: the branch not taken is not listed
        assert all(step.status == "Succeeded" for step in steps.values())
        assert steps["Gate"].metadata == {"Condition": {"Outcome": "True"}}
        entry = steps["Prep"].as_api()
        assert {"StepName", "StepStatus", "AttemptCount", "Metadata", "StartTime", "EndTime"} <= set(entry)
        assert "ProcessingJob" in entry["Metadata"]
        assert [e.arn for e in world.pipelines.list_executions("contract-pass")] == [passed.arn]
        assert world.pipelines.describe_execution(passed.arn) == passed

    def test_a_false_condition_ends_failed_through_the_fail_step(self, world: PipelinesWorld,
                                                                 gated: PipelineExecution) -> None:
        assert gated.status == "Failed"
        assert gated.failure_reason == "Accuracy 0.5 is below 0.7"
        steps = self.steps(world, gated)
        assert steps["Gate"].metadata == {"Condition": {"Outcome": "False"}}
        assert steps["TooLow"].status == "Failed"
        assert steps["TooLow"].metadata == {"Fail": {"ErrorMessage": "Accuracy 0.5 is below 0.7"}}
        assert "Publish" not in steps
        assert "False" in world.pipelines.step_logs(gated.arn, "Gate")

    def test_a_failing_step_fails_the_execution_and_nothing_downstream_runs(self, world: PipelinesWorld,
                                                                             broken: PipelineExecution) -> None:
        assert broken.status == "Failed"
        assert broken.failure_reason.startswith("Step Broken failed: ")
        assert world.failing_reason in broken.failure_reason
        steps = self.steps(world, broken)
        assert steps["Broken"].status == "Failed" and world.failing_reason in steps["Broken"].failure_reason
        assert "Downstream" not in steps

    def test_retry_is_refused_for_a_succeeded_execution(self, world: PipelinesWorld, passed: PipelineExecution) -> None:
        with pytest.raises(InvalidInput, match="Succeeded"):
            world.pipelines.retry_execution(passed.arn)
        assert world.pipelines.stop_execution(passed.arn).status == "Succeeded"


def failing_definition() -> dict[str, Any]:
    return definition([processing_step("Broken", ["s3://sdk-bucket/raw/"], ["out"], {"FAIL": "the input is corrupt"}),
                       processing_step("Downstream", [output_ref("Broken", "out")], ["out"])])


class TestLocalPipelines(PipelinesContract):
    @pytest.fixture(scope="class")
    def world(self, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipelinesWorld]:
        home = tmp_path_factory.mktemp("pipelines-contract") / "workspace"
        stack = EmbeddedStack.open(Settings(home=home, seed_on_start=False))
        raw = stack.workspace.lake / "sdk-bucket" / "raw"
        raw.mkdir(parents=True)
        (raw / "reviews.txt").write_text("great dress\nbad fit\n")
        yield PipelinesWorld(build_local_pipelines(stack, FACTORY), gate_pipeline, failing_definition(),
                             "the input is corrupt")
        stack.store.close()


# -- aws: moto's SageMaker Pipelines, with what moto does not run scripted --------------------------------------

AWS_ROLE = "arn:aws:iam::123456789012:role/workbench-sagemaker"


def scripted_outcomes(runs: ScriptedRuns) -> None:
    """How SageMaker reports each contract pipeline's executions (moto runs no step; tests/helpers/aws_pipelines.py)."""
    runs.script("contract-pass", "Succeeded", [
        aws_processing_step("Prep"), aws_processing_step("Eval", minute=1),
        aws_step("Gate", minute=2, Metadata={"Condition": {"Outcome": "True"}}), aws_processing_step("Publish", minute=3)])
    reason = "Accuracy 0.5 is below 0.7"
    runs.script("contract-gated", "Failed", [
        aws_processing_step("Prep"), aws_processing_step("Eval", minute=1),
        aws_step("Gate", minute=2, Metadata={"Condition": {"Outcome": "False"}}),
        aws_step("TooLow", "Failed", 3, FailureReason=reason, Metadata={"Fail": {"ErrorMessage": reason}})])
    runs.script("contract-broken", "Failed", [
        aws_processing_step("Broken", "Failed", FailureReason="AlgorithmError: the input is corrupt")])


class TestAwsPipelines(PipelinesContract):
    """SageMaker Pipelines on moto: the adapter's requests and its reading of SageMaker's answers. moto stores
    pipelines and executions but runs no step, so each contract pipeline's outcome is scripted in
    ListPipelineExecutionSteps' shape (``scripted_outcomes``)."""

    @pytest.fixture(scope="class")
    def world(self, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipelinesWorld]:
        from moto import mock_aws

        from services.pipelines.aws import AwsPipelines
        from services.registry import build_services

        definitions = {accuracy: gate_pipeline(accuracy) for accuracy in (0.9, 0.5)}  # the SDK's own moto, first
        folder = tmp_path_factory.mktemp("pipelines-contract-aws")
        with pytest.MonkeyPatch.context() as monkeypatch:
            fake_aws_credentials(monkeypatch, folder)
            with mock_aws():
                boto3.client("s3", region_name=AWS_REGION).create_bucket(Bucket=AWS_BUCKET)
                runs = ScriptedRuns(monkeypatch)
                scripted_outcomes(runs)
                services = build_services(replace(aws_settings(folder / "workspace"), sagemaker_role=AWS_ROLE))
                pipelines = services.pipelines
                assert isinstance(pipelines, AwsPipelines)
                runs.watch(pipelines._sagemaker)
                yield PipelinesWorld(pipelines, lambda accuracy: copy.deepcopy(definitions[accuracy]), failing_definition(),
                                     "the input is corrupt")
                services.stack.store.close()
