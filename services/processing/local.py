"""The processing port on this machine: each CreateProcessingJob request is a ``processing`` job of the one job
runner (``services/processing/job.py`` runs it), checked whole before it is queued: names, the contract
(LocalPaths under /opt/ml/processing/, File mode, InstanceCount), the image (a framework image this machine
stands in for, ``images.py``), every input's objects and every S3 URI inside the lake.

A pipeline's Processing step is a ``container`` job with the same contract; it is described and listed here
too, as SageMaker's ListProcessingJobs lists the jobs a pipeline started.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

from services.catalog.base import CatalogPort
from services.embedded.embedded_stack import EmbeddedStack
from services.embedded.jobs import new_job_name
from services.embedded.sandbox import require_sandbox
from services.embedded.workspace import LAKE_BUCKET
from services.errors import AlreadyExists, InvalidInput, NotFound
from services.models import Job
from services.names import check_name
from services.processing import contract, templates
from services.processing.base import ProcessingPort
from services.processing.images import recognise
from services.processing.lake import input_objects, lake_path
from services.processing.models import PROCESSING_STATUSES, ProcessingJob, ReviewFeaturesRequest

SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
JOB_PREFIX = f"s3://{LAKE_BUCKET}/processing"


class LocalProcessing:
    def __init__(self, stack: EmbeddedStack, catalog: CatalogPort) -> None:
        self.stack = stack
        self.catalog = catalog
        self.lake = stack.workspace.lake

    def default_image(self) -> str:
        return SKLEARN_IMAGE

    def upload_code(self, folder: Path, job_name: str) -> str:
        check_name("processing-job", job_name)
        uri = f"{JOB_PREFIX}/{job_name}/input/code/"
        files = code_files(folder)
        target = lake_path(self.lake, uri)
        for path in files:
            destination = target / path.relative_to(folder)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
        return uri

    def start_processing_job(self, request: dict[str, Any]) -> str:
        return self._submit(request, {})

    def _submit(self, request: dict[str, Any], extra: dict[str, Any]) -> str:
        request = copy.deepcopy(request)
        name = check_name("processing-job", request.get("ProcessingJobName") or new_job_name("processing"))
        request["ProcessingJobName"] = name
        if self.stack.runner.jobs.find(name) is not None:
            raise AlreadyExists(f"A processing job named {name!r} exists already.", hint="Job names are unique; pick another.")
        self.check(name, request)
        config = {"request": request, "job_arn": contract.job_arn(name), **extra,
                  "max_runtime_in_seconds": (request.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds", 0)}
        return self.stack.runner.submit("processing", config, name=name).name

    def check(self, name: str, request: dict[str, Any]) -> None:
        """Everything that can be refused before the job is queued (see the module's docstring)."""
        owner = f"Processing job {name!r}"
        if contract.has_references(request):
            raise InvalidInput(f"{owner}: the request holds pipeline references ({{\"Get\": …}}).",
                               hint="Only a pipeline's steps resolve references; give plain values.")
        contract.check_request(owner, request)
        image = (request.get("AppSpecification") or {}).get("ImageUri")
        if not isinstance(image, str) or not image:
            raise InvalidInput(f"{owner}: AppSpecification has no ImageUri.", hint=f"For example {SKLEARN_IMAGE}.")
        recognise(name, image, has_entry_point=True, subject="Processing job")
        for item in contract.processing_inputs(owner, request):
            input_objects(self.lake, item.s3_uri, item.data_type)
        for output in contract.processing_outputs(owner, request):
            lake_path(self.lake, output.s3_uri)
        require_sandbox()

    def describe_processing_job(self, name: str) -> ProcessingJob:
        self.stack.runner.dispatch()  # notices dead workers and starts waiting jobs
        job = self.stack.runner.jobs.find(name)
        if job is None or not is_processing(job):
            raise NotFound(f"No processing job named {name!r}.", hint="Pick one from `processing list`.")
        return processing_job(job)

    def list_processing_jobs(self, name_contains: str = "", status: str = "", limit: int = 100) -> list[ProcessingJob]:
        check_list_filters(status, limit)
        self.stack.runner.dispatch()
        found = [job for kind in ("processing", "container")
                 for job in self.stack.runner.jobs.recent(kind, limit, status=status, name_contains=name_contains)]
        jobs = sorted((job for job in found if is_processing(job)), key=lambda job: job.created_at, reverse=True)
        return [processing_job(job) for job in jobs[:limit]]

    def stop_processing_job(self, name: str) -> ProcessingJob:
        if not self.describe_processing_job(name).finished:
            self.stack.runner.stop(name)
        return self.describe_processing_job(name)

    def start_review_features(self, request: ReviewFeaturesRequest) -> str:
        database, table = templates.check_review_request(request)
        tables = templates.output_tables(request)
        location = self.catalog.get_table(database, table).location
        name = check_name("processing-job", request.job_name or new_job_name("review-features"))
        job_prefix = f"{JOB_PREFIX}/{name}/"
        self.upload_code(templates.REVIEW_FEATURES, name)
        if request.max_length:
            target = lake_path(self.lake, f"{job_prefix}input/tokenizer/")
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(templates.tokenizer_file(), target / "tokenizer.json")
        built = templates.review_features_request(request, name, SKLEARN_IMAGE, location, job_prefix)
        return self._submit(built, {"register_tables": tables})


def code_files(folder: Path) -> list[Path]:
    """The script folder's files (no ``__pycache__``); ``InvalidInput`` when there are none."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts) if folder.is_dir() else []
    if not files:
        raise InvalidInput(f"{folder} holds no files to upload.", hint="Give the folder that holds your processing script.")
    return files


def check_list_filters(status: str, limit: int) -> None:
    if status and status not in PROCESSING_STATUSES:
        raise InvalidInput(f"Unknown processing job status {status!r}.", hint=f"Use one of {', '.join(PROCESSING_STATUSES)}.")
    if limit < 1:
        raise InvalidInput(f"The limit must be at least 1, got {limit}.", hint="For example 100.")


def is_processing(job: Job) -> bool:
    """A processing job, or a pipeline's Processing step (a ``container`` job with the processing contract)."""
    return job.kind == "processing" or (job.kind == "container" and job.config.get("contract") == "processing")


def processing_job(job: Job) -> ProcessingJob:
    return ProcessingJob(name=job.name, arn=str(job.config.get("job_arn") or contract.job_arn(job.name)),
                         status=job.status, created_at=job.created_at, request=dict(job.config.get("request") or {}),
                         started_at=job.started_at, ended_at=job.ended_at, last_modified_at=job.ended_at,
                         failure_reason=job.failure_reason, exit_message=str(job.result.get("exit_message") or ""),
                         tables=tuple(job.result.get("tables") or ()))


def build_local_processing(stack: EmbeddedStack, catalog: CatalogPort) -> ProcessingPort:
    return LocalProcessing(stack, catalog)
