"""SageMaker Pipelines offline, for the aws pipelines adapter's tests.

moto 5.2.6 implements CreatePipeline, UpdatePipeline, DescribePipeline, ListPipelines, StartPipelineExecution
(the execution is Succeeded at once), DescribePipelineExecution, ListPipelineExecutions,
DescribePipelineDefinitionForExecution and ListPipelineParametersForExecution. It lacks
ListPipelineExecutionSteps, StopPipelineExecution and RetryPipelineExecution, and it runs no step: those are
answered through tests/helpers/moto_gaps.py (checked against the service model), and ``ScriptedRuns`` says,
per pipeline, how SageMaker would report its executions (final status and steps, in the
ListPipelineExecutionSteps shape of the SageMaker API reference).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.helpers.aws import REGION
from tests.helpers.moto_gaps import answer_calls

ACCOUNT = "123456789012"
STARTED = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def moto_execution(arn: str) -> Any:
    """moto's record of a pipeline execution (its status can be set: moto never changes it)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sagemaker.models import sagemaker_backends

    pipeline = arn.split(":pipeline/", 1)[1].split("/", 1)[0]
    return sagemaker_backends[DEFAULT_ACCOUNT_ID][REGION].pipelines[pipeline].pipeline_executions[arn]


def job_arn(kind: str, name: str) -> str:
    """A SageMaker job ARN: kind is processing-job, training-job, transform-job, …"""
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{kind}/{name}"


def step(name: str, status: str = "Succeeded", minute: int = 0, **fields: Any) -> dict[str, Any]:
    """One PipelineExecutionStep as ListPipelineExecutionSteps returns it (StartTime/EndTime a minute apart)."""
    entry: dict[str, Any] = {"StepName": name, "StepStatus": status, "AttemptCount": 1, "Metadata": {},
                             "StartTime": STARTED + timedelta(minutes=minute)}
    if status in ("Succeeded", "Failed", "Stopped"):
        entry["EndTime"] = STARTED + timedelta(minutes=minute + 1)
    return entry | fields


def processing_step(name: str, status: str = "Succeeded", minute: int = 0, **fields: Any) -> dict[str, Any]:
    return step(name, status, minute, Metadata={"ProcessingJob": {"Arn": job_arn("processing-job", f"pipelines-{name.lower()}")}},
                **fields)


class ScriptedRuns:
    """How SageMaker reports executions of each pipeline: ``script(pipeline, status, steps)``; executions of a
    pipeline with no script list no steps. Stop and Retry are recorded and move moto's execution to Stopping and
    Executing, as SageMaker does."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, page_size: int = 100) -> None:
        self.outcomes: dict[str, tuple[str, list[dict[str, Any]]]] = {}
        self.page_size = page_size  # steps per ListPipelineExecutionSteps page (at most the request's MaxResults)
        self.steps_calls = answer_calls(monkeypatch, "sagemaker", "ListPipelineExecutionSteps", self._steps)
        self.stop_calls = answer_calls(monkeypatch, "sagemaker", "StopPipelineExecution", self._moved("Stopping"))
        self.retry_calls = answer_calls(monkeypatch, "sagemaker", "RetryPipelineExecution", self._moved("Executing"))

    def script(self, pipeline: str, status: str, steps: list[dict[str, Any]]) -> None:
        self.outcomes[pipeline] = (status, steps)

    def watch(self, client: Any) -> None:
        """Executions started through ``client`` end as scripted (moto makes every one Succeeded)."""
        client.meta.events.register("after-call.sagemaker.StartPipelineExecution", self._started)

    def _started(self, parsed: dict[str, Any], **_: Any) -> None:
        arn = parsed.get("PipelineExecutionArn")
        pipeline = str(arn).split(":pipeline/", 1)[-1].split("/", 1)[0]
        if arn and pipeline in self.outcomes:
            moto_execution(arn).pipeline_execution_status = self.outcomes[pipeline][0]

    def _steps(self, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["PipelineExecutionArn"]
        pipeline = arn.split(":pipeline/", 1)[-1].split("/", 1)[0]
        steps = self.outcomes.get(pipeline, ("", []))[1]
        ordered = steps if params.get("SortOrder") == "Ascending" else list(reversed(steps))
        start = int(params.get("NextToken") or 0)
        end = start + min(self.page_size, int(params.get("MaxResults") or 100))
        page: dict[str, Any] = {"PipelineExecutionSteps": ordered[start:end]}
        if end < len(ordered):
            page["NextToken"] = str(end)
        return page

    def clear(self) -> None:
        """Forget the scripts and the calls seen (between tests sharing one moto account)."""
        self.outcomes.clear()
        self.page_size = 100
        for calls in (self.steps_calls, self.stop_calls, self.retry_calls):
            calls.clear()

    @staticmethod
    def _moved(status: str) -> Any:
        def answer(params: dict[str, Any]) -> dict[str, Any]:
            arn = params["PipelineExecutionArn"]
            moto_execution(arn).pipeline_execution_status = status
            return {"PipelineExecutionArn": arn}

        return answer


def sdk_definition_text() -> str:
    """``Pipeline.definition()`` of a small pipeline the sagemaker 3.x SDK writes offline (tests/helpers/
    sdk_pipelines.offline_sdk): a ParameterInteger, a Processing step with caching, a Condition on the
    parameter with a Fail step — the JSON string exactly as the SDK returns it."""
    from tests.helpers.sdk_pipelines import BUCKET, IMAGE, ROLE, offline_sdk

    with offline_sdk():
        from sagemaker.core.processing import Processor
        from sagemaker.core.shapes import ProcessingOutput, ProcessingS3Output
        from sagemaker.core.workflow.conditions import ConditionLessThanOrEqualTo
        from sagemaker.core.workflow.parameters import ParameterInteger
        from sagemaker.core.workflow.pipeline_context import PipelineSession
        from sagemaker.mlops.workflow import CacheConfig, ConditionStep, FailStep, Pipeline, ProcessingStep

        session = PipelineSession(default_bucket=BUCKET)
        rows = ParameterInteger(name="MaxRows", default_value=100)
        processor = Processor(role=ROLE, image_uri=IMAGE, instance_count=1, instance_type="ml.m5.large",
                              entrypoint=["python3", "-c", "print('hi')"], sagemaker_session=session)
        prepare = ProcessingStep(name="Prepare", cache_config=CacheConfig(enable_caching=True, expire_after="P1D"),
                                 step_args=processor.run(outputs=[ProcessingOutput(output_name="out", s3_output=ProcessingS3Output(
                                     s3_uri=f"s3://{BUCKET}/out", local_path="/opt/ml/processing/out", s3_upload_mode="EndOfJob"))]))
        gate = ConditionStep(name="Small", conditions=[ConditionLessThanOrEqualTo(left=rows, right=1000)],
                             if_steps=[], else_steps=[FailStep(name="TooMany", error_message="Too many rows")],
                             depends_on=[prepare])
        text = Pipeline(name="sdk-bytes", parameters=[rows], steps=[prepare, gate], sagemaker_session=session).definition()
    json.loads(text)  # the SDK's own output is JSON
    return str(text)
