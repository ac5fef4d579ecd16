"""Every label and skip, with its labeller and time, in the workspace's metadata store (SQLite).

An action is never deleted: undo marks it ``undone_at``, so the history stays complete. The ground truth
and the agreement are computed from the actions that are not undone (``services.labels.agreement``).
"""

from __future__ import annotations

from services.embedded.metadata import MetadataStore, utc_now
from services.labels.agreement import Vote
from services.labels.models import Label
from services.labels.queue import undo_time

SCHEMA = """
CREATE TABLE IF NOT EXISTS label_actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, item_id TEXT NOT NULL, labeller TEXT NOT NULL,
    action TEXT NOT NULL, label TEXT NOT NULL DEFAULT '', at TEXT NOT NULL, undone_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS label_actions_source ON label_actions (source, labeller);
"""
LABEL, SKIP = "label", "skip"


class LabelStore:
    """Label and skip actions per source key (``endpoint:<name>`` or ``table:<db>.<table>:<id column>``)."""

    def __init__(self, store: MetadataStore) -> None:
        self.store = store
        store.ensure_schema(SCHEMA)

    def add(self, source: str, item_id: str, labeller: str, action: str, label: str = "") -> Label:
        at = utc_now()
        self.store.execute("INSERT INTO label_actions (source, item_id, labeller, action, label, at) VALUES (?, ?, ?, ?, ?, ?)",
                           (source, item_id, labeller, action, label, at))
        return Label(item_id, label, labeller, at)

    def add_many(self, source: str, labels: list[tuple[str, str]], labeller: str) -> None:
        """Several (item, label) pairs in one transaction (an import: all or nothing)."""
        at = utc_now()
        with self.store.transaction() as conn:
            conn.executemany("INSERT INTO label_actions (source, item_id, labeller, action, label, at) VALUES (?, ?, ?, ?, ?, ?)",
                             [(source, item, labeller, LABEL, label, at) for item, label in labels])

    def undo_latest(self, source: str, labeller: str) -> tuple[str, Label | None] | None:
        """Mark the labeller's latest live action undone: (its action kind, the label for a label); None when
        there is nothing to undo."""
        with self.store.transaction() as conn:
            row = conn.execute("SELECT id, item_id, action, label, at FROM label_actions WHERE source = ? AND labeller = ? "
                               "AND undone_at = '' ORDER BY id DESC LIMIT 1", (source, labeller)).fetchone()
            if row is None:
                return None
            latest = conn.execute("SELECT MAX(undone_at) AS latest FROM label_actions WHERE source = ? AND labeller = ?",
                                  (source, labeller)).fetchone()["latest"] or ""
            conn.execute("UPDATE label_actions SET undone_at = ? WHERE id = ?", (undo_time(utc_now(), latest), row["id"]))
        label = Label(row["item_id"], row["label"], labeller, row["at"]) if row["action"] == LABEL else None
        return row["action"], label

    def votes(self, source: str) -> list[Vote]:
        rows = self.store.fetch_all("SELECT item_id, labeller, label, id FROM label_actions WHERE source = ? AND action = ? "
                                    "AND undone_at = '' ORDER BY id", (source, LABEL))
        return [Vote(r["item_id"], r["labeller"], r["label"], int(r["id"])) for r in rows]

    def labels(self, source: str) -> list[Label]:
        """Every live label (oldest first) with its labeller and time."""
        rows = self.store.fetch_all("SELECT item_id, labeller, label, at FROM label_actions WHERE source = ? AND action = ? "
                                    "AND undone_at = '' ORDER BY id", (source, LABEL))
        return [Label(r["item_id"], r["label"], r["labeller"], r["at"]) for r in rows]

    def done(self, source: str, labeller: str) -> set[str]:
        """Items the labeller labelled or skipped (not undone)."""
        rows = self.store.fetch_all("SELECT DISTINCT item_id FROM label_actions WHERE source = ? AND labeller = ? "
                                    "AND undone_at = ''", (source, labeller))
        return {r["item_id"] for r in rows}

    def taken_back(self, source: str, labeller: str) -> list[str]:
        """Items whose actions this labeller undid, the most recently undone first."""
        rows = self.store.fetch_all("SELECT item_id FROM label_actions WHERE source = ? AND labeller = ? AND undone_at != '' "
                                    "ORDER BY undone_at DESC, id DESC", (source, labeller))
        return [r["item_id"] for r in rows]
