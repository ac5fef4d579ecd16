"""What crosses the processing port: a processing job in DescribeProcessingJob's terms, and the request of the
built-in review feature-engineering template. Pure data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.models import Job

PROCESSING_STATUSES = ("InProgress", "Completed", "Failed", "Stopping", "Stopped")


@dataclass(frozen=True)
class ProcessingJob:
    """A processing job as ``DescribeProcessingJob`` answers (``as_api``); ``request`` is its CreateProcessingJob
    request (empty for a job known only from ``ListProcessingJobs``)."""

    name: str
    arn: str
    status: str  # InProgress | Completed | Failed | Stopping | Stopped
    created_at: str
    request: dict[str, Any] = field(default_factory=dict)
    started_at: str = ""
    ended_at: str = ""
    last_modified_at: str = ""
    failure_reason: str = ""
    exit_message: str = ""
    tables: tuple[str, ...] = ()  # catalog tables registered from its outputs (built-in templates)

    @property
    def finished(self) -> bool:
        return self.status in ("Completed", "Failed", "Stopped")

    def as_api(self) -> dict[str, Any]:
        """DescribeProcessingJob's response members (times as ISO 8601 strings)."""
        described: dict[str, Any] = {key: value for key, value in self.request.items() if key != "Tags"}
        described |= {"ProcessingJobName": self.name, "ProcessingJobArn": self.arn,
                      "ProcessingJobStatus": self.status, "CreationTime": self.created_at,
                      "LastModifiedTime": self.last_modified_at or self.ended_at or self.created_at}
        for key, value in (("ProcessingStartTime", self.started_at), ("ProcessingEndTime", self.ended_at),
                           ("FailureReason", self.failure_reason), ("ExitMessage", self.exit_message)):
            if value:
                described[key] = value
        return described

    def summary(self) -> dict[str, Any]:
        """ListProcessingJobs' ProcessingJobSummaries entry."""
        described = self.as_api()
        keys = ("ProcessingJobName", "ProcessingJobArn", "CreationTime", "ProcessingEndTime", "LastModifiedTime",
                "ProcessingJobStatus", "FailureReason", "ExitMessage")
        return {key: described[key] for key in keys if key in described}


@dataclass(frozen=True)
class ReviewFeaturesRequest:
    """The built-in review feature engineering: a reviews table in, balanced train/validation/test splits out,
    each registered as ``<database>.<prefix>_<split>``; with ``max_length`` the reviews are also tokenised for
    MiniLM and a token-length report (counts, histogram, truncation rate) is written."""

    table: str  # database.table with a rating and a review text column
    max_length: int = 0  # 0: no tokenisation
    output_database: str = ""  # default: the source table's database
    output_prefix: str = ""  # default: "<table>_features"
    validation_share: float = 0.1
    test_share: float = 0.2
    seed: int = 42
    instance_count: int = 1
    job_name: str = ""


def processing_outputs(job: Job) -> list[dict[str, Any]]:
    """A processing job's outputs for display, from the Jobs port's ``Job``: name, S3 URI, and (locally, once
    uploaded) the lake folder and how many files arrived. Empty for jobs that are not processing jobs."""
    request = job.config.get("request") or {}
    uploaded = {item.get("name"): item for item in job.result.get("outputs") or [] if isinstance(item, dict)}
    found = []
    for output in (request.get("ProcessingOutputConfig") or {}).get("Outputs") or []:
        name = str(output.get("OutputName", ""))
        s3 = output.get("S3Output") or {}
        found.append({"output": name, "S3 URI": s3.get("S3Uri", ""), "local path": s3.get("LocalPath", ""),
                      "lake path": (uploaded.get(name) or {}).get("lake_path", ""),
                      "files": (uploaded.get(name) or {}).get("files")})
    return found
