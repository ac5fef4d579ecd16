"""Query history and saved queries, kept in the workspace's metadata store on both backends."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta

from services.embedded.metadata import MetadataStore, utc_now
from services.errors import InvalidInput, NotFound
from services.models import HistoryEntry, SavedQuery
from services.names import check_name

FINISHED = ("SUCCEEDED", "FAILED", "CANCELLED")
# Added after the first release: workspaces created before it get the column on open.
EXPIRY_COLUMN = "ALTER TABLE query_history ADD COLUMN result_expired_at TEXT NOT NULL DEFAULT ''"


class QueryHistory:
    """Every execution with its status and statistics; saved queries by name."""

    def __init__(self, store: MetadataStore) -> None:
        self.store = store
        _add_expiry_column(store)

    def record_start(self, query_id: str, sql: str, database: str, status: str = "RUNNING") -> None:
        self.store.execute(
            "INSERT OR REPLACE INTO query_history (query_id, sql, database, status, submitted_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (query_id, sql, database or "", status, utc_now()),
        )

    def record_finish(
        self,
        query_id: str,
        status: str,
        *,
        elapsed_ms: float | None = None,
        rows: int | None = None,
        bytes_scanned: int | None = None,
        error: str = "",
        result_path: str = "",
    ) -> None:
        self.store.execute(
            "UPDATE query_history SET status = ?, elapsed_ms = ?, rows = ?, bytes_scanned = ?, "
            "error = ?, result_path = ? WHERE query_id = ?",
            (status, elapsed_ms, rows, bytes_scanned, error, result_path, query_id),
        )

    def record_refused(self, sql: str, database: str, reason: str) -> str:
        """A statement refused before any engine saw it, kept as Athena keeps a failed one: state FAILED with
        the reason as its StateChangeReason, under a new execution id. Returns the id."""
        query_id = str(uuid.uuid4())
        self.record_start(query_id, sql, database, status="FAILED")
        self.record_finish(query_id, "FAILED", elapsed_ms=0.0, error=reason)
        return query_id

    def get(self, query_id: str) -> HistoryEntry:
        row = self.store.fetch_one("SELECT * FROM query_history WHERE query_id = ?", (query_id,))
        if row is None:
            raise NotFound(f"No query with id {query_id}.", hint="Pick a query from the history.")
        return _entry(row)

    def result_path(self, query_id: str) -> str:
        row = self.store.fetch_one("SELECT result_path FROM query_history WHERE query_id = ?", (query_id,))
        return "" if row is None else str(row["result_path"])

    def unfinished_ids(self) -> set[str]:
        """Ids of executions still queued or running (in any process): their result files are in use."""
        rows = self.store.fetch_all("SELECT query_id FROM query_history WHERE status IN ('QUEUED', 'RUNNING')")
        return {str(row["query_id"]) for row in rows}

    def mark_results_expired(self, query_ids: list[str]) -> None:
        """Retention deleted these executions' stored results: say so instead of pointing at missing files."""
        now = utc_now()
        with self.store.transaction() as conn:
            conn.executemany(
                "UPDATE query_history SET result_path = '', result_expired_at = ? WHERE query_id = ?",
                [(now, query_id) for query_id in query_ids],
            )

    def entries(self, search: str = "", limit: int = 200) -> list[HistoryEntry]:
        rows = self.store.fetch_all(
            "SELECT * FROM query_history WHERE sql LIKE ? ORDER BY submitted_at DESC LIMIT ?",
            (f"%{search}%", limit),
        )
        return [_entry(row) for row in rows]

    def forget(self, query_id: str) -> None:
        """Drop an execution from the history (the app's own housekeeping queries)."""
        self.store.execute("DELETE FROM query_history WHERE query_id = ?", (query_id,))

    def mark_abandoned(self, older_than_seconds: float) -> None:
        """Executions still unfinished long after any timeout would have stopped them belong to a
        process that is gone: mark them failed. Younger ones may belong to another live process."""
        cutoff = (datetime.now(UTC) - timedelta(seconds=older_than_seconds)).isoformat(timespec="milliseconds")
        self.store.execute(
            "UPDATE query_history SET status = 'FAILED', error = 'The app stopped while the query ran.' "
            "WHERE status IN ('QUEUED', 'RUNNING') AND submitted_at < ?",
            (cutoff,),
        )

    def save_query(self, query: SavedQuery) -> SavedQuery:
        name = query.name.strip()
        if not name:
            raise InvalidInput("A saved query needs a name.", hint="Type a name, e.g. 'reviews by rating'.")
        check_name("saved-query", query.name)
        if not query.sql.strip():
            raise InvalidInput("There is no SQL to save.", hint="Write a query in the editor first.")
        saved = SavedQuery(name, query.sql, query.database, query.description, utc_now())
        self.store.execute(
            "INSERT OR REPLACE INTO saved_queries (name, sql, database, description, updated_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (saved.name, saved.sql, saved.database, saved.description, saved.updated_at),
        )
        return saved

    def saved_queries(self) -> list[SavedQuery]:
        rows = self.store.fetch_all("SELECT * FROM saved_queries ORDER BY name")
        return [SavedQuery(r["name"], r["sql"], r["database"], r["description"], r["updated_at"]) for r in rows]

    def delete_saved_query(self, name: str) -> None:
        if self.store.fetch_one("SELECT 1 FROM saved_queries WHERE name = ?", (name,)) is None:
            raise NotFound(f"No saved query named {name!r}.", hint="Pick one from the saved queries list.")
        self.store.execute("DELETE FROM saved_queries WHERE name = ?", (name,))


class HistoryMethods:
    """The port's history and saved-query methods, the same on every backend (kept in the workspace)."""

    history_store: QueryHistory

    def history(self, search: str = "", limit: int = 200) -> list[HistoryEntry]:
        """Past executions, newest first; ``search`` matches the SQL text."""
        return self.history_store.entries(search, limit)

    def save_query(self, query: SavedQuery) -> SavedQuery:
        """Create or replace a saved query by name."""
        return self.history_store.save_query(query)

    def saved_queries(self) -> list[SavedQuery]:
        """Saved queries sorted by name."""
        return self.history_store.saved_queries()

    def delete_saved_query(self, name: str) -> None:
        """Delete a saved query; ``NotFound`` when missing."""
        self.history_store.delete_saved_query(name)


def _entry(row: sqlite3.Row) -> HistoryEntry:
    return HistoryEntry(
        query_id=row["query_id"],
        sql=row["sql"],
        database=row["database"],
        status=row["status"],
        submitted_at=row["submitted_at"],
        elapsed_ms=row["elapsed_ms"],
        rows=row["rows"],
        bytes_scanned=row["bytes_scanned"],
        error=row["error"],
        result_expired_at=row["result_expired_at"],
    )


def _add_expiry_column(store: MetadataStore) -> None:
    columns = {row["name"] for row in store.fetch_all("PRAGMA table_info(query_history)")}
    if "result_expired_at" in columns:
        return
    try:
        store.execute(EXPIRY_COLUMN)
    except sqlite3.OperationalError as exc:  # another process added it a moment ago
        if "duplicate column" not in str(exc):
            raise
