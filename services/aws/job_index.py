"""The jobs this workbench started on SageMaker, kept in the workspace's metadata store (name → kind,
request, last state seen): SageMaker job names do not say which ``Describe*`` call applies."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from services.embedded.metadata import MetadataStore, utc_now
from services.models import Job

SCHEMA = """
CREATE TABLE IF NOT EXISTS aws_training_jobs (
    name TEXT PRIMARY KEY, kind TEXT NOT NULL, created_at TEXT NOT NULL, config TEXT NOT NULL,
    snapshot TEXT NOT NULL DEFAULT '{}', settled INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS aws_training_jobs_created ON aws_training_jobs (created_at);
CREATE TABLE IF NOT EXISTS aws_training_transitions (
    name TEXT NOT NULL, at TEXT NOT NULL, status TEXT NOT NULL, message TEXT NOT NULL DEFAULT ''
);
"""


@dataclass(frozen=True)
class IndexEntry:
    name: str
    kind: str
    created_at: str
    config: dict[str, Any]
    snapshot: dict[str, Any]
    settled: bool


class JobIndex:
    """The jobs this workbench started on SageMaker, with the last state seen of each."""

    def __init__(self, store: MetadataStore) -> None:
        self.store = store
        store.ensure_schema(SCHEMA)

    def add(self, name: str, kind: str, config: dict[str, Any], created_at: str = "") -> None:
        self.store.execute(
            "INSERT OR IGNORE INTO aws_training_jobs (name, kind, created_at, config) VALUES (?, ?, ?, ?)",
            (name, kind, created_at or utc_now(), json.dumps(config, default=str)),
        )

    def find(self, name: str) -> IndexEntry | None:
        row = self.store.fetch_one("SELECT * FROM aws_training_jobs WHERE name = ?", (name,))
        return None if row is None else _entry(row)

    def recent(self, kind: str, limit: int) -> list[IndexEntry]:
        rows = self.store.fetch_all(
            "SELECT * FROM aws_training_jobs WHERE (? = '' OR kind = ?) ORDER BY created_at DESC LIMIT ?",
            (kind, kind, limit),
        )
        return [_entry(r) for r in rows]

    def save(self, job: Job, settled: bool) -> None:
        """Remember ``job`` and record a transition when its secondary status changed."""
        previous = self.find(job.name)
        snapshot = {k: v for k, v in asdict(job).items() if k != "config"}
        self.store.execute("UPDATE aws_training_jobs SET snapshot = ?, settled = ? WHERE name = ?",
                           (json.dumps(snapshot, default=str), int(settled), job.name))
        if previous is None or previous.snapshot.get("secondary_status") != job.secondary_status:
            self.store.execute("INSERT INTO aws_training_transitions (name, at, status, message) VALUES (?, ?, ?, ?)",
                               (job.name, utc_now(), job.secondary_status, job.failure_reason[:200]))

    def transitions(self, name: str) -> list[dict[str, str]]:
        rows = self.store.fetch_all(
            "SELECT at, status, message FROM aws_training_transitions WHERE name = ? ORDER BY rowid", (name,))
        return [dict(r) for r in rows]


def _entry(row: Any) -> IndexEntry:
    snapshot = json.loads(row["snapshot"])
    return IndexEntry(row["name"], row["kind"], row["created_at"], json.loads(row["config"]), snapshot,
                      bool(row["settled"]) and not _counters_as_trials(snapshot))


def _counters_as_trials(snapshot: dict[str, Any]) -> bool:
    """A tuning job settled before its trials were listed kept SageMaker's status counters (a dict) as
    ``trials``: such a job is described afresh once, which lists them."""
    return isinstance((snapshot.get("result") or {}).get("trials"), dict)


def cached_job(entry: IndexEntry) -> Job:
    snapshot = entry.snapshot or {"name": entry.name, "kind": entry.kind, "status": "InProgress",
                                  "secondary_status": "Starting", "created_at": entry.created_at}
    return Job(**{**snapshot, "config": entry.config})
