"""The local catalog: Glue's model persisted in the workspace's SQLite store over a lake folder."""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import duckdb

from services.catalog.files import InspectedData, data_files, inspect_path, partition_values, sanitize_table_name
from services.catalog.uploads import import_staged_upload, upload_staging_root
from services.catalog.versions import (
    CRAWLER_PARAMETER,
    LOCAL_CRAWLER,
    VersionRow,
    is_crawled,
    is_version_folder,
    new_version_folder,
    overlaps,
    owned_folder,
    plan_version_pruning,
)
from services.config import Settings
from services.embedded.duckdb_engine import friendly_engine_message, open_sandbox, quote
from services.embedded.metadata import MetadataStore, utc_now
from services.embedded.workspace import Workspace
from services.errors import InvalidInput, NotFound, QueryFailed
from services.lineage.hooks import record_table_version
from services.models import Column, CrawlResult, Database, Partition, QueryResult, QueryStatistics, ResultColumn, Table
from services.names import check_table_prefix, glue_name
from services.paths import readable_path

GENERATION_KEY = "catalog_generation"
DAY_SECONDS = 86_400.0


class LocalCatalog:
    """A Glue-shaped catalog whose table locations are folders in the workspace lake."""

    def __init__(self, workspace: Workspace, store: MetadataStore, settings: Settings | None = None) -> None:
        self.workspace = workspace
        self.store = store
        self.settings = settings or Settings(home=workspace.home)  # its import roots confine import_path

    def generation(self) -> int:
        """A counter bumped by every table change, in any process sharing this workspace."""
        return int(self.store.get_state(GENERATION_KEY) or 0)

    def list_databases(self) -> list[Database]:
        rows = self.store.fetch_all("SELECT name, description FROM databases ORDER BY name")
        return [Database(r["name"], r["description"], self._database_uri(r["name"])) for r in rows]

    def create_database(self, name: str, description: str = "") -> Database:
        name = glue_name("database", name)
        self.store.execute(
            "INSERT OR IGNORE INTO databases (name, description, created_at) VALUES (?, ?, ?)",
            (name, description, utc_now()),
        )
        return Database(name, description, self._database_uri(name))

    def _database_uri(self, name: str) -> str:
        return self.workspace.to_uri(self.workspace.table_folder(name, "x").parent) + "/"

    def list_tables(self, database: str) -> list[Table]:
        self._require_database(database)
        rows = self.store.fetch_all(
            "SELECT v.body FROM tables t JOIN table_versions v ON v.database = t.database "
            "AND v.name = t.name AND v.version = t.current_version WHERE t.database = ? ORDER BY t.name",
            (database,),
        )
        return [table_from_json(r["body"]) for r in rows]

    def get_table(self, database: str, table: str) -> Table:
        self._require_database(database)
        row = self.store.fetch_one(
            "SELECT v.body FROM tables t JOIN table_versions v ON v.database = t.database "
            "AND v.name = t.name AND v.version = t.current_version WHERE t.database = ? AND t.name = ?",
            (database, table),
        )
        if row is None:
            raise NotFound(
                f"Table {database}.{table} does not exist.",
                hint=f"Pick a table from the catalog, or import data as {database}.{table}.",
            )
        return table_from_json(row["body"])

    def table_versions(self, database: str, table: str) -> list[Table]:
        self.get_table(database, table)
        rows = self.store.fetch_all(
            "SELECT body FROM table_versions WHERE database = ? AND name = ? ORDER BY version DESC",
            (database, table),
        )
        return [table_from_json(r["body"]) for r in rows]

    def version_sample(self, database: str, table: str, version_id: str, limit: int = 20) -> QueryResult:
        """The first rows of one version of a table, read from that version's own folder: replaced
        versions keep their files until ``prune_table_versions`` removes them."""
        current = self.get_table(database, table)
        version = next((v for v in self.table_versions(database, table) if v.version_id == str(version_id)), None)
        if version is None:
            raise NotFound(f"{database}.{table} has no version {version_id}.", hint="Pick a version from the list.")
        folder = self.workspace.from_uri(version.location)
        if not folder.is_dir():
            days = f"{self.settings.table_version_retention_days:g}"
            raise NotFound(
                f"The rows of {database}.{table} version {version_id} were removed by the retention rule.",
                hint=f"Replaced versions keep their data for {days} days (WORKBENCH_TABLE_VERSION_RETENTION_DAYS); "
                     "their schemas stay in the list.",
            )
        if version.location == current.location and version.version_id != current.version_id:
            raise NotFound(
                f"Version {version_id} of {database}.{table} was rewritten in place; its own rows are gone.",
                hint="Only imports keep each version's files; see the current version's sample rows.",
            )
        return _read_sample(self.workspace, self.settings, version, limit)

    def prune_table_versions(self, now: float | None = None) -> list[Path]:
        """Delete the folders of table versions replaced longer than ``table_version_retention_days`` ago,
        and folders of imports that never finished; never a current version. Returns the deleted folders."""
        now = time.time() if now is None else now
        retention = self.settings.table_version_retention_days * DAY_SECONDS
        doomed = [folder for table, _ in self._owners() if not is_crawled(table)
                  for folder in self._prunable_versions(table, now, retention)]
        for folder in doomed:
            shutil.rmtree(folder, ignore_errors=True)  # another process's round may have been first
        return doomed

    def _prunable_versions(self, table: Table, now: float, retention_seconds: float) -> list[Path]:
        root = self.workspace.table_folder(table.database, table.name)
        if not root.is_dir():
            return []
        folders = [p for p in root.iterdir() if p.is_dir() and is_version_folder(p)]
        rows = [VersionRow(int(v.version_id), self.workspace.from_uri(v.location), _epoch(v.updated_at, now))
                for v in self.table_versions(table.database, table.name)]
        return plan_version_pruning(folders, rows, self.workspace.from_uri(table.location), now, retention_seconds)

    def list_partitions(self, database: str, table: str) -> list[Partition]:
        found = self.get_table(database, table)
        if not found.partition_keys:
            return []
        root = self.workspace.from_uri(found.location)
        groups: dict[tuple[str, ...], list[Path]] = defaultdict(list)
        for file in data_files(root):
            groups[partition_values(root, file)].append(file)
        return [self._partition(root, values, files) for values, files in sorted(groups.items())]

    def _partition(self, root: Path, values: tuple[str, ...], files: list[Path]) -> Partition:
        location = self.workspace.to_uri(files[0].parent) + "/"
        return Partition(values, location, len(files), sum(f.stat().st_size for f in files))

    def import_path(self, path: Path, database: str, table: str) -> Table:
        database, table = glue_name("database", database), glue_name("table", table)
        path = readable_path(path, self.settings, extra_roots=(upload_staging_root(self.settings),))
        target = self.workspace.table_folder(database, table)
        if _inside(Path(path), target):
            raise InvalidInput(f"{path} is already in {database}.{table}'s folder.",
                               hint="The table reads these files already; import from a folder outside the lake.")
        self._refuse_crawled_target(database, table, target)
        inspected = inspect_path(Path(path))
        folder = _copy_version(target, inspected)
        try:
            self.create_database(database)
            return self._register(database, table, inspect_path(folder))
        except BaseException:
            _discard_version(folder)  # the table still points at its previous version
            raise

    def import_upload(self, filename: str, stream: BinaryIO, database: str, table: str) -> Table:
        return import_staged_upload(self, self.settings, filename, stream, database, table)

    def crawl(self, location: str, database: str, table_prefix: str = "") -> CrawlResult:
        database, table_prefix = glue_name("database", database), check_table_prefix(table_prefix)
        folder = self._crawl_folder(location)
        found = [(sanitize_table_name(table_prefix + f.name), f) for f in _table_folders(folder)]
        self._refuse_managed_folder(database, folder, [name for name, _ in found])
        self.create_database(database)
        outcome: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": []}
        for name, table_folder in found:
            kind = self._crawl_table(database, name, table_folder)
            outcome[kind].append(f"{database}.{name}")
        return CrawlResult(*(tuple(outcome[k]) for k in ("created", "updated", "unchanged")))

    def _owners(self) -> list[tuple[Table, Path]]:
        """Every table's current version with the folder its data lives in (resolved)."""
        rows = self.store.fetch_all(
            "SELECT v.body FROM tables t JOIN table_versions v ON v.database = t.database "
            "AND v.name = t.name AND v.version = t.current_version ORDER BY t.database, t.name"
        )
        tables = [table_from_json(r["body"]) for r in rows]
        return [(t, owned_folder(self.workspace.from_uri(t.location).resolve())) for t in tables]

    def _refuse_managed_folder(self, database: str, folder: Path, names: list[str]) -> None:
        """A crawler must not adopt files that imports or the workbench write (a table's folder, a folder
        inside one or one holding one): re-importing or rewriting that table would change the crawled one."""
        folder = folder.resolve()
        for table, owned in self._owners():
            if is_crawled(table):
                continue  # crawled tables only read their folder; several may share one
            if overlaps(folder, owned):
                relation = "is" if folder == owned else "lies inside" if folder.is_relative_to(owned) else "holds"
                where = "" if folder == owned else f" {self._uri(owned)},"
                raise InvalidInput(
                    f"{self._uri(folder)} {relation}{where} the folder of table {table.qualified_name}, "
                    "which imports and the workbench write to.",
                    hint="Crawl a folder the workbench does not manage (e.g. s3://workbench-lake/landing/); "
                         f"{table.qualified_name} can be queried as it is.",
                )
            if table.database == database and table.name in names:
                raise InvalidInput(
                    f"Table {table.qualified_name} exists and was not made by a crawler.",
                    hint="Crawl into another database, or give the crawled tables a prefix.",
                )

    def _refuse_crawled_target(self, database: str, name: str, folder: Path) -> None:
        """An import must not write where a crawler reads: the crawled files belong to whoever put them there."""
        folder = folder.resolve()
        for table, owned in self._owners():
            if not is_crawled(table):
                continue
            if (table.database, table.name) == (database, name):
                raise InvalidInput(
                    f"{database}.{name} is a crawled table: its data is the files in {table.location}.",
                    hint="Crawl that folder again to refresh it, import under another name, "
                         "or delete the table first (its files stay).",
                )
            if overlaps(folder, owned):
                raise InvalidInput(
                    f"Importing as {database}.{name} would write into {self._uri(owned)}, "
                    f"the folder crawled table {table.qualified_name} reads.",
                    hint="Import under another name or database.",
                )

    def _uri(self, folder: Path) -> str:
        return self.workspace.to_uri(folder) + "/"

    def _crawl_folder(self, location: str) -> Path:
        folder = self.workspace.from_uri(location)
        lake = self.workspace.lake.resolve()
        if not _inside(folder, lake):
            raise InvalidInput(f"{location} is outside the lake.", hint="Crawl an s3://… location inside the workspace lake.")
        if not folder.is_dir():
            raise NotFound(f"{location} is not a folder in the lake.", hint="Pick an existing prefix, e.g. s3://workbench-lake/demo/.")
        return folder

    def _crawl_table(self, database: str, name: str, folder: Path) -> str:
        inspected = inspect_path(folder)
        try:
            before = self.get_table(database, name)
        except NotFound:
            self._register(database, name, inspected, crawler=True)
            return "created"
        after = self._register(database, name, inspected, only_if_changed=True, crawler=True)
        return "updated" if after.version_id != before.version_id else "unchanged"

    def delete_table(self, database: str, table: str) -> None:
        self.get_table(database, table)
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM tables WHERE database = ? AND name = ?", (database, table))
            conn.execute("DELETE FROM table_versions WHERE database = ? AND name = ?", (database, table))
        self._notify()

    def register(self, database: str, table: str, folder: Path) -> Table:
        """Catalog data that is already in the lake at ``folder`` (used by seeding and CTAS)."""
        self.create_database(database)
        return self._register(database, table, inspect_path(folder), only_if_changed=True)

    def _register(self, database: str, name: str, inspected: InspectedData, only_if_changed: bool = False,
                  crawler: bool = False) -> Table:
        """Write the next version and point the table at it, in one transaction (so one of several
        concurrent writers wins whole; a crash before the commit leaves the previous version current)."""
        table = self._table_from(database, name, inspected, crawler)
        with self.store.transaction() as conn:
            row = conn.execute(
                "SELECT current_version FROM tables WHERE database = ? AND name = ?", (database, name)
            ).fetchone()
            current = row[0] if row else 0
            if current and only_if_changed and not self._schema_changed(conn, database, name, current, table):
                return self.get_table(database, name)
            table = replace(table, version_id=str(current + 1), created_at=self._created_at(conn, database, name),
                            updated_at=utc_now())
            _write_version(conn, table, current + 1)
        record_table_version(self.store, database, name, table.version_id, table.location)
        self._notify()
        return table

    def _schema_changed(self, conn: Any, database: str, name: str, version: int, table: Table) -> bool:
        body = conn.execute(
            "SELECT body FROM table_versions WHERE database = ? AND name = ? AND version = ?", (database, name, version)
        ).fetchone()[0]
        old = table_from_json(body)
        before = (old.columns, old.partition_keys, old.format, old.location, is_crawled(old))
        return before != (table.columns, table.partition_keys, table.format, table.location, is_crawled(table))

    def _created_at(self, conn: Any, database: str, name: str) -> str:
        row = conn.execute(
            "SELECT min(created_at) FROM table_versions WHERE database = ? AND name = ?", (database, name)
        ).fetchone()
        return row[0] or utc_now()

    def _table_from(self, database: str, name: str, inspected: InspectedData, crawler: bool = False) -> Table:
        now = utc_now()
        parameters = table_parameters(inspected) | ({CRAWLER_PARAMETER: LOCAL_CRAWLER} if crawler else {})
        return Table(
            database=database,
            name=name,
            location=self.workspace.to_uri(inspected.root) + "/",
            format=inspected.format,
            columns=inspected.columns,
            partition_keys=inspected.partition_keys,
            parameters=parameters,
            created_at=now,
            updated_at=now,
        )

    def _require_database(self, database: str) -> None:
        if self.store.fetch_one("SELECT 1 FROM databases WHERE name = ?", (database,)) is None:
            raise NotFound(f"Database {database!r} does not exist.", hint="Pick a database from the catalog.")

    def _notify(self) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO app_state (key, value) VALUES (?, '1') "
                "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
                (GENERATION_KEY,),
            )


def table_parameters(inspected: InspectedData) -> dict[str, str]:
    """Table parameters as a Glue crawler writes them."""
    parameters = {
        "classification": inspected.format,
        "recordCount": str(inspected.row_count if inspected.row_count is not None else -1),
        "sizeKey": str(inspected.size_bytes),
        "objectCount": str(len(inspected.files)),
        "compressionType": "none",
        "typeOfData": "file",
    }
    if inspected.format in ("csv", "tsv"):
        parameters["delimiter"] = "," if inspected.format == "csv" else "\t"
        parameters["skip.header.line.count"] = "1"
    return parameters


def _write_version(conn: Any, table: Table, version: int) -> None:
    conn.execute(
        "INSERT INTO table_versions (database, name, version, body, created_at) VALUES (?, ?, ?, ?, ?)",
        (table.database, table.name, version, table_to_json(table), table.updated_at),
    )
    conn.execute(
        "INSERT INTO tables (database, name, current_version) VALUES (?, ?, ?) "
        "ON CONFLICT (database, name) DO UPDATE SET current_version = excluded.current_version",
        (table.database, table.name, version),
    )


def table_to_json(table: Table) -> str:
    return json.dumps(table.to_glue() | {"Format": table.format})


def table_from_json(body: str) -> Table:
    glue = json.loads(body)
    storage = glue["StorageDescriptor"]
    return Table(
        database=glue["DatabaseName"],
        name=glue["Name"],
        location=storage["Location"],
        format=glue["Format"],
        columns=tuple(Column(c["Name"], c["Type"], c.get("Comment", "")) for c in storage["Columns"]),
        partition_keys=tuple(Column(c["Name"], c["Type"], c.get("Comment", "")) for c in glue["PartitionKeys"]),
        parameters=glue["Parameters"],
        version_id=glue["VersionId"],
        table_type=glue["TableType"],
        created_at=glue.get("CreateTime", ""),
        updated_at=glue.get("UpdateTime", ""),
    )


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _copy_version(table_folder: Path, inspected: InspectedData) -> Path:
    """Copy the inspected files (streamed file by file) into a new version folder of ``table_folder``;
    nothing reads it until the catalog points the table at it."""
    folder = new_version_folder(table_folder, datetime.now(UTC))
    try:
        folder.mkdir(parents=True)
        for file in inspected.files:
            destination = folder / file.relative_to(inspected.root)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, destination)
    except BaseException:
        _discard_version(folder)
        raise
    return folder


def _discard_version(folder: Path) -> None:
    """Remove a version folder no table points at, and the table folder if that leaves it empty."""
    shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(OSError):  # other versions (or another import) still there
        folder.parent.rmdir()


def _epoch(timestamp: str, default: float) -> float:
    try:
        return datetime.fromisoformat(timestamp).timestamp()
    except ValueError:  # a version without a time: treat it as just written, so it is kept
        return default


def _read_sample(workspace: Workspace, settings: Settings, table: Table, limit: int) -> QueryResult:
    """The first ``limit`` rows of ``table`` (any version) through a sandbox of its own."""
    started = time.perf_counter()
    try:
        conn = open_sandbox(workspace, [table], settings.query_memory_limit, settings.query_threads)
        try:
            arrow = conn.sql(f"SELECT * FROM {quote(table.database)}.{quote(table.name)} LIMIT {int(limit)}").to_arrow_table()
        finally:
            conn.close()
    except duckdb.Error as exc:
        raise QueryFailed(
            f"Version {table.version_id} of {table.qualified_name} could not be read ({friendly_engine_message(str(exc))}).",
            hint="Its files may have been changed outside the workbench; the current version is unaffected.",
        ) from exc
    types = {c.name: c.type for c in table.all_columns}
    columns = tuple(ResultColumn(name, types.get(name, "string")) for name in arrow.schema.names)
    statistics = QueryStatistics(arrow.num_rows, (time.perf_counter() - started) * 1000, 0)
    return QueryResult("", columns, arrow.to_pandas(), statistics)


def prune_table_versions(workspace: Workspace, store: MetadataStore, settings: Settings,
                         now: float | None = None) -> list[Path]:
    """The retention round's hook (``services/embedded/retention.py``): prune the workspace's old table versions."""
    return LocalCatalog(workspace, store, settings).prune_table_versions(now)


def _table_folders(folder: Path) -> list[Path]:
    """A crawler's tables: the folder itself when it holds files directly, else each sub-folder."""
    if any(p.is_file() and not p.name.startswith((".", "_")) for p in folder.iterdir()):
        return [folder]
    if any(p.is_dir() and "=" in p.name for p in folder.iterdir()):
        return [folder]
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
