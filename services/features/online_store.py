"""The local online store: the latest record per (feature group, record identifier) in one SQLite file (WAL).

Any process opening the workspace reads and writes the same file (the app, an ingestion job, the runtime
gateway); WAL lets readers run beside a writer. A row holds the record as JSON (null features left out when
read), its event time in seconds, when it expires (event time + the group's TTL; never when NULL) and whether it is a SoftDelete tombstone.
As on SageMaker, a write whose event time is older than the stored one's leaves the stored record (a
tombstone included: an older record does not come back after a delete).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from services.errors import BackendUnavailable

SCHEMA = """
CREATE TABLE IF NOT EXISTS online_records (
    feature_group TEXT NOT NULL, record_id TEXT NOT NULL, event_time REAL NOT NULL, expires_at REAL,
    deleted INTEGER NOT NULL DEFAULT 0, record TEXT NOT NULL,
    PRIMARY KEY (feature_group, record_id)
) WITHOUT ROWID;
"""
UPSERT = """
INSERT INTO online_records (feature_group, record_id, event_time, expires_at, deleted, record) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (feature_group, record_id) DO UPDATE SET event_time = excluded.event_time,
    expires_at = excluded.expires_at, deleted = excluded.deleted, record = excluded.record
WHERE excluded.event_time >= online_records.event_time
"""
FEW_RECORDS = 100
LOCK_TIMEOUT_SECONDS = 30.0  # how long a write waits for another process's transaction
SELECT_ONE = "SELECT record, expires_at, deleted FROM online_records WHERE feature_group = ? AND record_id = ?"


@dataclass(frozen=True)
class OnlineRows:
    """Records to write, column by column: identifiers (as strings), event times and expiries in seconds (None:
    never), and each record as a JSON object."""

    record_ids: Sequence[str]
    event_times: Sequence[float]
    expires_at: Sequence[float | None]
    records: Sequence[str]


def records_as_json(table: pa.Table) -> list[str]:
    """Each row of ``table`` as a JSON object. A chunk is written by DuckDB's ``to_json`` (in C; doubles written
    to round-trip); a few records (a PutRecord) by ``json``, which costs less than opening DuckDB."""
    if table.num_rows <= FEW_RECORDS:
        return [json.dumps(record, separators=(",", ":")) for record in table.to_pylist()]
    with duckdb.connect() as conn:
        conn.register("chunk", table)
        column = conn.sql("SELECT to_json(chunk)::VARCHAR FROM chunk").to_arrow_table().column(0)
    return column.to_pylist()  # type: ignore[no-any-return]


class OnlineStore:
    """Thread-safe access to the online store's SQLite file; each write call is one transaction."""

    def __init__(self, path: Path, lock_timeout_seconds: float = LOCK_TIMEOUT_SECONDS) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, check_same_thread=False, timeout=lock_timeout_seconds, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)

    @contextmanager
    def writing(self) -> Iterator[OnlineWriter]:
        """One transaction: everything written through the writer commits together, or nothing does."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:  # another process held the write lock past the timeout
                raise BackendUnavailable(f"The online store is busy ({exc}).",
                                         hint="Another ingestion is writing to it; try again when it has finished.") from exc
            try:
                yield OnlineWriter(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def get(self, group: str, record_id: str, now: float) -> dict[str, Any] | None:
        """The record, or None when there is none, it was deleted or it expired (``expires_at <= now``)."""
        with self._lock:
            row = self._conn.execute(SELECT_ONE, (group, record_id)).fetchone()
        return _live(row, now)

    def get_many(self, group: str, record_ids: Sequence[str], now: float) -> list[dict[str, Any]]:
        """The live records among ``record_ids``, in the order asked (each asked id at most once)."""
        wanted = list(dict.fromkeys(record_ids))
        found: dict[str, dict[str, Any]] = {}
        with self._lock:
            for start in range(0, len(wanted), 500):
                part = wanted[start:start + 500]
                rows = self._conn.execute(
                    f"SELECT record_id, record, expires_at, deleted FROM online_records WHERE feature_group = ? "
                    f"AND record_id IN ({', '.join('?' * len(part))})", (group, *part)).fetchall()
                found.update((r[0], record) for r in rows if (record := _live(r[1:], now)) is not None)
        return [found[i] for i in wanted if i in found]

    def remove(self, group: str, record_id: str) -> None:
        """HardDelete: the record is gone, so a later record with any event time is stored."""
        with self.writing() as writer:
            writer.remove(record_id, group)

    def drop_group(self, group: str) -> None:
        with self.writing() as writer:
            writer.conn.execute("DELETE FROM online_records WHERE feature_group = ?", (group,))

    def count(self, group: str, now: float) -> int:
        """Live records of a group."""
        with self._lock:
            row = self._conn.execute(
                "SELECT count(*) FROM online_records WHERE feature_group = ? AND deleted = 0 "
                "AND (expires_at IS NULL OR expires_at > ?)", (group, now)).fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class OnlineWriter:
    """Writes inside one ``OnlineStore.writing`` transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def put(self, group: str, rows: OnlineRows) -> None:
        self.conn.executemany(UPSERT, zip(repeat(group), rows.record_ids, rows.event_times, rows.expires_at, repeat(0),
                                          rows.records))

    def tombstone(self, group: str, record_id: str, event_time: float) -> None:
        """SoftDelete: the record reads as deleted until a record at least as new arrives."""
        self.conn.execute(UPSERT, (group, record_id, event_time, None, 1, "{}"))

    def remove(self, record_id: str, group: str) -> None:
        self.conn.execute("DELETE FROM online_records WHERE feature_group = ? AND record_id = ?", (group, record_id))


def _live(row: Sequence[Any] | None, now: float) -> dict[str, Any] | None:
    if row is None or row[2]:
        return None
    if row[1] is not None and row[1] <= now:
        return None
    record: dict[str, Any] = json.loads(row[0])
    return {name: value for name, value in record.items() if value is not None}
