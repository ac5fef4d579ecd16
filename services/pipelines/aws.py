"""The pipelines port on SageMaker Pipelines: the same definition JSON the local engine runs, uploaded unchanged.

boto3's ``sagemaker`` client: CreatePipeline/UpdatePipeline (upsert), DescribePipeline, ListPipelines,
StartPipelineExecution, DescribePipelineExecution, ListPipelineExecutions, ListPipelineExecutionSteps,
StopPipelineExecution, RetryPipelineExecution; a step's log is its job's CloudWatch log.

Choices, and why:

* A definition is checked before anything is sent, with the backend-neutral checks the local engine uses
  (``definition.validate_definition`` without executors: structure, references, unknown step types), so a
  bad one is refused naming the step; a string is uploaded byte for byte, a dict as ``json.dumps`` writes it.
* Parameters are checked against the definition's types and sent as Name/Value strings, defaults included,
  so an execution records every value it ran with (as the local engine does).
* ListPipelineExecutionSteps has no step type: it comes from the definition the execution ran
  (DescribePipelineDefinitionForExecution).
* SageMaker fails an execution with a generic reason; a failed execution's reason is made the Fail step's
  ErrorMessage, or "Step X failed: …" from the failed step, as the local engine words it.
* An AccessDenied answer names the IAM permission that is missing.
"""

from __future__ import annotations

import importlib
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from services.aws.errors import CREDENTIALS_HINT, translated
from services.aws.jobs import LOG_GROUPS, TRAINING_LOGS
from services.aws.processing_jobs import PROCESSING_LOGS
from services.aws.sagemaker import ROLE_HINT, SageMakerClients, error_code, iso
from services.config import Settings
from services.errors import BackendUnavailable, InvalidInput, NotFound
from services.names import check_name
from services.pipelines.base import PipelinesPort
from services.pipelines.definition import (
    all_steps,
    execution_parameters,
    parameter_text,
    parse_definition,
    validate_definition,
)
from services.pipelines.models import ExecutionStep, Pipeline, PipelineExecution, PipelineTemplate

POLL_SECONDS = 15.0
PAGE_SIZE = 100  # the most SageMaker's List* calls return at once
DENIED = ("AccessDenied", "AccessDeniedException")
# Metadata key of a step that ran a job → (CloudWatch log group, whether its streams start with "<job>/" or "<job>-").
JOB_LOGS = {"ProcessingJob": (PROCESSING_LOGS, "/"), "TrainingJob": (TRAINING_LOGS, "/"),
            "TransformJob": (LOG_GROUPS["transform"], "/"), "TuningJob": (TRAINING_LOGS, "-"),
            "AutoMLJob": ("", "")}


class AwsPipelines(SageMakerClients):
    def __init__(self, session: boto3.Session, settings: Settings, *, poll_seconds: float = POLL_SECONDS,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self.session = session
        self.settings = settings
        self.poll_seconds = poll_seconds
        self._sleep = sleep
        self._clock = clock

    # -- calls --------------------------------------------------------------------------------------

    def _sm(self, operation: str, **parameters: Any) -> Any:
        """A SageMaker call: missing things are ``NotFound``, a refusal names the permission."""
        try:
            return self._call(operation, **parameters)
        except ClientError as exc:
            _refuse_if_denied(exc, "sagemaker")
            raise

    def _pages(self, operation: str, key: str, limit: int = 0, **parameters: Any) -> Iterator[dict[str, Any]]:
        """Every entry of a paged List* answer (at most ``limit`` when given), following NextToken."""
        count, token = 0, ""
        while True:
            page = self._sm(operation, **parameters, **({"NextToken": token} if token else {}))
            for entry in page.get(key, []):
                yield entry
                count += 1
                if limit and count >= limit:
                    return
            token = page.get("NextToken") or ""
            if not token:
                return

    # -- pipelines ----------------------------------------------------------------------------------

    @translated
    def upsert_pipeline(self, name: str, definition: str | dict[str, Any], description: str = "") -> Pipeline:
        check_name("pipeline", name)
        validate_definition(parse_definition(definition))
        role = self._role()
        body = definition if isinstance(definition, str) else json.dumps(definition)
        request = {"PipelineName": name, "PipelineDefinition": body, "PipelineDescription": description, "RoleArn": role}
        if self._find_pipeline(name) is None:
            self._sm("create_pipeline", **request)
        else:
            self._sm("update_pipeline", **request)
        return self.describe_pipeline(name)

    def _role(self) -> str:
        if not self.settings.sagemaker_role:
            raise InvalidInput("SageMaker Pipelines needs an IAM role to run the pipeline's steps.", hint=ROLE_HINT)
        return self.settings.sagemaker_role

    def _find_pipeline(self, name: str) -> dict[str, Any] | None:
        try:
            return self._sm("describe_pipeline", PipelineName=name)  # type: ignore[no-any-return]
        except NotFound:
            return None

    @translated
    def list_pipelines(self) -> list[Pipeline]:
        """Every pipeline with its definition (one DescribePipeline each), most recently modified first."""
        summaries = self._pages("list_pipelines", "PipelineSummaries", MaxResults=PAGE_SIZE)
        pipelines = [self.describe_pipeline(summary["PipelineName"]) for summary in summaries]
        return sorted(pipelines, key=lambda p: p.last_modified_at, reverse=True)

    @translated
    def describe_pipeline(self, name: str) -> Pipeline:
        raw = self._sm("describe_pipeline", PipelineName=name)
        return Pipeline(name=raw["PipelineName"], arn=raw["PipelineArn"], definition=_definition(raw),
                        created_at=iso(raw.get("CreationTime")), last_modified_at=iso(raw.get("LastModifiedTime")),
                        description=raw.get("PipelineDescription") or "")

    # -- executions ---------------------------------------------------------------------------------

    @translated
    def start_execution(self, name: str, parameters: dict[str, str] | None = None, display_name: str = "",
                        selected_steps: tuple[str, ...] = (), source_execution_arn: str = "") -> PipelineExecution:
        pipeline = self.describe_pipeline(name)
        values = execution_parameters(pipeline.definition, parameters)
        request: dict[str, Any] = {"PipelineName": name, "PipelineParameters": [
            {"Name": key, "Value": parameter_text(value)} for key, value in values.items()]}
        if display_name:
            request["PipelineExecutionDisplayName"] = check_name("pipeline-execution", display_name)
        selection = _selection(pipeline, tuple(selected_steps), source_execution_arn)
        if selection:
            request["SelectiveExecutionConfig"] = selection
        arn = self._sm("start_pipeline_execution", **request)["PipelineExecutionArn"]
        return self.describe_execution(arn)

    @translated
    def describe_execution(self, arn: str) -> PipelineExecution:
        raw = self._sm("describe_pipeline_execution", PipelineExecutionArn=arn)
        parameters = self._pages("list_pipeline_parameters_for_execution", "PipelineParameters",
                                 PipelineExecutionArn=arn, MaxResults=PAGE_SIZE)
        selection = raw.get("SelectiveExecutionConfig") or {}
        reason = raw.get("FailureReason") or ""
        if raw["PipelineExecutionStatus"] == "Failed":
            reason = self._failure_reason(arn, reason)
        return PipelineExecution(
            arn=raw["PipelineExecutionArn"], pipeline_name=_pipeline_name(raw["PipelineArn"]),
            status=raw["PipelineExecutionStatus"], created_at=iso(raw.get("CreationTime")),
            last_modified_at=iso(raw.get("LastModifiedTime")), display_name=raw.get("PipelineExecutionDisplayName") or "",
            failure_reason=reason, parameters={p["Name"]: p["Value"] for p in parameters},
            selected_steps=tuple(s["StepName"] for s in selection.get("SelectedSteps", [])),
            source_execution_arn=selection.get("SourcePipelineExecutionArn", ""))

    def _failure_reason(self, arn: str, reason: str) -> str:
        """The Fail step's message, else the first failed step's reason; SageMaker's own when no step failed."""
        failed = [step for step in self._raw_steps(arn) if step.get("StepStatus") == "Failed"]
        for step in failed:
            message = (step.get("Metadata") or {}).get("Fail", {}).get("ErrorMessage")
            if message is not None:
                return str(message)
        if failed:
            return f"Step {failed[0]['StepName']} failed: {failed[0].get('FailureReason') or reason or 'no reason given'}"
        return reason

    @translated
    def list_executions(self, name: str, limit: int = 50) -> list[PipelineExecution]:
        """ListPipelineExecutions' summaries, newest first (no parameters: describe one to see them)."""
        if limit < 1:
            raise InvalidInput(f"limit must be at least 1, got {limit}.", hint="Ask for 50, say.")
        summaries = self._pages("list_pipeline_executions", "PipelineExecutionSummaries", limit, PipelineName=name,
                                SortBy="CreationTime", SortOrder="Descending", MaxResults=min(limit, PAGE_SIZE))
        return [_summary_execution(name, summary) for summary in summaries]

    @translated
    def list_steps(self, arn: str) -> list[ExecutionStep]:
        types = self._step_types(arn)
        return [_step(raw, types.get(raw["StepName"], "")) for raw in self._raw_steps(arn)]

    def _raw_steps(self, arn: str) -> list[dict[str, Any]]:
        return list(self._pages("list_pipeline_execution_steps", "PipelineExecutionSteps", PipelineExecutionArn=arn,
                                SortOrder="Ascending", MaxResults=PAGE_SIZE))

    def _step_types(self, arn: str) -> dict[str, str]:
        """Step name → the definition's Type, from the definition this execution ran."""
        raw = self._sm("describe_pipeline_definition_for_execution", PipelineExecutionArn=arn)
        try:
            return {entry.name: entry.type for entry in all_steps(json.loads(raw["PipelineDefinition"]))}
        except (ValueError, InvalidInput, AttributeError):
            return {}  # a definition this workbench cannot read: the steps are still listed, without their type

    @translated
    def stop_execution(self, arn: str) -> PipelineExecution:
        execution = self.describe_execution(arn)
        if execution.finished:
            return execution
        self._sm("stop_pipeline_execution", PipelineExecutionArn=arn)
        return self.describe_execution(arn)

    @translated
    def retry_execution(self, arn: str) -> PipelineExecution:
        execution = self.describe_execution(arn)
        if execution.status not in ("Failed", "Stopped"):
            raise InvalidInput(f"Execution {arn.rsplit('/', 1)[-1]} is {execution.status}; only a Failed or Stopped "
                               "execution can be retried.", hint="Wait for it to end, or stop it first.")
        self._sm("retry_pipeline_execution", PipelineExecutionArn=arn)
        return self.describe_execution(arn)

    def wait_for_execution(self, arn: str, timeout_seconds: float = 3600) -> PipelineExecution:
        deadline = self._clock() + timeout_seconds
        execution = self.describe_execution(arn)
        while not execution.finished and self._clock() < deadline:
            self._sleep(self.poll_seconds)
            execution = self.describe_execution(arn)
        return execution

    # -- logs ---------------------------------------------------------------------------------------

    @translated
    def step_logs(self, arn: str, step_name: str, tail_bytes: int = 64_000) -> str:
        """What SageMaker says of the step (outcome, failure), then the end of its job's CloudWatch log."""
        step = next((s for s in self.list_steps(arn) if s.name == step_name), None)
        if step is None:
            raise NotFound(f"Step {step_name!r} has not run in execution {arn.rsplit('/', 1)[-1]}.",
                           hint="Pick a step from the execution's step list.")
        parts = [_step_summary(step), self._job_log(step, tail_bytes)]
        return "\n".join(part for part in parts if part)[-tail_bytes:]

    def _job_log(self, step: ExecutionStep, tail_bytes: int) -> str:
        kind = next((key for key in JOB_LOGS if key in step.metadata), "")
        group, separator = JOB_LOGS.get(kind, ("", ""))
        if not group or not step.job_name:
            return ""
        streams = self._log_streams(group, f"{step.job_name}{separator}")
        texts = [self._stream_text(group, stream) for stream in streams]
        return "\n".join(text for text in texts if text)[-tail_bytes:]

    def _log_streams(self, group: str, prefix: str) -> list[str]:
        try:
            found = self._logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=prefix, limit=50)
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":  # nothing has logged to this group yet
                return []
            _refuse_if_denied(exc, "logs")
            raise
        return [str(stream["logStreamName"]) for stream in found.get("logStreams", [])]

    def _stream_text(self, group: str, stream: str) -> str:
        try:
            events = self._logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=False,
                                               limit=10_000).get("events", [])
        except ClientError as exc:
            _refuse_if_denied(exc, "logs")
            raise
        return "\n".join(str(event.get("message", "")) for event in events)

    # -- templates ----------------------------------------------------------------------------------

    def templates(self) -> list[PipelineTemplate]:
        """The same ready-made definitions as the local backend (``services.pipelines.templates``)."""
        load_templates = _templates_function("load_templates")
        return [] if load_templates is None else list(load_templates())

    @translated
    def install_template(self, key: str, name: str = "") -> Pipeline:
        """The template's code objects uploaded to the S3 locations its definition reads, then the upsert."""
        template = next((t for t in self.templates() if t.key == key), None)
        if template is None:
            raise NotFound(f"No ready-made pipeline {key!r}.", hint="Pick one of the templates listed.")
        install_template_objects = _templates_function("install_template_objects")
        if install_template_objects is None:
            raise NotFound(f"The code of the ready-made pipeline {key!r} is not installed.", hint="Reinstall the workbench.")
        with tempfile.TemporaryDirectory() as folder:
            lake = Path(folder)
            install_template_objects(key, lake)  # lake/BUCKET/KEY, as s3://BUCKET/KEY
            for path in sorted(p for p in lake.rglob("*") if p.is_file()):
                bucket, _, object_key = path.relative_to(lake).as_posix().partition("/")
                self._s3.upload_file(str(path), bucket, object_key)
        return self.upsert_pipeline(name or key, template.definition, template.description)


def _templates_function(name: str) -> Callable[..., Any] | None:
    """A function of ``services.pipelines.templates`` (looked up lazily: it imports the templates' code); None
    while that module or the function is absent."""
    try:
        module = importlib.import_module("services.pipelines.templates")
    except ImportError:
        return None
    function = getattr(module, name, None)
    return function if callable(function) else None


def _refuse_if_denied(exc: ClientError, service: str) -> None:
    """AccessDenied as ``BackendUnavailable`` naming the missing permission; other errors are left to the caller."""
    if error_code(exc) not in DENIED:
        return
    message = exc.response.get("Error", {}).get("Message", "") or "access denied"
    permission = f"{service}:{exc.operation_name}"
    raise BackendUnavailable(f"AWS refused {exc.operation_name}: {message}. The workbench's AWS identity needs the "
                              f"IAM permission {permission}.", hint=f"Allow {permission} in its IAM policy. {CREDENTIALS_HINT}") from exc


def _definition(raw: dict[str, Any]) -> dict[str, Any]:
    text = raw.get("PipelineDefinition") or "{}"
    try:
        parsed = json.loads(text)
    except ValueError:
        return {}  # not JSON (written outside the workbench): described without its steps
    return parsed if isinstance(parsed, dict) else {}


def _pipeline_name(pipeline_arn: str) -> str:
    """``arn:aws:sagemaker:REGION:ACCOUNT:pipeline/NAME`` (or an execution ARN under it) → NAME."""
    return pipeline_arn.split(":pipeline/", 1)[-1].split("/", 1)[0]


def _selection(pipeline: Pipeline, selected: tuple[str, ...], source_arn: str) -> dict[str, Any]:
    """SelectiveExecutionConfig, checked as the local engine checks it (the source's outputs: SageMaker's part)."""
    if not selected and not source_arn:
        return {}
    if not selected or not source_arn:
        raise InvalidInput("A selective execution needs both the steps to run and the source execution.",
                           hint="Pick the steps and the execution whose outputs the others reuse.")
    unknown = [step for step in selected if pipeline.find_step(step) is None]
    if unknown:
        raise InvalidInput(f"Step(s) {', '.join(unknown)} are not in pipeline {pipeline.name!r}.", hint="Pick its own steps.")
    if _pipeline_name(source_arn) != pipeline.name:
        raise InvalidInput(f"Execution {source_arn} does not belong to pipeline {pipeline.name!r}.",
                           hint="Reuse an execution of the same pipeline.")
    return {"SourcePipelineExecutionArn": source_arn, "SelectedSteps": [{"StepName": step} for step in selected]}


def _summary_execution(name: str, summary: dict[str, Any]) -> PipelineExecution:
    started = iso(summary.get("StartTime"))
    return PipelineExecution(arn=summary["PipelineExecutionArn"], pipeline_name=name,
                             status=summary.get("PipelineExecutionStatus", ""), created_at=started,
                             last_modified_at=started, display_name=summary.get("PipelineExecutionDisplayName") or "",
                             failure_reason=summary.get("PipelineExecutionFailureReason") or "")


def _step(raw: dict[str, Any], step_type: str) -> ExecutionStep:
    """One PipelineExecutionStep; the job's name is the last part of its ARN in Metadata."""
    metadata = dict(raw.get("Metadata") or {})
    job_arn = next((str(metadata[key].get("Arn", "")) for key in JOB_LOGS if key in metadata), "")
    return ExecutionStep(
        name=raw["StepName"], type=step_type, status=raw.get("StepStatus", ""), started_at=iso(raw.get("StartTime")),
        ended_at=iso(raw.get("EndTime")), failure_reason=raw.get("FailureReason") or "",
        attempt=int(raw.get("AttemptCount") or 1), metadata=metadata,
        cache_hit_source=(raw.get("CacheHitResult") or {}).get("SourcePipelineExecutionArn", ""),
        job_name=job_arn.rsplit("/", 1)[-1] if job_arn else "")


def _step_summary(step: ExecutionStep) -> str:
    lines = [f"Step {step.name} ({step.type or 'unknown type'}): {step.status}, attempt {step.attempt}"]
    if "Condition" in step.metadata:
        lines.append(f"Condition outcome: {step.metadata['Condition'].get('Outcome', '')}")
    if step.cache_hit_source:
        lines.append(f"Cache hit: reused {step.cache_hit_source}")
    if step.failure_reason:
        lines.append(f"Failure reason: {step.failure_reason}")
    if step.job_name:
        lines.append(f"Job: {step.job_name}")
    return "\n".join(lines)


def build_aws_pipelines(session: boto3.Session, settings: Settings, *, poll_seconds: float = POLL_SECONDS) -> PipelinesPort:
    """SageMaker Pipelines through boto3; RoleArn for CreatePipeline is ``settings.sagemaker_role``."""
    return AwsPipelines(session, settings, poll_seconds=poll_seconds)
