"""Lineage tables in the workspace's metadata store: entities by ARN, associations by (source, destination).

Saving is idempotent: an entity recorded again keeps its row (an empty source URI or missing properties are filled
in), an association recorded again is the same association (SageMaker's AddAssociation is idempotent the same way).
"""

from __future__ import annotations

import json
from typing import Any

from services.embedded.metadata import MetadataStore, utc_now
from services.lineage.models import DATASET, ENDPOINT, Association, Entity, LineageRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS lineage_entities (
    arn TEXT PRIMARY KEY, name TEXT NOT NULL, lineage_type TEXT NOT NULL, type TEXT NOT NULL,
    source_uri TEXT NOT NULL DEFAULT '', properties TEXT NOT NULL DEFAULT '{}', created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS lineage_entities_type ON lineage_entities (type, name);
CREATE TABLE IF NOT EXISTS lineage_associations (
    source_arn TEXT NOT NULL, destination_arn TEXT NOT NULL, association_type TEXT NOT NULL, created_at TEXT NOT NULL,
    PRIMARY KEY (source_arn, destination_arn)
);
CREATE INDEX IF NOT EXISTS lineage_associations_destination ON lineage_associations (destination_arn);
"""


class LineageStore:
    def __init__(self, store: MetadataStore) -> None:
        self.store = store
        store.ensure_schema(SCHEMA)

    def save(self, record: LineageRecord) -> None:
        """Add the record's entities and associations in one transaction."""
        now = utc_now()
        with self.store.transaction() as conn:
            for entity in record.entities:
                _save_entity(conn, entity, now)
            for link in record.associations:
                conn.execute("INSERT OR IGNORE INTO lineage_associations VALUES (?, ?, ?, ?)",
                             (link.source_arn, link.destination_arn, link.association_type, link.created_at or now))

    def entity(self, arn: str) -> Entity | None:
        row = self.store.fetch_one("SELECT * FROM lineage_entities WHERE arn = ?", (arn,))
        return None if row is None else _entity(row)

    def associations_of(self, arn: str) -> list[Association]:
        rows = self.store.fetch_all("SELECT * FROM lineage_associations WHERE source_arn = ? OR destination_arn = ? "
                                    "ORDER BY created_at, rowid", (arn, arn))
        return [Association(r["source_arn"], r["destination_arn"], r["association_type"], r["created_at"]) for r in rows]

    def find(self, entity_type: str = "", name: str = "", **properties: str) -> list[Entity]:
        """Entities of a type (and name), newest first, whose properties include ``properties``."""
        rows = self.store.fetch_all(
            "SELECT * FROM lineage_entities WHERE (? = '' OR type = ?) AND (? = '' OR name = ?) "
            "ORDER BY created_at DESC, rowid DESC", (entity_type, entity_type, name, name))
        found = [_entity(r) for r in rows]
        return [e for e in found if all(e.properties.get(k) == v for k, v in properties.items())]

    def table_versions(self, database: str, table: str) -> list[Entity]:
        """The DataSet artifacts of a table's versions, newest version first (a version a job named but the catalog
        never reported, recorded as "unknown", last)."""
        found = self.find(DATASET, database=database, table=table)
        return sorted(found, key=lambda e: _number(e.properties.get("version", "")), reverse=True)

    def endpoint_contexts(self, endpoint: str) -> list[Entity]:
        return self.find(ENDPOINT, endpoint=endpoint)

    def count(self) -> int:
        row = self.store.fetch_one("SELECT count(*) FROM lineage_entities")
        return int(row[0]) if row else 0


def _save_entity(conn: Any, entity: Entity, now: str) -> None:
    row = conn.execute("SELECT source_uri, properties FROM lineage_entities WHERE arn = ?", (entity.arn,)).fetchone()
    if row is None:
        conn.execute("INSERT INTO lineage_entities VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (entity.arn, entity.name, entity.lineage_type, entity.type, entity.source_uri,
                      json.dumps(entity.properties), entity.created_at or now))
        return
    properties = {**entity.properties, **json.loads(row["properties"])}
    conn.execute("UPDATE lineage_entities SET source_uri = ?, properties = ? WHERE arn = ?",
                 (row["source_uri"] or entity.source_uri, json.dumps(properties), entity.arn))


def _entity(row: Any) -> Entity:
    return Entity(row["arn"], row["name"], row["lineage_type"], row["type"], row["source_uri"],
                  json.loads(row["properties"]), row["created_at"])


def _number(text: str) -> int:
    return int(text) if text.isdigit() else -1
