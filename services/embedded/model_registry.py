"""The local model registry: one row per model version, artifacts under ``<home>/models/<name>/<version>/``."""

from __future__ import annotations

import json
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

from services.embedded.metadata import MetadataStore, utc_now
from services.errors import InvalidInput, NotFound
from services.lineage.hooks import record_approval, record_model_version
from services.models import Column, ModelRecord
from services.names import check_name

SCHEMA = """
CREATE TABLE IF NOT EXISTS models (
    model_id TEXT PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL, framework TEXT NOT NULL,
    problem_type TEXT NOT NULL, target TEXT NOT NULL, input_schema TEXT NOT NULL, classes TEXT NOT NULL,
    metrics TEXT NOT NULL, run_id TEXT NOT NULL, job_name TEXT NOT NULL, artifact_path TEXT NOT NULL,
    approval_status TEXT NOT NULL, created_at TEXT NOT NULL
);
"""
APPROVAL_STATUSES = ("PendingManualApproval", "Approved", "Rejected")


class ModelRegistry:
    def __init__(self, store: MetadataStore, root: Path) -> None:
        self.store = store
        self.root = root
        store.ensure_schema(SCHEMA)

    def register(self, draft: ModelRecord, artifact_dir: Path) -> ModelRecord:
        """Copy ``artifact_dir`` in as the next version of ``draft.name`` and record it.

        The copy (seconds for a large model) happens before the write transaction, into a folder of its
        own, so other writers of the metadata store never wait on it; the transaction only numbers the
        version, renames the folder into place and inserts the row. A failed registration removes the copy."""
        name = model_name(draft.name)
        staging = self.root / name / f".registering-{uuid.uuid4().hex}"
        try:
            shutil.copytree(artifact_dir, staging)
            record = self._record_version(draft, name, staging)
            record_model_version(self.store, record.model_id, record.job_name, record.artifact_path, record.created_at)
            return record
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # gone already when it was renamed into place

    def _record_version(self, draft: ModelRecord, name: str, staging: Path) -> ModelRecord:
        target: Path | None = None
        try:
            with self.store.transaction() as conn:
                row = conn.execute("SELECT max(version) FROM models WHERE name = ?", (name,)).fetchone()
                version = (row[0] or 0) + 1
                target = self.root / name / str(version)
                shutil.rmtree(target, ignore_errors=True)  # left by a registration that crashed: no row names it
                staging.rename(target)
                record = ModelRecord(**{**_fields(draft), "model_id": f"{name}/{version}", "name": name,
                                        "version": version, "artifact_path": str(target), "created_at": utc_now()})
                conn.execute(f"INSERT INTO models VALUES ({', '.join('?' * 14)})", _row(record))
        except BaseException:
            if target is not None:
                shutil.rmtree(target, ignore_errors=True)  # the row was rolled back: nothing names the copy
            raise
        return record

    def get(self, model_id: str) -> ModelRecord:
        row = self.store.fetch_one("SELECT * FROM models WHERE model_id = ?", (model_id,))
        if row is None:
            raise NotFound(f"No model {model_id!r} in the registry.", hint="Pick one from the models list (name/version).")
        return _record(row)

    def all(self) -> list[ModelRecord]:
        return [_record(r) for r in self.store.fetch_all("SELECT * FROM models ORDER BY created_at DESC")]

    def set_approval(self, model_id: str, status: str) -> ModelRecord:
        if status not in APPROVAL_STATUSES:
            raise InvalidInput(f"{status!r} is not an approval status.", hint=f"Use one of {', '.join(APPROVAL_STATUSES)}.")
        self.get(model_id)
        self.store.execute("UPDATE models SET approval_status = ? WHERE model_id = ?", (status, model_id))
        record_approval(self.store, model_id, status)
        return self.get(model_id)


def model_name(text: str) -> str:
    """Registry names, derived from a job's, table's or script's name: SageMaker model package group names."""
    clean = re.sub(r"[^A-Za-z0-9-]+", "-", text).strip("-")[:60].rstrip("-")
    if not clean:
        raise InvalidInput(f"{text!r} cannot name a model.", hint="Use letters, digits and dashes.")
    return check_name("model-package-group", clean)


def _fields(record: ModelRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in ModelRecord.__dataclass_fields__}


def _row(record: ModelRecord) -> tuple[Any, ...]:
    schema = [{"Name": c.name, "Type": c.type, "Comment": c.comment} for c in record.input_schema]
    return (record.model_id, record.name, record.version, record.framework, record.problem_type, record.target,
            json.dumps(schema), json.dumps(list(record.classes)), json.dumps(record.metrics), record.run_id,
            record.job_name, record.artifact_path, record.approval_status, record.created_at)


def _record(row: Any) -> ModelRecord:
    schema = tuple(Column(c["Name"], c["Type"], c.get("Comment", "")) for c in json.loads(row["input_schema"]))
    return ModelRecord(
        model_id=row["model_id"], name=row["name"], version=row["version"], framework=row["framework"],
        problem_type=row["problem_type"], target=row["target"], input_schema=schema,
        classes=tuple(json.loads(row["classes"])), metrics=json.loads(row["metrics"]), run_id=row["run_id"],
        job_name=row["job_name"], artifact_path=row["artifact_path"], approval_status=row["approval_status"],
        created_at=row["created_at"],
    )
