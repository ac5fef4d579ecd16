"""The aws query engine: Athena through awswrangler; history and saved queries in the workspace store."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import cached_property
from typing import Any

import awswrangler as wr
import boto3
import pandas as pd
import sqlglot
from botocore.exceptions import ClientError
from sqlglot import exp
from sqlglot.errors import ParseError

from services.aws.errors import translated
from services.catalog.aws import AwsCatalog, object_sizes, require_bucket
from services.config import Settings
from services.errors import (
    AlreadyExists,
    BackendUnavailable,
    NotFound,
    QueryCancelled,
    QueryFailed,
    QueryRefused,
    QueryTimeout,
)
from services.models import (
    HistoryEntry,
    QueryResult,
    QueryStatistics,
    ResultColumn,
    ScanEstimate,
    Table,
)
from services.names import glue_name
from services.query.base import ExportFormat
from services.query.downloads import ResultDownloads
from services.query.history import FINISHED, HistoryMethods, QueryHistory
from services.query.partitions import partition_filter
from services.query.sandbox import catalog_command
from services.query.sandbox import check_read_only as sandbox_check

PAGE_ROWS = 1000  # Athena's GetQueryResults maximum
EXPORT_CHUNK_BYTES = 1024 * 1024
FAILED_HINT = "Fix the SQL and run it again; DESCRIBE shows a table's columns."
CANCELLED_HINT = "Run it again when you are ready."


class AwsQuery(HistoryMethods, ResultDownloads):
    """Athena-style SQL over the Glue catalog, run by Athena in ``settings.athena_workgroup``."""

    def __init__(
        self,
        session: boto3.Session,
        settings: Settings,
        history: QueryHistory,
        catalog: AwsCatalog,
        *,
        poll_seconds: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.session = session
        self.settings = settings
        self.history_store = history
        self.catalog = catalog
        self.poll_seconds = poll_seconds
        self._sleep = sleep
        self._workgroup_output: bool | None = None

    @cached_property
    def _athena(self) -> Any:
        return self.session.client("athena")

    # -- executions ---------------------------------------------------------------------------

    @translated
    def start_query(self, sql: str, database: str | None = None) -> str:
        """Check the SQL is read-only, start it in Athena and record it in the history. A refused statement
        never reaches Athena, so the history records it here, FAILED with the reason (as Athena lists failures)."""
        try:
            check_read_only(sql)
        except QueryRefused as exc:
            self.history_store.record_refused(sql, database or "", str(exc))
            raise
        query_id = self._start(sql, database)
        self.history_store.record_start(query_id, sql, database or "", status="QUEUED")
        return query_id

    def _start(self, sql: str, database: str | None) -> str:
        query_id = wr.athena.start_query_execution(
            sql=sql,
            database=database or None,
            s3_output=self._output_location(),
            workgroup=self.settings.athena_workgroup,
            boto3_session=self.session,
        )
        return str(query_id)

    def _output_location(self) -> str | None:
        """WORKBENCH_ATHENA_OUTPUT, else ``None`` when the workgroup has its own result location."""
        if self.settings.athena_output:
            return self.settings.athena_output
        if self._workgroup_output is None:
            group = wr.athena.get_work_group(self.settings.athena_workgroup, boto3_session=self.session)
            self._workgroup_output = _has_result_location(group["WorkGroup"].get("Configuration", {}))
        if not self._workgroup_output:
            raise BackendUnavailable(
                f"Athena has nowhere to write results: workgroup {self.settings.athena_workgroup!r} has no output location.",
                hint="Set WORKBENCH_ATHENA_OUTPUT to an S3 folder, e.g. s3://my-bucket/athena-results/.",
            )
        return None

    @translated
    def query_status(self, query_id: str) -> HistoryEntry:
        """Athena's current state of the execution: QUEUED, RUNNING, SUCCEEDED, FAILED or CANCELLED; for a
        statement refused before it reached Athena, the FAILED entry the history keeps."""
        try:
            execution = self._execution(query_id)
        except NotFound as exc:
            return self._kept_entry(query_id, exc)
        entry = entry_from_execution(execution)
        if entry.status in FINISHED:
            self._record_finish(entry)
        return self._known_rows(entry)

    def _kept_entry(self, query_id: str, athena_answer: NotFound) -> HistoryEntry:
        """A finished execution Athena does not know (refused before it, or past Athena's 45 days of history)
        as the workspace's history keeps it; Athena's NotFound for anything else."""
        try:
            entry = self.history_store.get(query_id)
        except NotFound:
            raise athena_answer from None
        if entry.status not in FINISHED:
            raise athena_answer
        return entry

    def _execution(self, query_id: str) -> dict[str, Any]:
        try:
            return wr.athena.get_query_execution(query_id, boto3_session=self.session)
        except self._athena.exceptions.InvalidRequestException as exc:
            raise NotFound(f"No Athena query with id {query_id}.", hint="Pick a query from the history.") from exc

    def _known_rows(self, entry: HistoryEntry) -> HistoryEntry:
        try:
            rows = self.history_store.get(entry.query_id).rows
        except NotFound:
            return entry
        return replace(entry, rows=rows)

    @translated
    def get_result(self, query_id: str, max_rows: int | None = None) -> QueryResult:
        """Wait for the query (up to WORKBENCH_QUERY_TIMEOUT_SECONDS) and return its first rows."""
        execution = self._wait(query_id)
        entry = entry_from_execution(execution)
        self._record_finish(entry)
        raise_for_state(entry)
        result = self._fetch(query_id, execution, max_rows or self.settings.display_rows)
        self._record_finish(entry, rows=result.statistics.rows)
        return result

    @translated
    def run(self, sql: str, database: str | None = None, max_rows: int | None = None) -> QueryResult:
        """``start_query`` then ``get_result``."""
        return self.get_result(self.start_query(sql, database), max_rows)

    @translated
    def cancel(self, query_id: str) -> None:
        """Stop a running query (``StopQueryExecution``); no-op when it has finished."""
        entry = entry_from_execution(self._execution(query_id))
        if entry.status in FINISHED:
            return
        wr.athena.stop_query_execution(query_id, boto3_session=self.session)
        self._record_finish(replace(entry, status="CANCELLED", error="Cancelled by the user."))

    def _wait(self, query_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.settings.query_timeout_seconds
        while True:
            execution = self._execution(query_id)
            if execution["Status"]["State"] in FINISHED:
                return execution
            if time.monotonic() > deadline:
                raise self._timed_out(query_id, execution)
            self._sleep(self.poll_seconds)

    def _timed_out(self, query_id: str, execution: dict[str, Any]) -> QueryTimeout:
        wr.athena.stop_query_execution(query_id, boto3_session=self.session)
        timeout = self.settings.query_timeout_seconds
        error = QueryTimeout(
            f"The query ran longer than the {timeout:g} s timeout and was stopped.",
            hint="Filter on partition keys, select fewer columns, or raise WORKBENCH_QUERY_TIMEOUT_SECONDS.",
        )
        entry = entry_from_execution(execution)
        self._record_finish(replace(entry, status="FAILED", error=error.message))
        return error

    def _record_finish(self, entry: HistoryEntry, rows: int | None = None) -> None:
        """Store the final state once (and the row count when known); executions we did not
        record (samples, CTAS) are skipped."""
        try:
            known = self.history_store.get(entry.query_id)
        except NotFound:
            return
        if known.status in FINISHED and rows is None:
            return
        self.history_store.record_finish(
            entry.query_id, entry.status, elapsed_ms=entry.elapsed_ms, rows=rows,
            bytes_scanned=entry.bytes_scanned, error=entry.error,
        )

    # -- results ------------------------------------------------------------------------------

    def _fetch(self, query_id: str, execution: dict[str, Any], max_rows: int) -> QueryResult:
        columns, rows = self._first_rows(query_id, max_rows + 1)
        truncated = len(rows) > max_rows
        total = self._total_rows(query_id, len(rows)) if truncated else len(rows)
        statistics = execution.get("Statistics", {})
        notices = (f"Showing the first {max_rows:,} of {total:,} rows; download the full result.",) if truncated else ()
        return QueryResult(
            query_id=query_id,
            columns=columns,
            frame=result_frame(columns, rows[:max_rows]),
            statistics=QueryStatistics(
                rows=total,
                elapsed_ms=float(statistics.get("EngineExecutionTimeInMillis", 0)),
                bytes_scanned=int(statistics.get("DataScannedInBytes", 0)),
            ),
            truncated=truncated,
            notices=notices,
        )

    def _first_rows(self, query_id: str, wanted: int) -> tuple[tuple[ResultColumn, ...], list[list[str | None]]]:
        """Page through ``GetQueryResults`` until ``wanted`` rows (Athena repeats the header first)."""
        request: dict[str, Any] = {"QueryExecutionId": query_id}
        columns: tuple[ResultColumn, ...] | None = None
        rows: list[list[str | None]] = []
        while True:
            request["MaxResults"] = max(1, min(PAGE_ROWS, wanted + 1 - len(rows)))
            page = self._athena.get_query_results(**request)
            page_rows = [row_values(r) for r in page["ResultSet"]["Rows"]]
            if columns is None:
                columns = result_columns(page["ResultSet"]["ResultSetMetadata"])
                page_rows = drop_header(columns, page_rows)
            rows.extend(page_rows)
            if len(rows) >= wanted or not page.get("NextToken"):
                return columns, rows
            request["NextToken"] = page["NextToken"]

    def _total_rows(self, query_id: str, at_least: int) -> int:
        """All rows of a truncated result, from Athena's runtime statistics when it has them."""
        try:
            statistics = self._athena.get_query_runtime_statistics(QueryExecutionId=query_id)
        except ClientError:
            return at_least  # not every statement type has runtime statistics
        return max(at_least, int(statistics["QueryRuntimeStatistics"].get("Rows", {}).get("OutputRows", 0)))

    @translated
    def sample_rows(self, database: str, table: str, limit: int = 20) -> QueryResult:
        """The first rows of a table, without recording history."""
        found = self.catalog.get_table(database, table)
        sql = f"SELECT * FROM {quoted(found.database)}.{quoted(found.name)} LIMIT {int(limit)}"
        query_id = self._start(sql, found.database)
        execution = self._wait(query_id)
        raise_for_state(entry_from_execution(execution))
        return self._fetch(query_id, execution, int(limit))

    @translated
    def export_result(self, query_id: str, fmt: ExportFormat) -> bytes:
        """The full result from the CSV Athena wrote to its output location, as CSV or Parquet."""
        data = self._download(self._result_location(self._succeeded(query_id)))
        if fmt == "csv":
            return data
        first_page = self._athena.get_query_results(QueryExecutionId=query_id, MaxResults=1)
        columns = result_columns(first_page["ResultSet"]["ResultSetMetadata"])
        buffer = io.BytesIO()
        csv_frame(data, columns).to_parquet(buffer, index=False)
        return buffer.getvalue()

    @translated
    def export_chunks(self, query_id: str, fmt: ExportFormat) -> Iterator[bytes]:
        """CSV streamed from Athena's output object a chunk at a time; Parquet is built from it whole."""
        if fmt == "parquet":
            return iter([self.export_result(query_id, fmt)])
        location = self._result_location(self._succeeded(query_id))
        bucket, _, key = location[len("s3://"):].partition("/")
        body = self.session.client("s3").get_object(Bucket=bucket, Key=key)["Body"]
        return iter(body.iter_chunks(EXPORT_CHUNK_BYTES))

    def _result_location(self, execution: dict[str, Any]) -> str:
        location = str(execution.get("ResultConfiguration", {}).get("OutputLocation", ""))
        if not location.endswith(".csv"):
            raise NotFound(f"Query {execution.get('QueryExecutionId', '')} has no tabular result to download.",
                           hint="Only SELECT results can be downloaded.")
        return location

    def _succeeded(self, query_id: str) -> dict[str, Any]:
        execution = self._execution(query_id)
        entry = entry_from_execution(execution)
        if entry.status in ("QUEUED", "RUNNING"):
            raise QueryFailed("The query has not finished yet.", hint="Wait for it to finish, then try again.")
        raise_for_state(entry)
        return execution

    def _download(self, location: str) -> bytes:
        buffer = io.BytesIO()
        wr.s3.download(path=location, local_file=buffer, boto3_session=self.session)
        return buffer.getvalue()

    @translated
    def save_result_as_table(self, query_id: str, database: str, table: str) -> Table:
        """Re-run the finished query as an Athena CTAS writing Parquet to ``s3://{bucket}/{database}/{table}/``."""
        database, table = glue_name("database", database), glue_name("table", table)
        bucket = require_bucket(self.settings)
        execution = self._succeeded(query_id)
        location = f"s3://{bucket}/{database}/{table}/"
        self._require_free(database, table, location)
        self.catalog.create_database(database)
        ctas = ctas_sql(database, table, location, execution["Query"])
        # Run in the original query's database so its bare table names resolve the same way.
        context = execution.get("QueryExecutionContext", {}).get("Database")
        ctas_id = self._start(ctas, context)
        raise_for_state(entry_from_execution(self._wait(ctas_id)))
        return self.catalog.get_table(database, table)

    def _require_free(self, database: str, table: str, location: str) -> None:
        try:
            self.catalog.get_table(database, table)
        except NotFound:
            pass
        else:
            raise AlreadyExists(f"Table {database}.{table} exists already.", hint="Choose a new table name.")
        if object_sizes(self.session, location):
            raise AlreadyExists(
                f"{location} already holds files, and Athena only writes a new table to an empty folder.",
                hint="Choose a new table name, or delete those files first.",
            )

    # -- estimate -----------------------------------------------------------------------------

    @translated
    def estimate(self, sql: str, database: str | None = None) -> ScanEstimate:
        """Athena has no dry run: the bytes under each referenced table's S3 location (only the
        matching partitions when the WHERE pins partition keys to literals), and the partitioned
        tables read with no partition filter."""
        statements = parse_athena(sql)
        tables = [self.catalog.get_table(db, name) for db, name in referenced_tables(statements, database or "default")]
        total, unfiltered = 0, []
        for table in tables:
            size, filtered = self._table_scan(statements, table)
            total += size
            if table.partition_keys and not filtered:
                unfiltered.append(table.qualified_name)
        return ScanEstimate(total, tuple(t.qualified_name for t in tables), tuple(unfiltered))

    def _table_scan(self, statements: list[exp.Expr], table: Table) -> tuple[int, bool]:
        if not table.partition_keys:
            return sum(object_sizes(self.session, table.location).values()), False
        keys = [k.name.lower() for k in table.partition_keys]
        wanted = [partition_filter(statement, table) for statement in statements]
        partitions = self.catalog.list_partitions(table.database, table.name)
        size = sum(p.size_bytes for p in partitions if any(w.matches(dict(zip(keys, p.values))) for w in wanted))
        return size, all(w.filtered for w in wanted)



def check_read_only(sql: str) -> None:
    """The editor's read-only check, shared with the local engine. SHOW/DESCRIBE pass: Athena answers them."""
    if catalog_command(sql) is None:
        sandbox_check(sql)


def _has_result_location(configuration: dict[str, Any]) -> bool:
    managed = configuration.get("ManagedQueryResultsConfiguration") or {}
    return bool((configuration.get("ResultConfiguration") or {}).get("OutputLocation") or managed.get("Enabled"))


def entry_from_execution(execution: dict[str, Any]) -> HistoryEntry:
    """A history entry from Athena's ``QueryExecution``; FAILED carries ``StateChangeReason``."""
    status = execution["Status"]
    statistics = execution.get("Statistics", {})
    state = status["State"]
    submitted = status.get("SubmissionDateTime")
    return HistoryEntry(
        query_id=execution["QueryExecutionId"],
        sql=execution.get("Query", ""),
        database=(execution.get("QueryExecutionContext") or {}).get("Database", ""),
        status=state,
        submitted_at=submitted.isoformat() if hasattr(submitted, "isoformat") else str(submitted or ""),
        elapsed_ms=statistics.get("EngineExecutionTimeInMillis"),
        bytes_scanned=statistics.get("DataScannedInBytes"),
        error=status.get("StateChangeReason", "") if state in ("FAILED", "CANCELLED") else "",
    )


def raise_for_state(entry: HistoryEntry) -> None:
    if entry.status == "FAILED":
        raise QueryFailed(entry.error or "Athena reported the query as failed without a reason.", hint=FAILED_HINT)
    if entry.status == "CANCELLED":
        raise QueryCancelled(entry.error or "The query was cancelled.", hint=CANCELLED_HINT)


def result_columns(metadata: dict[str, Any]) -> tuple[ResultColumn, ...]:
    return tuple(ResultColumn(c.get("Label") or c["Name"], c.get("Type", "varchar")) for c in metadata.get("ColumnInfo", []))


def row_values(row: dict[str, Any]) -> list[str | None]:
    return [cell.get("VarCharValue") for cell in row.get("Data", [])]


def drop_header(columns: tuple[ResultColumn, ...], rows: list[list[str | None]]) -> list[list[str | None]]:
    """SELECT results start with a row of column labels; DDL results (SHOW ...) do not."""
    if rows and rows[0] == [c.name for c in columns]:
        return rows[1:]
    return rows


def _integers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values).astype("Int64")


def _floats(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values).astype("Float64")


def _booleans(values: pd.Series) -> pd.Series:
    return values.map({"true": True, "false": False}).astype("boolean")


def _timestamps(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce")


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce").dt.date


# Athena type (before any "(precision)") -> how its text values become a typed column.
CONVERTERS: dict[str, Callable[[pd.Series], pd.Series]] = {
    "tinyint": _integers, "smallint": _integers, "integer": _integers, "int": _integers, "bigint": _integers,
    "double": _floats, "float": _floats, "real": _floats, "decimal": _floats,
    "boolean": _booleans, "date": _dates, "timestamp": _timestamps,
}


def result_frame(columns: tuple[ResultColumn, ...], rows: list[list[str | None]]) -> pd.DataFrame:
    names = [c.name for c in columns]
    frame = pd.DataFrame(rows, columns=pd.Index(names), dtype=object)
    return typed_frame(frame, columns)


def csv_frame(data: bytes, columns: tuple[ResultColumn, ...]) -> pd.DataFrame:
    """Athena's result CSV: every value quoted, NULL as an empty unquoted field."""
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, na_values=[""])
    frame = frame.astype(object).where(frame.notna(), None)
    return typed_frame(frame, columns)


def typed_frame(frame: pd.DataFrame, columns: tuple[ResultColumn, ...]) -> pd.DataFrame:
    for position, column in enumerate(columns):
        convert = CONVERTERS.get(column.type.split("(")[0].strip().lower())
        if convert is not None and len(frame):
            frame.isetitem(position, convert(frame.iloc[:, position]).array)
    return frame


def quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def ctas_sql(database: str, table: str, location: str, sql: str) -> str:
    body = sql.strip().rstrip(";").strip()
    return (
        f"CREATE TABLE {quoted(database)}.{quoted(table)} "
        f"WITH (format = 'PARQUET', external_location = '{location}') AS\n{body}"
    )


def parse_athena(sql: str) -> list[exp.Expr]:
    try:
        return [s for s in sqlglot.parse(sql, read="athena") if s is not None]
    except ParseError as exc:
        raise QueryFailed(f"The SQL could not be parsed: {str(exc).splitlines()[0]}", hint=FAILED_HINT) from exc


def referenced_tables(statements: list[exp.Expr], database: str) -> list[tuple[str, str]]:
    """``(database, table)`` of every catalog table read, bare names under ``database``; CTEs skipped."""
    found: list[tuple[str, str]] = []
    for statement in statements:
        ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
        for ref in statement.find_all(exp.Table):
            if not ref.name or isinstance(ref.this, exp.Func) or (not ref.db and ref.name.lower() in ctes):
                continue
            key = ((ref.db or database).lower(), ref.name.lower())
            if key not in found:
                found.append(key)
    return found


