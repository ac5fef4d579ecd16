"""The local dataset builder: SageMaker's DatasetBuilder over the offline store's Parquet, run by DuckDB.

The base (a catalog table, a CSV/Parquet file or a feature group) and each group's offline store become views in
a locked-down in-memory DuckDB (reads only from the lake and the base file, writes only to the output's folders);
``dataset_sql`` plans the point-in-time join over them. DuckDB streams the join into a staging Parquet file (never
through pandas), the dataset is copied from it without the leak flags, and the flags are counted for the leakage
check. The result becomes a new version of a catalog table (through the storage port) or a file.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import duckdb

from services.catalog.base import CatalogPort
from services.catalog.versions import new_version_folder
from services.config import Settings
from services.embedded.duckdb_engine import friendly_engine_message, literal, quote, view_sql
from services.embedded.embedded_stack import EmbeddedStack
from services.errors import InvalidInput, NotFound, QueryFailed
from services.features.dataset_sql import (
    EVENT_TIME,
    GroupRelation,
    JoinOptions,
    Relation,
    group_as_base,
    plan_dataset,
)
from services.features.models import DatasetRequest, DatasetResult, FeatureDefinition, FeatureGroup
from services.names import glue_name
from services.paths import publish_file, readable_path, writable_path
from services.storage.base import StoragePort

OFFLINE_TYPES = {"Integral": "BIGINT", "Fractional": "DOUBLE", "String": "VARCHAR"}
OUTPUT_FORMATS = {".parquet": "(FORMAT parquet)", ".csv": "(FORMAT csv, HEADER true)"}
STAGING = "dataset-staging"


class DatasetHost(Protocol):
    """What the builder needs from the local features adapter."""

    @property
    def stack(self) -> EmbeddedStack: ...
    @property
    def catalog(self) -> CatalogPort: ...
    @property
    def storage(self) -> StoragePort: ...

    def describe_feature_group(self, name: str) -> FeatureGroup: ...


def build_dataset(features: DatasetHost, request: DatasetRequest) -> DatasetResult:
    """The point-in-time dataset ``request`` asks for, saved where it says, with its SQL and leakage check."""
    request.check()
    options = join_options(request)
    groups = [features.describe_feature_group(name) for name in request.groups]
    base_group = features.describe_feature_group(request.base_group) if request.base_group else None
    with DatasetRun.open(features, request) as run:
        relations = tuple(run.group_relation(group) for group in groups)
        base = run.base_relation(request, base_group, options)
        plan = plan_dataset(base, request.record_identifier, request.event_time, relations, options)
        return run.execute(plan.sql, plan.columns, plan.leak_columns, request)


def join_options(request: DatasetRequest) -> JoinOptions:
    return JoinOptions(as_of=parse_time(request.as_of, "as_of"),
                       event_time_start=parse_time(request.event_time_start, "event_time_start"),
                       event_time_end=parse_time(request.event_time_end, "event_time_end"),
                       include_deleted=request.include_deleted, include_duplicates=request.include_duplicates)


def parse_time(text: str, what: str) -> datetime | None:
    """An ISO-8601 time as a naive UTC datetime (no zone = UTC); None for ""."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidInput(f"{what} {text!r} is not an ISO-8601 time.", hint="For example 2024-05-01T12:00:00Z.") from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def split_table_name(text: str, what: str) -> tuple[str, str]:
    database, dot, table = text.partition(".")
    if not dot:
        raise InvalidInput(f"{what} {text!r} is not DATABASE.TABLE.", hint="For example demo.reviews_sentiment.")
    return glue_name("database", database), glue_name("table", table)


def group_files(folder: Path) -> list[Path]:
    """The offline store's Parquet files, hidden and ``_`` names (files being written) left out."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*.parquet")
                  if not any(part.startswith((".", "_")) for part in p.relative_to(folder).parts))


def offline_folder(stack: EmbeddedStack, catalog: CatalogPort, group: FeatureGroup) -> Path:
    """The lake folder of the group's offline store (from its catalog table, or its S3 URI before that exists)."""
    database, _, table = group.offline_table.partition(".")
    try:
        return stack.workspace.from_uri(catalog.get_table(database, table).location)
    except NotFound:  # catalogued on the first ingestion
        return stack.workspace.from_uri(group.offline_s3_uri)


def empty_records_sql(group: FeatureGroup) -> str:
    """No records yet: the offline store's columns, no rows."""
    columns = [f"CAST(NULL AS {offline_type(f)}) AS {quote(f.name)}" for f in group.spec.features]
    columns += ["CAST(NULL AS TIMESTAMP) AS write_time", "CAST(NULL AS TIMESTAMP) AS api_invocation_time",
                "CAST(NULL AS BOOLEAN) AS is_deleted"]
    return f"SELECT {', '.join(columns)} WHERE false"


def offline_type(feature: FeatureDefinition) -> str:
    scalar = OFFLINE_TYPES[feature.type]
    return scalar + "[]" if feature.collection_type else scalar


@dataclass
class DatasetRun:
    """One build: its DuckDB connection, the staging folder and the output's place."""

    features: DatasetHost
    conn: duckdb.DuckDBPyConnection
    staging: Path
    output: Path  # the file to write (a new version folder's part file for a table)

    @classmethod
    @contextmanager
    def open(cls, features: DatasetHost, request: DatasetRequest) -> Iterator[DatasetRun]:
        settings = features.stack.settings
        base_file = readable_path(request.base_path, settings) if request.base_path else None
        output = output_file(features, request)
        staging = features.stack.workspace.home / STAGING / uuid.uuid4().hex
        staging.mkdir(parents=True)
        try:
            conn = connect(settings, staging, [features.stack.workspace.lake, staging, output.parent],
                           [base_file] if base_file else [])
            try:
                yield cls(features, conn, staging, output)
            finally:
                conn.close()
        except BaseException:
            if request.out_table:  # the new version folder no table points at
                shutil.rmtree(output.parent, ignore_errors=True)
            raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    # -- relations ------------------------------------------------------------------------------------

    def group_relation(self, group: FeatureGroup) -> GroupRelation:
        """The group's offline store as a view named like its catalog table."""
        if not group.spec.offline or not group.offline_table:
            raise InvalidInput(f"Feature group {group.name} has no offline store to build a dataset from.",
                               hint="Create the group with an offline store and ingest its records.")
        database, _, table = group.offline_table.partition(".")
        files = group_files(offline_folder(self.features.stack, self.features.catalog, group))
        sql = (f"SELECT * FROM read_parquet([{', '.join(literal(str(f)) for f in files)}], union_by_name = true, "
               "hive_partitioning = false)") if files else empty_records_sql(group)
        name = self.create_view(database, table, sql)
        spec = group.spec
        return GroupRelation(group.name, spec.record_identifier, spec.event_time,
                             tuple(f.name for f in spec.features), Relation(name, self.columns(name)))

    def base_relation(self, request: DatasetRequest, group: FeatureGroup | None, options: JoinOptions) -> Relation:
        if group is not None:
            records = self.group_relation(group)
            return self.view_relation("base_group", group_as_base(records, options))
        if request.base_table:
            database, table = split_table_name(request.base_table, "The base table")
            found = self.features.catalog.get_table(database, table)
            name = self.create_view(database, table, view_sql(self.features.stack.workspace, found))
            return Relation(name, self.columns(name))
        return self.view_relation("base_file", file_reader(readable_path(request.base_path,
                                                                         self.features.stack.settings)))

    def view_relation(self, name: str, sql: str) -> Relation:
        view = self.create_view("main", name, f"SELECT * FROM {sql}")
        return Relation(view, self.columns(view))

    def create_view(self, database: str, name: str, sql: str) -> str:
        self.run_sql(f"CREATE SCHEMA IF NOT EXISTS {quote(database)}")
        view = f"{quote(database)}.{quote(name)}"
        self.run_sql(f"CREATE OR REPLACE VIEW {view} AS {sql}")
        return view

    def columns(self, view: str) -> tuple[tuple[str, str], ...]:
        rows = self.run_sql(f"DESCRIBE SELECT * FROM {view}").fetchall()
        return tuple((str(row[0]), str(row[1])) for row in rows)

    # -- running --------------------------------------------------------------------------------------

    def execute(self, sql: str, columns: tuple[str, ...], leaks: tuple[str, ...], request: DatasetRequest) -> DatasetResult:
        joined = self.staging / "joined.parquet"
        self.run_sql(f"COPY ({sql}) TO {literal(str(joined))} (FORMAT parquet)")
        picked = ", ".join(quote(c) for c in columns)
        fmt = OUTPUT_FORMATS[self.output.suffix.lower()]
        partial = self.output.with_name(f".{self.output.name}.{uuid.uuid4().hex[:8]}.partial")
        try:
            self.run_sql(f"COPY (SELECT {picked} FROM read_parquet({literal(str(joined))})) TO {literal(str(partial))} {fmt}")
            rows, leaking, earliest = self.leak_summary(joined, leaks)
            table, path = self.publish(partial, request)
        finally:
            partial.unlink(missing_ok=True)
        return DatasetResult(rows=rows, columns=columns, sql=sql, table=table, path=path, leaking_rows=leaking,
                             leakage_note=leakage_note(rows, leaking, earliest))

    def leak_summary(self, joined: Path, leaks: tuple[str, ...]) -> tuple[int, int, datetime | None]:
        leaking = " OR ".join(quote(c) for c in leaks)
        row = self.run_sql(f"SELECT count(*), count(*) FILTER (WHERE {leaking}), "
                           f"min({quote(EVENT_TIME)}) FILTER (WHERE {leaking}) "
                           f"FROM read_parquet({literal(str(joined))})").fetchone()
        assert row is not None
        return int(row[0]), int(row[1]), row[2]

    def publish(self, partial: Path, request: DatasetRequest) -> tuple[str, str]:
        if request.out_path:
            publish_file(partial, self.output, overwrite=False)
            return "", str(self.output)
        partial.replace(self.output)
        database, table = split_table_name(request.out_table, "The output table")
        self.features.storage.register_table(database, table, self.output.parent)
        return f"{database}.{table}", ""

    def run_sql(self, sql: str) -> duckdb.DuckDBPyConnection:
        try:
            return self.conn.execute(sql)
        except duckdb.ConversionException as exc:
            raise InvalidInput(f"An event time could not be read as a time: {friendly_engine_message(str(exc))}",
                               hint="Event times must be ISO-8601 text (2024-05-01T12:00:00Z), epoch seconds or "
                                    "timestamps.") from exc
        except (duckdb.IOException, duckdb.InvalidInputException) as exc:
            raise InvalidInput(f"The data could not be read: {friendly_engine_message(str(exc))}",
                               hint="Check the base file (CSV with a header, or Parquet).") from exc
        except duckdb.Error as exc:
            raise QueryFailed(f"Building the dataset failed: {friendly_engine_message(str(exc))}",
                              hint="The SQL the builder ran is in the message above; check the columns' types.") from exc


def output_file(features: DatasetHost, request: DatasetRequest) -> Path:
    """Where the dataset goes: the file asked for, or a part file in a new version folder of the table."""
    if request.out_path:
        path = writable_path(request.out_path, features.stack.settings, overwrite=False)
        if path.suffix.lower() not in OUTPUT_FORMATS:
            raise InvalidInput(f"{request.out_path} is neither .parquet nor .csv.", hint="Name the file x.parquet or x.csv.")
        return path
    database, table = split_table_name(request.out_table, "The output table")
    folder = new_version_folder(features.stack.workspace.table_folder(database, table), datetime.now(UTC))
    folder.mkdir(parents=True)
    return folder / "part-00000.parquet"


def file_reader(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return f"read_parquet({literal(str(path))})"
    if suffix in (".csv", ".tsv"):
        return f"read_csv({literal(str(path))}, header = true)"
    raise InvalidInput(f"{path.name} is neither CSV nor Parquet.", hint="Give the base as a .csv or .parquet file.")


def connect(settings: Settings, staging: Path, folders: list[Path], files: list[Path]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that can touch only ``folders`` and ``files`` (and spills to ``staging``), locked."""
    conn = duckdb.connect(":memory:", config={"threads": settings.query_threads, "memory_limit": settings.query_memory_limit,
                                              "temp_directory": str(staging / "spill")})
    conn.execute("SET TimeZone = 'UTC'")
    conn.execute(f"SET allowed_directories = [{', '.join(literal(str(p.resolve()) + '/') for p in folders)}]")
    if files:
        conn.execute(f"SET allowed_paths = [{', '.join(literal(str(p.resolve())) for p in files)}]")
    conn.execute("SET enable_external_access = false")
    conn.execute("SET autoinstall_known_extensions = false")
    conn.execute("SET autoload_known_extensions = false")
    conn.execute("SET lock_configuration = true")
    return conn


def leakage_note(rows: int, leaking: int, earliest: datetime | None) -> str:
    """The leakage check in plain words."""
    if leaking == 0 or earliest is None:
        return f"No leakage: every joined feature of the {rows} rows was written by the row's event time."
    return (f"{leaking} of {rows} rows use features written after the row's event time (known only later): "
            f"set --as-of to {earliest.isoformat()}Z (the earliest such row's event time) to use only what was "
            "written by then, or drop those rows.")
