"""The query port: Athena's model of asynchronous SQL executions, plus history and saved queries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal, Protocol

from services.models import DownloadTicket, HistoryEntry, QueryResult, SavedQuery, ScanEstimate, Table

ExportFormat = Literal["csv", "parquet"]


class QueryPort(Protocol):
    """Athena-style SQL over the catalog's tables.

    SQL is Athena's dialect (Trino). Tables are ``database.table`` or bare names under
    ``database``. Refused statements raise ``QueryRefused`` before anything runs; engine
    failures become ``QueryFailed``; a query past the timeout ``QueryTimeout``.
    Every execution is recorded in the history with its status and statistics.
    """

    def start_query(self, sql: str, database: str | None = None) -> str:
        """Start a query and return its id at once (Athena's ``StartQueryExecution``)."""
        ...

    def query_status(self, query_id: str) -> HistoryEntry:
        """The execution's state: QUEUED, RUNNING, SUCCEEDED, FAILED or CANCELLED."""
        ...

    def get_result(self, query_id: str, max_rows: int | None = None) -> QueryResult:
        """Wait for the query and return its first ``max_rows`` rows (the display cap
        by default) with statistics; raises the query's error if it did not succeed."""
        ...

    def run(self, sql: str, database: str | None = None, max_rows: int | None = None) -> QueryResult:
        """``start_query`` then ``get_result``."""
        ...

    def cancel(self, query_id: str) -> None:
        """Stop a running query (Athena's ``StopQueryExecution``); no-op when finished."""
        ...

    def estimate(self, sql: str, database: str | None = None) -> ScanEstimate:
        """Bytes the query would scan, and the partitioned tables it reads with no partition filter."""
        ...

    def sample_rows(self, database: str, table: str, limit: int = 20) -> QueryResult:
        """The first rows of a table, without recording history."""
        ...

    def export_result(self, query_id: str, fmt: ExportFormat) -> bytes:
        """The full result of a finished query as CSV (with header) or Parquet."""
        ...

    def download_ticket(self, query_id: str, fmt: ExportFormat) -> DownloadTicket:
        """A one-time link that streams the full result (``export_chunks``) to a browser, never held in memory."""
        ...

    def export_chunks(self, query_id: str, fmt: ExportFormat) -> Iterator[bytes]:
        """The same bytes as ``export_result``, a chunk at a time, for downloads that must not hold a
        large result in memory. Fails (``NotFound``, the query's error) before the first chunk."""
        ...

    def save_result_as_table(self, query_id: str, database: str, table: str) -> Table:
        """Write a finished query's full result to the lake as Parquet and catalog it (CTAS)."""
        ...

    def history(self, search: str = "", limit: int = 200) -> list[HistoryEntry]:
        """Past executions, newest first; ``search`` matches the SQL text."""
        ...

    def save_query(self, query: SavedQuery) -> SavedQuery:
        """Create or replace a saved query by name."""
        ...

    def saved_queries(self) -> list[SavedQuery]:
        """Saved queries sorted by name."""
        ...

    def delete_saved_query(self, name: str) -> None:
        """Delete a saved query; ``NotFound`` when missing."""
        ...
