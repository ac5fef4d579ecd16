"""Model Monitor's ground-truth JSON lines, written and read.

A line is ``{"groundTruthData": {"data": "<label>", "encoding": "CSV"}, "eventMetadata": {"eventId": "…"},
"eventVersion": "0"}``. Locally an endpoint's ground truth is one *snapshot*: after every change the whole
current ground truth (the majority label of every labelled event) is written to a new file
``ground-truth/yyyy/mm/dd/hh/ground-truth-<stamp>.jsonl`` (temp file + rename) and then the older snapshots are
removed, so the folder never holds a half-written file nor a stale label (an undone label simply disappears).
A reader that merges several files should let a later line for the same eventId win, as Model Monitor's merge
does (``read_ground_truth`` does so).
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from services.labels.models import EVENT_VERSION, Label

FOLDER = "ground-truth"
SNAPSHOT_PREFIX = "ground-truth-"
TABLE_SCHEMA = pa.schema([("event_id", pa.string()), ("label", pa.string()), ("labeller", pa.string()),
                          ("labelled_at", pa.string()), ("is_ground_truth", pa.bool_())])


def ground_truth_line(event_id: str, label: str) -> str:
    return json.dumps({"groundTruthData": {"data": label, "encoding": "CSV"}, "eventMetadata": {"eventId": event_id},
                       "eventVersion": EVENT_VERSION})


def ground_truth_bytes(labels: dict[str, str]) -> bytes:
    """eventId -> label as JSON lines (sorted by eventId, so the same labels give the same bytes)."""
    return "".join(ground_truth_line(e, labels[e]) + "\n" for e in sorted(labels)).encode("utf-8")


def hour_folder(root: Path, now: datetime) -> Path:
    return root / f"{now:%Y/%m/%d/%H}"


def write_snapshot(root: Path, labels: dict[str, str], now: datetime | None = None) -> Path:
    """Write ``labels`` as the one current snapshot under ``root`` (atomically) and remove the older ones."""
    now = now or datetime.now(UTC)
    folder = hour_folder(root, now)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{SNAPSHOT_PREFIX}{now:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.jsonl"
    atomic_write(target, ground_truth_bytes(labels))
    for old in snapshot_files(root):
        if old.name < target.name:  # only older snapshots: a newer one written meanwhile stays
            old.unlink(missing_ok=True)
    return target


@contextmanager
def publishing(root: Path) -> Iterator[None]:
    """Hold the endpoint's ground-truth lock (an ``flock`` on ``root/.lock``) so that reading the labels and
    writing their snapshot happen as one step, across threads and processes (the app and the CLI)."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def atomic_write(target: Path, data: bytes) -> None:
    """Write under a hidden temp name in the same folder, then rename: readers see all of it or none."""
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_bytes(data)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def snapshot_files(root: Path) -> list[Path]:
    return sorted(root.rglob(f"{SNAPSHOT_PREFIX}*.jsonl")) if root.is_dir() else []


def read_ground_truth(files: Iterable[Path]) -> dict[str, str]:
    """eventId -> label over ``files`` in order; a later line for the same eventId wins."""
    labels: dict[str, str] = {}
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                labels[str(record["eventMetadata"]["eventId"])] = str(record["groundTruthData"]["data"])
    return labels


def table_rows(labels: list[Label], majority: dict[str, str]) -> list[dict[str, object]]:
    """One row per label; ``is_ground_truth`` marks each event's latest label equal to its majority label."""
    latest: dict[str, int] = {}
    for index, label in enumerate(labels):
        if majority.get(label.item_id) == label.label:
            latest[label.item_id] = index
    return [{"event_id": label.item_id, "label": label.label, "labeller": label.labeller, "labelled_at": label.labelled_at,
             "is_ground_truth": latest.get(label.item_id) == index} for index, label in enumerate(labels)]


def write_table_file(rows: list[dict[str, object]], folder: Path) -> None:
    """Replace the table's one Parquet file atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / ".part-00000.parquet.partial"
    try:
        pq.write_table(pa.Table.from_pylist(rows, schema=TABLE_SCHEMA), partial)
        os.replace(partial, folder / "part-00000.parquet")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
