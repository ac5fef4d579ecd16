"""The processing port: SageMaker Processing jobs in SageMaker's own shapes.

A request is CreateProcessingJob's request (``ProcessingJobName`` optional, generated when missing;
``ProcessingInputs``, ``ProcessingOutputConfig``, ``ProcessingResources.ClusterConfig`` {InstanceCount,
InstanceType, VolumeSizeInGB}, ``AppSpecification`` {ImageUri, ContainerEntrypoint, ContainerArguments},
``Environment``, ``StoppingCondition``; ``RoleArn`` on AWS, the configured role when missing). Locally the
job runs SageMaker's processing contract on this machine (``services/processing/job.py``: N instances as N
sandboxed processes, sharded or replicated inputs, outputs uploaded to the lake); on AWS it is a SageMaker
processing job. Its log, stages and stopping are the jobs port's too (job kind ``processing``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from services.processing.models import ProcessingJob, ReviewFeaturesRequest


class ProcessingPort(Protocol):
    def default_image(self) -> str:
        """The scikit-learn processing image URI for this backend's region (what SKLearnProcessor uses)."""
        ...

    def upload_code(self, folder: Path, job_name: str) -> str:
        """Upload every file of ``folder`` (a script folder on this machine) under the job's code prefix, as
        the SDK's processors do; the S3 URI to give as the ``code`` input. ``InvalidInput`` for an empty folder."""
        ...

    def start_processing_job(self, request: dict[str, Any]) -> str:
        """CreateProcessingJob; the job's name. ``InvalidInput`` naming the problem (a bad name, a LocalPath
        outside /opt/ml/processing/, an S3Uri leaving the lake, an image this backend cannot run, no command),
        ``NotFound`` for an input with no objects, ``AlreadyExists`` for a name in use."""
        ...

    def describe_processing_job(self, name: str) -> ProcessingJob:
        """DescribeProcessingJob; ``NotFound`` for an unknown name."""
        ...

    def list_processing_jobs(self, name_contains: str = "", status: str = "", limit: int = 100) -> list[ProcessingJob]:
        """ListProcessingJobs, newest first; each filter applies when given (``InvalidInput`` for an unknown
        status or a limit below 1)."""
        ...

    def stop_processing_job(self, name: str) -> ProcessingJob:
        """StopProcessingJob (Stopping → Stopped); a finished job is returned unchanged."""
        ...

    def start_review_features(self, request: ReviewFeaturesRequest) -> str:
        """The built-in review feature engineering (``services/processing/templates/review_features``) as a
        processing job over a catalog table; its splits become catalog tables once it completes. The job's name."""
        ...
