"""The processing port on SageMaker: CreateProcessingJob / DescribeProcessingJob / ListProcessingJobs /
StopProcessingJob, with the scikit-learn image for the session's region and the configured role when a request
gives none.

The image URI is the one ``sagemaker.core.image_uris.retrieve("sklearn", region, "1.2-1")`` gives, read from the
SDK's own registry file (``image_uri_config/sklearn.json``: the ECR account per region) without importing the SDK,
which takes seconds. Every job started here is indexed in the workspace's processing-job index
(``services.aws.processing_jobs``, kind ``processing``), so the jobs port lists it, streams its CloudWatch log and
stops it like any other job. SageMaker checks the request itself; only its own LocalPath rule (under
``/opt/ml/processing/``), s3:// URIs and the names are checked here first (``check_s3_locations``). The built-in
template's splits are catalogued (Glue, through the storage port) the first time a describe sees its job
Completed: nothing of ours runs when a SageMaker job ends.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3

from services.aws.errors import translated
from services.aws.job_index import IndexEntry
from services.aws.processing_jobs import ClarifyJobIndex, describe_processing, job_from_processing
from services.aws.sagemaker import BUCKET_HINT, ROLE_HINT, SageMakerClients, iso, job_name
from services.catalog.base import CatalogPort
from services.config import Settings
from services.embedded.embedded_stack import EmbeddedStack
from services.errors import InvalidInput
from services.processing import contract, templates
from services.processing.base import ProcessingPort
from services.processing.local import check_list_filters, code_files
from services.processing.models import ProcessingJob, ReviewFeaturesRequest
from services.storage.base import StoragePort

KIND = "processing"
SKLEARN_VERSION = "1.2-1"
REQUEST_KEYS = ("ProcessingInputs", "ProcessingOutputConfig", "ProcessingResources", "StoppingCondition",
                "AppSpecification", "Environment", "NetworkConfig", "RoleArn", "ExperimentConfig")
PAGE_SIZE = 100


class AwsProcessing(SageMakerClients):
    def __init__(self, session: boto3.Session, settings: Settings, stack: EmbeddedStack, catalog: CatalogPort,
                 storage: StoragePort) -> None:
        self.session = session
        self.settings = settings
        self.index = ClarifyJobIndex(stack.store)
        self.catalog = catalog
        self.storage = storage

    def default_image(self) -> str:
        return sklearn_image(self.region)

    @translated
    def upload_code(self, folder: Path, job_name: str) -> str:
        uri = self._job_prefix(job_name) + "input/code/"
        bucket, key = uri[len("s3://"):].split("/", 1)
        for path in code_files(folder):
            self._s3.upload_file(str(path), bucket, key + path.relative_to(folder).as_posix())
        return uri

    def _job_prefix(self, name: str) -> str:
        if not self.settings.s3_bucket:
            raise InvalidInput("No S3 bucket is configured for the processing job's code and outputs.", hint=BUCKET_HINT)
        return f"s3://{self.settings.s3_bucket}/processing/{job_name(name, KIND)}/"

    @translated
    def start_processing_job(self, request: dict[str, Any]) -> str:
        return self._start(request, {})

    def _start(self, request: dict[str, Any], extra: dict[str, Any]) -> str:
        name = job_name(str(request.get("ProcessingJobName") or ""), KIND)
        request = {**request, "ProcessingJobName": name, "RoleArn": request.get("RoleArn") or self._role()}
        check_s3_locations(f"Processing job {name!r}", request)
        self._sagemaker.create_processing_job(**request)
        self.index.add(name, KIND, {"request": request, **extra})
        return name

    def _role(self) -> str:
        if not self.settings.sagemaker_role:
            raise InvalidInput("The request has no RoleArn and no SageMaker role is configured.", hint=ROLE_HINT)
        return self.settings.sagemaker_role

    @translated
    def describe_processing_job(self, name: str) -> ProcessingJob:
        raw = describe_processing(self, name)
        entry = self.index.find(name)
        tables: tuple[str, ...] = ()
        if entry is not None and entry.config.get("register_tables") and raw["ProcessingJobStatus"] == "Completed":
            tables = self._register_outputs(entry, raw)
        return from_api(raw, tables)

    def _register_outputs(self, entry: IndexEntry, raw: dict[str, Any]) -> tuple[str, ...]:
        """The template's splits as Glue tables (once; remembered in the index)."""
        done = tuple((entry.snapshot.get("result") or {}).get("tables") or ())
        if done:
            return done
        uris = {o["OutputName"]: o["S3Output"]["S3Uri"] for o in raw["ProcessingOutputConfig"]["Outputs"]}
        for output, table in entry.config["register_tables"].items():
            database, _, table_name = table.partition(".")
            self.storage.register_table(database, table_name, uris[output])
        tables = tuple(entry.config["register_tables"].values())
        job = job_from_processing(raw, KIND, entry.config)
        self.index.save(replace(job, result={**job.result, "tables": list(tables)}), True)
        return tables

    @translated
    def list_processing_jobs(self, name_contains: str = "", status: str = "", limit: int = 100) -> list[ProcessingJob]:
        check_list_filters(status, limit)
        filters: dict[str, Any] = {"SortBy": "CreationTime", "SortOrder": "Descending", "MaxResults": min(limit, PAGE_SIZE)}
        filters |= {"NameContains": name_contains} if name_contains else {}
        filters |= {"StatusEquals": status} if status else {}
        found: list[ProcessingJob] = []
        for page in self._sagemaker.get_paginator("list_processing_jobs").paginate(**filters):
            found += [from_api(summary) for summary in page.get("ProcessingJobSummaries", [])]
            if len(found) >= limit:
                break
        return found[:limit]

    @translated
    def stop_processing_job(self, name: str) -> ProcessingJob:
        if not self.describe_processing_job(name).finished:
            self._call("stop_processing_job", ProcessingJobName=name)
        return self.describe_processing_job(name)

    @translated
    def start_review_features(self, request: ReviewFeaturesRequest) -> str:
        database, table = templates.check_review_request(request)
        tables = templates.output_tables(request)
        location = self.catalog.get_table(database, table).location
        name = job_name(request.job_name or "", "review-features")
        job_prefix = self._job_prefix(name)
        self.upload_code(templates.REVIEW_FEATURES, name)
        if request.max_length:
            bucket, key = job_prefix[len("s3://"):].split("/", 1)
            self._s3.upload_file(str(templates.tokenizer_file()), bucket, key + "input/tokenizer/tokenizer.json")
        built = templates.review_features_request(request, name, self.default_image(), location, job_prefix)
        return self._start(built, {"register_tables": tables})


def check_s3_locations(owner: str, request: dict[str, Any]) -> None:
    """SageMaker's own LocalPath rule and s3:// URIs for the S3 inputs and outputs; the rest (dataset definitions,
    Pipe mode, Feature Store outputs, any image) is SageMaker's to accept or refuse."""
    items = [(item.get("InputName", ""), item.get("S3Input")) for item in request.get("ProcessingInputs") or []]
    items += [(item.get("OutputName", ""), item.get("S3Output"))
              for item in (request.get("ProcessingOutputConfig") or {}).get("Outputs") or []]
    for name, s3 in items:
        if not isinstance(s3, dict):
            continue
        contract.local_path(owner, s3.get("LocalPath"), repr(name))
        if not str(s3.get("S3Uri", "")).startswith("s3://"):
            raise InvalidInput(f"{owner}: {name!r} has S3Uri {s3.get('S3Uri')!r}, which is not an s3:// URI.",
                               hint="Give s3://BUCKET/KEY.")


def sklearn_image(region: str) -> str:
    """The scikit-learn image of ``SKLEARN_VERSION`` in ``region``, as the SDK builds its URI."""
    spec = importlib.util.find_spec("sagemaker")
    if spec is None or not spec.submodule_search_locations:
        raise InvalidInput("The sagemaker SDK is not installed.", hint="Install the requirements (requirements.txt).")
    config = Path(list(spec.submodule_search_locations)[0]) / "core" / "image_uri_config" / "sklearn.json"
    version = json.loads(config.read_text())["training"]["versions"][SKLEARN_VERSION]
    account = version["registries"].get(region)
    if account is None:
        raise InvalidInput(f"No scikit-learn processing image is published for {region}.",
                           hint="Give AppSpecification.ImageUri yourself, or use a region SageMaker serves.")
    domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"{account}.dkr.ecr.{region}.{domain}/{version['repository']}:{SKLEARN_VERSION}-cpu-py3"


def from_api(raw: dict[str, Any], tables: tuple[str, ...] = ()) -> ProcessingJob:
    """DescribeProcessingJob's response (or a ListProcessingJobs summary) as a ``ProcessingJob``."""
    return ProcessingJob(name=raw["ProcessingJobName"], arn=raw.get("ProcessingJobArn", ""),
                         status=raw["ProcessingJobStatus"], created_at=iso(raw.get("CreationTime")),
                         request={key: raw[key] for key in REQUEST_KEYS if key in raw},
                         started_at=iso(raw.get("ProcessingStartTime")), ended_at=iso(raw.get("ProcessingEndTime")),
                         last_modified_at=iso(raw.get("LastModifiedTime")), failure_reason=raw.get("FailureReason", ""),
                         exit_message=raw.get("ExitMessage", ""), tables=tables)


def build_aws_processing(session: boto3.Session, settings: Settings, stack: EmbeddedStack, *, catalog: CatalogPort,
                         storage: StoragePort) -> ProcessingPort:
    return AwsProcessing(session, settings, stack, catalog, storage)
