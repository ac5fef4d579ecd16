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
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
from botocore.exceptions import ClientError

from services.aws.errors import CREDENTIALS_HINT, translated
from services.aws.jobs import LOG_GROUPS, TRAINING_LOGS
from services.aws.processing_jobs import PROCESSING_LOGS
from services.aws.sagemaker import BUCKET_HINT, ROLE_HINT, SageMakerClients, error_code, iso
from services.config import Settings
from services.errors import BackendUnavailable, InvalidInput, NotFound
from services.names import check_name
from services.pipelines.base import PipelinesPort
from services.pipelines.definition import (
    all_steps,
    check_selection,
    execution_parameters,
    parameter_text,
    parse_definition,
    validate_definition,
)
from services.pipelines.models import SAGEMAKER_STEP_TYPES, ExecutionStep, Pipeline, PipelineExecution, PipelineTemplate

POLL_SECONDS = 15.0
PAGE_SIZE = 100  # the most SageMaker's List* calls return at once
DENIED = ("AccessDenied", "AccessDeniedException")
TableLocation = Callable[[str, str], str]
# Metadata key of a step that ran a job → (CloudWatch log group, whether its streams start with "<job>/" or "<job>-").
JOB_LOGS = {"ProcessingJob": (PROCESSING_LOGS, "/"), "TrainingJob": (TRAINING_LOGS, "/"),
            "TransformJob": (LOG_GROUPS["transform"], "/"), "TuningJob": (TRAINING_LOGS, "-"),
            "AutoMLJob": ("", "")}


class AwsPipelines(SageMakerClients):
    def __init__(self, session: boto3.Session, settings: Settings, *, table_location: TableLocation | None = None,
                 poll_seconds: float = POLL_SECONDS, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """``table_location(database, table)``: a catalog table's S3 location (``NotFound`` when it is not there),
        the default of a ready-made pipeline's input parameter."""
        self.session = session
        self.settings = settings
        self.table_location = table_location
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
        validate_definition(parse_definition(definition), step_types=SAGEMAKER_STEP_TYPES, runner="SageMaker Pipelines")
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
        load_templates = _templates_attribute("load_templates")
        return [] if load_templates is None else list(load_templates())

    @translated
    def install_template(self, key: str, name: str = "") -> Pipeline:
        """The template with its S3 locations moved into WORKBENCH_S3_BUCKET (under ``pipeline-templates/``), its
        code objects uploaded there, its input parameters defaulting to their catalog tables' locations, upserted."""
        template = next((t for t in self.templates() if t.key == key), None)
        template_objects = _templates_attribute("template_objects")
        if template is None or template_objects is None:
            raise NotFound(f"No ready-made pipeline {key!r}.", hint="Pick one of the templates listed.")
        self._check_image_regions(template.definition)
        bucket = self._bucket()
        objects: dict[str, bytes] = template_objects(key)
        moved = relocate_buckets(template.definition, objects, bucket)
        for uri, body in objects.items():
            target_bucket, _, object_key = relocate_uri(uri, objects, bucket).removeprefix("s3://").partition("/")
            self._s3.put_object(Bucket=target_bucket, Key=object_key, Body=body)
        return self.upsert_pipeline(name or key, self._input_defaults(key, moved), template.description)

    def _bucket(self) -> str:
        if not self.settings.s3_bucket:
            raise InvalidInput("A ready-made pipeline needs a bucket for its code and outputs.", hint=BUCKET_HINT)
        return self.settings.s3_bucket

    def _check_image_regions(self, definition: dict[str, Any]) -> None:
        """SageMaker runs images from the region's own registry: a template generated for another region is refused."""
        regions = set(re.findall(r"\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com", json.dumps(definition))) - {self.region}
        if regions:
            raise InvalidInput(f"The ready-made pipeline's images are SageMaker's images in {', '.join(sorted(regions))}, "
                               f"not in {self.region}.", hint="Set WORKBENCH_AWS_REGION to that region, or regenerate the "
                               "templates for yours (python -m services.pipelines.templates.build_templates).")

    def _input_defaults(self, key: str, definition: dict[str, Any]) -> dict[str, Any]:
        """Input parameters default to the S3 location of the catalog table they stand for, when that table exists."""
        tables = (_templates_attribute("INPUT_TABLES") or {}).get(key, {})
        with_parameter_defaults = _templates_attribute("with_parameter_defaults")
        if self.table_location is None or with_parameter_defaults is None:
            return definition
        defaults = {}
        for parameter, (database, table) in tables.items():
            try:
                defaults[parameter] = self.table_location(database, table)
            except NotFound:
                continue  # not in this account's catalog: the default stays the moved template location, which holds
                # no data, so the execution needs the parameter given at start
        return dict(with_parameter_defaults(definition, defaults))


def relocate_uri(uri: str, objects: dict[str, bytes], bucket: str) -> str:
    """``s3://B/KEY`` of a template → ``s3://BUCKET/pipeline-templates/B/KEY`` (only the template's own buckets)."""
    return _move(_template_buckets(objects, uri), bucket, uri)


def relocate_buckets(definition: dict[str, Any], objects: dict[str, bytes], bucket: str) -> dict[str, Any]:
    """The definition with every S3 location in a template bucket moved into ``bucket`` (Join parts too: a value
    ``s3://B`` alone is moved as well)."""
    text = json.dumps(definition)
    return dict(json.loads(_move(_template_buckets(objects, text), bucket, text)))


def _template_buckets(objects: dict[str, bytes], text: str) -> set[str]:
    return {uri.removeprefix("s3://").split("/", 1)[0] for uri in objects} | set(re.findall(r"s3://([a-z0-9.-]+)", text))


def _move(buckets: set[str], bucket: str, text: str) -> str:
    for source in sorted(buckets - {bucket}):
        text = re.sub(rf"s3://{re.escape(source)}(?=/|\"|$)", f"s3://{bucket}/pipeline-templates/{source}", text)
    return text


def _templates_attribute(name: str) -> Any:
    """A name from ``services.pipelines.templates`` (looked up lazily); None while it is absent."""
    try:
        module = importlib.import_module("services.pipelines.templates")
    except ImportError:
        return None
    return getattr(module, name, None)


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
    if not check_selection(pipeline, selected, source_arn):
        return {}
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


def build_aws_pipelines(session: boto3.Session, settings: Settings, *, table_location: TableLocation | None = None,
                        poll_seconds: float = POLL_SECONDS) -> PipelinesPort:
    """SageMaker Pipelines through boto3; RoleArn for CreatePipeline is ``settings.sagemaker_role``; ready-made
    pipelines go to ``settings.s3_bucket`` and read their input tables' locations through ``table_location``."""
    return AwsPipelines(session, settings, table_location=table_location, poll_seconds=poll_seconds)
