"""The jobs port on SageMaker: training, script, AutoML V2, tuning and transform jobs (the training
index, ``services.aws.job_index``) and processing jobs — Clarify's for bias and SHAP, and the processing
port's — (their own index, ``services.aws.processing_jobs``), described, listed, stopped and their CloudWatch
logs read.

Choices, and why:

* Only jobs started from this workbench are listed (not every training job a tuner or Autopilot
  spawned); a job named here that it never started is found by trying the Describe* calls in turn
  and then indexed. Finished jobs are read from the index.
* Nothing runs in our process when a SageMaker job ends, so the work due then (registering the model,
  fetching a transform's output) is done the first time ``describe_job`` sees the job Completed, by the
  ``settlers`` the composition root hands in per kind. A failure (e.g. no permission to register) is
  shown in the job's result and retried on the next describe.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import boto3
from botocore.exceptions import ClientError

from services.aws.errors import AWS_ERRORS, translate, translated
from services.aws.job_index import IndexEntry, JobIndex, cached_job
from services.aws.jobs import (
    LOG_GROUPS,
    STOP,
    describe_remote,
    final_metric_points,
    log_stream_prefix,
    trial_metric_points,
    tuning_trial_summaries,
)
from services.aws.processing_jobs import PROCESSING_LOGS, ClarifyJobIndex, refresh_clarify_job
from services.aws.sagemaker import SageMakerClients, error_code, iso
from services.embedded.metadata import MetadataStore
from services.errors import NotFound, ServiceError
from services.jobs.base import JobsPort
from services.jobs.filters import check_filters, matches, wait_for_job
from services.models import Job

# Work due once when a job of a kind completes: the job as indexed, and as SageMaker reports it now → the job
# to remember (e.g. with its registered model id). ServiceError / botocore errors: retried on the next describe.
Settle = Callable[[IndexEntry, Job], Job]
PROCESSING_KINDS = ("bias", "explain", "processing")  # processing jobs, in the processing-job index
ADOPTABLE_KINDS = ("training", "autopilot", "tuning", "transform")
POLL_SECONDS = 30.0
MAX_SCANNED = 10_000  # index entries read when filtering by status or name


class AwsJobs(SageMakerClients):
    """Every job this workbench started on SageMaker, whatever capability started it."""

    def __init__(self, session: boto3.Session, store: MetadataStore, *, settlers: Mapping[str, Settle] | None = None,
                 poll_seconds: float = POLL_SECONDS, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.session = session
        self.index = JobIndex(store)
        self.clarify_index = ClarifyJobIndex(store)
        self.settlers = dict(settlers or {})
        self.poll_seconds = poll_seconds
        self._sleep = sleep
        self._clock = clock

    # -- describing and listing ---------------------------------------------------------------

    @translated
    def describe_job(self, name: str) -> Job:
        """The job as SageMaker reports it; the kind's settler runs once it has completed."""
        clarify = self.clarify_index.find(name)
        if clarify is not None:
            return refresh_clarify_job(self, self.clarify_index, clarify)
        entry = self.index.find(name)
        if entry is None:
            return self._adopt(name)
        if entry.settled:
            return cached_job(entry)
        job = self._describe_remote(entry.kind, name, entry.config)
        job, settled = self._settle(entry, replace(job, model_id=job.model_id or entry.snapshot.get("model_id", "")))
        self.index.save(job, settled)
        return job

    def _adopt(self, name: str) -> Job:
        """A job this workbench did not start: try each Describe* call and index it under the kind that answers."""
        for kind in ADOPTABLE_KINDS:
            try:
                job = self._describe_remote(kind, name, {})
            except NotFound:
                continue
            self.index.add(name, kind, {}, job.created_at)
            self.index.save(job, job.finished)
            return job
        raise NotFound(f"No SageMaker job named {name!r} in {self.region}.", hint="Pick a job from the jobs list.")

    def _describe_remote(self, kind: str, name: str, config: dict[str, Any]) -> Job:
        return describe_remote(self._call, self._sagemaker, kind, name, config)

    def _settle(self, entry: IndexEntry, job: Job) -> tuple[Job, bool]:
        """(the job, whether it needs no more describing)."""
        if not job.finished:
            return job, False
        settle = self.settlers.get(entry.kind)
        if job.status != "Completed" or settle is None:
            return job, True
        try:
            return settle(entry, job), True
        except ServiceError as exc:
            return replace(job, result=job.result | {"settle_error": str(exc)}), False
        except AWS_ERRORS as exc:
            return replace(job, result=job.result | {"settle_error": str(translate(exc))}), False

    @translated
    def list_jobs(self, kind: str = "", status: str = "", name_contains: str = "", limit: int = 200) -> list[Job]:
        """Jobs started from this workbench, newest first; running ones are asked about afresh."""
        check_filters(kind, status, limit)
        scanned = MAX_SCANNED if status or name_contains else limit  # the indexes filter by kind only
        entries = self.index.recent(kind, scanned) + self.clarify_index.recent(kind, scanned)
        entries = sorted((e for e in entries if name_contains.lower() in e.name.lower()),
                         key=lambda e: e.created_at, reverse=True)
        jobs = (self._listed(entry) for entry in entries)
        return [job for job in jobs if matches(job, kind, status, name_contains)][:limit]

    def _listed(self, entry: IndexEntry) -> Job:
        if entry.settled:
            return cached_job(entry)
        try:
            return self.describe_job(entry.name)
        except NotFound:  # deleted on SageMaker's side since: the last state seen
            return cached_job(entry)

    # -- stopping and waiting -----------------------------------------------------------------

    @translated
    def stop_job(self, name: str) -> Job:
        """``Stop*`` for the job's kind; a finished job is returned unchanged."""
        job = self.describe_job(name)
        if job.finished:
            return job
        operation, parameter = STOP.get(job.kind, ("stop_processing_job", "ProcessingJobName"))
        self._call(operation, **{parameter: name})
        return self.describe_job(name)

    def wait_for_job(self, name: str, timeout_seconds: float = 3600) -> Job:
        return wait_for_job(self.describe_job, name, timeout_seconds, self.poll_seconds, self._sleep, self._clock)

    # -- logs, stages and metrics -------------------------------------------------------------

    @translated
    def job_logs(self, name: str, tail_bytes: int = 64_000) -> str:
        """The end of the job's CloudWatch logs (an Autopilot job: its best candidate's training job);
        ``""`` when there are none yet."""
        job = self.describe_job(name)
        prefix = f"{name}/" if job.kind in PROCESSING_KINDS else log_stream_prefix(job)
        if not prefix:
            return ""
        group = PROCESSING_LOGS if job.kind in PROCESSING_KINDS else LOG_GROUPS[job.kind]
        parts = [self._stream_tail(group, stream, tail_bytes) for stream in self._log_streams(group, prefix)]
        return "\n".join(p for p in parts if p)[-tail_bytes:]

    def _log_streams(self, group: str, prefix: str) -> list[str]:
        try:
            found = self._logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=prefix, limit=50)
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":  # no job has logged to this group yet
                return []
            raise
        return [s["logStreamName"] for s in found.get("logStreams", [])]

    def _stream_tail(self, group: str, stream: str, tail_bytes: int) -> str:
        events = self._logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=False,
                                           limit=10_000).get("events", [])
        return "\n".join(str(e.get("message", "")) for e in events)[-tail_bytes:]

    @translated
    def job_transitions(self, name: str) -> list[dict[str, str]]:
        """Training jobs: SageMaker's ``SecondaryStatusTransitions``; others: the changes this workbench saw."""
        job = self.describe_job(name)
        if job.kind not in ("training", "script"):
            return self.index.transitions(name)
        raw = self._call("describe_training_job", TrainingJobName=name)
        return [{"at": iso(t.get("StartTime")), "status": t.get("Status", ""), "message": t.get("StatusMessage", "")}
                for t in raw.get("SecondaryStatusTransitions", [])]

    @translated
    def job_metric_points(self, name: str) -> list[dict[str, object]]:
        """Training: the final metrics; tuning: each finished trial's objective (step = trial number)."""
        job = self.describe_job(name)
        if job.kind in ("training", "script"):
            return final_metric_points(self._call("describe_training_job", TrainingJobName=name))
        if job.kind == "tuning":
            return trial_metric_points(tuning_trial_summaries(self._sagemaker, name))
        return []


def build_aws_jobs(session: boto3.Session, store: MetadataStore, settlers: Mapping[str, Settle] | None = None) -> JobsPort:
    """The SageMaker jobs adapter; its indexes live in the workspace's metadata file."""
    return AwsJobs(session, store, settlers=settlers)
