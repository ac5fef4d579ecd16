"""Endpoint rows in the workspace's SQLite file: what each endpoint serves, where, and its process.

One row per endpoint (name, status, host/port, variants, the launcher's pid, when it was launched,
last answered ``/ping``, and why it failed) plus one row for the workspace's SageMaker Runtime
gateway (its pid and port). Several processes (the app, the CLI, the gateway) read and write these
rows, so changes that must not race are conditional updates inside one transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from services.embedded.metadata import MetadataStore, utc_now
from services.endpoints.models import Variant
from services.errors import AlreadyExists, NotFound

SCHEMA = """
CREATE TABLE IF NOT EXISTS endpoints (
    name TEXT PRIMARY KEY, status TEXT NOT NULL, host TEXT NOT NULL, port INTEGER NOT NULL,
    variants TEXT NOT NULL, capture_percent INTEGER NOT NULL, restart_on_failure INTEGER NOT NULL,
    created_at TEXT NOT NULL, pid INTEGER, launched_at TEXT NOT NULL DEFAULT '',
    last_ping REAL, failure_reason TEXT NOT NULL DEFAULT '', restarts INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS endpoint_gateway (
    id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL, host TEXT NOT NULL, port INTEGER NOT NULL,
    started_at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class EndpointRow:
    name: str
    status: str
    host: str
    port: int
    variants: tuple[Variant, ...]
    capture_percent: int
    restart_on_failure: bool
    created_at: str
    pid: int | None = None
    launched_at: str = ""
    last_ping: float | None = None  # time.time() of the last answered /ping
    failure_reason: str = ""
    restarts: int = 0


@dataclass(frozen=True)
class GatewayRow:
    pid: int
    host: str
    port: int
    started_at: str


class EndpointStore:
    def __init__(self, store: MetadataStore) -> None:
        self.store = store
        store.ensure_schema(SCHEMA)

    def insert(self, row: EndpointRow) -> None:
        """Record a new endpoint; ``AlreadyExists`` when the name is taken."""
        with self.store.transaction() as conn:
            if conn.execute("SELECT 1 FROM endpoints WHERE name = ?", (row.name,)).fetchone():
                raise AlreadyExists(f"An endpoint named {row.name!r} exists already.",
                                    hint="Pick another name, or delete the existing endpoint first.")
            conn.execute(
                "INSERT INTO endpoints (name, status, host, port, variants, capture_percent, restart_on_failure, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (row.name, row.status, row.host, row.port, _variants_json(row.variants), row.capture_percent,
                 int(row.restart_on_failure), row.created_at),
            )

    def find(self, name: str) -> EndpointRow | None:
        row = self.store.fetch_one("SELECT * FROM endpoints WHERE name = ?", (name,))
        return None if row is None else _endpoint(row)

    def get(self, name: str) -> EndpointRow:
        row = self.find(name)
        if row is None:
            raise NotFound(f"No endpoint named {name!r}.", hint="Pick one from the endpoints list, or deploy a model first.")
        return row

    def all(self) -> list[EndpointRow]:
        return [_endpoint(r) for r in self.store.fetch_all("SELECT * FROM endpoints ORDER BY created_at DESC")]

    def ports_in_use(self) -> set[int]:
        return {int(r["port"]) for r in self.store.fetch_all("SELECT port FROM endpoints")}

    def update(self, name: str, **fields: Any) -> None:
        assignments = ", ".join(f"{key} = ?" for key in fields)
        self.store.execute(f"UPDATE endpoints SET {assignments} WHERE name = ?", (*fields.values(), name))

    def update_if(self, name: str, expected_status: str, expected_pid: int | None, **fields: Any) -> bool:
        """Update only if nobody changed the row's status and pid meanwhile (another process may be
        checking the same endpoint); True when this caller won."""
        assignments = ", ".join(f"{key} = ?" for key in fields)
        with self.store.transaction() as conn:
            changed = conn.execute(
                f"UPDATE endpoints SET {assignments} WHERE name = ? AND status = ? AND pid IS ?",
                (*fields.values(), name, expected_status, expected_pid),
            ).rowcount
        return changed == 1

    def delete(self, name: str) -> None:
        self.store.execute("DELETE FROM endpoints WHERE name = ?", (name,))

    # -- the gateway ----------------------------------------------------------------------------

    def gateway(self) -> GatewayRow | None:
        row = self.store.fetch_one("SELECT pid, host, port, started_at FROM endpoint_gateway WHERE id = 1")
        return None if row is None else GatewayRow(int(row["pid"]), row["host"], int(row["port"]), row["started_at"])

    def set_gateway(self, pid: int, host: str, port: int) -> None:
        self.store.execute(
            "INSERT INTO endpoint_gateway (id, pid, host, port, started_at) VALUES (1, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, host = excluded.host, port = excluded.port, "
            "started_at = excluded.started_at",
            (pid, host, port, utc_now()),
        )

    def clear_gateway(self) -> None:
        self.store.execute("DELETE FROM endpoint_gateway WHERE id = 1")


def _variants_json(variants: tuple[Variant, ...]) -> str:
    return json.dumps([{"name": v.name, "model_id": v.model_id, "weight": v.weight, "shadow": v.shadow} for v in variants])


def _endpoint(row: Any) -> EndpointRow:
    variants = tuple(Variant(v["name"], v["model_id"], float(v["weight"]), bool(v["shadow"])) for v in json.loads(row["variants"]))
    return EndpointRow(
        name=row["name"], status=row["status"], host=row["host"], port=int(row["port"]), variants=variants,
        capture_percent=int(row["capture_percent"]), restart_on_failure=bool(row["restart_on_failure"]),
        created_at=row["created_at"], pid=None if row["pid"] is None else int(row["pid"]), launched_at=row["launched_at"],
        last_ping=row["last_ping"], failure_reason=row["failure_reason"], restarts=int(row["restarts"]),
    )
