"""Data capture and drift on SageMaker: the capture table and view in Glue/Athena, captured rows read
from S3, and drift reports against the model's baseline."""

from __future__ import annotations

import base64
import binascii
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import awswrangler as wr
import pandas as pd
from botocore.exceptions import ClientError

from services.aws.errors import translated
from services.aws.model_packages import model_from_package
from services.aws.sagemaker import error_code, parse_model_id
from services.catalog.files import sanitize_table_name
from services.endpoints import monitoring
from services.endpoints.aws.common import EndpointsBase, config_variants
from services.endpoints.baseline import training_source
from services.endpoints.models import (
    CapturedInvocation,
    DriftReport,
)
from services.errors import InvalidInput
from services.models import DataSource, ModelRecord, Table
from services.training.baseline import (
    BASELINE_FOLDER,
    CONSTRAINTS_FILE,
    MAX_ROWS,
    STATISTICS_FILE,
    Baseline,
    has_baseline,
    load_baseline,
    sample_rows,
    write_baseline,
    write_json,
)
from services.training.data import read_file, split_table_name

CAPTURE_DATABASE = "endpoints"
CAPTURE_COLUMNS = ("event_id", "inference_time", "variant", "input_content_type", "input_data", "output_content_type",
                   "output_data")
# SageMaker's capture record, as the OpenX JSON SerDe reads it (it matches keys case-insensitively).
_CAPTURED = "struct<observedcontenttype:string,mode:string,data:string,encoding:string>"
RAW_CAPTURE_COLUMNS = {"capturedata": f"struct<endpointinput:{_CAPTURED},endpointoutput:{_CAPTURED}>",
                       "eventmetadata": "struct<eventid:string,inferencetime:string,inferenceid:string>",
                       "eventversion": "string"}
_CSV_OUTPUT = "lower(output_content_type) LIKE '%csv%'"  # in the capture view's SQL
_FIRST_LINE = "split_part(output_data, chr(10), 1)"
MAX_CAPTURE_FILES = 500  # newest capture files read for a drift report
RECENT_CAPTURE_FILES = 20  # newest capture files recent_capture reads
BASELINES_FOLDER = "aws-baselines"  # in the workspace: baselines computed here, one folder per model id
NO_PREDICTIONS_NOTE = ("No predicted-label distribution: this baseline was computed from the training table without "
                       "scoring it (that needs the endpoint or a Batch Transform job), so drift reports show no prediction drift.")


class Monitoring(EndpointsBase):
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
    def recent_capture(self, name: str, max_records: int = 50) -> list[CapturedInvocation]:
        """The newest ``max_records`` records of the newest ``RECENT_CAPTURE_FILES`` capture files, newest first."""
        capture = self.read_capture(name, max_files=RECENT_CAPTURE_FILES)
        if capture.empty:
            self._describe(name)  # nothing captured yet is fine, an unknown endpoint is not
        newest = capture.iloc[::-1].head(max(0, max_records))
        return [CapturedInvocation(**{column: str(getattr(row, column)) for column in CAPTURE_COLUMNS})
                for row in newest.itertuples(index=False)]

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
            source, text_column = training_source(self.jobs.describe_job, record.job_name, record.model_id)
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
        table = self.catalog.get_table(*split_table_name(source.table))
        names = {c.name for c in table.all_columns}
        if not names & set(columns):
            raise InvalidInput(f"{source.label} has none of the columns the model reads ({', '.join(columns)}).",
                               hint="Compare a table with the model's input columns.")
        result = self.query.run(sample_sql(table, [c for c in (*columns, *extra) if c in names], rows,
                                                    not_null if not_null in names else ""), max_rows=1)
        return pd.read_parquet(io.BytesIO(self.query.export_result(result.query_id, "parquet")))


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

