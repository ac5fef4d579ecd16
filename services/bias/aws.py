"""Bias on AWS: the shared engine over Athena for reports now, SageMaker Clarify processing jobs for the rest.

Choices, and why:

* ``analyze`` is the backend-agnostic engine (``services.bias.engine``): one aggregation query
  run by the query port, i.e. Athena here, so both backends compute the same numbers the same way.
* ``start_job`` runs ``SageMakerClarifyProcessor`` (sagemaker 3.x): pre-training metrics, plus
  post-training ones from a prediction column or from a registered model that Clarify deploys on
  a shadow endpoint for the job's life. ``job_report`` reads the job's ``analysis.json`` back.
* Clarify reads a table's own files when it can (CSV with a header row, or Parquet, with every
  analysed column in the files). Otherwise — a local file, a SQL result, TSV/JSON tables,
  partition columns, or rows a model must read encoded — the rows are written as a CSV without
  header to ``s3://{bucket}/clarify/{job}/input/`` and their names given as ``headers``.
* Processing job names do not say what a job is for, so every job started here is indexed in the
  workspace store (``aws_clarify_jobs``: name, kind, request, last state seen). The explain adapter
  shares the index and the job handling through ``ClarifyJobs``.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
from botocore.exceptions import ClientError

from services.aws.encoding import transform_frame
from services.aws.errors import translated
from services.aws.job_index import IndexEntry, cached_job
from services.aws.model_packages import model_from_package, package_metadata
from services.aws.s3 import S3_READERS, catalog_names, original_name, split_s3_uri
from services.aws.sagemaker import BUCKET_HINT, ROLE_HINT, SageMakerClients, is_missing, iso
from services.bias.clarify_config import (
    DATASET_TYPES,
    ClarifyInput,
    ModelTarget,
    check_bias_request,
    clarify_processor,
    start_bias_job,
)
from services.bias.report import BiasReport, BiasRequest
from services.config import Settings
from services.embedded.metadata import MetadataStore, utc_now
from services.errors import BackendUnavailable, InvalidInput, NotFound
from services.models import FINISHED_JOB_STATUSES, Column, DataSource, Job, Table
from services.registry import Services
from services.training.data import read_file, require_column, resolve_source, split_table_name

SCHEMA = """
CREATE TABLE IF NOT EXISTS aws_clarify_jobs (
    name TEXT PRIMARY KEY, kind TEXT NOT NULL, created_at TEXT NOT NULL, config TEXT NOT NULL,
    cache_key TEXT NOT NULL DEFAULT '', snapshot TEXT NOT NULL DEFAULT '{}', settled INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS aws_clarify_jobs_created ON aws_clarify_jobs (created_at);
CREATE INDEX IF NOT EXISTS aws_clarify_jobs_cache ON aws_clarify_jobs (cache_key);
"""

CLARIFY_IMAGE = "sagemaker-clarify-processing"
LOGS_HINT = "Read the job's log in CloudWatch (log group /aws/sagemaker/ProcessingJobs)."
WAIT_HINT = "Wait for the job to finish: Clarify jobs take several minutes, longer when a model endpoint is started."


@dataclass(frozen=True)
class SourceData:
    """The rows a job reads: a catalog table (its version pinned), a local file, or a SQL result."""

    source: DataSource
    sql: str
    columns: tuple[Column, ...]
    table: Table | None = None
    frame: pd.DataFrame | None = None  # SQL results are read at once

    @property
    def types(self) -> dict[str, str]:
        return {c.name: c.type for c in self.columns}


class ClarifyJobIndex:
    """Clarify jobs started from this workbench, with the last state seen of each."""

    def __init__(self, store: MetadataStore) -> None:
        self.store = store
        store.ensure_schema(SCHEMA)

    def add(self, name: str, kind: str, config: dict[str, Any], cache_key: str = "", created_at: str = "") -> None:
        self.store.execute(
            "INSERT OR IGNORE INTO aws_clarify_jobs (name, kind, created_at, config, cache_key) VALUES (?, ?, ?, ?, ?)",
            (name, kind, created_at or utc_now(), json.dumps(config, default=str), cache_key),
        )

    def find(self, name: str) -> IndexEntry | None:
        row = self.store.fetch_one("SELECT * FROM aws_clarify_jobs WHERE name = ?", (name,))
        return None if row is None else _entry(row)

    def recent(self, kind: str, limit: int) -> list[IndexEntry]:
        rows = self.store.fetch_all("SELECT * FROM aws_clarify_jobs WHERE kind = ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
                                    (kind, limit))
        return [_entry(r) for r in rows]

    def with_cache_key(self, kind: str, cache_key: str) -> list[IndexEntry]:
        rows = self.store.fetch_all(
            "SELECT * FROM aws_clarify_jobs WHERE kind = ? AND cache_key = ? ORDER BY created_at DESC, rowid DESC",
            (kind, cache_key))
        return [_entry(r) for r in rows]

    def save(self, job: Job, settled: bool) -> None:
        snapshot = {k: v for k, v in asdict(job).items() if k != "config"}
        self.store.execute("UPDATE aws_clarify_jobs SET snapshot = ?, settled = ? WHERE name = ?",
                           (json.dumps(snapshot, default=str), int(settled), job.name))


def _entry(row: Any) -> IndexEntry:
    return IndexEntry(row["name"], row["kind"], row["created_at"], json.loads(row["config"]),
                      json.loads(row["snapshot"]), bool(row["settled"]))


class ClarifyJobs(SageMakerClients):
    """What the bias and explain adapters share: settings, inputs in S3, models, and watching jobs."""

    kind = "clarify"

    def __init__(self, session: boto3.Session, settings: Settings, services: Services, store: MetadataStore) -> None:
        self.session = session
        self.settings = settings
        self.services = services
        self.index = ClarifyJobIndex(store)

    # -- watching jobs ------------------------------------------------------------------------

    @translated
    def describe_job(self, name: str) -> Job:
        """The job as SageMaker reports it; finished jobs are read from the index from then on."""
        entry = self.index.find(name)
        if entry is None:
            return self._adopt(name)
        if entry.kind != self.kind:
            raise NotFound(f"{name} is a {entry.kind} job, not a {self.kind} job.", hint=f"Pick a {self.kind} job from the list.")
        if entry.settled:
            return cached_job(entry)
        job = job_from_processing(self._describe_processing(name), entry.kind, entry.config)
        self.index.save(job, job.finished)
        return job

    def _adopt(self, name: str) -> Job:
        """A Clarify job started elsewhere (a notebook, Studio) is indexed under this adapter's kind."""
        raw = self._describe_processing(name)
        if CLARIFY_IMAGE not in str((raw.get("AppSpecification") or {}).get("ImageUri", "")):
            raise NotFound(f"{name} is not a SageMaker Clarify job.", hint="Pick a job from the jobs list.")
        job = job_from_processing(raw, self.kind, {})
        self.index.add(name, self.kind, {"output_uri": job.result["output"]}, created_at=job.created_at)
        self.index.save(job, job.finished)
        return job

    def _describe_processing(self, name: str) -> dict[str, Any]:
        try:
            return self._sagemaker.describe_processing_job(ProcessingJobName=name)  # type: ignore[no-any-return]
        except ClientError as exc:
            if is_missing(exc):
                raise NotFound(f"No SageMaker processing job named {name!r} in {self.region}.",
                               hint="Pick a job from the jobs list.") from exc
            raise

    @translated
    def list_jobs(self, limit: int = 50) -> list[Job]:
        """Jobs of this kind started from this workbench, newest first; running ones asked about afresh."""
        return [cached_job(entry) if entry.settled else self._refresh(entry) for entry in self.index.recent(self.kind, limit)]

    def _refresh(self, entry: IndexEntry) -> Job:
        try:
            return self.describe_job(entry.name)
        except NotFound:
            return cached_job(entry)

    def _completed(self, name: str) -> Job:
        """The job, when it has completed; otherwise ``InvalidInput`` saying what to do."""
        job = self.describe_job(name)
        if job.status == "Completed":
            return job
        if job.status == "Failed":
            raise InvalidInput(f"The Clarify job {name} failed: {job.failure_reason or 'no reason given'}.", hint=LOGS_HINT)
        if job.status == "Stopped":
            raise InvalidInput(f"The Clarify job {name} was stopped before it finished.", hint="Start a new job.")
        raise InvalidInput(f"The Clarify job {name} has not finished yet ({job.status}).", hint=WAIT_HINT)

    def _read_output(self, job: Job, relative: str) -> bytes:
        """A file the job wrote under its output prefix."""
        return self._read_s3(f"{output_uri(job).rstrip('/')}/{relative}", job.name)

    def _read_s3(self, uri: str, job_name: str) -> bytes:
        bucket, key = split_s3_uri(uri)
        try:
            return self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()  # type: ignore[no-any-return]
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code", "")) in ("NoSuchKey", "404"):
                raise NotFound(f"The Clarify job {job_name} left no {key.rsplit('/', 1)[-1]} at {uri}.", hint=LOGS_HINT) from exc
            raise

    # -- settings, data and models ------------------------------------------------------------

    def _require_setup(self) -> tuple[str, str]:
        if not self.settings.s3_bucket:
            raise BackendUnavailable("No S3 bucket is configured for Clarify's inputs and outputs.", hint=BUCKET_HINT)
        if not self.settings.sagemaker_role:
            raise BackendUnavailable("No IAM role is configured for Clarify processing jobs.", hint=ROLE_HINT)
        return self.settings.s3_bucket, self.settings.sagemaker_role

    def _source_data(self, source: DataSource, sql: str) -> SourceData:
        """The source with its version pinned and its columns; ``NotFound`` / ``InvalidInput`` when unusable."""
        if sql:
            frame = self._sql_frame(sql)
            return SourceData(DataSource(), sql, frame_columns(frame), frame=frame)
        if source.table and not source.path:
            table = self.services.catalog.get_table(*split_table_name(source.table))
            pinned = replace(source, table=table.qualified_name, table_version=table.version_id)
            return SourceData(pinned, "", table.all_columns, table=table)
        pinned, columns = resolve_source(self.services.catalog, self.services.settings, source)
        return SourceData(pinned, "", columns)

    def _sql_frame(self, sql: str) -> pd.DataFrame:
        """The full result of ``sql`` (Athena writes it as CSV; the query port hands it over)."""
        result = self.services.query.run(sql, max_rows=1)
        return pd.read_csv(io.BytesIO(self.services.query.export_result(result.query_id, "csv")))

    def _frame(self, data: SourceData) -> pd.DataFrame:
        """All rows with the catalog's column names (read whole: fine for workbench-sized tables)."""
        if data.frame is not None:
            return data.frame
        if data.table is None:
            return read_file(Path(data.source.path))
        frame = S3_READERS[data.table.format](data.table.location.rstrip("/") + "/", self.session)
        return frame.rename(columns=catalog_names(data.columns, list(frame.columns)))

    def _staged_input(self, frame: pd.DataFrame, prefix: str, types: dict[str, str], excluded: tuple[str, ...] = ()) -> ClarifyInput:
        """Rows written as CSV without header under ``prefix``; Clarify is given their names."""
        if frame.empty:
            raise InvalidInput("The data has no rows to analyse.", hint="Pick a table, file or query with data.")
        uri = f"{prefix}data.csv"
        self._put_csv(frame, uri, header=False)
        return ClarifyInput(uri, "text/csv", {}, types, headers=tuple(str(c) for c in frame.columns), excluded=excluded, rows=len(frame))

    def _put_csv(self, frame: pd.DataFrame, uri: str, header: bool) -> None:
        bucket, key = split_s3_uri(uri)
        self._s3.put_object(Bucket=bucket, Key=key, Body=frame.to_csv(header=header, index=False).encode())

    def _csv_header(self, uri: str) -> list[str]:
        """The header row of the first data file under ``uri``."""
        bucket, prefix = split_s3_uri(uri)
        listed = self._s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=100).get("Contents", [])
        keys = [o["Key"] for o in listed if not o["Key"].endswith("/") and not hidden_key(o["Key"][len(prefix):])]
        if not keys:
            raise NotFound(f"No data files under {uri}.", hint="Check the table's location holds its CSV files.")
        head = self._s3.get_object(Bucket=bucket, Key=keys[0], Range="bytes=0-65535")["Body"].read()
        first_line = head.split(b"\n", 1)[0].decode(errors="replace").rstrip("\r")
        return next(csv.reader([first_line]), [])

    def _processor(self, role: str) -> Any:
        return clarify_processor(self.session, self._sagemaker, role, self.settings.training_instance_type)


class AwsBias(ClarifyJobs):
    """The bias port on AWS; Clarify's files live under ``s3://{WORKBENCH_S3_BUCKET}/clarify/{job}/``."""

    kind = "bias"

    def analyze(self, request: BiasRequest) -> BiasReport:
        """The shared engine: one aggregation query through the query port (Athena)."""
        from services.bias.engine import analyze

        return analyze(self.services, request)

    @translated
    def start_job(self, request: BiasRequest) -> str:
        """A Clarify processing job for ``request``; everything is checked before anything is created."""
        check_bias_request(request)
        bucket, role = self._require_setup()
        data = self._source_data(request.source, request.sql)
        for column, purpose in analysed_columns(request):
            require_column(data.columns, column, purpose)
        package = self._package(request.model_id) if request.model_id else None
        name = clarify_job_name(self.kind)
        prefix = f"s3://{bucket}/clarify/{name}/"
        if package is None:
            clarify_input, model = self._input(data, request, f"{prefix}input/"), None
        else:
            clarify_input = self._model_input(data, request, package, f"{prefix}input/")
            model = ModelTarget(self._ensure_model(package, role), self.settings.training_instance_type,
                                label_headers=model_label_headers(package))
        start_bias_job(self._processor(role), request, clarify_input, f"{prefix}output", name, model)
        config = asdict(replace(request, source=data.source)) | {
            "input_uri": clarify_input.uri, "output_uri": f"{prefix}output", "rows": clarify_input.rows,
            "model_name": model.model_name if model else ""}
        self.index.add(name, self.kind, config)
        return name

    def _input(self, data: SourceData, request: BiasRequest, prefix: str) -> ClarifyInput:
        """The table's own files when Clarify can read them as they are, else the rows staged as CSV."""
        needed = [c for c, _ in analysed_columns(request)]
        table = data.table
        partition_keys = {c.name for c in table.partition_keys} if table else set()
        if table is None or table.format not in DATASET_TYPES or partition_keys & set(needed):
            return self._staged_input(self._frame(data), prefix, data.types)
        uri = table.location.rstrip("/") + "/"
        return ClarifyInput(uri, DATASET_TYPES[table.format], self._file_names(table, uri, needed), data.types)

    def _file_names(self, table: Table, uri: str, needed: list[str]) -> dict[str, str]:
        """Our column names as the files spell them (the catalog lower-cases and sanitises them)."""
        originals = {c: original_name(table.all_columns, c) for c in needed}
        if table.format != "csv":
            return originals
        header = {h.lower(): h for h in self._csv_header(uri)}
        return {c: header.get(originals[c].lower(), header.get(c.lower(), originals[c])) for c in needed}

    def _model_input(self, data: SourceData, request: BiasRequest, package: dict[str, Any], prefix: str) -> ClarifyInput:
        """Rows as the model reads them, plus the analysed columns it does not read (excluded from its input)."""
        frame = self._frame(data)
        features = model_rows(frame, package)
        staged, names, excluded = with_analysed_columns(features, frame, request)
        clarify_input = self._staged_input(staged, prefix, data.types, excluded)
        return replace(clarify_input, names=names)

    @translated
    def job_report(self, name: str) -> BiasReport:
        """The completed job's ``analysis.json`` as a report (Clarify gives no counts or intervals)."""
        job = self._completed(name)
        analysis = json.loads(self._read_output(job, "analysis.json"))
        extras = {"rows": int(job.config.get("rows") or 0), "config": job.config, "seconds": job_seconds(job),
                  "notes": [f"Computed by the SageMaker Clarify processing job {name}."]}
        return BiasReport.from_analysis_json(analysis, extras)


# -- requests → inputs --------------------------------------------------------------------------------


def analysed_columns(request: BiasRequest) -> list[tuple[str, str]]:
    """(column, what it is for) for every column the analysis reads besides the features."""
    found = [(request.label, "label"), (request.facet, "facet"), (request.group, "group"), (request.predicted, "prediction")]
    return [(column, purpose) for column, purpose in found if column]


def model_rows(frame: pd.DataFrame, package: dict[str, Any]) -> pd.DataFrame:
    """The model's inputs as it reads them (encoded for built-in algorithms)."""
    return transform_frame(frame, package_metadata(package))


def with_analysed_columns(features: pd.DataFrame, frame: pd.DataFrame,
                          request: BiasRequest) -> tuple[pd.DataFrame, dict[str, str], tuple[str, ...]]:
    """The features plus the label and any facet or group column the model does not read as it is.
    Returns the rows, our name → staged name, and the staged columns to keep from the model."""
    columns, names, excluded = {str(c): features[c] for c in features.columns}, {}, []
    for column, purpose in analysed_columns(request):
        if column in columns and columns[column].equals(frame[column]):
            continue  # the model reads it as it is: Clarify uses the same column
        staged = column if column not in columns else f"{column}_value"
        columns[staged], names[column] = frame[column], staged
        if purpose != "label":  # Clarify never sends the label to the model
            excluded.append(staged)
    return pd.DataFrame(columns), names, tuple(excluded)


def model_label_headers(package: dict[str, Any]) -> tuple[str, ...]:
    """The classes, for models answering one score per class (more than two classes)."""
    classes = model_from_package(package).classes
    return classes if len(classes) > 2 else ()


def frame_columns(frame: pd.DataFrame) -> tuple[Column, ...]:
    return tuple(Column(str(name), glue_type(frame[name])) for name in frame.columns)


def glue_type(values: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(values):
        return "boolean"
    if pd.api.types.is_integer_dtype(values):
        return "bigint"
    if pd.api.types.is_float_dtype(values):
        return "double"
    return "string"


# -- responses → our models ---------------------------------------------------------------------------


def job_from_processing(raw: dict[str, Any], kind: str, config: dict[str, Any]) -> Job:
    """``DescribeProcessingJob`` as a ``Job`` (processing jobs have no secondary status)."""
    status = raw["ProcessingJobStatus"]
    outputs = (raw.get("ProcessingOutputConfig") or {}).get("Outputs") or [{}]
    result = {"arn": raw.get("ProcessingJobArn", ""), "output": (outputs[0].get("S3Output") or {}).get("S3Uri", ""),
              "exit_message": raw.get("ExitMessage", "")}
    failure = raw.get("FailureReason", "") or (raw.get("ExitMessage", "") if status == "Failed" else "")
    return Job(name=raw["ProcessingJobName"], kind=kind, status=status,
               secondary_status="Processing" if status == "InProgress" else status, created_at=iso(raw.get("CreationTime")),
               config=config, started_at=iso(raw.get("ProcessingStartTime")),
               ended_at=iso(raw.get("ProcessingEndTime")) if status in FINISHED_JOB_STATUSES else "",
               failure_reason=failure, model_id=str(config.get("model_id", "")), result=result)


def output_uri(job: Job) -> str:
    return str(job.config.get("output_uri") or job.result.get("output", ""))


def job_seconds(job: Job) -> float:
    start, end = job.started_at or job.created_at, job.ended_at
    if not start or not end:
        return 0.0
    return max(0.0, (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds())


def clarify_job_name(kind: str, now: datetime | None = None) -> str:
    """``{kind}-{yymmdd-hhmmss}-{hex4}``: a valid processing job name (at most 63 characters)."""
    stamp = (now or datetime.now(UTC)).strftime("%y%m%d-%H%M%S")
    return f"{kind}-{stamp}-{uuid.uuid4().hex[:4]}"


def hidden_key(relative: str) -> bool:
    return any(part.startswith(("_", ".")) for part in relative.split("/"))


def build_aws_bias(services: Services) -> AwsBias:
    """The Clarify adapter; its job index lives in the workspace's metadata file."""
    from services.aws.session import make_session

    settings = services.settings
    settings.home.mkdir(parents=True, exist_ok=True)
    return AwsBias(make_session(settings), settings, services, MetadataStore(settings.home / "metadata.sqlite"))
