"""The local catalog: Glue's model persisted in the workspace's SQLite store over a lake folder."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

from services.catalog.files import InspectedData, data_files, inspect_path, partition_values, sanitize_table_name
from services.embedded.metadata import MetadataStore, utc_now
from services.embedded.workspace import Workspace
from services.errors import InvalidInput, NotFound
from services.models import Column, CrawlResult, Database, Partition, Table

GENERATION_KEY = "catalog_generation"


class LocalCatalog:
    """A Glue-shaped catalog whose table locations are folders in the workspace lake."""

    def __init__(self, workspace: Workspace, store: MetadataStore) -> None:
        self.workspace = workspace
        self.store = store

    def generation(self) -> int:
        """A counter bumped by every table change, in any process sharing this workspace."""
        return int(self.store.get_state(GENERATION_KEY) or 0)

    def list_databases(self) -> list[Database]:
        rows = self.store.fetch_all("SELECT name, description FROM databases ORDER BY name")
        return [Database(r["name"], r["description"], self._database_uri(r["name"])) for r in rows]

    def create_database(self, name: str, description: str = "") -> Database:
        name = sanitize_table_name(name)
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
        database, table = sanitize_table_name(database), sanitize_table_name(table)
        inspected = inspect_path(Path(path))
        target = self.workspace.table_folder(database, table)
        if _inside(Path(path), target):
            raise InvalidInput(f"{path} is already {database}.{table}'s folder.", hint="Use Crawl to re-read it.")
        _replace_folder(target, inspected)
        self.create_database(database)
        return self._register(database, table, inspect_path(target))

    def crawl(self, location: str, database: str, table_prefix: str = "") -> CrawlResult:
        folder = self._crawl_folder(location)
        database = sanitize_table_name(database)
        self.create_database(database)
        outcome: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": []}
        for table_folder in _table_folders(folder):
            name = sanitize_table_name(table_prefix + table_folder.name)
            kind = self._crawl_table(database, name, table_folder)
            outcome[kind].append(f"{database}.{name}")
        return CrawlResult(*(tuple(outcome[k]) for k in ("created", "updated", "unchanged")))

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
            self._register(database, name, inspected)
            return "created"
        after = self._register(database, name, inspected, only_if_changed=True)
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

    def _register(self, database: str, name: str, inspected: InspectedData, only_if_changed: bool = False) -> Table:
        table = self._table_from(database, name, inspected)
        with self.store.transaction() as conn:
            row = conn.execute(
                "SELECT current_version FROM tables WHERE database = ? AND name = ?", (database, name)
            ).fetchone()
            current = row[0] if row else 0
            if current and only_if_changed and not self._schema_changed(conn, database, name, current, table):
                return self.get_table(database, name)
            table = replace(table, version_id=str(current + 1), created_at=self._created_at(conn, database, name))
            _write_version(conn, table, current + 1)
        self._notify()
        return table

    def _schema_changed(self, conn: Any, database: str, name: str, version: int, table: Table) -> bool:
        body = conn.execute(
            "SELECT body FROM table_versions WHERE database = ? AND name = ? AND version = ?", (database, name, version)
        ).fetchone()[0]
        old = table_from_json(body)
        return (old.columns, old.partition_keys, old.format) != (table.columns, table.partition_keys, table.format)

    def _created_at(self, conn: Any, database: str, name: str) -> str:
        row = conn.execute(
            "SELECT min(created_at) FROM table_versions WHERE database = ? AND name = ?", (database, name)
        ).fetchone()
        return row[0] or utc_now()

    def _table_from(self, database: str, name: str, inspected: InspectedData) -> Table:
        now = utc_now()
        return Table(
            database=database,
            name=name,
            location=self.workspace.to_uri(inspected.root) + "/",
            format=inspected.format,
            columns=inspected.columns,
            partition_keys=inspected.partition_keys,
            parameters=table_parameters(inspected),
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


def _replace_folder(target: Path, inspected: InspectedData) -> None:
    """Copy the inspected files into ``target`` (streamed file by file), replacing what was there."""
    staging = target.with_name(f".{target.name}.importing")
    shutil.rmtree(staging, ignore_errors=True)
    for file in inspected.files:
        destination = staging / file.relative_to(inspected.root)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file, destination)
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging.rename(target)


def _table_folders(folder: Path) -> list[Path]:
    """A crawler's tables: the folder itself when it holds files directly, else each sub-folder."""
    if any(p.is_file() and not p.name.startswith((".", "_")) for p in folder.iterdir()):
        return [folder]
    if any(p.is_dir() and "=" in p.name for p in folder.iterdir()):
        return [folder]
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
