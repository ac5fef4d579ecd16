"""One SQLite file in WAL mode for everything the app remembers: catalog, history, saved queries."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS databases (
    name TEXT PRIMARY KEY, description TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS table_versions (
    database TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL,
    body TEXT NOT NULL, created_at TEXT NOT NULL,
    PRIMARY KEY (database, name, version)
);
CREATE TABLE IF NOT EXISTS tables (
    database TEXT NOT NULL, name TEXT NOT NULL, current_version INTEGER NOT NULL,
    PRIMARY KEY (database, name)
);
CREATE TABLE IF NOT EXISTS query_history (
    query_id TEXT PRIMARY KEY, sql TEXT NOT NULL, database TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL, submitted_at TEXT NOT NULL, elapsed_ms REAL, rows INTEGER,
    bytes_scanned INTEGER, error TEXT NOT NULL DEFAULT '', result_path TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS query_history_submitted ON query_history (submitted_at);
CREATE TABLE IF NOT EXISTS saved_queries (
    name TEXT PRIMARY KEY, sql TEXT NOT NULL, database TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '', updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS app_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class MetadataStore:
    """Thread-safe access to the workspace's SQLite file. Each call is one transaction."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, check_same_thread=False, timeout=30, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def ensure_schema(self, script: str) -> None:
        """Create a capability's own tables (``CREATE … IF NOT EXISTS`` statements)."""
        with self._lock:
            self._conn.executescript(script)

    def fetch_all(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def fetch_one(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        with self._lock:
            return self._conn.execute(sql, params).fetchone()

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        with self.transaction() as conn:
            conn.execute(sql, params)

    def get_state(self, key: str) -> Any:
        row = self.fetch_one("SELECT value FROM app_state WHERE key = ?", (key,))
        return None if row is None else json.loads(row["value"])

    def set_state(self, key: str, value: Any) -> None:
        self.execute(
            "INSERT INTO app_state (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    def close(self) -> None:
        with self._lock:
            self._conn.close()
