"""Transform steps: CreateTransformJob over a Model step's model (``ModelName``), run as a ``container`` job of
contract "transform" (the model's predictor scores the input in a worker); properties in DescribeTransformJob's
shape, Metadata ``{"TransformJob": {"Arn": …}}``."""

from __future__ import annotations

from typing import Any

from services.errors import InvalidInput
from services.pipelines import containers
from services.pipelines.steps.base import StepOutcome, StepRun
from services.pipelines.steps.deps import StepDeps
from services.pipelines.steps.jobs import finished_job, start_container, times
from services.pipelines.steps.model import model_id_of

HINT = "Fix the Transform step's arguments (the CreateTransformJob request shape)."
REQUEST_FIELDS = ("ModelName", "TransformInput", "TransformOutput", "TransformResources", "DataProcessing",
                  "BatchStrategy", "MaxPayloadInMB", "Environment")


def check_transform(step: str, arguments: dict[str, Any]) -> None:
    if not arguments.get("ModelName"):
        raise InvalidInput(f"Step {step!r}: ModelName is missing.", hint=HINT)
    transform_input = arguments.get("TransformInput") or {}
    source = (transform_input.get("DataSource") or {}).get("S3DataSource")
    if not isinstance(source, dict) or not source.get("S3Uri"):
        raise InvalidInput(f"Step {step!r}: TransformInput.DataSource.S3DataSource.S3Uri is missing.", hint=HINT)
    data_type = source.get("S3DataType", "S3Prefix")
    if containers.concrete(data_type) and data_type not in ("S3Prefix", "ManifestFile"):
        raise InvalidInput(f"Step {step!r}: S3DataType {data_type!r}; use S3Prefix or ManifestFile.", hint=HINT)
    _check_value(step, "ContentType", transform_input.get("ContentType", "text/csv"), ("text/csv", "csv"))
    _check_value(step, "SplitType", transform_input.get("SplitType", "Line"), ("Line", "None"))
    _check_value(step, "CompressionType", transform_input.get("CompressionType", "None"), ("None",))
    if not (arguments.get("TransformOutput") or {}).get("S3OutputPath"):
        raise InvalidInput(f"Step {step!r}: TransformOutput.S3OutputPath is missing.", hint=HINT)


def _check_value(step: str, key: str, value: Any, allowed: tuple[str, ...]) -> None:
    if containers.concrete(value) and str(value).split(";")[0].strip() not in allowed:
        raise InvalidInput(f"Step {step!r}: TransformInput.{key} {value!r} is not read locally; use {' or '.join(allowed)}.",
                           hint=HINT)


class TransformExecutor:
    def __init__(self, deps: StepDeps) -> None:
        self.deps = deps

    def validate(self, step_name: str, arguments: dict[str, Any]) -> None:
        check_transform(step_name, arguments)

    def start(self, run: StepRun) -> str:
        check_transform(run.step_name, run.arguments)
        model_id = model_id_of(self.deps, str(run.arguments["ModelName"]))
        return start_container(self.deps, run, "transform", containers.job_arn("transform-job", run.job_name),
                               sandboxed=False, extra={"model_id": model_id})

    def outcome(self, run: StepRun) -> StepOutcome:
        job = finished_job(self.deps, run)
        arn = containers.job_arn("transform-job", job.name)
        properties: dict[str, Any] = {key: run.arguments[key] for key in REQUEST_FIELDS if key in run.arguments}
        properties |= {"TransformJobName": job.name, "TransformJobArn": arn, "TransformJobStatus": "Completed",
                       "TransformStartTime": job.started_at, "TransformEndTime": job.ended_at, **times(job)}
        return StepOutcome(properties, {"TransformJob": {"Arn": arn}})
