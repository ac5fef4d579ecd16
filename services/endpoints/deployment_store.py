"""Endpoint updates in the workspace's SQLite file: one row per update (blue/green deployment) and its events.

The row is everything a driver needs to carry on after a restart: the new variants, SageMaker's
``DeploymentConfig`` (JSON), the local alarm rules, the new fleet's port and pid, the driver's pid, the
phase and the new fleet's share of traffic, and when the new fleet became ready (the clock the traffic
plan runs on). The gateway reads ``routing`` on every invocation to split traffic between the fleets.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from services.embedded.metadata import MetadataStore, utc_now
from services.endpoints.models import DeploymentEvent, Variant

SCHEMA = """
CREATE TABLE IF NOT EXISTS endpoint_deployments (
    deployment_id TEXT PRIMARY KEY, endpoint TEXT NOT NULL, status TEXT NOT NULL, phase TEXT NOT NULL,
    share REAL NOT NULL DEFAULT 0, variants TEXT NOT NULL, config TEXT NOT NULL, rules TEXT NOT NULL,
    old_pid INTEGER, new_port INTEGER NOT NULL, new_pid INTEGER, driver_pid INTEGER,
    started_at TEXT NOT NULL, started_epoch REAL NOT NULL, ready_epoch REAL, ended_epoch REAL,
    reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS endpoint_deployments_by_endpoint ON endpoint_deployments (endpoint, started_at);
CREATE TABLE IF NOT EXISTS endpoint_deployment_events (
    deployment_id TEXT NOT NULL, time TEXT NOT NULL, phase TEXT NOT NULL, share REAL NOT NULL, reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS endpoint_deployment_events_by_id ON endpoint_deployment_events (deployment_id);
"""


@dataclass(frozen=True)
class DeploymentRow:
    deployment_id: str
    endpoint: str
    status: str  # InProgress | Completed | RolledBack | Failed | Stopped
    phase: str
    share: float
    variants: tuple[Variant, ...]
    config: dict[str, Any]  # SageMaker's DeploymentConfig JSON
    rules: list[dict[str, Any]]
    old_pid: int | None
    new_port: int
    new_pid: int | None
    driver_pid: int | None
    started_at: str
    started_epoch: float
    ready_epoch: float | None = None
    ended_epoch: float | None = None
    reason: str = ""


@dataclass(frozen=True)
class Routing:
    """Where the gateway sends ``share`` of an endpoint's traffic while an update is in progress."""

    port: int
    share: float


class DeploymentStore:
    def __init__(self, store: MetadataStore) -> None:
        self.store = store
        store.ensure_schema(SCHEMA)

    def insert_if_idle(self, row: DeploymentRow) -> bool:
        """Record a new update unless one of the endpoint's is in progress (False then)."""
        with self.store.transaction() as conn:
            busy = conn.execute("SELECT 1 FROM endpoint_deployments WHERE endpoint = ? AND status = 'InProgress'",
                                (row.endpoint,)).fetchone()
            if busy:
                return False
            conn.execute(
                "INSERT INTO endpoint_deployments (deployment_id, endpoint, status, phase, share, variants, config, rules, "
                "old_pid, new_port, started_at, started_epoch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (row.deployment_id, row.endpoint, row.status, row.phase, row.share, variants_json(row.variants),
                 json.dumps(row.config), json.dumps(row.rules), row.old_pid, row.new_port, row.started_at, row.started_epoch))
            conn.execute("INSERT INTO endpoint_deployment_events VALUES (?, ?, ?, ?, ?)",
                         (row.deployment_id, row.started_at, row.phase, 0.0, "update requested"))
        return True

    def get(self, deployment_id: str) -> DeploymentRow | None:
        row = self.store.fetch_one("SELECT * FROM endpoint_deployments WHERE deployment_id = ?", (deployment_id,))
        return None if row is None else _deployment(row)

    def latest(self, endpoint: str) -> DeploymentRow | None:
        row = self.store.fetch_one("SELECT * FROM endpoint_deployments WHERE endpoint = ? ORDER BY started_epoch DESC LIMIT 1",
                                   (endpoint,))
        return None if row is None else _deployment(row)

    def in_progress(self) -> list[DeploymentRow]:
        return [_deployment(r) for r in self.store.fetch_all("SELECT * FROM endpoint_deployments WHERE status = 'InProgress'")]

    def routing(self, endpoint: str) -> Routing | None:
        row = self.store.fetch_one("SELECT new_port, share FROM endpoint_deployments WHERE endpoint = ? AND status = "
                                   "'InProgress' AND share > 0", (endpoint,))
        return None if row is None else Routing(int(row["new_port"]), float(row["share"]))

    def update(self, deployment_id: str, **fields: Any) -> None:
        assignments = ", ".join(f"{key} = ?" for key in fields)
        self.store.execute(f"UPDATE endpoint_deployments SET {assignments} WHERE deployment_id = ?", (*fields.values(), deployment_id))

    def claim_driver(self, deployment_id: str, expected: int | None, pid: int) -> bool:
        """Become the update's driver unless another process did first."""
        with self.store.transaction() as conn:
            changed = conn.execute("UPDATE endpoint_deployments SET driver_pid = ? WHERE deployment_id = ? AND driver_pid IS ? "
                                   "AND status = 'InProgress'", (pid, deployment_id, expected)).rowcount
        return changed == 1

    def record(self, deployment_id: str, phase: str, share: float, note: str = "", **fields: Any) -> None:
        """Move the update to ``phase``/``share`` (plus ``fields``) and add the event, in one transaction."""
        assignments = ", ".join(f"{key} = ?" for key in ("phase", "share", *fields))
        with self.store.transaction() as conn:
            conn.execute(f"UPDATE endpoint_deployments SET {assignments} WHERE deployment_id = ?",
                         (phase, share, *fields.values(), deployment_id))
            conn.execute("INSERT INTO endpoint_deployment_events VALUES (?, ?, ?, ?, ?)",
                         (deployment_id, utc_now(), phase, share, note[:2000]))

    def events(self, deployment_id: str) -> list[DeploymentEvent]:
        rows = self.store.fetch_all("SELECT time, phase, share, reason FROM endpoint_deployment_events WHERE deployment_id = ? "
                                    "ORDER BY rowid", (deployment_id,))
        return [DeploymentEvent(r["time"], r["phase"], float(r["share"]), r["reason"]) for r in rows]

    def forget(self, endpoint: str) -> None:
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM endpoint_deployment_events WHERE deployment_id IN "
                         "(SELECT deployment_id FROM endpoint_deployments WHERE endpoint = ?)", (endpoint,))
            conn.execute("DELETE FROM endpoint_deployments WHERE endpoint = ?", (endpoint,))


def now_epoch() -> float:
    return time.time()


def variants_json(variants: tuple[Variant, ...]) -> str:
    return json.dumps([{"name": v.name, "model_id": v.model_id, "weight": v.weight, "shadow": v.shadow} for v in variants])


def _deployment(row: Any) -> DeploymentRow:
    variants = tuple(Variant(v["name"], v["model_id"], float(v["weight"]), bool(v["shadow"])) for v in json.loads(row["variants"]))
    return DeploymentRow(
        deployment_id=row["deployment_id"], endpoint=row["endpoint"], status=row["status"], phase=row["phase"],
        share=float(row["share"]), variants=variants, config=json.loads(row["config"]), rules=json.loads(row["rules"]),
        old_pid=row["old_pid"], new_port=int(row["new_port"]), new_pid=row["new_pid"], driver_pid=row["driver_pid"],
        started_at=row["started_at"], started_epoch=float(row["started_epoch"]), ready_epoch=row["ready_epoch"],
        ended_epoch=row["ended_epoch"], reason=row["reason"],
    )
