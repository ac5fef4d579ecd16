"""Pipelines, executions and their steps in the workspace's metadata store (SQLite, WAL).

ARNs have SageMaker's shape with the local account ``000000000000``:
``arn:aws:sagemaker:<region or local>:000000000000:pipeline/<lower-case name>`` and
``…:pipeline/<lower-case name>/execution/<12-character lower-case id>``.
"""

from __future__ import annotations

import json
import secrets
import string
from typing import Any

from services.embedded.metadata import MetadataStore, utc_now
from services.errors import NotFound
from services.pipelines.models import ExecutionStep, Pipeline, PipelineExecution

SCHEMA = """
CREATE TABLE IF NOT EXISTS pipelines (
    name TEXT PRIMARY KEY, arn TEXT NOT NULL, definition TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL, modified_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pipeline_executions (
    arn TEXT PRIMARY KEY, pipeline TEXT NOT NULL, status TEXT NOT NULL, failure_reason TEXT NOT NULL DEFAULT '',
    parameters TEXT NOT NULL DEFAULT '{}', display_name TEXT NOT NULL DEFAULT '',
    selected_steps TEXT NOT NULL DEFAULT '[]', source_execution TEXT NOT NULL DEFAULT '',
    definition TEXT NOT NULL, orchestrator_job TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL, modified_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS pipeline_executions_by_pipeline ON pipeline_executions (pipeline, created_at);
CREATE TABLE IF NOT EXISTS pipeline_execution_steps (
    execution TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL, status TEXT NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 1, job_name TEXT NOT NULL DEFAULT '', started_at TEXT NOT NULL DEFAULT '',
    ended_at TEXT NOT NULL DEFAULT '', failure_reason TEXT NOT NULL DEFAULT '', properties TEXT NOT NULL DEFAULT '{}',
    metadata TEXT NOT NULL DEFAULT '{}', cache_hit_source TEXT NOT NULL DEFAULT '',
    cache_miss_reason TEXT NOT NULL DEFAULT '', cache_key TEXT NOT NULL DEFAULT '{}',
    first_started TEXT NOT NULL DEFAULT '', retry_at TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (execution, name)
);
"""
ACCOUNT = "000000000000"
STEP_FIELDS = ("type", "status", "attempt", "job_name", "started_at", "ended_at", "failure_reason", "properties",
               "metadata", "cache_hit_source", "cache_miss_reason", "cache_key", "first_started", "retry_at")
_ID_ALPHABET = string.ascii_lowercase + string.digits


def pipeline_arn(region: str, name: str) -> str:
    return f"arn:aws:sagemaker:{region or 'local'}:{ACCOUNT}:pipeline/{name.lower()}"


def new_execution_arn(pipeline: str) -> str:
    return f"{pipeline}/execution/" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))


def execution_id(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


class PipelineStore:
    """The three tables and the rows' dataclasses."""

    def __init__(self, store: MetadataStore) -> None:
        self.store = store
        store.ensure_schema(SCHEMA)

    # Pipelines

    def save_pipeline(self, name: str, arn: str, definition: dict[str, Any], description: str) -> Pipeline:
        now = utc_now()
        self.store.execute(
            "INSERT INTO pipelines (name, arn, definition, description, created_at, modified_at) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, description = excluded.description, "
            "modified_at = excluded.modified_at", (name, arn, json.dumps(definition), description, now, now))
        return self.pipeline(name)

    def find_pipeline(self, name: str) -> Pipeline | None:
        row = self.store.fetch_one("SELECT * FROM pipelines WHERE name = ?", (name,))
        return None if row is None else _pipeline(row)

    def pipeline(self, name: str) -> Pipeline:
        found = self.find_pipeline(name)
        if found is None:
            raise NotFound(f"No pipeline named {name!r}.", hint="Pick one from the pipelines list or upsert it first.")
        return found

    def pipelines(self) -> list[Pipeline]:
        return [_pipeline(r) for r in self.store.fetch_all("SELECT * FROM pipelines ORDER BY modified_at DESC")]

    # Executions

    def create_execution(self, arn: str, pipeline: str, definition: dict[str, Any], parameters: dict[str, str],
                         display_name: str = "", selected_steps: tuple[str, ...] = (), source: str = "") -> None:
        now = utc_now()
        self.store.execute(
            "INSERT INTO pipeline_executions (arn, pipeline, status, parameters, display_name, selected_steps, "
            "source_execution, definition, created_at, modified_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (arn, pipeline, "Executing", json.dumps(parameters), display_name, json.dumps(list(selected_steps)),
             source, json.dumps(definition), now, now))

    def find_execution(self, arn: str) -> PipelineExecution | None:
        row = self.store.fetch_one("SELECT * FROM pipeline_executions WHERE arn = ?", (arn,))
        return None if row is None else _execution(row)

    def execution(self, arn: str) -> PipelineExecution:
        found = self.find_execution(arn)
        if found is None:
            raise NotFound(f"No pipeline execution {arn!r}.", hint="Pick an execution from the pipeline's list.")
        return found

    def execution_definition(self, arn: str) -> dict[str, Any]:
        """The definition as it was when the execution started (a later upsert does not change a run)."""
        row = self.store.fetch_one("SELECT definition FROM pipeline_executions WHERE arn = ?", (arn,))
        if row is None:
            raise NotFound(f"No pipeline execution {arn!r}.")
        return dict(json.loads(row["definition"]))

    def executions(self, pipeline: str, limit: int = 50) -> list[PipelineExecution]:
        rows = self.store.fetch_all("SELECT * FROM pipeline_executions WHERE pipeline = ? ORDER BY created_at DESC, "
                                    "rowid DESC LIMIT ?", (pipeline, limit))
        return [_execution(r) for r in rows]

    def unfinished_executions(self) -> list[tuple[str, str]]:
        """(arn, orchestrator job) of every execution still Executing or Stopping."""
        rows = self.store.fetch_all("SELECT arn, orchestrator_job FROM pipeline_executions "
                                    "WHERE status IN ('Executing', 'Stopping')")
        return [(r["arn"], r["orchestrator_job"]) for r in rows]

    def update_execution(self, arn: str, **fields: Any) -> None:
        fields["modified_at"] = utc_now()
        assignments = ", ".join(f"{key} = ?" for key in fields)
        self.store.execute(f"UPDATE pipeline_executions SET {assignments} WHERE arn = ?", (*fields.values(), arn))

    def set_status_if(self, arn: str, status: str, expected: tuple[str, ...], failure_reason: str | None = None) -> bool:
        """Move to ``status`` only from one of ``expected`` (a Stop and the orchestrator can race)."""
        marks = ",".join("?" * len(expected))
        reason = "" if failure_reason is None else failure_reason[:1024]
        with self.store.transaction() as conn:
            changed = conn.execute(
                f"UPDATE pipeline_executions SET status = ?, failure_reason = CASE WHEN ? THEN ? ELSE failure_reason END, "
                f"modified_at = ? WHERE arn = ? AND status IN ({marks})",
                (status, failure_reason is not None, reason, utc_now(), arn, *expected)).rowcount
        return changed == 1

    def orchestrator(self, arn: str) -> str:
        """The job that drives the execution now ("" before the first one is claimed)."""
        row = self.store.fetch_one("SELECT orchestrator_job FROM pipeline_executions WHERE arn = ?", (arn,))
        return "" if row is None else str(row["orchestrator_job"])

    def claim_orchestrator(self, arn: str, previous: str, job_name: str) -> bool:
        """Record ``job_name`` as the execution's orchestrator unless another process did first."""
        with self.store.transaction() as conn:
            changed = conn.execute("UPDATE pipeline_executions SET orchestrator_job = ? WHERE arn = ? "
                                   "AND orchestrator_job = ?", (job_name, arn, previous)).rowcount
        return changed == 1

    # Steps

    def steps(self, arn: str) -> list[ExecutionStep]:
        rows = self.store.fetch_all("SELECT * FROM pipeline_execution_steps WHERE execution = ? "
                                    "ORDER BY first_started, rowid", (arn,))
        return [_step(r) for r in rows]

    def step_rows(self, arn: str) -> dict[str, dict[str, Any]]:
        """Each step's row with its JSON fields parsed (what the engine works from)."""
        rows = self.store.fetch_all("SELECT * FROM pipeline_execution_steps WHERE execution = ?", (arn,))
        return {r["name"]: _row_dict(r) for r in rows}

    def put_step(self, arn: str, name: str, **fields: Any) -> None:
        """Insert or update a step's row (JSON fields given as Python values)."""
        for key in ("properties", "metadata", "cache_key"):
            if key in fields:
                fields[key] = json.dumps(fields[key])
        columns = ["execution", "name", *fields]
        updates = ", ".join(f"{key} = ?" for key in fields)
        with self.store.transaction() as conn:
            changed = conn.execute(f"UPDATE pipeline_execution_steps SET {updates} WHERE execution = ? AND name = ?",
                                   (*fields.values(), arn, name)).rowcount
            if not changed:  # a new row: the engine gives its type when a step starts
                conn.execute(f"INSERT INTO pipeline_execution_steps ({', '.join(columns)}) "
                             f"VALUES ({','.join('?' * len(columns))})", (arn, name, *fields.values()))

    def delete_steps(self, arn: str, names: list[str]) -> None:
        with self.store.transaction() as conn:
            conn.executemany("DELETE FROM pipeline_execution_steps WHERE execution = ? AND name = ?",
                             [(arn, name) for name in names])

    def cached_runs(self, pipeline: str, step: str, before: str) -> list[dict[str, Any]]:
        """Earlier runs of the step in this pipeline's other executions, newest first: the cache looks in these."""
        rows = self.store.fetch_all(
            "SELECT s.*, e.arn AS execution_arn FROM pipeline_execution_steps s JOIN pipeline_executions e "
            "ON s.execution = e.arn WHERE e.pipeline = ? AND s.name = ? AND s.execution != ? AND s.cache_key != '{}' "
            "AND s.status = 'Succeeded' ORDER BY s.ended_at DESC LIMIT 50", (pipeline, step, before))
        return [_row_dict(r) for r in rows]

    def latest_run(self, pipeline: str, step: str, before: str) -> dict[str, Any] | None:
        """The latest earlier run of the step (any status) that recorded a cache key: what a miss is compared to."""
        row = self.store.fetch_one(
            "SELECT s.* FROM pipeline_execution_steps s JOIN pipeline_executions e ON s.execution = e.arn "
            "WHERE e.pipeline = ? AND s.name = ? AND s.execution != ? AND s.cache_key != '{}' "
            "ORDER BY s.first_started DESC LIMIT 1", (pipeline, step, before))
        return None if row is None else _row_dict(row)


def _row_dict(row: Any) -> dict[str, Any]:
    values = dict(row)
    for key in ("properties", "metadata", "cache_key"):
        values[key] = json.loads(values[key])
    return values


def _pipeline(row: Any) -> Pipeline:
    return Pipeline(name=row["name"], arn=row["arn"], definition=json.loads(row["definition"]),
                    created_at=row["created_at"], last_modified_at=row["modified_at"], description=row["description"])


def _execution(row: Any) -> PipelineExecution:
    return PipelineExecution(
        arn=row["arn"], pipeline_name=row["pipeline"], status=row["status"], created_at=row["created_at"],
        last_modified_at=row["modified_at"], display_name=row["display_name"], failure_reason=row["failure_reason"],
        parameters=json.loads(row["parameters"]), selected_steps=tuple(json.loads(row["selected_steps"])),
        source_execution_arn=row["source_execution"])


def _step(row: Any) -> ExecutionStep:
    return ExecutionStep(
        name=row["name"], type=row["type"], status=row["status"], started_at=row["first_started"] or row["started_at"],
        ended_at=row["ended_at"], failure_reason=row["failure_reason"], attempt=row["attempt"],
        metadata=json.loads(row["metadata"]), cache_hit_source=row["cache_hit_source"],
        cache_miss_reason=row["cache_miss_reason"], job_name=row["job_name"])
