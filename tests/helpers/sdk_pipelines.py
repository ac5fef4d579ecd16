"""Pipeline definitions written by the real sagemaker 3.x SDK (``Pipeline(...).definition()``), built offline
inside ``moto.mock_aws()`` with fake credentials and ``SAGEMAKER_VALIDATE_ROLE=false``.

``gate_pipeline()``: Prep (Processing, input from a ParameterString, an output "train", caching PT1H and two
retry policies) → Eval (Processing reading Prep's output through a property reference, writing an
``evaluation.json`` declared as the PropertyFile "EvalReport"; its output location joins the execution id)
→ Gate (Condition: accuracy from the property file ≥ ParameterFloat MinAccuracy, Or-ed with a Not/In) →
IfSteps [Publish (Processing)] / ElseSteps [TooLow (Fail, ErrorMessage a Join of the accuracy)].
The processing image is ``local/test-processing`` (tests/helpers/pipeline_executors.py runs it); the
Eval step's Environment ``WRITE_JSON`` is what it writes.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

IMAGE = "local/test-processing:latest"
BUCKET = "sdk-bucket"
ROLE = "arn:aws:iam::123456789012:role/pipelines"
FAKE_ENVIRONMENT = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                    "SAGEMAKER_VALIDATE_ROLE": "false", "AWS_EC2_METADATA_DISABLED": "true"}


@contextmanager
def offline_sdk() -> Iterator[None]:
    """Fake credentials and moto for the SDK's few AWS calls (default bucket, region); environment restored after."""
    before = {name: os.environ.get(name) for name in FAKE_ENVIRONMENT}
    os.environ.update(FAKE_ENVIRONMENT)
    try:
        from moto import mock_aws

        with mock_aws():
            import boto3

            boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
            yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def gate_pipeline(accuracy: float = 0.9) -> dict[str, Any]:
    """The definition described above; Eval reports ``accuracy``. A fresh dict each call; the SDK builds each
    accuracy's definition once per test process (a few seconds the first time, for the SDK's imports)."""
    return dict(json.loads(_gate_json(accuracy)))


@functools.cache
def _gate_json(accuracy: float) -> str:
    with offline_sdk():
        return str(_build(accuracy).definition())


def _build(accuracy: float) -> Any:
    from sagemaker.core.workflow.conditions import ConditionGreaterThanOrEqualTo, ConditionIn, ConditionNot, ConditionOr
    from sagemaker.core.workflow.execution_variables import ExecutionVariables
    from sagemaker.core.workflow.functions import Join, JsonGet
    from sagemaker.core.workflow.parameters import ParameterFloat, ParameterString
    from sagemaker.core.workflow.properties import PropertyFile
    from sagemaker.mlops.workflow import CacheConfig, ConditionStep, FailStep, Pipeline, ProcessingStep
    from sagemaker.mlops.workflow.retry import (
        SageMakerJobExceptionTypeEnum,
        SageMakerJobStepRetryPolicy,
        StepExceptionTypeEnum,
        StepRetryPolicy,
    )

    session = _session()
    minimum = ParameterFloat(name="MinAccuracy", default_value=0.7)
    data = ParameterString(name="InputData", default_value=f"s3://{BUCKET}/raw/")
    prep = ProcessingStep(
        name="Prep", step_args=_processor(session, {}).run(inputs=[_input("raw", data)], outputs=[_output("train", f"s3://{BUCKET}/prep/train")]),
        cache_config=CacheConfig(enable_caching=True, expire_after="PT1H"),
        retry_policies=[StepRetryPolicy(exception_types=[StepExceptionTypeEnum.SERVICE_FAULT], max_attempts=2, interval_seconds=1),
                        SageMakerJobStepRetryPolicy(exception_types=[SageMakerJobExceptionTypeEnum.INTERNAL_ERROR], max_attempts=2)])
    report = PropertyFile(name="EvalReport", output_name="evaluation", path="evaluation.json")
    evaluation_uri = Join(on="/", values=[f"s3://{BUCKET}", ExecutionVariables.PIPELINE_EXECUTION_ID, "evaluation"])
    train_uri = prep.properties.ProcessingOutputConfig.Outputs["train"].S3Output.S3Uri
    evaluate = ProcessingStep(
        name="Eval", property_files=[report],
        step_args=_processor(session, {"WRITE_JSON": json.dumps({"metrics": {"accuracy": {"value": accuracy}}})}).run(
            inputs=[_input("train", train_uri)], outputs=[_output("evaluation", evaluation_uri)]))
    score = JsonGet(step_name=evaluate.name, property_file=report, json_path="metrics.accuracy.value")
    publish = ProcessingStep(name="Publish", step_args=_processor(session, {}).run(
        inputs=[_input("train", train_uri)], outputs=[_output("published", Join(on="/", values=[
            f"s3://{BUCKET}", ExecutionVariables.PIPELINE_EXECUTION_ID, "published"]))]))
    too_low = FailStep(name="TooLow", error_message=Join(on=" ", values=["Accuracy", score, "is below", minimum]))
    gate = ConditionStep(
        name="Gate", if_steps=[publish], else_steps=[too_low],
        conditions=[ConditionOr(conditions=[ConditionGreaterThanOrEqualTo(left=score, right=minimum),
                                            ConditionNot(expression=ConditionNot(expression=ConditionIn(
                                                value=data, in_values=["s3://nowhere/"])))])])
    return Pipeline(name="sdk-gate", parameters=[minimum, data], steps=[prep, evaluate, gate], sagemaker_session=session)


def _session() -> Any:
    from sagemaker.core.workflow.pipeline_context import PipelineSession

    return PipelineSession(default_bucket=BUCKET)


def _processor(session: Any, environment: dict[str, str]) -> Any:
    from sagemaker.core.processing import Processor

    return Processor(role=ROLE, image_uri=IMAGE, instance_count=1, instance_type="ml.m5.large",
                     entrypoint=["python3", "-c", "pass"], env=environment or None, sagemaker_session=session)


def _input(name: str, source: Any) -> Any:
    from sagemaker.core.shapes import ProcessingInput, ProcessingS3Input

    return ProcessingInput(input_name=name, s3_input=ProcessingS3Input(
        s3_uri=source, local_path=f"/opt/ml/processing/{name}", s3_data_type="S3Prefix"))


def _output(name: str, destination: Any) -> Any:
    from sagemaker.core.shapes import ProcessingOutput, ProcessingS3Output

    return ProcessingOutput(output_name=name, s3_output=ProcessingS3Output(
        s3_uri=destination, local_path=f"/opt/ml/processing/{name}", s3_upload_mode="EndOfJob"))
