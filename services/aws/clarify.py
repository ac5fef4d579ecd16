"""What the aws bias and explain adapters share: SageMaker Clarify processing jobs, their inputs and outputs.

* ``ClarifyJobs`` is the base of both adapters: settings, the rows a job reads (a catalog table with
  its version pinned, a local file, or a SQL result), rows staged in S3, the processor, and reading a
  completed job's files. The job index and ``DescribeProcessingJob`` live in ``processing_jobs``.
* ``ClarifyInput`` / ``ModelTarget`` and ``data_config`` / ``model_config`` become the sagemaker SDK's
  ``DataConfig`` and ``ModelConfig``; what a bias or a SHAP analysis adds lives beside its adapter.

Clarify reads a CSV either with its header row (a table's own files: no ``headers`` given, so Clarify
takes them from the data) or without one (files we stage: ``headers`` given), so ``ClarifyInput.names``
maps our column names to the names Clarify will see.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
from botocore.exceptions import ClientError
from sagemaker.core.clarify import DataConfig, ModelConfig, SageMakerClarifyProcessor
from sagemaker.core.helper.session_helper import Session

from services.aws.encoding import transform_frame
from services.aws.model_packages import package_metadata
from services.aws.processing_jobs import ClarifyJobIndex, describe_clarify_job
from services.aws.s3 import S3_READERS, catalog_names, hidden_key, split_s3_uri
from services.aws.sagemaker import BUCKET_HINT, ROLE_HINT, SageMakerClients
from services.catalog.base import CatalogPort
from services.config import Settings
from services.embedded.metadata import MetadataStore
from services.errors import BackendUnavailable, InvalidInput, NotFound
from services.models import Column, DataSource, Job, Table
from services.query.base import QueryPort
from services.training.data import read_file, resolve_source, split_table_name

DATASET_TYPES = {"csv": "text/csv", "parquet": "application/x-parquet"}
MAX_RUNTIME_SECONDS = 4 * 3600
LOGS_HINT = "Read the job's log in CloudWatch (log group /aws/sagemaker/ProcessingJobs)."
WAIT_HINT = "Wait for the job to finish: Clarify jobs take several minutes, longer when a model endpoint is started."


@dataclass(frozen=True)
class ClarifyInput:
    """Where Clarify reads the rows, and how it names and types their columns."""

    uri: str
    dataset_type: str
    names: dict[str, str]  # our column name -> the name Clarify sees
    types: dict[str, str]  # our column name -> Glue type
    headers: tuple[str, ...] = ()  # given for the CSVs we stage (written without a header row)
    excluded: tuple[str, ...] = ()  # analysed, but not sent to the model
    rows: int = 0  # known for staged data only

    def name(self, column: str) -> str:
        return self.names.get(column, column)


@dataclass(frozen=True)
class ModelTarget:
    """A registered model as Clarify's shadow endpoint serves it."""

    model_name: str
    instance_type: str
    label_headers: tuple[str, ...] = ()  # the classes, when the model answers with one score per class


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


# -- SDK config objects -----------------------------------------------------------------------------


def data_config(data: ClarifyInput, output_uri: str, label: str = "", predicted: str = "") -> DataConfig:
    return DataConfig(
        s3_data_input_path=data.uri,
        s3_output_path=output_uri,
        label=data.name(label) if label else None,
        headers=list(data.headers) or None,
        dataset_type=data.dataset_type,
        predicted_label=data.name(predicted) if predicted else None,
        excluded_columns=[data.name(c) for c in data.excluded] or None,
    )


def model_config(target: ModelTarget) -> ModelConfig:
    """Clarify deploys ``model_name`` on a shadow endpoint for the job's life and sends it CSV rows."""
    return ModelConfig(model_name=target.model_name, instance_count=1, instance_type=target.instance_type,
                       content_type="text/csv", accept_type="text/csv")


def clarify_processor(boto_session: Any, sagemaker_client: Any, role: str, instance_type: str) -> SageMakerClarifyProcessor:
    """A processor on our own session and SageMaker client (never a default one)."""
    session = Session(boto_session=boto_session, sagemaker_client=sagemaker_client)
    return SageMakerClarifyProcessor(role=role, instance_count=1, instance_type=instance_type,
                                     max_runtime_in_seconds=MAX_RUNTIME_SECONDS, sagemaker_session=session)


# -- the adapters' shared base ----------------------------------------------------------------------


class ClarifyJobs(SageMakerClients):
    """Settings, inputs in S3, models, and watching jobs, for the bias and explain adapters."""

    kind = "clarify"

    def __init__(self, session: boto3.Session, settings: Settings, store: MetadataStore, *,
                 catalog: CatalogPort, query: QueryPort) -> None:
        self.session = session
        self.settings = settings
        self.catalog = catalog
        self.query = query
        self.index = ClarifyJobIndex(store)

    # -- the jobs' results (watching them: services.jobs) ---------------------------------------

    def _job(self, name: str) -> Job:
        """A job of this adapter's kind (``NotFound`` for another kind's); one started elsewhere is adopted."""
        return describe_clarify_job(self, self.index, name, self.kind)

    def _completed(self, name: str) -> Job:
        """The job, when it has completed; otherwise ``InvalidInput`` saying what to do."""
        job = self._job(name)
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
            table = self.catalog.get_table(*split_table_name(source.table))
            pinned = replace(source, table=table.qualified_name, table_version=table.version_id)
            return SourceData(pinned, "", table.all_columns, table=table)
        pinned, columns = resolve_source(self.catalog, self.settings, source)
        return SourceData(pinned, "", columns)

    def _sql_frame(self, sql: str) -> pd.DataFrame:
        """The full result of ``sql`` (Athena writes it as CSV; the query port hands it over)."""
        result = self.query.run(sql, max_rows=1)
        return pd.read_csv(io.BytesIO(self.query.export_result(result.query_id, "csv")))

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


# -- small pieces -----------------------------------------------------------------------------------


def model_rows(frame: pd.DataFrame, package: dict[str, Any]) -> pd.DataFrame:
    """The model's inputs as it reads them (encoded for built-in algorithms)."""
    return transform_frame(frame, package_metadata(package))


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
