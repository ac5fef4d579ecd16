"""The catalog port: Glue's model of databases, tables, versions and partitions."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Protocol

from services.models import CrawlResult, Database, Partition, Table


class CatalogPort(Protocol):
    """A Glue-shaped data catalog.

    Names are Glue names: lower case, ``[a-z0-9_]``. Look-ups that miss raise
    ``NotFound``; bad files raise ``InvalidInput`` with a hint; engine errors are
    translated at the adapter's edge.
    """

    def list_databases(self) -> list[Database]:
        """All databases, sorted by name."""
        ...

    def create_database(self, name: str, description: str = "") -> Database:
        """Create a database, or return it unchanged when it exists."""
        ...

    def list_tables(self, database: str) -> list[Table]:
        """The current version of every table in ``database``, sorted by name."""
        ...

    def get_table(self, database: str, table: str) -> Table:
        """The current version of one table; ``NotFound`` when missing."""
        ...

    def table_versions(self, database: str, table: str) -> list[Table]:
        """Every version of a table, newest first (Glue's ``GetTableVersions``)."""
        ...

    def list_partitions(self, database: str, table: str) -> list[Partition]:
        """Partitions of a partitioned table with file counts and sizes; ``[]`` when unpartitioned."""
        ...

    def import_path(self, path: Path, database: str, table: str) -> Table:
        """Copy a local file or folder (CSV, TSV, JSON lines, Parquet; hive folders allowed)
        into the lake and catalog it as ``database.table`` (a new version if it exists).
        Creates ``database`` if missing. Large files are streamed, never read whole."""
        ...

    def import_upload(self, filename: str, stream: BinaryIO, database: str, table: str) -> Table:
        """Import an uploaded file as ``import_path`` does: written to the workspace's uploads folder
        first (the one place outside the import roots it reads), removed again whatever happens."""
        ...

    def crawl(self, location: str, database: str, table_prefix: str = "") -> CrawlResult:
        """Crawl a lake location: each folder of data files under it becomes a table;
        a changed schema becomes a new table version. Creates ``database`` if missing."""
        ...

    def delete_table(self, database: str, table: str) -> None:
        """Remove a table from the catalog (its files stay in the lake, as in Glue)."""
        ...
