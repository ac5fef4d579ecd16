"""SageMaker Clarify processing jobs (bias and SHAP) started from this workbench: their index in the
workspace's metadata store (``aws_clarify_jobs``: name, kind, request, cache key, last state seen) and
``DescribeProcessingJob`` as a ``Job``. Processing job names do not say what a job is for, so every job
started here is indexed; one started elsewhere is adopted under the kind that asks for it."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from botocore.exceptions import ClientError

from services.aws.job_index import IndexEntry, cached_job
from services.aws.sagemaker import SageMakerClients, is_missing, iso
from services.embedded.metadata import MetadataStore, utc_now
from services.errors import NotFound
from services.models import FINISHED_JOB_STATUSES, Job

SCHEMA = """
CREATE TABLE IF NOT EXISTS aws_clarify_jobs (
    name TEXT PRIMARY KEY, kind TEXT NOT NULL, created_at TEXT NOT NULL, config TEXT NOT NULL,
    cache_key TEXT NOT NULL DEFAULT '', snapshot TEXT NOT NULL DEFAULT '{}', settled INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS aws_clarify_jobs_created ON aws_clarify_jobs (created_at);
CREATE INDEX IF NOT EXISTS aws_clarify_jobs_cache ON aws_clarify_jobs (cache_key);
"""
CLARIFY_IMAGE = "sagemaker-clarify-processing"
PROCESSING_LOGS = "/aws/sagemaker/ProcessingJobs"


class ClarifyJobIndex:
    """Clarify jobs started from this workbench, with the last state seen of each."""

    def __init__(self, store: MetadataStore) -> None:
        self.store = store
        store.ensure_schema(SCHEMA)

    def add(self, name: str, kind: str, config: dict[str, Any], cache_key: str = "", created_at: str = "") -> None:
        self.store.execute(
            "INSERT OR IGNORE INTO aws_clarify_jobs (name, kind, created_at, config, cache_key) VALUES (?, ?, ?, ?, ?)",
            (name, kind, created_at or utc_now(), json.dumps(config, default=str), cache_key),
        )

    def find(self, name: str) -> IndexEntry | None:
        row = self.store.fetch_one("SELECT * FROM aws_clarify_jobs WHERE name = ?", (name,))
        return None if row is None else _entry(row)

    def recent(self, kind: str, limit: int) -> list[IndexEntry]:
        """Newest first, of one kind (every kind when ``kind`` is empty)."""
        rows = self.store.fetch_all(
            "SELECT * FROM aws_clarify_jobs WHERE (? = '' OR kind = ?) ORDER BY created_at DESC, rowid DESC LIMIT ?",
            (kind, kind, limit))
        return [_entry(r) for r in rows]

    def with_cache_key(self, kind: str, cache_key: str) -> list[IndexEntry]:
        rows = self.store.fetch_all(
            "SELECT * FROM aws_clarify_jobs WHERE kind = ? AND cache_key = ? ORDER BY created_at DESC, rowid DESC",
            (kind, cache_key))
        return [_entry(r) for r in rows]

    def save(self, job: Job, settled: bool) -> None:
        snapshot = {k: v for k, v in asdict(job).items() if k != "config"}
        self.store.execute("UPDATE aws_clarify_jobs SET snapshot = ?, settled = ? WHERE name = ?",
                           (json.dumps(snapshot, default=str), int(settled), job.name))


def _entry(row: Any) -> IndexEntry:
    return IndexEntry(row["name"], row["kind"], row["created_at"], json.loads(row["config"]),
                      json.loads(row["snapshot"]), bool(row["settled"]))


def describe_clarify_job(clients: SageMakerClients, index: ClarifyJobIndex, name: str, kind: str) -> Job:
    """The job as SageMaker reports it (finished jobs are read from the index from then on). ``NotFound``
    when it is another kind's job; a Clarify job started elsewhere (a notebook, Studio) is adopted as ``kind``."""
    entry = index.find(name)
    if entry is None:
        return _adopt(clients, index, name, kind)
    if entry.kind != kind:
        raise NotFound(f"{name} is a {entry.kind} job, not a {kind} job.", hint=f"Pick a {kind} job from the list.")
    return refresh_clarify_job(clients, index, entry)


def refresh_clarify_job(clients: SageMakerClients, index: ClarifyJobIndex, entry: IndexEntry) -> Job:
    """An indexed job: from the index once settled, else ``DescribeProcessingJob`` (and remembered)."""
    if entry.settled:
        return cached_job(entry)
    job = job_from_processing(describe_processing(clients, entry.name), entry.kind, entry.config)
    index.save(job, job.finished)
    return job


def _adopt(clients: SageMakerClients, index: ClarifyJobIndex, name: str, kind: str) -> Job:
    raw = describe_processing(clients, name)
    if CLARIFY_IMAGE not in str((raw.get("AppSpecification") or {}).get("ImageUri", "")):
        raise NotFound(f"{name} is not a SageMaker Clarify job.", hint="Pick a job from the jobs list.")
    job = job_from_processing(raw, kind, {})
    index.add(name, kind, {"output_uri": job.result["output"]}, created_at=job.created_at)
    index.save(job, job.finished)
    return job


def describe_processing(clients: SageMakerClients, name: str) -> dict[str, Any]:
    try:
        return clients._sagemaker.describe_processing_job(ProcessingJobName=name)  # type: ignore[no-any-return]
    except ClientError as exc:
        if is_missing(exc):
            raise NotFound(f"No SageMaker processing job named {name!r} in {clients.region}.",
                           hint="Pick a job from the jobs list.") from exc
        raise


def job_from_processing(raw: dict[str, Any], kind: str, config: dict[str, Any]) -> Job:
    """``DescribeProcessingJob`` as a ``Job`` (processing jobs have no secondary status)."""
    status = raw["ProcessingJobStatus"]
    outputs = (raw.get("ProcessingOutputConfig") or {}).get("Outputs") or [{}]
    result = {"arn": raw.get("ProcessingJobArn", ""), "output": (outputs[0].get("S3Output") or {}).get("S3Uri", ""),
              "exit_message": raw.get("ExitMessage", "")}
    failure = raw.get("FailureReason", "") or (raw.get("ExitMessage", "") if status == "Failed" else "")
    return Job(name=raw["ProcessingJobName"], kind=kind, status=status,
               secondary_status="Processing" if status == "InProgress" else status, created_at=iso(raw.get("CreationTime")),
               config=config, started_at=iso(raw.get("ProcessingStartTime")),
               ended_at=iso(raw.get("ProcessingEndTime")) if status in FINISHED_JOB_STATUSES else "",
               failure_reason=failure, model_id=str(config.get("model_id", "")), result=result)
