"""Plain data that crosses the port boundary. No engine objects in here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

FORMATS = ("csv", "tsv", "json", "parquet")


@dataclass(frozen=True)
class Database:
    name: str
    description: str = ""
    location: str = ""


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    comment: str = ""


@dataclass(frozen=True)
class Table:
    """A table as Glue models it. ``format`` is Glue's ``classification``."""

    database: str
    name: str
    location: str
    format: str
    columns: tuple[Column, ...]
    partition_keys: tuple[Column, ...] = ()
    parameters: dict[str, str] = field(default_factory=dict)
    version_id: str = "1"
    table_type: str = "EXTERNAL_TABLE"
    created_at: str = ""
    updated_at: str = ""

    @property
    def qualified_name(self) -> str:
        return f"{self.database}.{self.name}"

    @property
    def all_columns(self) -> tuple[Column, ...]:
        return self.columns + self.partition_keys

    def to_glue(self) -> dict[str, Any]:
        """The table as Glue's ``GetTable`` returns it in ``Table``."""
        return {
            "Name": self.name,
            "DatabaseName": self.database,
            "TableType": self.table_type,
            "Parameters": dict(self.parameters),
            "PartitionKeys": [{"Name": c.name, "Type": c.type, "Comment": c.comment} for c in self.partition_keys],
            "StorageDescriptor": {
                "Location": self.location,
                "Columns": [{"Name": c.name, "Type": c.type, "Comment": c.comment} for c in self.columns],
            },
            "VersionId": self.version_id,
            "CreateTime": self.created_at,
            "UpdateTime": self.updated_at,
        }


@dataclass(frozen=True)
class Partition:
    values: tuple[str, ...]
    location: str
    file_count: int
    size_bytes: int


@dataclass(frozen=True)
class CrawlResult:
    """What a crawl did: tables created, updated (new version) and left unchanged."""

    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResultColumn:
    name: str
    type: str


@dataclass(frozen=True)
class QueryStatistics:
    rows: int
    elapsed_ms: float
    bytes_scanned: int


@dataclass(frozen=True)
class QueryResult:
    """A finished query: the first rows for display plus where the full result can be fetched."""

    query_id: str
    columns: tuple[ResultColumn, ...]
    frame: pd.DataFrame
    statistics: QueryStatistics
    truncated: bool = False
    notices: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        rows = self.frame.astype(object).where(self.frame.notna(), None).values.tolist()
        return {
            "columns": [{"name": c.name, "type": c.type} for c in self.columns],
            "rows": rows,
            "statistics": {
                "rows": self.statistics.rows,
                "elapsed_ms": round(self.statistics.elapsed_ms, 3),
                "bytes_scanned": self.statistics.bytes_scanned,
            },
        }


@dataclass(frozen=True)
class ScanEstimate:
    """What a query would read before it runs, and what Athena would charge for it."""

    bytes_to_scan: int
    tables: tuple[str, ...]
    unfiltered_partitioned_tables: tuple[str, ...] = ()

    @property
    def athena_cost_usd(self) -> float:
        return athena_cost_usd(self.bytes_to_scan)


def athena_cost_usd(bytes_scanned: int) -> float:
    """What Athena charges: $5 per TB scanned, at least 10 MB per query that scans anything."""
    billed = max(bytes_scanned, 10 * 1024**2) if bytes_scanned else 0
    return billed / 1024**4 * 5.0


@dataclass(frozen=True)
class HistoryEntry:
    query_id: str
    sql: str
    database: str
    status: str  # SUCCEEDED, FAILED, CANCELLED (Athena's names)
    submitted_at: str
    elapsed_ms: float | None = None
    rows: int | None = None
    bytes_scanned: int | None = None
    error: str = ""


@dataclass(frozen=True)
class SavedQuery:
    name: str
    sql: str
    database: str = ""
    description: str = ""
    updated_at: str = ""
