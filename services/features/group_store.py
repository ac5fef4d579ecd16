"""Feature groups in the workspace's metadata store (a table of their own, created on first use).

Names are unique whatever their case (SageMaker's ARN lower-cases the name, so ``Reviews`` and ``reviews``
would be one group). ``record_count`` and ``last_written_at`` are kept as rows are written, so describing a
group never scans its files.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from services.embedded.metadata import MetadataStore
from services.errors import AlreadyExists, NotFound
from services.features.models import FeatureDefinition, FeatureGroup, FeatureGroupSpec

SCHEMA = """
CREATE TABLE IF NOT EXISTS feature_groups (
    name TEXT NOT NULL PRIMARY KEY COLLATE NOCASE, spec TEXT NOT NULL, arn TEXT NOT NULL, status TEXT NOT NULL,
    created_at TEXT NOT NULL, offline_table TEXT NOT NULL DEFAULT '', offline_s3_uri TEXT NOT NULL DEFAULT '',
    offline_folder TEXT NOT NULL DEFAULT '', record_count INTEGER NOT NULL DEFAULT 0,
    last_written_at TEXT NOT NULL DEFAULT ''
);
"""


class GroupStore:
    def __init__(self, store: MetadataStore) -> None:
        self.store = store
        store.ensure_schema(SCHEMA)

    def insert(self, group: FeatureGroup, offline_folder: str) -> None:
        with self.store.transaction() as conn:
            if conn.execute("SELECT 1 FROM feature_groups WHERE name = ?", (group.name,)).fetchone():
                raise already_exists(group.name)
            conn.execute(
                "INSERT INTO feature_groups (name, spec, arn, status, created_at, offline_table, offline_s3_uri, "
                "offline_folder) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (group.name, spec_to_json(group.spec), group.arn, group.status, group.created_at, group.offline_table,
                 group.offline_s3_uri, offline_folder))

    def find(self, name: str) -> tuple[FeatureGroup, str] | None:
        """The group and its offline folder ("" without an offline store)."""
        row = self.store.fetch_one("SELECT * FROM feature_groups WHERE name = ?", (name,))
        return None if row is None else (_group(row), row["offline_folder"])

    def get(self, name: str) -> tuple[FeatureGroup, str]:
        found = self.find(name)
        if found is None:
            raise NotFound(f"Feature group {name!r} does not exist.",
                           hint="Pick a group from `features list`, or create it first.")
        return found

    def all(self) -> list[FeatureGroup]:
        rows = self.store.fetch_all("SELECT * FROM feature_groups ORDER BY created_at DESC, name")
        return [_group(r) for r in rows]

    def delete(self, name: str) -> None:
        self.store.execute("DELETE FROM feature_groups WHERE name = ?", (name,))

    def add_writes(self, name: str, rows: int, written_at: str) -> None:
        self.store.execute(
            "UPDATE feature_groups SET record_count = record_count + ?, "
            "last_written_at = max(last_written_at, ?) WHERE name = ?", (rows, written_at, name))


def already_exists(name: str) -> AlreadyExists:
    return AlreadyExists(f"A feature group named {name!r} exists already.",
                         hint="Pick another name, or delete the group first.")


def spec_to_json(spec: FeatureGroupSpec) -> str:
    return json.dumps(asdict(spec))


def spec_from_json(text: str) -> FeatureGroupSpec:
    body: dict[str, Any] = json.loads(text)
    features = tuple(FeatureDefinition(**f) for f in body.pop("features"))
    return FeatureGroupSpec(features=features, **body)


def _group(row: Any) -> FeatureGroup:
    return FeatureGroup(spec=spec_from_json(row["spec"]), arn=row["arn"], status=row["status"],
                        created_at=row["created_at"], offline_table=row["offline_table"],
                        offline_s3_uri=row["offline_s3_uri"], record_count=row["record_count"],
                        last_written_at=row["last_written_at"])
