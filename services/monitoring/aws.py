"""The monitoring port on SageMaker Model Monitor.

``create_schedule`` creates the type's job definition first (``Create*JobDefinition``, as SageMaker requires; the two
Clarify types get their ``analysis_config.json`` written to S3 before), then ``CreateMonitoringSchedule`` naming it.
Model quality and bias drift read the ground truth the labels adapter writes under ``s3://<bucket>/ground-truth/
<endpoint>/``. Data-quality and model-quality definitions are baselined (``BaselineConfig``) with documents in Model
Monitor's own layouts, which the adapter writes when they are not there:

- data quality: ``statistics.json`` and ``constraints.json`` under ``s3://<bucket>/models/<group>/<version>/baseline/
  data-quality/`` — the ones there (a baselining job's, or an earlier schedule's), else computed from a seeded sample
  (at most ``MAX_ROWS`` rows, read through the query port) of the table or file the model's training job read, with
  the local monitor's code (``data_quality_files``), and uploaded. A model without training data to read (no training
  job in this workspace, or one that read neither) is scheduled without a baseline: Model Monitor then only
  summarises the traffic.
- model quality: ``constraints.json`` from the model's training-time test metrics and the schedule's tolerance
  (``model_quality.baseline_constraints``: the layout the local monitor writes), under the schedule's
  ``monitoring/<name>/baseline/``; none for a model without test metrics.

Reports are read back, never computed here: an execution's processing job (``DescribeProcessingJob``) names its S3
output, where Model Monitor wrote ``statistics.json``, ``constraints.json`` and ``constraint_violations.json``.
SageMaker has no "run now" API, so ``run_monitor`` returns the newest execution's report of the endpoint's schedule
of that type (``InvalidInput`` pointing to schedules when there is none; a ``Failed`` report saying when it runs
when it has not run yet). ``run_due`` returns []: SageMaker runs the schedules itself.
"""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
from botocore.exceptions import ClientError

from services.aws import model_monitor as mm
from services.aws.errors import translated
from services.aws.model_packages import model_from_package
from services.aws.sagemaker import BUCKET_HINT, ROLE_HINT, SageMakerClients, error_code, iso
from services.catalog.base import CatalogPort
from services.config import Settings
from services.endpoints.aws.common import MODEL_TAG, JobDescriber
from services.endpoints.aws.monitor import baseline_prefix, sample_sql
from services.endpoints.base import EndpointsPort
from services.endpoints.baseline import training_source
from services.errors import AlreadyExists, BackendUnavailable, InvalidInput, NotFound
from services.labels.base import LabelsPort
from services.labels.models import LabelSource
from services.models import ModelRecord
from services.monitoring import data_quality_files, model_quality
from services.monitoring.base import MonitoringPort
from services.monitoring.models import (
    MONITOR_TYPES,
    SAGEMAKER_MONITORING_TYPES,
    MonitorConfig,
    MonitoringExecution,
    MonitoringSchedule,
    MonitorOverview,
    MonitorReport,
    MonitorTile,
    ScheduleRequest,
    Violation,
    tile_status,
)
from services.monitoring.schedules import check_schedule_request, config_from_json
from services.query.base import QueryPort
from services.storage.base import StoragePort
from services.training.baseline import MAX_ROWS, sample_rows
from services.training.data import read_file, split_table_name

DATA_QUALITY_BASELINE = "data-quality/"  # under the model's baseline prefix: Model Monitor's statistics/constraints
MODEL_QUALITY_BASELINE = "baseline/"  # under the schedule's prefix: the constraints its tolerance gives
MONITOR_TYPE_OF = {value: key for key, value in SAGEMAKER_MONITORING_TYPES.items()}
FINISHED = ("Completed", "CompletedWithViolations", "Failed")
TREND_EXECUTIONS = 24  # a day of hourly executions
MAX_REPORT_BYTES = 20 * 1024 * 1024  # one report file; Model Monitor's are kilobytes
SCHEDULES_HINT = "Pick a schedule from the list of monitoring schedules; it may be in another region."
NOT_RUN_HINT = "SageMaker starts a schedule's first execution at its next hour (daily ones at midnight UTC)."


def monitoring_prefix(name: str) -> str:
    """Where a schedule's files live in the bucket: its analysis config, its settings and its reports."""
    return f"monitoring/{name}/"


def ground_truth_uri(bucket: str, endpoint: str) -> str:
    """The labels adapter's ground-truth prefix for ``endpoint`` (Model Monitor's ``GroundTruthS3Input``)."""
    from services.labels.aws import ground_truth_prefix

    return f"s3://{bucket}/{ground_truth_prefix(endpoint)}"


class AwsMonitoring(SageMakerClients):
    """Model Monitor schedules and their reports, for the endpoints of one account and region."""

    def __init__(self, session: boto3.Session, settings: Settings, *, endpoints: EndpointsPort, labels: LabelsPort,
                 catalog: CatalogPort, storage: StoragePort, query: QueryPort, jobs: JobDescriber) -> None:
        self.session = session
        self.settings = settings
        self.endpoints = endpoints
        self.labels = labels
        self.catalog = catalog
        self.storage = storage
        self.query = query  # reads the training table's sample for the data-quality baseline
        self.jobs = jobs  # names the table or file a model's training job read

    # -- schedules ------------------------------------------------------------------------------------------

    @translated
    def create_schedule(self, request: ScheduleRequest) -> MonitoringSchedule:
        """The type's job definition, then the schedule; the definition is removed again when the schedule fails."""
        name, expression = check_schedule_request(request)
        bucket, role = self._require_bucket(), self._require_role()
        endpoint = self._endpoint(request.endpoint)
        model = self._model(endpoint)
        self._require_new(name)
        plan = self._plan(request, name, model, bucket, role)
        method, definition = mm.definition_request(plan)
        getattr(self._sagemaker, method)(**definition)
        monitoring_type = SAGEMAKER_MONITORING_TYPES[request.monitor_type]
        try:
            self._sagemaker.create_monitoring_schedule(**mm.schedule_request(name, monitoring_type, expression,
                                                                              request.endpoint))
        except ClientError:
            getattr(self._sagemaker, mm.DELETE_DEFINITION_CALLS[monitoring_type])(JobDefinitionName=name)
            raise
        self._put_json(bucket, monitoring_prefix(name) + "monitor_config.json", request.config.as_json())
        return self.describe_schedule(name)

    def _plan(self, request: ScheduleRequest, name: str, model: ModelRecord, bucket: str, role: str) -> mm.DefinitionPlan:
        monitor_type = request.monitor_type
        config_uri = ""
        if monitor_type in ("bias-drift", "feature-attribution-drift"):
            config_uri = self._put_json(bucket, monitoring_prefix(name) + "analysis_config.json",
                                        self._analysis_config(monitor_type, model, request.config))
        constraints, statistics = self._baseline_uris(bucket, name, model, request)
        return mm.DefinitionPlan(
            monitor_type=monitor_type, name=name, endpoint=request.endpoint,
            image_uri=mm.image_uri(mm.IMAGE_OF_TYPE[monitor_type], self.region), role=role,
            instance_type=self.settings.training_instance_type,
            output_uri=f"s3://{bucket}/{monitoring_prefix(name)}reports", problem_type=model.problem_type,
            ground_truth_uri=ground_truth_uri(bucket, request.endpoint) if monitor_type in ("model-quality", "bias-drift") else "",
            config_uri=config_uri, constraints_uri=constraints, statistics_uri=statistics)

    def _analysis_config(self, monitor_type: str, model: ModelRecord, config: MonitorConfig) -> dict[str, Any]:
        if monitor_type == "bias-drift":
            return mm.bias_analysis_config(model, config)
        package = self._package(model.model_id)
        model_name = self._ensure_model(package, self._require_role())
        return mm.explainability_analysis_config(model, model_name, config, self.settings.inference_instance_type)

    def _baseline_uris(self, bucket: str, name: str, model: ModelRecord, request: ScheduleRequest) -> tuple[str, str]:
        """(constraints, statistics) S3 URIs baselining the two types Model Monitor's analyzer checks (see the module's
        notes); ("", "") for the Clarify types and where there is nothing to baseline with."""
        if request.monitor_type == "data-quality":
            return self._data_quality_baseline(bucket, model)
        if request.monitor_type == "model-quality":
            constraints = model_quality.baseline_constraints(model.problem_type, model.metrics, request.config.tolerance)
            if model_quality.has_constraints(constraints):
                return self._put_json(bucket, monitoring_prefix(name) + MODEL_QUALITY_BASELINE + "constraints.json",
                                      constraints), ""
        return "", ""

    def _data_quality_baseline(self, bucket: str, model: ModelRecord) -> tuple[str, str]:
        """The model's ``baseline/data-quality/`` documents: kept when there, else computed from its training data and
        uploaded (statistics first: constraints.json is what says the baseline exists)."""
        prefix = baseline_prefix(model.model_id) + DATA_QUALITY_BASELINE
        if not self._exists(bucket, prefix + "constraints.json"):
            frame = self._training_sample(model)
            if frame is None:
                return "", ""
            columns = [c.name for c in model.input_schema] or [c for c in frame.columns if c != model.target]
            statistics = data_quality_files.dataset_statistics(frame, columns)
            self._put_json(bucket, prefix + "statistics.json", statistics)
            self._put_json(bucket, prefix + "constraints.json", data_quality_files.suggested_constraints(statistics))
        statistics_uri = f"s3://{bucket}/{prefix}statistics.json" if self._exists(bucket, prefix + "statistics.json") else ""
        return f"s3://{bucket}/{prefix}constraints.json", statistics_uri

    def _training_sample(self, model: ModelRecord) -> pd.DataFrame | None:
        """At most ``MAX_ROWS`` seeded rows (with a target) of the model's input columns from the table or file its
        training job read; None when the model has no training job here or the job read neither."""
        try:
            source, _ = training_source(self.jobs.describe_job, model.job_name, model.model_id)
        except (InvalidInput, NotFound):
            return None
        wanted = [c.name for c in model.input_schema]
        if source.path and not source.table:
            frame = read_file(Path(source.path).expanduser())
            frame = frame[frame[model.target].notna()] if model.target in frame.columns else frame
            return sample_rows(frame[[c for c in wanted if c in frame.columns] or list(frame.columns)], MAX_ROWS)
        table = self.catalog.get_table(*split_table_name(source.table))
        names = [c.name for c in table.all_columns]
        columns = [c for c in wanted if c in names] or [c for c in names if c != model.target]
        if not columns:
            raise InvalidInput(f"Training table {source.table} has none of the columns model {model.model_id} reads.",
                               hint="Put the model's data-quality baseline (statistics.json and constraints.json) under "
                                    f"s3://{self.settings.s3_bucket}/{baseline_prefix(model.model_id)}{DATA_QUALITY_BASELINE}.")
        not_null = model.target if model.target in names else ""
        result = self.query.run(sample_sql(table, columns, MAX_ROWS, not_null), max_rows=1)
        return pd.read_parquet(io.BytesIO(self.query.export_result(result.query_id, "parquet")))

    @translated
    def list_schedules(self, endpoint: str = "") -> list[MonitoringSchedule]:
        """ListMonitoringSchedules (every page, newest first), each described for its expression and last run."""
        arguments: dict[str, Any] = {"SortBy": "CreationTime", "SortOrder": "Descending"}
        if endpoint:
            arguments["EndpointName"] = endpoint
        pages = self._sagemaker.get_paginator("list_monitoring_schedules").paginate(**arguments)
        names = [s["MonitoringScheduleName"] for page in pages for s in page.get("MonitoringScheduleSummaries", [])]
        return [self._schedule(self._describe_schedule(name)) for name in names]

    @translated
    def describe_schedule(self, name: str) -> MonitoringSchedule:
        return self._schedule(self._describe_schedule(name))

    @translated
    def delete_schedule(self, name: str) -> None:
        """The schedule and its job definition; its reports stay in S3."""
        raw = self._describe_schedule(name)
        self._sagemaker.delete_monitoring_schedule(MonitoringScheduleName=name)
        config = raw.get("MonitoringScheduleConfig", {})
        definition, monitoring_type = config.get("MonitoringJobDefinitionName"), config.get("MonitoringType", "")
        if definition and monitoring_type in mm.DELETE_DEFINITION_CALLS:
            try:
                getattr(self._sagemaker, mm.DELETE_DEFINITION_CALLS[monitoring_type])(JobDefinitionName=definition)
            except ClientError as exc:
                if error_code(exc) not in ("ResourceNotFound", "ResourceNotFoundException"):
                    raise

    @translated
    def list_executions(self, schedule_name: str, limit: int = 50) -> list[MonitoringExecution]:
        """ListMonitoringExecutions, newest first, at most ``limit``; each with its report's S3 location."""
        self._describe_schedule(schedule_name)
        return [self._execution(summary) for summary in self._summaries(schedule_name, limit)]

    def _summaries(self, schedule_name: str, limit: int) -> list[dict[str, Any]]:
        pages = self._sagemaker.get_paginator("list_monitoring_executions").paginate(
            MonitoringScheduleName=schedule_name, SortBy="ScheduledTime", SortOrder="Descending")
        found: list[dict[str, Any]] = []
        for page in pages:
            found.extend(page.get("MonitoringExecutionSummaries", []))
            if len(found) >= limit:
                break
        return found[:max(0, limit)]

    def run_due(self) -> list[MonitoringExecution]:
        """SageMaker runs its schedules itself."""
        return []

    # -- reports --------------------------------------------------------------------------------------------

    @translated
    def run_monitor(self, endpoint: str, monitor_type: str, config: MonitorConfig | None = None) -> MonitorReport:
        """The newest execution's report of the endpoint's schedule of that type (see the module's notes)."""
        _check_type(monitor_type)
        self._endpoint(endpoint)
        schedule = self._schedule_of(endpoint, monitor_type)
        if schedule is None:
            raise InvalidInput(f"SageMaker cannot run a {monitor_type} monitor of {endpoint} on demand: it runs "
                               "monitors on schedules only.",
                               hint=f"Create a {monitor_type} schedule for {endpoint}; its reports appear here after each run.")
        report = self._full_report(schedule)
        if report is not None:
            return report
        return MonitorReport(endpoint, monitor_type, "Failed", _now(), {}, {}, schedule_name=schedule.name,
                             failure_reason=f"Schedule {schedule.name} has not run yet.", notes=(NOT_RUN_HINT,))

    @translated
    def facet_candidates(self, endpoint: str) -> list[str]:
        """The served model's input columns (its package's schema); the captured requests in S3 are not read for
        other columns here: Model Monitor's ModelBias job reads the facet from the request as the model receives it."""
        return [column.name for column in self._model(self._endpoint(endpoint)).input_schema]

    @translated
    def latest_report(self, endpoint: str, monitor_type: str) -> MonitorReport | None:
        _check_type(monitor_type)
        schedule = self._schedule_of(endpoint, monitor_type)
        return None if schedule is None else self._full_report(schedule)

    def _schedule_of(self, endpoint: str, monitor_type: str) -> MonitoringSchedule | None:
        """The endpoint's newest schedule of that type."""
        return next((s for s in self.list_schedules(endpoint) if s.monitor_type == monitor_type), None)

    def _full_report(self, schedule: MonitoringSchedule) -> MonitorReport | None:
        """The newest finished execution's report, with the trend over the last ``TREND_EXECUTIONS`` finished
        executions (one row each: Model Monitor's hourly runs each look at their hour) and the captured count."""
        finished = [s for s in self._summaries(schedule.name, TREND_EXECUTIONS) if s["MonitoringExecutionStatus"] in FINISHED]
        if not finished:
            return None
        reports = [self._report(schedule, summary) for summary in finished]
        trend = tuple(mm.trend_row(r.created_at, r.item_count, r.statistics) for r in reversed(reports) if r.statistics)
        captured = reports[0].item_count
        if schedule.monitor_type in ("model-quality", "bias-drift"):
            captured = self._coverage(schedule.endpoint)[1] or captured
        return replace(reports[0], trend=trend, captured_count=captured)

    def _newest_report(self, schedule: MonitoringSchedule) -> MonitorReport | None:
        """The newest finished execution's three files (a failed execution: its reason), without the trend."""
        for summary in self._summaries(schedule.name, TREND_EXECUTIONS):
            if summary["MonitoringExecutionStatus"] in FINISHED:
                return self._report(schedule, summary)
        return None

    def _coverage(self, endpoint: str) -> tuple[int, int]:
        """(captured predictions with ground truth, captured predictions) now, from the labels port; (0, 0) for an
        endpoint that captures nothing."""
        try:
            progress = self.labels.progress(LabelSource(endpoint=endpoint))
        except InvalidInput:
            return 0, 0
        return progress.labelled, progress.total

    def _report(self, schedule: MonitoringSchedule, summary: dict[str, Any]) -> MonitorReport:
        status = str(summary["MonitoringExecutionStatus"])
        uri = self._report_uri(summary)
        files = self._read_report(uri) if uri else {}
        statistics, constraints = files.get("statistics.json", {}), files.get("constraints.json", {})
        violations = tuple(Violation(**v) for v in mm.violations_of(files.get("constraint_violations.json", {})))
        count = mm.item_count(statistics)
        notes = () if uri else ("The execution wrote no report files.",)
        return MonitorReport(schedule.endpoint, schedule.monitor_type, status, iso(summary.get("ScheduledTime")),
                             statistics, constraints, violations, item_count=count, captured_count=count,
                             failure_reason=str(summary.get("FailureReason", "")), schedule_name=schedule.name,
                             notes=notes, details={"report_uri": uri})

    def _read_report(self, uri: str) -> dict[str, dict[str, Any]]:
        """The three files under ``uri``; a missing one is left out (a run without violations may write none)."""
        bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        files: dict[str, dict[str, Any]] = {}
        for name in mm.REPORT_FILES:
            body = self._read_object(bucket, f"{prefix.rstrip('/')}/{name}")
            if body is not None:
                files[name] = _json_document(body, f"{uri}/{name}")
        return files

    def _read_object(self, bucket: str, key: str) -> bytes | None:
        try:
            answer = self._s3.get_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if error_code(exc) in ("NoSuchKey", "404"):
                return None
            raise
        if int(answer.get("ContentLength", 0)) > MAX_REPORT_BYTES:
            raise InvalidInput(f"s3://{bucket}/{key} is larger than {MAX_REPORT_BYTES // 2**20} MiB; it is not read.",
                               hint="Download it from S3 to look at it.")
        return bytes(answer["Body"].read(MAX_REPORT_BYTES + 1))

    def _report_uri(self, summary: dict[str, Any]) -> str:
        arn = summary.get("ProcessingJobArn")
        if not arn:
            return ""
        try:
            job = self._sagemaker.describe_processing_job(ProcessingJobName=mm.processing_job_name(arn))
        except ClientError as exc:
            if error_code(exc) in ("ResourceNotFound", "ValidationException"):
                return ""
            raise
        return mm.output_uri(job)

    # -- overview -------------------------------------------------------------------------------------------

    @translated
    def overview(self, endpoint: str) -> MonitorOverview:
        """One tile per type from its schedule's ``LastMonitoringExecutionSummary`` (violations read from S3)."""
        self._endpoint(endpoint)
        schedules = self.list_schedules(endpoint)
        tiles = tuple(self._tile(t, next((s for s in schedules if s.monitor_type == t), None)) for t in MONITOR_TYPES)
        labelled, captured = self._coverage(endpoint)
        return MonitorOverview(endpoint, tiles, labelled=labelled, captured=captured)

    def _tile(self, monitor_type: str, schedule: MonitoringSchedule | None) -> MonitorTile:
        if schedule is None:
            return MonitorTile(monitor_type, "Not scheduled")
        status = {"Completed": "OK", "CompletedWithViolations": "Violations", "Failed": "Failed"}.get(
            schedule.last_execution_status, "No report yet")
        if status == "No report yet":
            return MonitorTile(monitor_type, status, schedule.name)
        report = self._newest_report(schedule)
        status = tile_status(report, status) if report else status
        violations = len(report.violations) if report else 0
        headline = report.failure_reason if report and status == "Failed" else _headline(report)
        return MonitorTile(monitor_type, status, schedule.name, schedule.last_execution_at, violations, headline)

    # -- SageMaker look-ups ---------------------------------------------------------------------------------

    def _describe_schedule(self, name: str) -> dict[str, Any]:
        try:
            return self._call("describe_monitoring_schedule", MonitoringScheduleName=name)  # type: ignore[no-any-return]
        except NotFound as exc:
            raise NotFound(f"No monitoring schedule named {name!r} in {self.region}.", hint=SCHEDULES_HINT) from exc

    def _require_new(self, name: str) -> None:
        try:
            self._describe_schedule(name)
        except NotFound:
            return
        raise AlreadyExists(f"A monitoring schedule named {name!r} exists already.",
                            hint="Pick another name, or delete that schedule first.")

    def _schedule(self, raw: dict[str, Any]) -> MonitoringSchedule:
        config = raw.get("MonitoringScheduleConfig", {})
        monitoring_type = str(raw.get("MonitoringType") or config.get("MonitoringType", ""))
        last = raw.get("LastMonitoringExecutionSummary", {})
        return MonitoringSchedule(
            name=raw["MonitoringScheduleName"], endpoint=str(raw.get("EndpointName", "")),
            monitor_type=MONITOR_TYPE_OF.get(monitoring_type, monitoring_type), monitoring_type=monitoring_type,
            schedule_expression=str(config.get("ScheduleConfig", {}).get("ScheduleExpression", "")),
            status=str(raw["MonitoringScheduleStatus"]), created_at=iso(raw.get("CreationTime")),
            last_execution_status=str(last.get("MonitoringExecutionStatus", "")),
            last_execution_at=iso(last.get("ScheduledTime")), failure_reason=str(raw.get("FailureReason", "")),
            config=self._stored_config(raw["MonitoringScheduleName"]))

    def _stored_config(self, name: str) -> MonitorConfig:
        """The settings the schedule was created with (kept beside it in S3); defaults when they are not there."""
        if not self.settings.s3_bucket:
            return MonitorConfig()
        body = self._read_object(self.settings.s3_bucket, monitoring_prefix(name) + "monitor_config.json")
        return MonitorConfig() if body is None else config_from_json(_json_document(body, f"{name}'s settings"))

    def _execution(self, summary: dict[str, Any]) -> MonitoringExecution:
        return MonitoringExecution(
            schedule_name=summary["MonitoringScheduleName"], scheduled_time=iso(summary.get("ScheduledTime")),
            status=str(summary["MonitoringExecutionStatus"]), created_at=iso(summary.get("CreationTime")),
            report_uri=self._report_uri(summary), failure_reason=str(summary.get("FailureReason", "")))

    def _endpoint(self, name: str) -> dict[str, Any]:
        try:
            return self._call("describe_endpoint", EndpointName=name)  # type: ignore[no-any-return]
        except NotFound as exc:
            raise NotFound(f"No SageMaker endpoint named {name!r} in {self.region}.",
                           hint="Pick an endpoint from the endpoints list; it may be in another region.") from exc

    def _model(self, endpoint: dict[str, Any]) -> ModelRecord:
        """The registered model the endpoint's first variant serves (the deploy tags name it)."""
        tags = self._sagemaker.list_tags(ResourceArn=endpoint["EndpointArn"]).get("Tags", [])
        model_ids = {t["Key"][len(MODEL_TAG):]: t["Value"] for t in tags if t["Key"].startswith(MODEL_TAG)}
        variants = [v["VariantName"] for v in endpoint.get("ProductionVariants", [])]
        model_id = next((model_ids[v] for v in variants if v in model_ids), next(iter(model_ids.values()), ""))
        if not model_id:
            raise InvalidInput(f"Endpoint {endpoint['EndpointName']} does not say which registered model it serves.",
                               hint="Deploy it from the workbench so that its model is known to the monitors.")
        return model_from_package(self._package(model_id))

    def _exists(self, bucket: str, key: str) -> bool:
        return bool(self._s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1).get("Contents"))

    def _put_json(self, bucket: str, key: str, document: dict[str, Any]) -> str:
        self._s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(document, indent=2).encode(),
                            ContentType="application/json")
        return f"s3://{bucket}/{key}"

    def _require_bucket(self) -> str:
        if not self.settings.s3_bucket:
            raise BackendUnavailable("No S3 bucket is configured for monitoring reports.", hint=BUCKET_HINT)
        return self.settings.s3_bucket

    def _require_role(self) -> str:
        if not self.settings.sagemaker_role:
            raise BackendUnavailable("No IAM role is configured for Model Monitor's jobs.", hint=ROLE_HINT)
        return self.settings.sagemaker_role


def _check_type(monitor_type: str) -> None:
    if monitor_type not in MONITOR_TYPES:
        raise InvalidInput(f"Unknown monitor type {monitor_type!r}.", hint=f"Use one of: {', '.join(MONITOR_TYPES)}.")


def _json_document(body: bytes, where: str) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise InvalidInput(f"{where} is not JSON.", hint="Look at the file in S3; the execution may have failed.") from exc
    if not isinstance(document, dict):
        raise InvalidInput(f"{where} is not a JSON object.", hint="Look at the file in S3.")
    return document


def _headline(report: MonitorReport | None) -> str:
    """A figure for the tile: model quality's accuracy (rmse for a regression), as the local tile says it, or the
    item count."""
    if report is None:
        return ""
    for key, name in (("multiclass_classification_metrics", "accuracy"), ("binary_classification_metrics", "accuracy"),
                      ("regression_metrics", "rmse")):
        block = report.statistics.get(key, {})
        if isinstance(block.get(name, {}).get("value"), int | float):
            return model_quality.headline(block, report.item_count)
    return f"{report.item_count} records" if report.item_count else ""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def build_aws_monitoring(session: boto3.Session, settings: Settings, stack: object, *, endpoints: EndpointsPort,
                         labels: LabelsPort, catalog: CatalogPort, storage: StoragePort, query: QueryPort,
                         jobs: JobDescriber) -> MonitoringPort:
    """Called by the registry; the workspace stack is not needed: SageMaker keeps schedules and reports."""
    del stack
    return AwsMonitoring(session, settings, endpoints=endpoints, labels=labels, catalog=catalog, storage=storage,
                         query=query, jobs=jobs)
