"""Batch Transform into a catalog table: rows staged in S3 as the model reads them, a transform job, and
the scored rows registered through the storage port once the job completed."""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import awswrangler as wr
import pandas as pd

from services.aws.encoding import csv_rows, transform_frame
from services.aws.errors import AWS_ERRORS, translate, translated
from services.aws.jobs import job_from_transform, transform_job_spec
from services.aws.model_packages import package_metadata
from services.aws.s3 import S3_READERS, catalog_names, split_s3_uri
from services.aws.sagemaker import job_name, model_id_of
from services.embedded.metadata import MetadataStore, utc_now
from services.endpoints.aws.common import EndpointsBase
from services.endpoints.aws.predictions import prediction_of
from services.errors import AlreadyExists, InternalError, InvalidInput, NotFound, ServiceError
from services.models import DataSource, Job
from services.names import check_output_table
from services.training.data import read_file, split_table_name

SCHEMA = """
CREATE TABLE IF NOT EXISTS aws_batch_transforms (
    name TEXT PRIMARY KEY, created_at TEXT NOT NULL, config TEXT NOT NULL,
    snapshot TEXT NOT NULL DEFAULT '{}', settled INTEGER NOT NULL DEFAULT 0
);
"""

# Writing and registering the output: our own refusals and AWS's, read through the one translation table.
SETTLE_ERRORS: tuple[type[Exception], ...] = (ServiceError, *AWS_ERRORS)


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



class Batch(EndpointsBase):
    @cached_property
    def batches(self) -> BatchIndex:
        return BatchIndex(self.store)

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
        model_name = self._ensure_model(package, role)
        self._sagemaker.create_transform_job(**transform_job_spec(name, model_name, prefix, self.settings.training_instance_type))
        self.batches.add(name, {"model_id": model_id_of(package), "source": asdict(source), "sql": sql,
                                "output_table": f"{database}.{table}", "output_uri": output_uri,
                                "rows_uri": f"{prefix}rows/rows.parquet", "predictions_uri": f"{prefix}output/data.csv.out",
                                "classes": [str(c) for c in metadata.get("classes", [])], "model_name": model_name})
        return name

    def _require_output_free(self, database: str, table: str, output_uri: str) -> None:
        """Never repoint a table that is not a batch output of ours (e.g. the source) at the predictions."""
        try:
            existing = self.catalog.get_table(database, table)
        except NotFound:
            return
        if existing.location.rstrip("/") + "/" != output_uri:
            raise AlreadyExists(f"{database}.{table} exists already and is not a batch output.",
                                hint="Pick another output table name.")

    def _batch_rows(self, source: DataSource, sql: str) -> pd.DataFrame:
        if sql:
            result = self.query.run(sql, max_rows=1)
            rows = pd.read_csv(io.BytesIO(self.query.export_result(result.query_id, "csv")))
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
        table = self.catalog.get_table(*split_table_name(qualified_name))
        if table.format not in S3_READERS:
            raise InvalidInput(f"{qualified_name} is stored as {table.format}, which cannot be read here.",
                               hint="Convert it to Parquet or CSV (CREATE TABLE AS in the query page).")
        frame = S3_READERS[table.format](table.location.rstrip("/") + "/", self.session)
        return frame.rename(columns=catalog_names(table.all_columns, list(frame.columns)))

    def _stage_rows(self, rows: pd.DataFrame, features: pd.DataFrame, prefix: str, fill: bool) -> None:
        """The model's input as CSV without header, and the rows as they are (joined with the predictions later)."""
        body = csv_rows(features, fill)
        bucket, key = split_s3_uri(f"{prefix}input/data.csv")
        self._s3.put_object(Bucket=bucket, Key=key, Body=body)
        wr.s3.to_parquet(df=rows.reset_index(drop=True), path=f"{prefix}rows/rows.parquet", boto3_session=self.session)

    @translated
    def describe_batch_transform(self, name: str) -> Job:
        """The transform job as SageMaker reports it; the first time it is seen Completed, the scored rows are
        written under the output prefix and registered as the output table through the storage port."""
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
        """Register the output table of a completed job. Until that is done the job is not Completed to the caller:
        InProgress while the predictions are not in S3 yet, Failed (with the reason) when registering failed; both
        are tried again on the next describe."""
        if job.status != "Completed":
            return job, job.finished
        try:
            self._write_output(entry.config)
        except SETTLE_ERRORS as exc:
            error = translate(exc)
            if isinstance(error, NotFound):  # the predictions file is not there yet
                return replace(job, status="InProgress", secondary_status="Registering", ended_at="",
                               result=job.result | {"settle_error": str(error)}), False
            return self._unregistered(job, error), False
        return replace(job, result=job.result | {"output_table": entry.config["output_table"]}), True

    @staticmethod
    def _unregistered(job: Job, error: ServiceError) -> Job:
        reason = f"Every row was scored, but the output table could not be written: {error.message}"
        return replace(job, status="Failed", secondary_status="Failed", failure_reason=reason,
                       result=job.result | {"settle_error": str(error)})

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
        wr.s3.to_parquet(df=scored, path=config["output_uri"], dataset=True, mode="overwrite", boto3_session=self.session)
        self.storage.register_table(database, table, config["output_uri"])



def prediction_columns(lines: list[str], classes: list[str]) -> pd.DataFrame:
    """``predicted_label``, ``probability`` (when the output is class scores) and the raw ``prediction`` line."""
    return pd.DataFrame([prediction_of(line, classes) for line in lines], columns=["predicted_label", "probability", "prediction"])
