"""The aws catalog: the Glue Data Catalog through awswrangler, boto3 Glue where wrangler has no call."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO

import awswrangler as wr
import boto3

from services.aws.errors import translated
from services.catalog.files import (
    InspectedData,
    inspect_path,
    partition_values,
)
from services.catalog.local import table_parameters
from services.catalog.uploads import import_staged_upload, upload_staging_root
from services.config import Settings
from services.errors import BackendUnavailable, NotFound
from services.models import FORMATS, Column, CrawlResult, Database, Partition, Table
from services.names import check_table_prefix, glue_name
from services.paths import readable_path

# OpenCSVSerde reads quoted fields ("a, b") the way the files were inspected; LazySimpleSerDe does not.
OPEN_CSV_SERDE = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
DELIMITERS = {"csv": ",", "tsv": "\t"}
# What GetTable returns that UpdateTable's TableInput accepts back.
TABLE_INPUT_KEYS = ("Name", "Description", "Owner", "LastAccessTime", "LastAnalyzedTime", "Retention",
                    "StorageDescriptor", "PartitionKeys", "ViewOriginalText", "ViewExpandedText", "TableType",
                    "Parameters", "TargetTable")
TABLE_WRITERS: dict[str, Callable[..., None]] = {
    "csv": wr.catalog.create_csv_table,
    "tsv": wr.catalog.create_csv_table,
    "json": wr.catalog.create_json_table,
    "parquet": wr.catalog.create_parquet_table,
}
PARTITION_WRITERS: dict[str, Callable[..., None]] = {
    "csv": wr.catalog.add_csv_partitions,
    "tsv": wr.catalog.add_csv_partitions,
    "json": wr.catalog.add_json_partitions,
    "parquet": wr.catalog.add_parquet_partitions,
}


class AwsCatalog:
    """The Glue Data Catalog; imported data lives under ``s3://{WORKBENCH_S3_BUCKET}/{database}/{table}/``."""

    def __init__(
        self,
        session: boto3.Session,
        settings: Settings,
        *,
        poll_seconds: float = 10.0,
        crawl_timeout_seconds: float = 1800.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.session = session
        self.settings = settings
        self.poll_seconds = poll_seconds
        self.crawl_timeout_seconds = crawl_timeout_seconds
        self._sleep = sleep

    @cached_property
    def _glue(self) -> Any:
        return self.session.client("glue")

    @translated
    def list_databases(self) -> list[Database]:
        """All databases, sorted by name."""
        found = [database_from_glue(d) for d in wr.catalog.get_databases(boto3_session=self.session)]
        return sorted(found, key=lambda d: d.name)

    @translated
    def create_database(self, name: str, description: str = "") -> Database:
        """Create a database, or return it unchanged when it exists."""
        name = glue_name("database", name)
        try:
            return self._database(name)
        except NotFound:
            # exist_ok covers a concurrent create; wrangler would also overwrite an existing description.
            wr.catalog.create_database(name, description=description or None, exist_ok=True, boto3_session=self.session)
        return self._database(name)

    def _database(self, name: str) -> Database:
        try:
            return database_from_glue(self._glue.get_database(Name=name)["Database"])
        except self._glue.exceptions.EntityNotFoundException as exc:
            raise NotFound(f"Database {name!r} does not exist.", hint="Pick a database from the catalog.") from exc

    @translated
    def list_tables(self, database: str) -> list[Table]:
        """The current version of every table in ``database``, sorted by name."""
        self._database(database)  # Glue's GetTables returns [] for a missing database
        tables = wr.catalog.get_tables(database=database, boto3_session=self.session)
        return sorted((table_from_glue(t) for t in tables), key=lambda t: t.name)

    @translated
    def get_table(self, database: str, table: str) -> Table:
        """The current version of one table; ``NotFound`` when missing."""
        try:
            raw = self._glue.get_table(DatabaseName=database, Name=table)["Table"]
        except self._glue.exceptions.EntityNotFoundException as exc:
            raise NotFound(
                f"Table {database}.{table} does not exist.",
                hint=f"Pick a table from the catalog, or import data as {database}.{table}.",
            ) from exc
        return table_from_glue(raw)

    @translated
    def table_versions(self, database: str, table: str) -> list[Table]:
        """Every version of a table, newest first (Glue's ``GetTableVersions``)."""
        self.get_table(database, table)
        pages = self._glue.get_paginator("get_table_versions").paginate(DatabaseName=database, TableName=table)
        versions = [table_from_glue(v["Table"], v["VersionId"]) for page in pages for v in page["TableVersions"]]
        return sorted(versions, key=lambda t: int(t.version_id), reverse=True)

    @translated
    def list_partitions(self, database: str, table: str) -> list[Partition]:
        """Partitions with file counts and sizes (one S3 listing per partition); ``[]`` when unpartitioned."""
        if not self.get_table(database, table).partition_keys:
            return []
        pages = self._glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=table)
        partitions = [self._partition(p) for page in pages for p in page["Partitions"]]
        return sorted(partitions, key=lambda p: p.values)

    def _partition(self, raw: dict[str, Any]) -> Partition:
        location = raw.get("StorageDescriptor", {}).get("Location", "")
        sizes = object_sizes(self.session, location) if location else {}
        return Partition(tuple(raw["Values"]), location, len(sizes), sum(sizes.values()))

    @translated
    def import_path(self, path: Path, database: str, table: str) -> Table:
        """Upload a local file or folder to ``s3://{bucket}/{database}/{table}/`` (replacing what
        was there) and catalog it; an existing table gets a new version."""
        database, table = glue_name("database", database), glue_name("table", table)
        bucket = require_bucket(self.settings)
        path = readable_path(path, self.settings, extra_roots=(upload_staging_root(self.settings),))
        inspected = inspect_path(Path(path))
        location = f"s3://{bucket}/{database}/{table}/"
        self._replace_objects(location, inspected)
        self.create_database(database)
        self._write_table(database, table, location, inspected)
        if inspected.format == "parquet" and renamed_columns(inspected.columns):
            self._read_parquet_by_position(database, table)
        self._replace_partitions(database, table, location, inspected)
        return self.get_table(database, table)

    def _replace_objects(self, location: str, inspected: InspectedData) -> None:
        """Upload first, then delete objects the new data does not have, so the table is never empty."""
        targets = {location + f.relative_to(inspected.root).as_posix(): f for f in inspected.files}
        for target, file in targets.items():
            wr.s3.upload(local_file=str(file), path=target, boto3_session=self.session)
        stale = [p for p in object_sizes(self.session, location) if p not in targets]
        if stale:
            wr.s3.delete_objects(stale, boto3_session=self.session)

    def _write_table(self, database: str, table: str, location: str, inspected: InspectedData) -> None:
        TABLE_WRITERS[inspected.format](
            database=database,
            table=table,
            path=location,
            columns_types={c.name: c.type for c in inspected.columns},
            partitions_types={c.name: c.type for c in inspected.partition_keys},
            columns_comments={c.name: c.comment for c in (*inspected.columns, *inspected.partition_keys) if c.comment},
            parameters=table_parameters(inspected),
            mode="overwrite",
            catalog_versioning=True,
            boto3_session=self.session,
            **_csv_table_options(inspected.format),
            **_json_serde_options(inspected),
        )

    def _read_parquet_by_position(self, database: str, table: str) -> None:
        """Athena reads Parquet columns by name, and a renamed column (col0 for "Unnamed: 0", clothing_id
        for "Clothing ID") is not a name in the files: read by position, as the files were inspected."""
        raw = self._glue.get_table(DatabaseName=database, Name=table)["Table"]
        table_input = {key: raw[key] for key in TABLE_INPUT_KEYS if key in raw}
        serde = table_input["StorageDescriptor"].setdefault("SerdeInfo", {})
        serde.setdefault("Parameters", {})["parquet.column.index.access"] = "true"
        self._glue.update_table(DatabaseName=database, TableInput=table_input, SkipArchive=True)

    def _replace_partitions(self, database: str, table: str, location: str, inspected: InspectedData) -> None:
        if not inspected.partition_keys:
            return
        wr.catalog.delete_all_partitions(table=table, database=database, boto3_session=self.session)
        PARTITION_WRITERS[inspected.format](
            database=database,
            table=table,
            partitions_values=partition_locations(location, inspected),
            columns_types={c.name: c.type for c in inspected.columns},
            boto3_session=self.session,
            **_csv_partition_options(inspected.format),
            **_json_serde_options(inspected),
        )

    def import_upload(self, filename: str, stream: BinaryIO, database: str, table: str) -> Table:
        return import_staged_upload(self, self.settings, filename, stream, database, table)

    @translated
    def crawl(self, location: str, database: str, table_prefix: str = "") -> CrawlResult:
        """Run a Glue crawler (created or updated as ``workbench-{database}-{hash}``) over an S3
        location, wait for it, and report which tables it created, updated or left unchanged."""
        database, table_prefix = glue_name("database", database), check_table_prefix(table_prefix)
        role = self._require_crawler_role()
        target = self._s3_location(location)
        self.create_database(database)
        before = self._versions_under(database, target, table_prefix)
        name = crawler_name(database, target, table_prefix)
        self._upsert_crawler(name, role, database, target, table_prefix)
        self._run_crawler(name)
        return crawl_result(database, before, self._versions_under(database, target, table_prefix))

    def _require_crawler_role(self) -> str:
        if not self.settings.glue_crawler_role:
            raise BackendUnavailable(
                "No IAM role is configured for Glue crawlers.",
                hint="Set WORKBENCH_GLUE_CRAWLER_ROLE to a role Glue can assume that reads the bucket "
                "(e.g. AWSGlueServiceRole-workbench).",
            )
        return self.settings.glue_crawler_role

    def _s3_location(self, location: str) -> str:
        """``s3://…`` as given; a bare prefix is taken inside WORKBENCH_S3_BUCKET."""
        if not location.startswith("s3://"):
            location = f"s3://{require_bucket(self.settings)}/{location.lstrip('/')}"
        return location.rstrip("/") + "/"

    def _versions_under(self, database: str, target: str, table_prefix: str) -> dict[str, str]:
        tables = self.list_tables(database)
        return {
            t.name: t.version_id
            for t in tables
            if t.name.startswith(table_prefix) and (t.location.rstrip("/") + "/").startswith(target)
        }

    def _upsert_crawler(self, name: str, role: str, database: str, target: str, table_prefix: str) -> None:
        spec = {
            "Name": name,
            "Role": role,
            "DatabaseName": database,
            "Targets": {"S3Targets": [{"Path": target}]},
            "TablePrefix": table_prefix,
            "SchemaChangePolicy": {"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "LOG"},
        }
        try:
            self._glue.create_crawler(**spec)
        except self._glue.exceptions.AlreadyExistsException:
            self._glue.update_crawler(**spec)

    def _run_crawler(self, name: str) -> None:
        previous_start = self._glue.get_crawler(Name=name)["Crawler"].get("LastCrawl", {}).get("StartTime")
        self._glue.start_crawler(Name=name)
        deadline = time.monotonic() + self.crawl_timeout_seconds
        while True:
            crawler = self._glue.get_crawler(Name=name)["Crawler"]
            if crawl_finished(crawler, previous_start):
                return raise_if_crawl_failed(crawler)
            if time.monotonic() > deadline:
                raise BackendUnavailable(
                    f"The Glue crawler {name} did not finish within {self.crawl_timeout_seconds:g} s.",
                    hint="It keeps running in Glue; crawl again later to see its tables.",
                )
            self._sleep(self.poll_seconds)

    @translated
    def delete_table(self, database: str, table: str) -> None:
        """Remove a table from the catalog (its files stay in S3, as in Glue)."""
        self.get_table(database, table)
        wr.catalog.delete_table_if_exists(database=database, table=table, boto3_session=self.session)


def require_bucket(settings: Settings) -> str:
    """WORKBENCH_S3_BUCKET, where imported and saved tables live; ``BackendUnavailable`` when unset."""
    if not settings.s3_bucket:
        raise BackendUnavailable(
            "No S3 bucket is configured for the workbench's tables.",
            hint="Set WORKBENCH_S3_BUCKET to a bucket you can write to, e.g. my-team-workbench-lake.",
        )
    return settings.s3_bucket


def _csv_table_options(fmt: str) -> dict[str, Any]:
    if fmt not in DELIMITERS:
        return {}
    return {"sep": DELIMITERS[fmt], "skip_header_line_count": 1} | _csv_partition_options(fmt)


def _csv_partition_options(fmt: str) -> dict[str, Any]:
    if fmt not in DELIMITERS:
        return {}
    serde = {"separatorChar": DELIMITERS[fmt], "quoteChar": '"', "escapeChar": "\\"}
    return {"sep": DELIMITERS[fmt], "serde_library": OPEN_CSV_SERDE, "serde_parameters": serde}


def renamed_columns(columns: tuple[Column, ...]) -> dict[str, str]:
    """``{column name: its name in the files, lower-cased}`` where the two differ; Athena compares
    names without case."""
    return {c.name: c.comment.lower() for c in columns if c.comment.lower() != c.name}


def _json_serde_options(inspected: InspectedData) -> dict[str, Any]:
    """The OpenX JSON SerDe finds a column by its key; a renamed key needs a ``mapping.<column>``."""
    mappings = renamed_columns(inspected.columns) if inspected.format == "json" else {}
    return {"serde_parameters": {f"mapping.{name}": key for name, key in mappings.items()}} if mappings else {}


def partition_locations(location: str, inspected: InspectedData) -> dict[str, list[str]]:
    """``{s3 folder of a partition: its values}`` from the files' ``key=value`` folders."""
    found: dict[str, list[str]] = {}
    for file in inspected.files:
        folder = file.parent.relative_to(inspected.root).as_posix()
        found[f"{location}{folder}/"] = list(partition_values(inspected.root, file))
    return found


def crawler_name(database: str, target: str, table_prefix: str) -> str:
    digest = hashlib.sha1(f"{target}|{table_prefix}".encode()).hexdigest()[:10]
    return f"workbench-{database}-{digest}"


def crawl_finished(crawler: dict[str, Any], previous_start: Any) -> bool:
    """READY with a newer last crawl: right after StartCrawler Glue may still report the old one."""
    last = crawler.get("LastCrawl") or {}
    return crawler.get("State") == "READY" and bool(last) and last.get("StartTime") != previous_start


def raise_if_crawl_failed(crawler: dict[str, Any]) -> None:
    last = crawler.get("LastCrawl") or {}
    if last.get("Status") == "FAILED":
        raise BackendUnavailable(
            f"The Glue crawler {crawler['Name']} failed: {last.get('ErrorMessage', 'no reason given')}",
            hint="Check that the role in WORKBENCH_GLUE_CRAWLER_ROLE can read the location; "
            "the crawler's CloudWatch log has details.",
        )


def crawl_result(database: str, before: dict[str, str], after: dict[str, str]) -> CrawlResult:
    def named(names: Iterable[str]) -> tuple[str, ...]:
        return tuple(f"{database}.{n}" for n in sorted(names))

    return CrawlResult(
        created=named(n for n in after if n not in before),
        updated=named(n for n in after if n in before and after[n] != before[n]),
        unchanged=named(n for n in after if n in before and after[n] == before[n]),
    )


def object_sizes(session: boto3.Session, location: str) -> dict[str, int]:
    """``{s3 path: bytes}`` of the data objects under ``location``. One paged LIST: sizes come
    with the listing, where ``wr.s3.size_objects`` would HEAD every object. Folder markers and
    ``_``/``.`` files (which Athena skips) are left out."""
    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
    pages = session.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    sizes: dict[str, int] = {}
    for page in pages:
        for item in page.get("Contents", []):
            relative = item["Key"][len(prefix):]
            if relative and not relative.endswith("/") and not _hidden(relative):
                sizes[f"s3://{bucket}/{item['Key']}"] = int(item["Size"])
    return sizes


def _hidden(relative_key: str) -> bool:
    return any(part.startswith(("_", ".")) for part in relative_key.split("/"))


def database_from_glue(raw: dict[str, Any]) -> Database:
    return Database(raw["Name"], raw.get("Description", "") or "", raw.get("LocationUri", "") or "")


def table_from_glue(raw: dict[str, Any], version_id: str | None = None) -> Table:
    """Our ``Table`` from Glue's ``Table`` shape (GetTable, GetTables, GetTableVersions)."""
    storage = raw.get("StorageDescriptor") or {}
    parameters = {str(k): str(v) for k, v in (raw.get("Parameters") or {}).items()}
    return Table(
        database=raw["DatabaseName"],
        name=raw["Name"],
        location=storage.get("Location", ""),
        format=table_format(parameters, storage),
        columns=columns_from_glue(storage.get("Columns", [])),
        partition_keys=columns_from_glue(raw.get("PartitionKeys", [])),
        parameters=parameters,
        version_id=str(version_id or raw.get("VersionId") or "1"),
        table_type=raw.get("TableType") or "EXTERNAL_TABLE",
        created_at=_iso(raw.get("CreateTime")),
        updated_at=_iso(raw.get("UpdateTime")),
    )


def columns_from_glue(raw: list[dict[str, Any]]) -> tuple[Column, ...]:
    return tuple(Column(c["Name"], c.get("Type", "string"), c.get("Comment", "") or "") for c in raw)


def table_format(parameters: dict[str, str], storage: dict[str, Any]) -> str:
    """Glue's classification; crawled tab-separated tables are ``csv`` with a tab delimiter."""
    serde = storage.get("SerdeInfo") or {}
    serde_parameters = serde.get("Parameters") or {}
    classification = parameters.get("classification", "").lower()
    delimiter = parameters.get("delimiter") or serde_parameters.get("field.delim") or serde_parameters.get("separatorChar")
    if classification == "csv" and delimiter == "\t":
        return "tsv"
    if classification:
        return classification
    return _format_from_storage(storage.get("InputFormat", "") or "", serde.get("SerializationLibrary", "") or "")


def _format_from_storage(input_format: str, serde_library: str) -> str:
    """Tables Athena CTAS or other tools made often carry no classification."""
    for fmt in FORMATS:
        if fmt in input_format.lower() or fmt in serde_library.lower():
            return fmt
    return "csv" if "text" in input_format.lower() else "unknown"


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds")
    return "" if value is None else str(value)
