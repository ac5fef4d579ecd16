"""Athena-style queries on the local stack: sandboxed DuckDB over the lake, results kept as Parquet."""

from __future__ import annotations

import difflib
import io
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from sqlglot import exp

from services.catalog.files import data_files, glue_type, partition_values
from services.catalog.local import LocalCatalog
from services.config import Settings
from services.embedded.duckdb_engine import friendly_engine_message, open_sandbox, split_top_level
from services.embedded.metadata import MetadataStore
from services.embedded.workspace import Workspace
from services.errors import (
    AlreadyExists,
    InvalidInput,
    NotFound,
    QueryCancelled,
    QueryFailed,
    QueryTimeout,
    ServiceError,
)
from services.models import HistoryEntry, QueryResult, QueryStatistics, ResultColumn, ScanEstimate, Table
from services.names import glue_name
from services.query.base import ExportFormat
from services.query.downloads import ResultDownloads
from services.query.history import HistoryMethods, QueryHistory
from services.query.partitions import partition_filter
from services.query.sandbox import (
    CatalogCommand,
    catalog_command,
    catalog_references,
    check_engine_sql,
    check_read_only,
)
from services.query.transpile import to_duckdb

BATCH_ROWS = 65_536
FILE_CHUNK_BYTES = 1024 * 1024
TYPES_KEY = b"workbench.athena_types"
INTERRUPT_REPEAT_SECONDS = 0.05
INTERRUPT_PATIENCE_SECONDS = 10.0
ATHENA_NAMES = {"string": "varchar", "int": "integer", "float": "real", "binary": "varbinary"}


@dataclass
class _Execution:
    """A query in flight: the cursor to interrupt and why it was interrupted."""

    cursor: duckdb.DuckDBPyConnection | None = None
    reason: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopped: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class _Plan:
    """A checked query: DuckDB SQL and the tables (with partition filters) it reads."""

    duckdb_sql: str
    tables: tuple[Table, ...]
    bytes_to_scan: int
    unfiltered: tuple[str, ...]


class LocalQuery(HistoryMethods, ResultDownloads):
    """The query port on DuckDB. Executions run on worker threads; ids are Athena-style UUIDs."""

    def __init__(self, workspace: Workspace, store: MetadataStore, catalog: LocalCatalog, settings: Settings) -> None:
        self.workspace = workspace.create()
        self.catalog = catalog
        self.settings = settings
        self.history_store = QueryHistory(store)
        self.history_store.mark_abandoned(older_than_seconds=settings.query_timeout_seconds + 30)
        self._executor = ThreadPoolExecutor(max_workers=max(1, settings.query_threads), thread_name_prefix="query")
        self._futures: dict[str, Future[QueryStatistics]] = {}
        self._executions: dict[str, _Execution] = {}
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._conn_generation = -1
        self._conn_lock = threading.Lock()

    # -- executions ---------------------------------------------------------------------------

    def start_query(self, sql: str, database: str | None = None) -> str:
        query_id = str(uuid.uuid4())
        database = database or ""
        self.history_store.record_start(query_id, sql, database, status="QUEUED")
        try:
            command = catalog_command(sql)
            if command is not None:
                self._answer_catalog_command(query_id, command, database)
                return query_id
            plan = self._plan(sql, database)
        except ServiceError as exc:
            self.history_store.record_finish(query_id, "FAILED", error=str(exc))
            raise
        self._executions[query_id] = _Execution()
        self._futures[query_id] = self._executor.submit(self._execute, query_id, plan)
        return query_id

    def query_status(self, query_id: str) -> HistoryEntry:
        return self.history_store.get(query_id)

    def get_result(self, query_id: str, max_rows: int | None = None) -> QueryResult:
        future = self._futures.get(query_id)
        if future is not None:
            future.result()  # re-raises the execution's ServiceError
        entry = self.history_store.get(query_id)
        if entry.status != "SUCCEEDED":
            raise _error_for(entry)
        return self._read_result(query_id, entry, max_rows or self.settings.display_rows)

    def run(self, sql: str, database: str | None = None, max_rows: int | None = None) -> QueryResult:
        return self.get_result(self.start_query(sql, database), max_rows)

    def cancel(self, query_id: str) -> None:
        execution = self._executions.get(query_id)
        if execution is None:
            self.history_store.get(query_id)  # NotFound for unknown ids; finished queries: nothing to do
            return
        _interrupt(execution, "cancelled")

    def _execute(self, query_id: str, plan: _Plan) -> QueryStatistics:
        execution = self._executions[query_id]
        timer = threading.Timer(self.settings.query_timeout_seconds, _interrupt, (execution, "timeout"))
        started = time.perf_counter()
        try:
            with execution.lock:
                if execution.reason:
                    raise duckdb.InterruptException("interrupted before start")
                execution.cursor = self._connection().cursor()
            self.history_store.record_finish(query_id, "RUNNING")
            timer.start()
            return self._finish(query_id, plan, execution.cursor, started)
        except (duckdb.Error, ServiceError) as exc:
            raise self._failed(query_id, exc, execution, started) from exc
        finally:
            timer.cancel()
            self._executions.pop(query_id, None)
            execution.stopped.set()

    def _finish(self, query_id: str, plan: _Plan, cursor: duckdb.DuckDBPyConnection, started: float) -> QueryStatistics:
        reader = cursor.sql(plan.duckdb_sql).to_arrow_reader(BATCH_ROWS)
        path = self._result_path(query_id)
        rows = write_result(reader, path)
        elapsed_ms = (time.perf_counter() - started) * 1000
        statistics = QueryStatistics(rows, elapsed_ms, plan.bytes_to_scan)
        self.history_store.record_finish(
            query_id, "SUCCEEDED", elapsed_ms=elapsed_ms, rows=rows, bytes_scanned=plan.bytes_to_scan,
            result_path=str(path),
        )
        return statistics

    def _failed(self, query_id: str, exc: Exception, execution: _Execution, started: float) -> ServiceError:
        elapsed_ms = (time.perf_counter() - started) * 1000
        error = _translate(exc, execution.reason, self.settings.query_timeout_seconds)
        status = "CANCELLED" if isinstance(error, QueryCancelled) else "FAILED"
        self.history_store.record_finish(query_id, status, elapsed_ms=elapsed_ms, error=str(error))
        self._result_path(query_id).unlink(missing_ok=True)
        return error

    # -- planning -----------------------------------------------------------------------------

    def _plan(self, sql: str, database: str) -> _Plan:
        statement = check_read_only(sql)
        qualified = _qualify_tables(statement, database)
        tables = self._referenced_tables(qualified, database)
        date_columns = frozenset(c.name for t in tables for c in t.all_columns if c.type == "date")
        scan = [self._table_scan(qualified, t) for t in tables]
        unfiltered = tuple(t.qualified_name for t, (_, filtered) in zip(tables, scan) if t.partition_keys and not filtered)
        duckdb_sql = to_duckdb(qualified, date_columns)
        check_engine_sql(duckdb_sql, {t.qualified_name.lower() for t in tables})
        return _Plan(duckdb_sql, tuple(tables), sum(b for b, _ in scan), unfiltered)

    def _referenced_tables(self, statement: exp.Expr, database: str) -> list[Table]:
        found: dict[str, Table] = {}
        for ref in catalog_references(statement):
            table = self._lookup(ref.db or database, ref.name)
            found[table.qualified_name] = table
        return list(found.values())

    def _lookup(self, database: str, name: str) -> Table:
        if not database:
            raise QueryFailed(
                f"Table {name!r} has no database.",
                hint=f"Write database.{name} or pick a database in the selector.",
            )
        try:
            return self.catalog.get_table(database.lower(), name.lower())
        except NotFound:
            raise QueryFailed(f"Table {database}.{name} does not exist.", hint=self._table_hint(database, name)) from None

    def _table_hint(self, database: str, name: str) -> str:
        known = [t.qualified_name for d in self.catalog.list_databases() for t in self.catalog.list_tables(d.name)]
        close = difflib.get_close_matches(f"{database}.{name}".lower(), known, n=1)
        return f"Did you mean {close[0]}?" if close else "SHOW TABLES IN <database> lists the tables."

    def _table_scan(self, statement: exp.Expr, table: Table) -> tuple[int, bool]:
        """Bytes of the files the query reads from ``table`` and whether a partition filter applies."""
        folder = self.workspace.from_uri(table.location)
        try:
            files = data_files(folder)
        except ServiceError:
            return 0, False
        if not table.partition_keys:
            return sum(f.stat().st_size for f in files), False
        keys = [k.name for k in table.partition_keys]
        wanted = partition_filter(statement, table)
        read = [f for f in files if wanted.matches(dict(zip(keys, partition_values(folder, f))))]
        return sum(f.stat().st_size for f in read), wanted.filtered

    def estimate(self, sql: str, database: str | None = None) -> ScanEstimate:
        if catalog_command(sql) is not None:
            return ScanEstimate(0, ())
        plan = self._plan(sql, database or "")
        return ScanEstimate(plan.bytes_to_scan, tuple(t.qualified_name for t in plan.tables), plan.unfiltered)

    # -- catalog commands ---------------------------------------------------------------------

    def _answer_catalog_command(self, query_id: str, command: CatalogCommand, database: str) -> None:
        started = time.perf_counter()
        frame = self._catalog_frame(command, database)
        path = self._result_path(query_id)
        rows = write_result(pa.Table.from_pandas(frame, preserve_index=False).to_reader(), path)
        elapsed_ms = (time.perf_counter() - started) * 1000
        self.history_store.record_finish(
            query_id, "SUCCEEDED", elapsed_ms=elapsed_ms, rows=rows, bytes_scanned=0, result_path=str(path)
        )

    def _catalog_frame(self, command: CatalogCommand, database: str) -> pd.DataFrame:
        if command.kind == "databases":
            names = [d.name for d in self.catalog.list_databases()]
            return pd.DataFrame({"database_name": _like(names, command.pattern)})
        if command.kind == "tables":
            target = command.target or database
            if not target:
                raise InvalidInput("SHOW TABLES needs a database.", hint="Write SHOW TABLES IN demo, or pick a database.")
            names = [t.name for t in self._catalog_call(self.catalog.list_tables, target.lower())]
            return pd.DataFrame({"tab_name": _like(names, command.pattern)})
        table = self._command_table(command.target, database)
        if command.kind == "partitions":
            parts = self.catalog.list_partitions(table.database, table.name)
            keys = [k.name for k in table.partition_keys]
            return pd.DataFrame({"partition": ["/".join(f"{k}={v}" for k, v in zip(keys, p.values)) for p in parts]})
        return _describe_frame(table)

    def _command_table(self, target: str, database: str) -> Table:
        db, _, name = target.rpartition(".")
        return self._lookup(db or database, name)

    def _catalog_call(self, method, *args):  # type: ignore[no-untyped-def]
        try:
            return method(*args)
        except NotFound as exc:
            raise QueryFailed(exc.message, hint=exc.hint) from exc

    # -- results ------------------------------------------------------------------------------

    def _result_path(self, query_id: str) -> Path:
        return self.workspace.results / f"{query_id}.parquet"

    def _stored_result(self, query_id: str) -> Path:
        entry = self.history_store.get(query_id)
        path = self._result_path(query_id)
        if entry.status != "SUCCEEDED":
            raise _error_for(entry)
        if entry.result_expired_at or not path.exists():
            raise self._expired(entry)
        return path

    def _expired(self, entry: HistoryEntry) -> NotFound:
        when = f" on {entry.result_expired_at[:16].replace('T', ' ')} UTC" if entry.result_expired_at else ""
        return NotFound(
            f"The result of this query expired{when} and was deleted.",
            hint=f"Run the query again. Results are kept {self.settings.result_retention_days:g} days "
                 "(WORKBENCH_RESULT_RETENTION_DAYS) and within WORKBENCH_RESULT_MAX_MB.",
        )

    def _open_result(self, query_id: str) -> pq.ParquetFile:
        path = self._stored_result(query_id)
        try:
            return pq.ParquetFile(path)
        except FileNotFoundError:  # retention deleted it a moment ago
            raise self._expired(self.history_store.get(query_id)) from None

    def _read_result(self, query_id: str, entry: HistoryEntry, max_rows: int) -> QueryResult:
        parquet = self._open_result(query_id)
        head = _first_rows(parquet, max_rows)
        total = parquet.metadata.num_rows
        statistics = QueryStatistics(total, entry.elapsed_ms or 0.0, entry.bytes_scanned or 0)
        notices = (f"Showing the first {max_rows:,} of {total:,} rows; download the full result.",) if total > max_rows else ()
        return QueryResult(query_id, _result_columns(parquet.schema_arrow), head.to_pandas(), statistics,
                           truncated=total > max_rows, notices=notices)

    def sample_rows(self, database: str, table: str, limit: int = 20) -> QueryResult:
        found = self.catalog.get_table(database, table)
        sql = f'SELECT * FROM "{found.database}"."{found.name}" LIMIT {int(limit)}'
        started = time.perf_counter()
        try:
            arrow = self._connection().cursor().sql(sql).to_arrow_table()
        except duckdb.Error as exc:
            raise _translate(exc, "", self.settings.query_timeout_seconds) from exc
        statistics = QueryStatistics(arrow.num_rows, (time.perf_counter() - started) * 1000, 0)
        return QueryResult("", _result_columns(arrow.schema), arrow.to_pandas(), statistics)

    def read_table(self, database: str, table: str) -> pd.DataFrame:
        """Every row of a catalog table, for training and scoring (not recorded in the history)."""
        found = self.catalog.get_table(database, table)
        sql = f'SELECT * FROM "{found.database}"."{found.name}"'
        try:
            return self._connection().cursor().sql(sql).to_arrow_table().to_pandas()
        except duckdb.Error as exc:
            raise _translate(exc, "", self.settings.query_timeout_seconds) from exc

    def export_result(self, query_id: str, fmt: ExportFormat) -> bytes:
        return b"".join(self.export_chunks(query_id, fmt))

    def export_chunks(self, query_id: str, fmt: ExportFormat) -> Iterator[bytes]:
        if fmt == "parquet":
            return file_chunks(self._stored_result(query_id))
        return csv_chunks(self._open_result(query_id))

    def save_result_as_table(self, query_id: str, database: str, table: str) -> Table:
        database, table = glue_name("database", database), glue_name("table", table)
        source = self._stored_result(query_id)
        try:
            self.catalog.get_table(database, table)
            raise AlreadyExists(f"Table {database}.{table} exists already.", hint="Choose a new table name.")
        except NotFound:
            pass
        folder = self.workspace.table_folder(database, table)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        shutil.copyfile(source, folder / "part-00000.parquet")
        try:
            return self.catalog.register(database, table, folder)
        except ServiceError:
            shutil.rmtree(folder, ignore_errors=True)
            raise


    # -- engine -------------------------------------------------------------------------------

    def _connection(self) -> duckdb.DuckDBPyConnection:
        """The sandbox with one view per catalog table, rebuilt when the catalog changed (in any process).
        Queries in flight keep the connection they started with."""
        with self._conn_lock:
            generation = self.catalog.generation()
            if self._conn is None or generation != self._conn_generation:
                tables = [t for d in self.catalog.list_databases() for t in self.catalog.list_tables(d.name)]
                self._conn = open_sandbox(self.workspace, tables, self.settings.query_memory_limit,
                                          self.settings.query_threads)
                self._conn_generation = generation
            return self._conn


def write_result(reader: pa.RecordBatchReader, path: Path) -> int:
    """Stream a result into one Parquet file, keeping Athena's type names; returns the row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    schema = _with_athena_types(reader.schema)
    rows = 0
    with pq.ParquetWriter(path, schema) as writer:
        for batch in reader:
            writer.write_batch(pa.RecordBatch.from_arrays(batch.columns, schema=schema))
            rows += batch.num_rows
    return rows


def csv_chunks(parquet: pq.ParquetFile, batch_rows: int = BATCH_ROWS) -> Iterator[bytes]:
    """The result as CSV (header first), one chunk per record batch, so memory holds one batch at a time."""
    include_header = True
    for batch in parquet.iter_batches(batch_size=batch_rows):
        buffer = io.BytesIO()
        pa_csv.write_csv(batch, buffer, pa_csv.WriteOptions(include_header=include_header))
        include_header = False
        yield buffer.getvalue()
    if include_header:  # no rows: the header alone
        buffer = io.BytesIO()
        pa_csv.write_csv(parquet.schema_arrow.empty_table(), buffer)
        yield buffer.getvalue()


def file_chunks(path: Path, chunk_bytes: int = FILE_CHUNK_BYTES) -> Iterator[bytes]:
    """A stored file as it is, ``chunk_bytes`` at a time (opened now, so a missing file fails here)."""
    handle = path.open("rb")

    def chunks() -> Iterator[bytes]:
        with handle:
            while chunk := handle.read(chunk_bytes):
                yield chunk

    return chunks()


def athena_type(arrow_type: pa.DataType) -> str:
    glue = glue_type(arrow_type)
    if glue.startswith(("array<", "struct<", "map<")):
        return glue.replace("<", "(").replace(">", ")").replace("struct(", "row(").replace("string", "varchar")
    return ATHENA_NAMES.get(glue, glue)


def _with_athena_types(schema: pa.Schema) -> pa.Schema:
    names = ",".join(athena_type(f.type) for f in schema)
    return schema.with_metadata({TYPES_KEY: names.encode()})


def _result_columns(schema: pa.Schema) -> tuple[ResultColumn, ...]:
    stored = (schema.metadata or {}).get(TYPES_KEY)
    types = split_top_level(stored.decode(), "()") if stored else [athena_type(f.type) for f in schema]
    if len(types) != len(schema.names):
        types = [athena_type(f.type) for f in schema]
    return tuple(ResultColumn(n, t) for n, t in zip(schema.names, types))


def _first_rows(parquet: pq.ParquetFile, max_rows: int) -> pa.Table:
    batches, count = [], 0
    for batch in parquet.iter_batches(batch_size=min(max_rows, BATCH_ROWS) or 1):
        batches.append(batch.slice(0, max_rows - count))
        count += batches[-1].num_rows
        if count >= max_rows:
            break
    return pa.Table.from_batches(batches, schema=parquet.schema_arrow)


def _interrupt(execution: _Execution, reason: str) -> None:
    """Stop an execution; once it has started, return when it has stopped (or after INTERRUPT_PATIENCE_SECONDS).

    DuckDB forgets an interrupt that arrives between our RUNNING mark and the start of its query (every query clears
    the flag as it begins), which left such a query running until its timeout: the interrupt is repeated until the
    execution has stopped."""
    with execution.lock:
        if not execution.reason:
            execution.reason = reason
        cursor = execution.cursor
    if cursor is None:
        return  # not started: _execute sees the reason before it starts
    deadline = time.monotonic() + INTERRUPT_PATIENCE_SECONDS
    while True:
        cursor.interrupt()
        if execution.stopped.wait(INTERRUPT_REPEAT_SECONDS) or time.monotonic() > deadline:
            return


def _translate(exc: Exception, reason: str, timeout: float) -> ServiceError:
    if isinstance(exc, ServiceError):
        return exc
    if reason == "cancelled":
        return QueryCancelled("The query was cancelled.", hint="Run it again when you are ready.")
    if reason == "timeout" or isinstance(exc, duckdb.InterruptException):
        return QueryTimeout(
            f"The query ran longer than the {timeout:g} s timeout and was stopped.",
            hint="Filter on partition keys, select fewer columns, or raise WORKBENCH_QUERY_TIMEOUT_SECONDS.",
        )
    if isinstance(exc, duckdb.OutOfMemoryException):
        return QueryFailed("The query needs more memory than the engine may use.",
                           hint="Aggregate or filter more, or raise WORKBENCH_QUERY_MEMORY_LIMIT.")
    if isinstance(exc, duckdb.PermissionException):
        return QueryFailed("The query tried to reach a file outside the lake.", hint="Query catalog tables only.")
    return QueryFailed(friendly_engine_message(str(exc)), hint="Check column names and types; DESCRIBE shows a table's columns.")


def _error_for(entry: HistoryEntry) -> ServiceError:
    if entry.status == "CANCELLED":
        return QueryCancelled(entry.error or "The query was cancelled.", hint="Run it again when you are ready.")
    if entry.status in ("QUEUED", "RUNNING"):
        return QueryFailed("The query has not finished yet.", hint="Wait for it to finish, then try again.")
    return QueryFailed(entry.error or "The query failed.", hint="")


def _qualify_tables(statement: exp.Expr, database: str) -> exp.Expr:
    """Bare table names resolve under the selected database, as in Athena (CTE names where visible)."""
    tree = statement.copy()
    for ref in catalog_references(tree):
        if not ref.db and database:
            ref.set("db", exp.to_identifier(database))
    return tree


def _like(names: list[str], pattern: str) -> list[str]:
    if not pattern:
        return names
    import fnmatch

    glob = pattern.replace("%", "*").replace("_", "?")
    return [n for n in names if fnmatch.fnmatch(n, glob) or fnmatch.fnmatch(n, pattern)]


def _describe_frame(table: Table) -> pd.DataFrame:
    rows = [(c.name, c.type, c.comment, "") for c in table.columns]
    rows += [(k.name, k.type, k.comment, "partition key") for k in table.partition_keys]
    return pd.DataFrame(rows, columns=["col_name", "data_type", "comment", "extra"])
