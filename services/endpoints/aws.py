"""Endpoints on SageMaker: real-time hosting, ``sagemaker-runtime`` invocations, data capture and
Batch Transform.

Choices that differ from the local adapter, and why:

* The control plane (CreateModel, CreateEndpointConfig, CreateEndpoint, Describe*/Delete*) goes
  through boto3's ``sagemaker`` client, not the sagemaker 3.x SDK's resource classes
  (``sagemaker.core.resources.Model``/``EndpointConfig``/``Endpoint``): their ``create`` re-reads
  each resource and validates the answer strictly with pydantic (an empty ``VpcConfig`` or a data
  capture config without ``CaptureStatus`` is refused), and they cache clients of their own that a
  ``Stubber`` cannot reach. Three boto3 requests are as short, and their shapes are tested as sent.
* Each deploy creates its own SageMaker models (``{endpoint}-{variant}-{stamp}``) from the variants'
  model packages (the registry of ``services/training/aws.py``: container image + ``ModelDataUrl``)
  and an endpoint config ``{endpoint}-{stamp}``, so deleting the endpoint deletes exactly those.
  Which registered model each variant serves is kept as ``workbench:model:<variant>`` tags on the
  endpoint. ``port`` and ``restart_on_failure`` of a ``DeployRequest`` mean nothing on SageMaker.
* Statuses: Creating → Creating; InService, Updating, SystemUpdating and RollingBack → InService
  (an endpoint keeps answering with its current variants while it changes); Deleting → Deleting;
  Failed, OutOfService and UpdateRollbackFailed → Failed with SageMaker's reason.
* Traffic figures come from CloudWatch (``AWS/SageMaker``: Invocations, Invocation4XX/5XXErrors,
  ModelLatency p50/p99) over the endpoint's life, at most the last 14 days; without permission
  to read metrics they stay empty rather than hiding the endpoint.
* ``score_text``/``score_record`` speak the workbench's JSON contract (``{"instances": [...]}`` →
  ``{"predictions": [...]}``), as the local containers do. SageMaker's built-in containers read CSV:
  use ``invoke`` with ``text/csv`` for them; a body in another format is reported, never guessed.
* Batch Transform: the rows (a table, a file, or a SQL result exported through the query port) are
  encoded as the model was trained and staged under ``s3://{bucket}/transform/{job}/``; nothing runs
  here when the job ends, so the first ``describe_batch_transform`` after completion joins the rows
  with their predictions and writes them as Parquet to ``s3://{bucket}/batch/{db}/{table}/``,
  registered in Glue as the output table. The jobs are indexed in the workspace
  (``aws_batch_transforms``), not in the training index, whose settling downloads predictions to a file.
* Data capture lands in ``s3://{bucket}/endpoints/{name}/capture/{name}/{variant}/yyyy/mm/dd/hh/``
  as SageMaker's nested JSON lines. ``capture_table`` catalogs them as ``endpoints.{name}_capture_raw``
  and creates the Athena view ``endpoints.{name}_capture`` with the local capture table's flat columns
  (it reads the files where they are, so it never goes stale; the local table is a Parquet copy).
* Drift reports parse the monitored variant's capture (as ``read_capture`` reads it) into the rows the
  local report reads and compare them with ``monitoring.drift_from_traffic``. The model's baseline is,
  in this order: ``s3://{bucket}/models/{group}/{version}/baseline/{statistics,constraints}.json`` (the
  documents a local model keeps in its ``baseline/`` folder, put there by whoever baselined the model);
  the copy computed earlier in ``<home>/aws-baselines/{group}/{version}/baseline/``; else one computed
  now from a seeded sample (at most 50,000 rows, the same ones every time) of the training job's table,
  read through the query port (Athena), and cached there. A computed baseline has no predicted-label
  distribution, so such reports have no prediction drift: scoring the sample would mean invoking the
  endpoint (adding the rows to the very capture being checked) or a Batch Transform job (minutes).
  Its ``statistics.json`` says so under ``notes``. Compared tables are not scored either: their
  ``predicted_label`` column (a batch transform's output has one) is used when present.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import json
import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import quote

import awswrangler as wr
import boto3
import pandas as pd
from botocore.exceptions import ClientError

from services.aws_errors import AWS_ERRORS, translate, translated
from services.aws_sagemaker import SageMakerClients, error_code, model_id_of, parse_model_id, sagemaker_model_name
from services.catalog.files import sanitize_table_name
from services.config import Settings
from services.embedded.metadata import MetadataStore, utc_now
from services.endpoints import monitoring
from services.endpoints.baseline import (
    BASELINE_FOLDER,
    CONSTRAINTS_FILE,
    MAX_ROWS,
    STATISTICS_FILE,
    Baseline,
    has_baseline,
    load_baseline,
    sample_rows,
    training_source,
    write_baseline,
    write_json,
)
from services.endpoints.models import (
    MAX_PAYLOAD_BYTES,
    DeployRequest,
    DriftReport,
    Endpoint,
    InvokeResult,
    ScoreResult,
    Variant,
    VariantStats,
)
from services.errors import AlreadyExists, BackendUnavailable, InternalError, InvalidInput, NotFound, ServiceError
from services.models import DataSource, Job, ModelRecord, Table
from services.names import check_name, check_output_table
from services.registry import Services
from services.training.aws import (
    BUCKET_HINT,
    ROLE_HINT,
    S3_READERS,
    _iso,
    catalog_names,
    job_from_transform,
    job_name,
    model_from_package,
    package_metadata,
    split_s3_uri,
    transform_frame,
    transform_job_spec,
)
from services.training.data import read_file, split_table_name

SCHEMA = """
CREATE TABLE IF NOT EXISTS aws_batch_transforms (
    name TEXT PRIMARY KEY, created_at TEXT NOT NULL, config TEXT NOT NULL,
    snapshot TEXT NOT NULL DEFAULT '{}', settled INTEGER NOT NULL DEFAULT 0
);
"""

STATUSES = {"Creating": "Creating", "InService": "InService", "Updating": "InService", "SystemUpdating": "InService",
            "RollingBack": "InService", "Deleting": "Deleting", "Failed": "Failed", "OutOfService": "Failed",
            "UpdateRollbackFailed": "Failed"}
MODEL_TAG = "workbench:model:"
LOG_GROUP = "/aws/sagemaker/Endpoints/{name}"
CAPTURE_DATABASE = "endpoints"
CAPTURE_COLUMNS = ("event_id", "inference_time", "variant", "input_content_type", "input_data", "output_content_type",
                   "output_data")
JSON_CONTENT_TYPES = ["application/json", "application/jsonlines"]
CSV_CONTENT_TYPES = ["text/csv"]
# SageMaker's capture record, as the OpenX JSON SerDe reads it (it matches keys case-insensitively).
_CAPTURED = "struct<observedcontenttype:string,mode:string,data:string,encoding:string>"
RAW_CAPTURE_COLUMNS = {"capturedata": f"struct<endpointinput:{_CAPTURED},endpointoutput:{_CAPTURED}>",
                       "eventmetadata": "struct<eventid:string,inferencetime:string,inferenceid:string>",
                       "eventversion": "string"}
_CSV_OUTPUT = "lower(output_content_type) LIKE '%csv%'"  # in the capture view's SQL
_FIRST_LINE = "split_part(output_data, chr(10), 1)"
MAX_CAPTURE_FILES = 500  # newest capture files read for a drift report
METRICS = (("Invocations", "Sum"), ("Invocation4XXErrors", "Sum"), ("Invocation5XXErrors", "Sum"),
           ("ModelLatency", "p50"), ("ModelLatency", "p99"))
METRICS_WINDOW = timedelta(days=14)
BASELINES_FOLDER = "aws-baselines"  # in the workspace: baselines computed here, one folder per model id
NO_PREDICTIONS_NOTE = ("No predicted-label distribution: this baseline was computed from the training table without "
                       "scoring it (that needs the endpoint or a Batch Transform job), so drift reports show no prediction drift.")
NOT_FOUND_HINT = "Pick an endpoint from the endpoints list; it may be in another region."
FORMAT_HINT = ("This endpoint's container does not answer in the workbench's JSON format "
               '({"predictions": [{"predicted_label": ...}]}); use Invoke with the content type the container reads.')


@dataclass(frozen=True)
class Traffic:
    requests: int = 0
    errors: int = 0
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None


@dataclass(frozen=True)
class BatchEntry:
    name: str
    created_at: str
    config: dict[str, Any]
    snapshot: dict[str, Any]
    settled: bool


class BatchIndex:
    """The Batch Transform jobs started here, with the last state seen of each."""

    def __init__(self, store: MetadataStore) -> None:
        self.store = store
        store.ensure_schema(SCHEMA)

    def add(self, name: str, config: dict[str, Any]) -> None:
        self.store.execute("INSERT INTO aws_batch_transforms (name, created_at, config) VALUES (?, ?, ?)",
                           (name, utc_now(), json.dumps(config, default=str)))

    def find(self, name: str) -> BatchEntry | None:
        row = self.store.fetch_one("SELECT * FROM aws_batch_transforms WHERE name = ?", (name,))
        return None if row is None else _batch_entry(row)

    def recent(self, limit: int) -> list[BatchEntry]:
        rows = self.store.fetch_all("SELECT * FROM aws_batch_transforms ORDER BY created_at DESC LIMIT ?", (limit,))
        return [_batch_entry(r) for r in rows]

    def save(self, job: Job, settled: bool) -> None:
        snapshot = {k: v for k, v in asdict(job).items() if k != "config"}
        self.store.execute("UPDATE aws_batch_transforms SET snapshot = ?, settled = ? WHERE name = ?",
                           (json.dumps(snapshot, default=str), int(settled), job.name))


def _batch_entry(row: Any) -> BatchEntry:
    return BatchEntry(row["name"], row["created_at"], json.loads(row["config"]), json.loads(row["snapshot"]),
                      bool(row["settled"]))


class AwsEndpoints(SageMakerClients):
    """The endpoints port on SageMaker; captured data and batch output live under ``s3://{WORKBENCH_S3_BUCKET}/``."""

    def __init__(self, session: boto3.Session, settings: Settings, services: Services, store: MetadataStore, *,
                 poll_seconds: float = 15.0, delete_timeout_seconds: float = 900.0,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self.session = session
        self.settings = settings
        self.services = services
        self.batches = BatchIndex(store)
        self.poll_seconds = poll_seconds
        self.delete_timeout_seconds = delete_timeout_seconds
        self._sleep = sleep
        self._clock = clock

    @cached_property
    def _runtime(self) -> Any:
        return self.session.client("sagemaker-runtime")

    @cached_property
    def _cloudwatch(self) -> Any:
        return self.session.client("cloudwatch")

    # -- lifecycle ----------------------------------------------------------------------------

    @translated
    def deploy(self, request: DeployRequest) -> Endpoint:
        """CreateModel per variant, CreateEndpointConfig (production and shadow variants, data capture),
        CreateEndpoint; returns at once (Creating). Checks names, setup, models and the name's freedom
        before creating anything, and removes what it created when a later step fails."""
        check_deploy_request(request)
        role = self._require_role()
        bucket = self._require_bucket() if request.capture_percent else ""
        self._require_new(request.name)
        packages = {v.name: self._package(v.model_id) for v in request.variants}
        created: list[tuple[str, dict[str, str]]] = []
        try:
            self._create_resources(request, packages, role, bucket, created)
        except AWS_ERRORS:
            self._remove(created)
            raise
        return self.describe_endpoint(request.name)

    def _create_resources(self, request: DeployRequest, packages: dict[str, dict[str, Any]], role: str, bucket: str,
                          created: list[tuple[str, dict[str, str]]]) -> None:
        stamp = datetime.now(UTC).strftime("%y%m%d%H%M%S")
        models = {v.name: model_resource_name(request.name, v.name, stamp) for v in request.variants}
        for variant in request.variants:
            self._sagemaker.create_model(ModelName=models[variant.name], ExecutionRoleArn=role,
                                         Containers=package_containers(packages[variant.name]))
            created.append(("delete_model", {"ModelName": models[variant.name]}))
        config_name = f"{request.name[:50]}-{stamp}"
        self._sagemaker.create_endpoint_config(**endpoint_config_spec(config_name, request, models,
                                                                      self.settings.inference_instance_type, bucket))
        created.append(("delete_endpoint_config", {"EndpointConfigName": config_name}))
        tags = [{"Key": f"{MODEL_TAG}{v.name}", "Value": model_id_of(packages[v.name])} for v in request.variants]
        self._sagemaker.create_endpoint(EndpointName=request.name, EndpointConfigName=config_name, Tags=tags)

    def _remove(self, created: list[tuple[str, dict[str, str]]]) -> None:
        """Best effort: the error that made us roll back is the one worth showing."""
        for operation, parameters in reversed(created):
            with contextlib.suppress(*AWS_ERRORS):
                getattr(self._sagemaker, operation)(**parameters)

    def wait_for_endpoint(self, name: str, timeout_seconds: float = 120) -> Endpoint:
        """Poll every ``poll_seconds`` until InService or Failed (or the timeout passes)."""
        deadline = self._clock() + timeout_seconds
        endpoint = self.describe_endpoint(name)
        while endpoint.status not in ("InService", "Failed") and self._clock() < deadline:
            self._sleep(self.poll_seconds)
            endpoint = self.describe_endpoint(name)
        return endpoint

    @translated
    def describe_endpoint(self, name: str) -> Endpoint:
        """DescribeEndpoint and its config, the variants' models (tags), the first model's package, traffic."""
        raw = self._describe(name)
        config = self._endpoint_config(raw.get("EndpointConfigName", ""))
        model_ids = self._model_ids(raw["EndpointArn"])
        variants = config_variants(raw, config)
        record = self._record(model_ids.get(variants[0].name, "")) if variants else None
        traffic = self._traffic(name, [v.name for v in variants], raw.get("CreationTime"))
        return endpoint_from_aws(raw, config, model_ids, record, traffic, self.gateway_url())

    def _describe(self, name: str) -> dict[str, Any]:
        try:
            return self._call("describe_endpoint", EndpointName=name)  # type: ignore[no-any-return]
        except NotFound as exc:
            raise NotFound(f"No SageMaker endpoint named {name!r} in {self.region}.", hint=NOT_FOUND_HINT) from exc

    def _endpoint_config(self, config_name: str) -> dict[str, Any]:
        """The endpoint's config; ``{}`` when someone deleted it (the endpoint keeps running)."""
        try:
            return self._call("describe_endpoint_config", EndpointConfigName=config_name)  # type: ignore[no-any-return]
        except NotFound:
            return {}

    def _model_ids(self, arn: str) -> dict[str, str]:
        tags = self._sagemaker.list_tags(ResourceArn=arn).get("Tags", [])
        return {t["Key"][len(MODEL_TAG):]: t["Value"] for t in tags if t["Key"].startswith(MODEL_TAG)}

    def _record(self, model_id: str) -> ModelRecord | None:
        """The registered model behind a variant; ``None`` for endpoints deployed elsewhere or deleted packages."""
        if not model_id:
            return None
        try:
            return model_from_package(self._package(model_id))
        except (NotFound, InvalidInput):
            return None

    def _traffic(self, name: str, variants: list[str], created: Any) -> dict[str, Traffic]:
        """Per variant, from CloudWatch over the endpoint's life (at most ``METRICS_WINDOW``)."""
        if not variants or not isinstance(created, datetime):
            return {}
        end = datetime.now(UTC)
        start = max(created.astimezone(UTC), end - METRICS_WINDOW)
        period = max(60, math.ceil((end - start).total_seconds() / 60) * 60)
        try:
            results = self._cloudwatch.get_metric_data(MetricDataQueries=metric_queries(name, variants, period),
                                                       StartTime=start - timedelta(minutes=1), EndTime=end + timedelta(minutes=1))
        except AWS_ERRORS:
            return {}  # no cloudwatch:GetMetricData permission must not hide the endpoint
        return traffic_from_results(variants, results.get("MetricDataResults", []))

    @translated
    def list_endpoints(self) -> list[Endpoint]:
        """Every endpoint in the region, newest first (one describe each; one gone meanwhile is skipped)."""
        pages = self._sagemaker.get_paginator("list_endpoints").paginate(SortBy="CreationTime", SortOrder="Descending")
        names = [e["EndpointName"] for page in pages for e in page.get("Endpoints", [])]
        endpoints = []
        for name in names:
            with contextlib.suppress(NotFound):
                endpoints.append(self.describe_endpoint(name))
        return endpoints

    @translated
    def delete_endpoint(self, name: str) -> None:
        """DeleteEndpoint, wait until it is gone, then delete its endpoint config and its models."""
        raw = self._describe(name)
        config = self._endpoint_config(raw.get("EndpointConfigName", ""))
        self._sagemaker.delete_endpoint(EndpointName=name)
        self._wait_gone(name)
        if config:
            self._delete_if_present("delete_endpoint_config", EndpointConfigName=config["EndpointConfigName"])
        for model in sorted({v["ModelName"] for v in config_variant_specs(config) if v.get("ModelName")}):
            self._delete_if_present("delete_model", ModelName=model)

    def _wait_gone(self, name: str) -> None:
        deadline = self._clock() + self.delete_timeout_seconds
        while True:
            try:
                self._call("describe_endpoint", EndpointName=name)
            except NotFound:
                return
            if self._clock() > deadline:
                raise BackendUnavailable(f"SageMaker is still deleting the endpoint {name!r}.",
                                         hint="It keeps deleting in the background; refresh the list in a minute.")
            self._sleep(self.poll_seconds)

    def _delete_if_present(self, operation: str, **parameters: str) -> None:
        with contextlib.suppress(NotFound):
            self._call(operation, **parameters)

    @translated
    def endpoint_logs(self, name: str, tail_bytes: int = 64_000) -> str:
        """The end of CloudWatch Logs ``/aws/sagemaker/Endpoints/{name}`` (latest streams); ``""`` when none yet."""
        self._describe(name)
        group = LOG_GROUP.format(name=name)
        try:
            streams = self._logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", descending=True,
                                                      limit=10).get("logStreams", [])
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return ""
            raise
        parts = [self._stream_tail(group, s["logStreamName"], tail_bytes) for s in reversed(streams)]
        return "\n".join(p for p in parts if p)[-tail_bytes:]

    def _stream_tail(self, group: str, stream: str, tail_bytes: int) -> str:
        events = self._logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=False,
                                           limit=10_000).get("events", [])
        return "\n".join(str(e.get("message", "")) for e in events)[-tail_bytes:]

    # -- invoking -----------------------------------------------------------------------------

    def gateway_url(self) -> str:
        """The region's SageMaker Runtime, e.g. ``https://runtime.sagemaker.us-east-1.amazonaws.com``."""
        return str(self._runtime.meta.endpoint_url).rstrip("/")

    @translated
    def invoke(self, name: str, body: bytes, content_type: str = "application/json", accept: str = "application/json",
               target_variant: str = "", custom_attributes: str = "") -> InvokeResult:
        """``sagemaker-runtime.invoke_endpoint``; an unknown endpoint is ``NotFound``, a model's own
        error (``ModelError``) keeps the model's message."""
        if len(body) > MAX_PAYLOAD_BYTES:
            raise InvalidInput(f"The request is {len(body):,} bytes; SageMaker accepts at most {MAX_PAYLOAD_BYTES:,}.",
                               hint="Send fewer rows per request, or score the table with a batch transform.")
        parameters = {"EndpointName": name, "Body": body, "ContentType": content_type, "Accept": accept}
        optional = {"TargetVariant": target_variant, "CustomAttributes": custom_attributes}
        started = time.perf_counter()
        try:
            answer = self._runtime.invoke_endpoint(**parameters, **{k: v for k, v in optional.items() if v})
        except ClientError as exc:
            raise invoke_error(exc, name, self.region) from exc
        payload = answer["Body"].read()
        return InvokeResult(body=payload, content_type=str(answer.get("ContentType", "")),
                            variant=str(answer.get("InvokedProductionVariant", "")),
                            latency_ms=(time.perf_counter() - started) * 1000,
                            status_code=int(answer.get("ResponseMetadata", {}).get("HTTPStatusCode", 200)))

    def score_text(self, name: str, text: str, explain: bool = False) -> ScoreResult:
        """``{"instances": [text]}`` (with ``"explain": true`` when asked) → the first prediction."""
        if not text.strip():
            raise InvalidInput("The review is empty.", hint="Type or paste a review to score.")
        document: dict[str, Any] = {"instances": [text]} | ({"explain": True} if explain else {})
        return self._score(name, document)

    def score_record(self, name: str, record: dict[str, object]) -> ScoreResult:
        """``{"instances": [record]}`` → the first prediction."""
        if not record:
            raise InvalidInput("The record has no values.", hint="Fill in the model's input columns.")
        return self._score(name, {"instances": [record]})

    def _score(self, name: str, document: dict[str, Any]) -> ScoreResult:
        result = self.invoke(name, json.dumps(document, default=str).encode())
        return score_from_body(result.body, result.variant, result.latency_ms)

    # -- batch scoring ------------------------------------------------------------------------

    @translated
    def start_batch_transform(self, model_id: str, source: DataSource, output_table: str, sql: str = "") -> str:
        """CreateTransformJob over the rows of ``source`` (or ``sql``'s result), encoded as the model was
        trained; the output table is written when ``describe_batch_transform`` first sees the job Completed."""
        bucket, role = self._require_bucket(), self._require_role()
        database, table = check_output_table(output_table)
        output_uri = f"s3://{bucket}/batch/{database}/{table}/"
        self._require_output_free(database, table, output_uri)
        package = self._package(model_id)
        rows = self._batch_rows(source, sql)
        name = job_name("", "transform")
        prefix = f"s3://{bucket}/transform/{name}/"
        metadata = package_metadata(package)
        self._stage_rows(rows, transform_frame(rows, metadata), prefix, bool(metadata.get("encoding", {}).get("fill_missing")))
        model_name = self._shared_model(package, role)
        self._sagemaker.create_transform_job(**transform_job_spec(name, model_name, prefix, self.settings.training_instance_type))
        self.batches.add(name, {"model_id": model_id_of(package), "source": asdict(source), "sql": sql,
                                "output_table": f"{database}.{table}", "output_uri": output_uri,
                                "rows_uri": f"{prefix}rows/rows.parquet", "predictions_uri": f"{prefix}output/data.csv.out",
                                "classes": [str(c) for c in metadata.get("classes", [])], "model_name": model_name})
        return name

    def _require_output_free(self, database: str, table: str, output_uri: str) -> None:
        """Never repoint a table that is not a batch output of ours (e.g. the source) at the predictions."""
        try:
            existing = self.services.catalog.get_table(database, table)
        except NotFound:
            return
        if existing.location.rstrip("/") + "/" != output_uri:
            raise AlreadyExists(f"{database}.{table} exists already and is not a batch output.",
                                hint="Pick another output table name.")

    def _batch_rows(self, source: DataSource, sql: str) -> pd.DataFrame:
        if sql:
            result = self.services.query.run(sql, max_rows=1)
            rows = pd.read_csv(io.BytesIO(self.services.query.export_result(result.query_id, "csv")))
        elif source.table and not source.path:
            rows = self._table_rows(source.table)
        elif source.path:
            rows = read_file(Path(source.path).expanduser())
        else:
            raise InvalidInput("Give a catalog table, a data file or a SQL query to score.", hint="Pick a table.")
        if rows.empty:
            raise InvalidInput("There are no rows to score.", hint="Pick a table, file or query with data.")
        return rows

    def _table_rows(self, qualified_name: str) -> pd.DataFrame:
        table = self.services.catalog.get_table(*split_table_name(qualified_name))
        if table.format not in S3_READERS:
            raise InvalidInput(f"{qualified_name} is stored as {table.format}, which cannot be read here.",
                               hint="Convert it to Parquet or CSV (CREATE TABLE AS in the query page).")
        frame = S3_READERS[table.format](table.location.rstrip("/") + "/", self.session)
        return frame.rename(columns=catalog_names(table.all_columns, list(frame.columns)))

    def _stage_rows(self, rows: pd.DataFrame, features: pd.DataFrame, prefix: str, fill: bool) -> None:
        """The model's input as CSV without header, and the rows as they are (joined with the predictions later)."""
        body = (features.fillna(0) if fill else features).to_csv(header=False, index=False).encode()
        bucket, key = split_s3_uri(f"{prefix}input/data.csv")
        self._s3.put_object(Bucket=bucket, Key=key, Body=body)
        wr.s3.to_parquet(df=rows.reset_index(drop=True), path=f"{prefix}rows/rows.parquet", boto3_session=self.session)

    def _shared_model(self, package: dict[str, Any], role: str) -> str:
        """The SageMaker model transform jobs share with the training adapter (reused when it exists)."""
        name = sagemaker_model_name(package)
        try:
            self._call("describe_model", ModelName=name)
        except NotFound:
            self._sagemaker.create_model(ModelName=name, Containers=package_containers(package), ExecutionRoleArn=role)
        return name

    @translated
    def describe_batch_transform(self, name: str) -> Job:
        """The transform job as SageMaker reports it; once Completed, its output table is written (once)."""
        entry = self.batches.find(name)
        if entry is None:
            raise NotFound(f"No batch transform {name!r} was started from this workspace.", hint="Pick one from the list.")
        if entry.settled:
            return Job(**{**entry.snapshot, "config": entry.config})
        job = job_from_transform(self._call("describe_transform_job", TransformJobName=name), "transform", entry.config)
        job, settled = self._settle_batch(entry, job)
        self.batches.save(job, settled)
        return job

    def list_batch_transforms(self, limit: int = 100) -> list[Job]:
        """Batch transforms started here, newest first."""
        return [self.describe_batch_transform(entry.name) for entry in self.batches.recent(limit)]

    def _settle_batch(self, entry: BatchEntry, job: Job) -> tuple[Job, bool]:
        """Write the output table of a completed job; a failure is shown in the job and retried next time."""
        if job.status != "Completed":
            return job, job.finished
        try:
            self._write_output(entry.config)
        except ServiceError as exc:
            return replace(job, result=job.result | {"settle_error": str(exc)}), False
        except AWS_ERRORS as exc:
            return replace(job, result=job.result | {"settle_error": str(translate(exc))}), False
        return replace(job, result=job.result | {"output_table": entry.config["output_table"]}), True

    def _write_output(self, config: dict[str, Any]) -> None:
        bucket, key = split_s3_uri(config["predictions_uri"])
        lines = self._s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()
        rows = wr.s3.read_parquet(path=config["rows_uri"], boto3_session=self.session)
        if len(lines) != len(rows):
            raise InternalError(f"The transform job returned {len(lines)} predictions for {len(rows)} rows.",
                                hint="Check the job's logs; the model must answer one line per input line.")
        predictions = prediction_columns(lines, config.get("classes", []))
        scored = pd.concat([rows.drop(columns=list(predictions.columns), errors="ignore"), predictions], axis=1)
        database, table = config["output_table"].split(".")
        wr.catalog.create_database(database, exist_ok=True, boto3_session=self.session)
        wr.s3.to_parquet(df=scored, path=config["output_uri"], dataset=True, mode="overwrite", database=database,
                         table=table, boto3_session=self.session)

    # -- capture and monitoring ---------------------------------------------------------------

    @translated
    def capture_table(self, name: str) -> str:
        """``endpoints.{name}_capture_raw`` over the capture prefix (SageMaker's nested JSON lines) and the
        Athena view ``endpoints.{name}_capture`` with the local capture table's flat columns."""
        bucket = self._require_bucket()
        prefix = capture_prefix(name)
        if not self._s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1).get("Contents"):
            self._describe(name)  # nothing captured yet is fine, an unknown endpoint is not
        view = sanitize_table_name(f"{name}_capture")
        wr.catalog.create_database(CAPTURE_DATABASE, exist_ok=True, boto3_session=self.session)
        wr.catalog.create_json_table(database=CAPTURE_DATABASE, table=f"{view}_raw", path=f"s3://{bucket}/{prefix}",
                                     columns_types=RAW_CAPTURE_COLUMNS, mode="overwrite", boto3_session=self.session)
        wr.athena.start_query_execution(sql=capture_view_sql(CAPTURE_DATABASE, view), database=CAPTURE_DATABASE,
                                        workgroup=self.settings.athena_workgroup, wait=True, boto3_session=self.session,
                                        s3_output=self.settings.athena_output or f"s3://{bucket}/athena-results/")
        return f"{CAPTURE_DATABASE}.{view}"

    @translated
    def read_capture(self, name: str, max_files: int = MAX_CAPTURE_FILES) -> pd.DataFrame:
        """The newest ``max_files`` capture files as rows with ``CAPTURE_COLUMNS``, oldest first."""
        bucket = self._require_bucket()
        prefix = capture_prefix(name)
        pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        objects = [o for page in pages for o in page.get("Contents", []) if not o["Key"].endswith("/")]
        newest = sorted(objects, key=lambda o: o["LastModified"], reverse=True)[:max_files]
        rows = [row for o in newest
                for row in capture_rows(self._s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read(), capture_variant(o["Key"], prefix))]
        frame = pd.DataFrame(rows, columns=list(CAPTURE_COLUMNS))
        return frame.sort_values("inference_time", kind="stable").reset_index(drop=True)

    @translated
    def drift_report(self, name: str, baseline_model_id: str = "", source: DataSource | None = None) -> DriftReport:
        """The monitored variant's captured traffic (or ``source``'s rows) against the model's training
        baseline (see the module's notes for where it comes from); ``InvalidInput`` when nothing was captured."""
        variant, model_id = monitoring.monitored_variant(self._monitored_endpoint(name), baseline_model_id)
        if not model_id:
            raise InvalidInput(f"Endpoint {name} does not say which registered model its variant {variant} serves.",
                               hint="Pass the model to compare against (its group/version) as the baseline model.")
        record = model_from_package(self._package(model_id))
        baseline = self._baseline(record)
        columns = [c.name for c in record.input_schema] or baseline.feature_columns
        if source is not None:
            traffic = self._source_traffic(source, columns)
        else:
            capture = self.read_capture(name)
            events = capture_events(capture[capture["variant"] == variant])
            traffic = monitoring.captured_traffic(events, columns, str(baseline.statistics.get("text_column", "")))
        return monitoring.drift_from_traffic(name, record.model_id, baseline, traffic, variant)

    def _monitored_endpoint(self, name: str) -> dict[str, Any]:
        """The endpoint as ``monitoring.monitored_variant`` reads it: its variants, their models and shadow flags."""
        raw = self._describe(name)
        model_ids = self._model_ids(raw["EndpointArn"])
        variants = config_variants(raw, self._endpoint_config(raw.get("EndpointConfigName", "")))
        return {"name": name, "variants": [{"name": v.name, "model_id": model_ids.get(v.name, ""), "shadow": v.shadow}
                                           for v in variants]}

    def _baseline(self, record: ModelRecord) -> Baseline:
        """The baseline in S3, else the one computed here before, else one computed now from the training table."""
        stored = self._stored_baseline(record.model_id)
        if stored is not None:
            return stored
        cached = self.settings.home / BASELINES_FOLDER / record.model_id
        if has_baseline(cached):
            return load_baseline(cached)
        return self._computed_baseline(record, cached / BASELINE_FOLDER)

    def _stored_baseline(self, model_id: str) -> Baseline | None:
        """``s3://{bucket}/models/{group}/{version}/baseline/``'s two documents; None when they are not there."""
        if not self.settings.s3_bucket:
            return None
        prefix = baseline_prefix(model_id)
        try:
            bodies = [self._s3.get_object(Bucket=self.settings.s3_bucket, Key=prefix + f)["Body"].read()
                      for f in (STATISTICS_FILE, CONSTRAINTS_FILE)]
        except ClientError as exc:
            if error_code(exc) in ("NoSuchKey", "404"):
                return None
            raise
        try:
            return Baseline(json.loads(bodies[0]), json.loads(bodies[1]))
        except ValueError as exc:
            raise InvalidInput(f"The baseline under s3://{self.settings.s3_bucket}/{prefix} is not JSON.",
                               hint="Write it again, or delete it to have a baseline computed from the training table.") from exc

    def _computed_baseline(self, record: ModelRecord, folder: Path) -> Baseline:
        """Summarise a seeded sample of the model's training table (without predictions: see the module's notes)."""
        try:
            source, text_column = training_source(self.services, record.job_name, record.model_id)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, hint=f"Put its baseline (statistics.json and constraints.json) under "
                                                 f"s3://{self.settings.s3_bucket}/{baseline_prefix(record.model_id)}.") from exc
        columns = [c.name for c in record.input_schema]
        frame = self._sample(source, columns, MAX_ROWS, not_null=record.target)
        baseline = write_baseline(frame, [c for c in columns if c in frame.columns], text_column, None, folder)
        statistics = baseline.statistics | {"notes": [NO_PREDICTIONS_NOTE]}
        write_json(folder / STATISTICS_FILE, statistics)
        return Baseline(statistics, baseline.constraints)

    def _source_traffic(self, source: DataSource, columns: list[str]) -> monitoring.Traffic:
        """A seeded sample of a table's (or file's) rows, with their ``predicted_label`` column when they have one."""
        frame = self._sample(source, columns, monitoring.SOURCE_ROWS, extra=("predicted_label",))
        if frame.empty:
            raise InvalidInput(f"{source.label} has no rows to compare.", hint="Pick a table or file with rows.")
        predicted = frame["predicted_label"] if "predicted_label" in frame.columns else pd.Series([None] * len(frame))
        return monitoring.Traffic(frame, predicted.astype(object).reset_index(drop=True), pd.Series([""] * len(frame), dtype=object))

    def _sample(self, source: DataSource, columns: list[str], rows: int, not_null: str = "",
                extra: tuple[str, ...] = ()) -> pd.DataFrame:
        """At most ``rows`` rows (where ``not_null`` is set) of the model's ``columns`` and the ``extra`` ones that
        exist, of a table through the query port, or of a file."""
        if source.path and not source.table:
            frame = read_file(Path(source.path).expanduser())
            frame = frame[frame[not_null].notna()] if not_null in frame.columns else frame
            return sample_rows(frame, rows).reset_index(drop=True)
        if not source.table:
            raise InvalidInput("Give a catalog table or a data file to compare.", hint="Pick a table.")
        table = self.services.catalog.get_table(*split_table_name(source.table))
        names = {c.name for c in table.all_columns}
        if not names & set(columns):
            raise InvalidInput(f"{source.label} has none of the columns the model reads ({', '.join(columns)}).",
                               hint="Compare a table with the model's input columns.")
        result = self.services.query.run(sample_sql(table, [c for c in (*columns, *extra) if c in names], rows,
                                                    not_null if not_null in names else ""), max_rows=1)
        return pd.read_parquet(io.BytesIO(self.services.query.export_result(result.query_id, "parquet")))

    # -- registry, settings and calls ---------------------------------------------------------

    def _require_new(self, name: str) -> None:
        try:
            self._call("describe_endpoint", EndpointName=name)
        except NotFound:
            return
        raise AlreadyExists(f"An endpoint named {name!r} exists already in {self.region}.",
                            hint="Pick another name, or delete that endpoint first.")

    def _require_bucket(self) -> str:
        if not self.settings.s3_bucket:
            raise BackendUnavailable("No S3 bucket is configured for captured traffic and batch output.", hint=BUCKET_HINT)
        return self.settings.s3_bucket

    def _require_role(self) -> str:
        if not self.settings.sagemaker_role:
            raise BackendUnavailable("No IAM role is configured for SageMaker models.", hint=ROLE_HINT)
        return self.settings.sagemaker_role



# -- requests ---------------------------------------------------------------------------------------


def check_deploy_request(request: DeployRequest) -> None:
    """SageMaker's naming rules and variant rules, checked before anything is created."""
    check_name("endpoint", request.name)
    if not 0 <= request.capture_percent <= 100:
        raise InvalidInput(f"Capture {request.capture_percent}% is not a percentage.", hint="Use 0 (off) to 100.")
    check_variants(request.variants)


def check_variants(variants: tuple[Variant, ...]) -> None:
    production = [v for v in variants if not v.shadow]
    if not production:
        raise InvalidInput("An endpoint needs at least one variant that answers.", hint="Add a variant that is not a shadow.")
    if len({v.name for v in variants}) != len(variants):
        raise InvalidInput("Variant names must differ.", hint="Name each variant once, e.g. champion and challenger.")
    for variant in variants:
        check_name("variant", variant.name)
        if not variant.model_id:
            raise InvalidInput(f"Variant {variant.name} has no model.", hint="Pick a registered model for every variant.")
        if variant.weight < 0:
            raise InvalidInput(f"Variant {variant.name} has a negative weight.", hint="Weights are shares of traffic, 0 or more.")
    if sum(v.weight for v in production) <= 0:
        raise InvalidInput("Every answering variant has weight 0, so no request could be served.", hint="Give one a weight above 0.")
    if len(variants) > len(production) and (len(production) != 1 or len(variants) != 2):
        raise InvalidInput("SageMaker allows a shadow variant only beside exactly one production variant.",
                           hint="Deploy one answering variant and one shadow.")


def model_resource_name(endpoint: str, variant: str, stamp: str) -> str:
    """``{endpoint}-{variant}-{stamp}`` within SageMaker's 63 characters."""
    return f"{endpoint[:30]}-{variant[:19]}-{stamp}"


def package_containers(package: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: c[k] for k in ("Image", "ModelDataUrl", "Environment") if c.get(k)}
            for c in package["InferenceSpecification"]["Containers"]]


def endpoint_config_spec(config_name: str, request: DeployRequest, models: dict[str, str], instance_type: str,
                         bucket: str) -> dict[str, Any]:
    """``CreateEndpointConfig``'s parameters: production and shadow variants, and data capture when on."""
    def variants(shadow: bool) -> list[dict[str, Any]]:
        return [{"VariantName": v.name, "ModelName": models[v.name], "InitialInstanceCount": 1, "InstanceType": instance_type,
                 "InitialVariantWeight": float(v.weight)} for v in request.variants if v.shadow == shadow]

    spec: dict[str, Any] = {"EndpointConfigName": config_name, "ProductionVariants": variants(False)}
    if any(v.shadow for v in request.variants):
        spec["ShadowProductionVariants"] = variants(True)
    if request.capture_percent:
        spec["DataCaptureConfig"] = data_capture_config(request.name, request.capture_percent, bucket)
    return spec


def data_capture_config(name: str, percent: int, bucket: str) -> dict[str, Any]:
    return {"EnableCapture": True, "InitialSamplingPercentage": percent,
            "DestinationS3Uri": f"s3://{bucket}/endpoints/{name}/capture/",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {"JsonContentTypes": JSON_CONTENT_TYPES, "CsvContentTypes": CSV_CONTENT_TYPES}}


def capture_prefix(name: str) -> str:
    """The key prefix SageMaker writes ``name``'s capture under (it adds ``{name}/{variant}/yyyy/mm/dd/hh/``)."""
    return f"endpoints/{name}/capture/"


def baseline_prefix(model_id: str) -> str:
    """Where a registered model's baseline documents live in the bucket: ``models/{group}/{version}/baseline/``."""
    group, version = parse_model_id(model_id)
    return f"models/{group}/{version}/{BASELINE_FOLDER}/"


def sample_sql(table: Table, columns: list[str], rows: int, not_null: str = "") -> str:
    """Athena SQL for a seeded sample: the ``rows`` rows whose values hash lowest, the same ones on every run
    (``TABLESAMPLE`` draws differently each time)."""
    quoted = [_quoted(c) for c in columns]
    row_key = " || '|' || ".join(f"coalesce(CAST({c} AS varchar), '')" for c in quoted)
    where = f" WHERE {_quoted(not_null)} IS NOT NULL" if not_null else ""
    return (f"SELECT {', '.join(quoted)} FROM {_quoted(table.database)}.{_quoted(table.name)}{where} "
            f"ORDER BY xxhash64(to_utf8({row_key})) LIMIT {rows}")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def metric_queries(name: str, variants: list[str], period: int) -> list[dict[str, Any]]:
    return [{"Id": f"m{i}_{j}", "ReturnData": True, "MetricStat": {
        "Metric": {"Namespace": "AWS/SageMaker", "MetricName": metric,
                   "Dimensions": [{"Name": "EndpointName", "Value": name}, {"Name": "VariantName", "Value": variant}]},
        "Period": period, "Stat": stat}}
        for i, variant in enumerate(variants) for j, (metric, stat) in enumerate(METRICS)]


# -- answers → our models -------------------------------------------------------------------------


def config_variant_specs(config: dict[str, Any]) -> list[dict[str, Any]]:
    return [*config.get("ProductionVariants", []), *config.get("ShadowProductionVariants", [])]


def config_variants(raw: dict[str, Any], config: dict[str, Any]) -> tuple[Variant, ...]:
    """The variants as configured, with the weights SageMaker applies now (the endpoint's, if it has them)."""
    current = {v["VariantName"]: v for v in [*raw.get("ProductionVariants", []), *raw.get("ShadowProductionVariants", [])]}
    source = config or {"ProductionVariants": raw.get("ProductionVariants", []),
                        "ShadowProductionVariants": raw.get("ShadowProductionVariants", [])}
    found = []
    for shadow, key in ((False, "ProductionVariants"), (True, "ShadowProductionVariants")):
        for spec in source.get(key, []):
            live = current.get(spec["VariantName"], {})
            weight = live.get("CurrentWeight", spec.get("InitialVariantWeight", live.get("DesiredWeight", 1.0)))
            found.append(Variant(spec["VariantName"], "", float(weight), shadow))
    return tuple(found)


def endpoint_from_aws(raw: dict[str, Any], config: dict[str, Any], model_ids: dict[str, str], record: ModelRecord | None,
                      traffic: dict[str, Traffic], gateway: str) -> Endpoint:
    stats = tuple(VariantStats(v.name, model_ids.get(v.name, ""), v.weight, v.shadow, **asdict(traffic.get(v.name, Traffic())))
                  for v in config_variants(raw, config))
    answering = [s for s in stats if not s.shadow]
    status = STATUSES.get(raw.get("EndpointStatus", ""), "Creating")
    created = raw.get("CreationTime")
    uptime = (datetime.now(UTC) - created).total_seconds() if status == "InService" and isinstance(created, datetime) else None
    framework = record.framework if record else ""
    return Endpoint(
        name=raw["EndpointName"], status=status, url=f"{gateway}/endpoints/{quote(raw['EndpointName'])}/invocations",
        variants=stats, created_at=_iso(created), failure_reason=failure_reason(raw, status), capture_percent=capture_percent(raw, config),
        uptime_seconds=uptime, requests=sum(s.requests for s in answering), errors=sum(s.errors for s in answering),
        latency_p50_ms=_highest(s.latency_p50_ms for s in answering), latency_p99_ms=_highest(s.latency_p99_ms for s in answering),
        problem_type=record.problem_type if record else "", framework=framework,
        input_columns=tuple(c.name for c in record.input_schema) if record else (), text_model=bool(record and record.text_model),
    )


def failure_reason(raw: dict[str, Any], status: str) -> str:
    if status != "Failed":
        return ""
    reason = str(raw.get("FailureReason") or "")
    if raw.get("EndpointStatus") == "OutOfService":
        return reason or "SageMaker reports the endpoint OutOfService: it cannot answer requests."
    return reason or "SageMaker gave no reason; see the endpoint's logs."


def capture_percent(raw: dict[str, Any], config: dict[str, Any]) -> int:
    configured = config.get("DataCaptureConfig") or {}
    live = raw.get("DataCaptureConfig") or {}
    if not (live.get("EnableCapture", configured.get("EnableCapture", False))):
        return 0
    return int(live.get("CurrentSamplingPercentage", configured.get("InitialSamplingPercentage", 100)))


def traffic_from_results(variants: list[str], results: list[dict[str, Any]]) -> dict[str, Traffic]:
    """Counts summed over the window's datapoints; latency (CloudWatch's microseconds) the worst datapoint, in ms."""
    values = {r["Id"]: [float(v) for v in r.get("Values", [])] for r in results}
    traffic = {}
    for i, variant in enumerate(variants):
        requests, errors_4xx, errors_5xx, p50, p99 = (values.get(f"m{i}_{j}", []) for j in range(len(METRICS)))
        traffic[variant] = Traffic(int(sum(requests)), int(sum(errors_4xx) + sum(errors_5xx)),
                                   max(p50) / 1000 if p50 else None, max(p99) / 1000 if p99 else None)
    return traffic


def _highest(values: Any) -> float | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None


def invoke_error(exc: ClientError, name: str, region: str) -> ServiceError:
    """``ValidationError`` for an unknown endpoint → ``NotFound``; ``ModelError`` keeps the model's message."""
    code = error_code(exc)
    message = str(exc.response.get("Error", {}).get("Message", "")) or code
    if code == "ValidationError":
        if re.search(r"not found|could not find|does not exist", message, re.I):
            return NotFound(f"No SageMaker endpoint named {name!r} in {region}.", hint=NOT_FOUND_HINT)
        return InvalidInput(f"SageMaker refused the request: {message}", hint="Check the endpoint, variant and content type.")
    if code == "ModelError":
        return model_error(exc, name, message)
    if code == "ModelNotReadyException":
        return BackendUnavailable(f"The model behind {name!r} is not ready: {message}", hint="Wait a moment and try again.")
    return translate(exc)


def model_error(exc: ClientError, name: str, message: str) -> ServiceError:
    response: dict[str, Any] = dict(exc.response)
    error: dict[str, Any] = dict(response.get("Error") or {})
    original = response.get("OriginalMessage") or error.get("OriginalMessage") or message
    status = int(response.get("OriginalStatusCode") or error.get("OriginalStatusCode") or 500)
    if status < 500:
        return InvalidInput(f"The model refused the request ({status}): {original}",
                            hint="Check the body's content type and columns against what the model reads.")
    return BackendUnavailable(f"The model failed ({status}): {original}",
                              hint=f"See the endpoint's logs (CloudWatch {LOG_GROUP.format(name=name)}).")


def score_from_body(body: bytes, variant: str, latency_ms: float) -> ScoreResult:
    """The first of ``{"predictions": [{"predicted_label", "probability", "probabilities", ...}]}``."""
    try:
        prediction = json.loads(body)["predictions"][0]
        label = prediction["predicted_label"]
        probabilities = {str(k): float(v) for k, v in (prediction.get("probabilities") or {}).items()}
        probability = prediction.get("probability")
        tokens = tuple(str(t) for t in prediction.get("tokens") or ())
        token_scores = {str(k): tuple(float(s) for s in v) for k, v in (prediction.get("token_scores") or {}).items()}
        return ScoreResult(str(label), None if probability is None else float(probability), probabilities, latency_ms,
                           variant, tokens, token_scores)
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        preview = body[:200].decode(errors="replace")
        raise InternalError(f"The endpoint's container answered in an unexpected format: {preview!r}", hint=FORMAT_HINT) from exc


def prediction_columns(lines: list[str], classes: list[str]) -> pd.DataFrame:
    """``predicted_label``, ``probability`` (when the output is class scores) and the raw ``prediction`` line."""
    return pd.DataFrame([prediction_of(line, classes) for line in lines], columns=["predicted_label", "probability", "prediction"])


def prediction_of(line: str, classes: list[str]) -> tuple[str, float | None, str]:
    """One output line of a transform: a score per class, a binary classifier's one score, or a label as it is."""
    scores = _numbers(line)
    if classes and scores and len(scores) == len(classes) >= 2:
        best = max(range(len(scores)), key=scores.__getitem__)
        return classes[best], scores[best], line
    if len(classes) == 2 and scores and len(scores) == 1 and 0.0 <= scores[0] <= 1.0:
        positive = scores[0] >= 0.5
        return classes[int(positive)], scores[0] if positive else 1.0 - scores[0], line
    return line.strip(), None, line


def _numbers(line: str) -> list[float] | None:
    try:
        return [float(part) for part in line.strip().strip("[]").split(",")]
    except ValueError:
        return None


def capture_variant(key: str, prefix: str) -> str:
    """``{prefix}{endpoint}/{variant}/yyyy/mm/dd/hh/file.jsonl`` → variant."""
    parts = key[len(prefix):].split("/")
    return parts[1] if len(parts) > 2 else ""


def capture_rows(text: bytes, variant: str) -> list[dict[str, str]]:
    """SageMaker's capture records (one JSON object a line) as flat rows; unreadable lines are skipped."""
    rows = []
    for line in text.decode(errors="replace").splitlines():
        try:
            record = json.loads(line)
            data, meta = record.get("captureData") or {}, record.get("eventMetadata") or {}
        except (ValueError, AttributeError):
            continue
        given, answered = data.get("endpointInput") or {}, data.get("endpointOutput") or {}
        rows.append({"event_id": str(meta.get("eventId", "")), "inference_time": str(meta.get("inferenceTime", "")),
                     "variant": variant, "input_content_type": str(given.get("observedContentType", "")),
                     "input_data": captured_text(given), "output_content_type": str(answered.get("observedContentType", "")),
                     "output_data": captured_text(answered)})
    return rows


def captured_text(part: dict[str, Any]) -> str:
    """A captured body as text: SageMaker base64-encodes content types it was not told are JSON or CSV."""
    data = str(part.get("data", ""))
    if str(part.get("encoding", "")).upper() != "BASE64":
        return data
    try:
        return base64.b64decode(data).decode(errors="replace")
    except (binascii.Error, ValueError):
        return data


def capture_events(rows: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """``read_capture``'s rows as the capture records ``monitoring.captured_traffic`` reads (bodies already decoded)."""
    for row in rows.itertuples(index=False):
        yield {"captureData": {"endpointInput": {"observedContentType": row.input_content_type, "data": row.input_data},
                               "endpointOutput": {"observedContentType": row.output_content_type, "data": row.output_data}},
               "eventMetadata": {"eventId": row.event_id, "inferenceTime": row.inference_time}}


def capture_view_sql(database: str, view: str) -> str:
    """Athena DDL for the capture view with the local capture table's columns: the variant is the folder
    after the endpoint's in each file's path; label and probability are the first prediction's
    (JSON ``predictions`` or a CSV line), as the local table reads them."""
    return (f'CREATE OR REPLACE VIEW "{database}"."{view}" AS SELECT flat.*, '
            f"CASE WHEN {_CSV_OUTPUT} THEN split_part({_FIRST_LINE}, ',', 1) ELSE coalesce("
            "json_extract_scalar(output_data, '$.predictions[0].predicted_label'), "
            "json_extract_scalar(output_data, '$.predictions[0].label')) END AS predicted_label, "
            f"try_cast(CASE WHEN {_CSV_OUTPUT} THEN split_part({_FIRST_LINE}, ',', 2) "
            "ELSE json_extract_scalar(output_data, '$.predictions[0].probability') END AS double) AS probability, "
            f"CASE WHEN {_CSV_OUTPUT} THEN cardinality(split(trim(output_data), chr(10))) "
            "ELSE json_array_length(json_extract(output_data, '$.predictions')) END AS prediction_count "
            "FROM (SELECT eventmetadata.eventid AS event_id, "
            "try(CAST(from_iso8601_timestamp(eventmetadata.inferencetime) AS timestamp)) AS inference_time, "
            "regexp_extract(\"$path\", '/capture/[^/]+/([^/]+)/', 1) AS variant, "
            f"capturedata.endpointinput.observedcontenttype AS input_content_type, {_decoded_sql('endpointinput')} AS input_data, "
            f"capturedata.endpointoutput.observedcontenttype AS output_content_type, {_decoded_sql('endpointoutput')} AS output_data "
            f'FROM "{database}"."{view}_raw") AS flat')



def _decoded_sql(part: str) -> str:
    column = f"capturedata.{part}"
    return f"CASE WHEN upper({column}.encoding) = 'BASE64' THEN from_utf8(from_base64({column}.data)) ELSE {column}.data END"


def build_aws_endpoints(services: Services) -> AwsEndpoints:
    """The SageMaker hosting adapter; its batch index shares the workspace's metadata file."""
    from services.aws_session import make_session

    settings = services.settings
    settings.home.mkdir(parents=True, exist_ok=True)
    return AwsEndpoints(make_session(settings), settings, services, MetadataStore(settings.home / "metadata.sqlite"))
