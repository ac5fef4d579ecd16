"""Training on SageMaker: Autopilot (AutoML V2), built-in algorithms, script mode, tuning, batch
transform, and the SageMaker Model Registry.

Choices that differ from the local adapter, and why:

* SageMaker job names do not say which ``Describe*`` call applies, so every job started here is
  indexed in the workspace store (name → kind, request, last state seen), which the jobs port
  (``services/jobs/aws.py``) describes, lists and stops.
* Built-in XGBoost and Linear Learner read CSV with *no header and the target first*, numbers
  only; a Glue table is rarely laid out like that, so the table is read (awswrangler), encoded
  (target → class index, low-cardinality strings → category codes, free text dropped), split 80/20
  and written to ``s3://{bucket}/training/{job}/input/{train,validation}/``. Autopilot reads the
  table's own S3 location.
* Nothing runs in our process when a job ends, so the model is registered (a model package in the
  group named after the request) the first time the jobs port sees the job Completed (it calls
  ``settle_job``); a transform job's output is downloaded then too.
* Model ids are ``"<model package group>/<version>"`` like the local registry's ``name/version``;
  a model package ARN is accepted wherever a model id is. What SageMaker's registry has no field
  for (framework, target, classes, input schema, encoding) is kept in the package's
  ``CustomerMetadataProperties`` as ``workbench:*`` keys, long values split in 256-character chunks.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tarfile
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pandas as pd

from services.aws.autopilot_reports import explainability, json_documents, model_insights, report_locations
from services.aws.encoding import csv_rows, encode_features, transform_frame
from services.aws.errors import translated
from services.aws.job_index import IndexEntry, JobIndex
from services.aws.jobs import (
    candidate_algorithm,
    transform_job_spec,
)
from services.aws.model_packages import metadata_properties, model_from_package, package_metadata
from services.aws.s3 import S3_READERS, catalog_names, hidden_key, original_name, split_s3_uri
from services.aws.sagemaker import (
    BUCKET_HINT,
    ROLE_HINT,
    SageMakerClients,
    job_name,
    model_id_of,
)
from services.catalog.base import CatalogPort
from services.catalog.files import data_files, inspect_path
from services.config import Settings
from services.embedded.embedded_stack import EmbeddedStack
from services.embedded.metadata import MetadataStore
from services.errors import BackendUnavailable, InvalidInput, NotFound
from services.jobs.base import JobsPort
from services.models import (
    AutopilotRequest,
    Candidate,
    Column,
    DataSource,
    Job,
    ModelRecord,
    ScriptJobRequest,
    TrainingRequest,
    TuningRequest,
)
from services.names import check_job_request, check_name
from services.paths import publish_file, writable_path
from services.training.base import TrainingPort
from services.training.data import read_file, require_column, split_table_name
from services.training.problem_type import problem_type_and_classes

# SageMaker's limits: AutoML and tuning job names at most 32 characters, the others 63.
ALGORITHMS = ("xgboost", "linear-learner")
LOCAL_ONLY_ALGORITHMS = ("text-tfidf", "text-minilm")
AUTOPILOT_MODES = ("AUTO", "ENSEMBLING", "HYPERPARAMETER_TUNING")
PROBLEM_TYPES = ("BinaryClassification", "MulticlassClassification", "Regression")
DEFAULT_OBJECTIVES = {"BinaryClassification": "F1", "MulticlassClassification": "Accuracy", "Regression": "MSE"}
AUTOPILOT_OBJECTIVES = ("Accuracy", "AUC", "BalancedAccuracy", "F1", "F1macro", "MAE", "MSE", "Precision",
                        "PrecisionMacro", "R2", "Recall", "RecallMacro", "RMSE", "LogLoss")
AUTOPILOT_CONTENT_TYPES = {"csv": "text/csv;header=present", "parquet": "x-application/vnd.amazon+parquet"}
APPROVAL_STATUSES = ("PendingManualApproval", "Approved", "Rejected")
SCALING_TYPES = {"": "Auto", "auto": "Auto", "linear": "Linear", "log": "Logarithmic", "logarithmic": "Logarithmic",
                 "reverse-log": "ReverseLogarithmic", "reverselogarithmic": "ReverseLogarithmic"}
RANGE_KEYS = {"integer": "IntegerParameterRanges", "continuous": "ContinuousParameterRanges",
              "categorical": "CategoricalParameterRanges"}
# (framework, version) for sagemaker.core.image_uris.retrieve.
IMAGES = {"xgboost": ("xgboost", "1.7-1"), "linear-learner": ("linear-learner", "1"), "script": ("sklearn", "1.2-1")}
# Used only when the sagemaker SDK is missing: registry accounts for a few regions (from image_uris).
FALLBACK_ACCOUNTS = {
    "xgboost": {"us-east-1": "683313688378", "us-east-2": "257758044811", "us-west-2": "246618743249",
                "eu-west-1": "141502667606", "eu-central-1": "492215442770", "ap-southeast-2": "783357654285"},
    "linear-learner": {"us-east-1": "382416733822", "us-east-2": "404615174143", "us-west-2": "174872318107",
                       "eu-west-1": "438346466558", "eu-central-1": "664544806723", "ap-southeast-2": "712309505854"},
}
FALLBACK_ACCOUNTS["script"] = FALLBACK_ACCOUNTS["xgboost"]
FALLBACK_TAGS = {"xgboost": "sagemaker-xgboost:1.7-1", "linear-learner": "linear-learner:1",
                 "script": "sagemaker-scikit-learn:1.2-1-cpu-py3"}
MAX_RUNTIME_SECONDS = 4 * 3600
MAX_CATEGORIES = 50  # string features with more distinct values are free text and dropped


@dataclass(frozen=True)
class S3Input:
    """A job's input in S3: a prefix, its format and the columns the catalog gives it."""

    uri: str
    format: str
    columns: tuple[Column, ...]
    source: DataSource


@dataclass
class TabularData:
    """A table encoded for SageMaker's built-in algorithms: target first, numbers only."""

    train: pd.DataFrame
    validation: pd.DataFrame
    problem_type: str
    classes: list[str]
    features: list[str]
    categories: dict[str, list[str]] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)


class AwsTraining(SageMakerClients):
    """The training port on SageMaker; data and artifacts live under ``s3://{WORKBENCH_S3_BUCKET}/``."""

    def __init__(self, session: boto3.Session, settings: Settings, store: MetadataStore, *, catalog: CatalogPort,
                 jobs: JobsPort) -> None:
        self.session = session
        self.settings = settings
        self.catalog = catalog
        self.index = JobIndex(store)
        self.jobs = jobs  # describes the jobs started here; its settlers call settle_job

    # -- starting jobs ------------------------------------------------------------------------

    @translated
    def start_autopilot_job(self, request: AutopilotRequest) -> str:
        """Start ``CreateAutoMLJobV2`` on the table's S3 location (CSV with a header, or Parquet)."""
        check_job_request("autopilot", request.name, request.experiment)
        problem_type, objective = autopilot_objective(request)
        bucket, role = self._require_setup()
        name = job_name(request.name, "autopilot")
        data = self._input(request.source)
        require_column(data.columns, request.target, "target")
        if data.format not in AUTOPILOT_CONTENT_TYPES:
            raise InvalidInput(f"Autopilot reads CSV or Parquet, and {data.source.label} is {data.format}.",
                               hint="Convert the table to Parquet (CREATE TABLE AS in the query page) and try again.")
        data = self._staged(data, f"s3://{bucket}/autopilot/{name}/input/")
        target = self._header_name(data, request.target)
        spec = autopilot_job_spec(name, data, target, request, problem_type, objective, bucket, role)
        self._sagemaker.create_auto_ml_job_v2(**spec)
        config = asdict(replace(request, source=data.source)) | {"input_uri": data.uri, "problem_type": problem_type,
                                                                  "objective": objective, "target_header": target,
                                                                  "input_schema": _schema(data.columns, request.target)}
        self.index.add(name, "autopilot", config)
        return name

    @translated
    def start_training_job(self, request: TrainingRequest) -> str:
        """``CreateTrainingJob`` with the built-in XGBoost or Linear Learner image on the encoded table."""
        from services.training.algorithms.common import check_hyperparameter_values  # loads scikit-learn

        check_job_request("training", request.name, request.experiment)
        _check_algorithm(request.algorithm)
        check_hyperparameter_values(request.algorithm, request.hyperparameters)  # as the local adapter does
        bucket, role = self._require_setup()
        name = job_name(request.name, "training")
        spec, config = self._builtin_training(request, name, bucket, role)
        self._sagemaker.create_training_job(TrainingJobName=name, **spec)
        self.index.add(name, "training", config)
        return name

    def _builtin_training(self, request: TrainingRequest, name: str, bucket: str,
                          role: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The training job definition (without its name) and the config to index, data uploaded."""
        data = self._input(request.source)
        require_column(data.columns, request.target, "target")
        tabular = encode_table(self._read_frame(data), request.target, request.seed)
        prefix = f"s3://{bucket}/training/{name}/input/"
        self._put_csv(tabular.train, f"{prefix}train/train.csv", fill=request.algorithm == "linear-learner")
        self._put_csv(tabular.validation, f"{prefix}validation/validation.csv", fill=request.algorithm == "linear-learner")
        hyperparameters = default_hyperparameters(request.algorithm, tabular) | request.hyperparameters
        image = training_image(request.algorithm, self.region)
        spec = training_job_spec(image, hyperparameters, csv_channels(prefix), f"s3://{bucket}/training/", role,
                                 self.settings.training_instance_type)
        config = asdict(replace(request, source=data.source, hyperparameters=hyperparameters)) | {
            "image": image, "input_uri": prefix, "problem_type": tabular.problem_type, "classes": tabular.classes,
            "input_schema": _schema(tuple(c for c in data.columns if c.name in tabular.features), request.target),
            "encoding": {"features": tabular.features, "categories": tabular.categories, "dropped": tabular.dropped,
                         "fill_missing": request.algorithm == "linear-learner"}}
        return spec, config

    @translated
    def start_script_job(self, request: ScriptJobRequest) -> str:
        """Script mode in the SageMaker scikit-learn 1.2-1 image: the source folder is uploaded as
        ``sourcedir.tar.gz`` and named by the ``sagemaker_program``/``sagemaker_submit_directory``
        hyperparameters; local channels are uploaded, ``s3://`` channels used as they are."""
        check_job_request("script", request.name, request.experiment, request.channels)
        bucket, role = self._require_setup()
        name = job_name(request.name, "script")
        spec, config = self._script_training(request, name, bucket, role)
        self._sagemaker.create_training_job(TrainingJobName=name, **spec)
        self.index.add(name, "script", config)
        return name

    def _script_training(self, request: ScriptJobRequest, name: str, bucket: str,
                         role: str) -> tuple[dict[str, Any], dict[str, Any]]:
        source_dir = Path(request.source_dir).expanduser().resolve()
        if not (source_dir / request.entry_point).is_file():
            raise NotFound(f"{request.entry_point} is not in {source_dir}.", hint="Point --source-dir at the folder holding the script.")
        prefix = f"s3://{bucket}/training/{name}/"
        channels = {channel: self._upload_channel(path, f"{prefix}input/{channel}/") for channel, path in request.channels.items()}
        submit_dir = self._upload_bytes(source_tarball(source_dir), f"{prefix}source/sourcedir.tar.gz")
        hyperparameters = script_hyperparameters(request, name, submit_dir, self.region)
        image = training_image("script", self.region)
        spec = training_job_spec(image, hyperparameters, s3_channels(channels), f"s3://{bucket}/training/", role,
                                 self.settings.training_instance_type, request.metric_definitions)
        config = asdict(replace(request, source_dir=str(source_dir))) | {"image": image, "submit_directory": submit_dir,
                                                                         "channels_s3": channels}
        return spec, config

    @translated
    def start_tuning_job(self, request: TuningRequest) -> str:
        """``CreateHyperParameterTuningJob`` over a built-in algorithm or a script."""
        check_job_request("tuning", request.name, request.base.experiment)
        ranges = parameter_ranges(request.ranges)
        if request.max_jobs < 1 or request.max_parallel_jobs < 1:
            raise InvalidInput("max_jobs and max_parallel_jobs must be at least 1.", hint="e.g. max_jobs 10, max_parallel_jobs 1.")
        if request.strategy not in ("Bayesian", "Random"):
            raise InvalidInput(f"Unknown strategy {request.strategy!r}.", hint="Use Bayesian or Random.")
        bucket, role = self._require_setup()
        name = job_name(request.name, "tuning")
        definition, base_config = self._tuning_definition(request.base, name, bucket, role)
        definition["StaticHyperParameters"] = {k: v for k, v in definition.pop("HyperParameters").items() if k not in request.ranges}
        metric = objective_metric_name(request)
        self._sagemaker.create_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=name, HyperParameterTuningJobConfig=tuning_config(request, ranges, metric),
            TrainingJobDefinition=definition)
        self.index.add(name, "tuning", asdict(request) | {"base": base_config, "objective_metric": metric})
        return name

    def _tuning_definition(self, base: TrainingRequest | ScriptJobRequest, name: str, bucket: str,
                           role: str) -> tuple[dict[str, Any], dict[str, Any]]:
        if isinstance(base, ScriptJobRequest):
            return self._script_training(base, name, bucket, role)
        _check_algorithm(base.algorithm)
        return self._builtin_training(base, name, bucket, role)

    @translated
    def start_transform_job(self, model_id: str, source: DataSource, output: Path, overwrite: bool = False) -> str:
        """``CreateTransformJob`` over the source's rows (encoded as the model was trained); the
        predictions are downloaded to ``output`` (the rows plus a ``prediction`` column) when it ends."""
        bucket, role = self._require_setup()
        target = writable_path(output, self.settings, overwrite)
        package = self._package(model_id)
        name = job_name("", "transform")
        data = self._input(source)
        frame = transform_frame(self._read_frame(data), package_metadata(package))
        prefix = f"s3://{bucket}/transform/{name}/"
        self._put_csv(frame, f"{prefix}input/data.csv", fill=bool(package_metadata(package).get("encoding", {}).get("fill_missing")))
        model_name = self._ensure_model(package, role)
        self._sagemaker.create_transform_job(**transform_job_spec(name, model_name, prefix, self.settings.training_instance_type))
        config = {"model_id": model_id_of(package), "source": asdict(data.source), "input_uri": data.uri,
                  "output": str(target), "overwrite": overwrite,
                  "output_uri": f"{prefix}output/data.csv.out", "model_name": model_name}
        self.index.add(name, "transform", config)
        return name

    # -- when a job ends (the jobs port describes them) ------------------------------------------

    def settle_job(self, entry: IndexEntry, job: Job) -> Job:
        """Work due once a job of this adapter completes (called by the jobs port): register its model,
        or fetch a transform job's predictions. Raises what went wrong; the jobs port retries later."""
        if entry.kind == "transform":
            self._download_predictions(entry.config)
            return job
        return replace(job, model_id=job.model_id or self._register(entry, job))

    @translated
    def list_candidates(self, job_name: str) -> list[Candidate]:
        """``ListCandidatesForAutoMLJob``, best first (by each candidate's objective and its direction)."""
        job = self.jobs.describe_job(job_name)
        if job.kind != "autopilot":
            raise InvalidInput(f"{job_name} is a {job.kind} job, not an Autopilot job.", hint="Pick an Autopilot job.")
        pages = self._sagemaker.get_paginator("list_candidates_for_auto_ml_job").paginate(AutoMLJobName=job_name)
        raw = [c for page in pages for c in page.get("Candidates", [])]
        best = job.result.get("best_candidate", "")
        return [replace(c, model_id=job.model_id if c.name == best else "") for c in sorted_candidates(raw)]

    # -- model registry -----------------------------------------------------------------------

    @translated
    def job_insights(self, name: str) -> dict[str, Any]:
        """The best candidate's model-insights and explainability reports, read from the S3 locations
        ``DescribeAutoMLJobV2`` gives, in the local Autopilot's shape; a report not written (yet) is left out."""
        locations = report_locations(self._call("describe_auto_ml_job_v2", AutoMLJobName=name))
        reports = {report: REPORT_READERS[report](json_documents(self._s3, prefix)) for report, prefix in locations.items()}
        return {report: content for report, content in reports.items() if content}

    def list_models(self) -> list[ModelRecord]:
        """Every versioned model package in the region, newest first (one DescribeModelPackage each)."""
        pages = self._sagemaker.get_paginator("list_model_packages").paginate(
            ModelPackageType="Versioned", SortBy="CreationTime", SortOrder="Descending")
        arns = [s["ModelPackageArn"] for page in pages for s in page.get("ModelPackageSummaryList", [])]
        return [model_from_package(self._call("describe_model_package", ModelPackageName=arn)) for arn in arns]

    @translated
    def get_model(self, model_id: str) -> ModelRecord:
        """One model package version, by ``group/version`` or ARN."""
        return model_from_package(self._package(model_id))

    @translated
    def set_model_approval(self, model_id: str, status: str) -> ModelRecord:
        """``UpdateModelPackage`` with the new ``ModelApprovalStatus``."""
        if status not in APPROVAL_STATUSES:
            raise InvalidInput(f"{status!r} is not an approval status.", hint=f"Use one of {', '.join(APPROVAL_STATUSES)}.")
        arn = self._package_arn(model_id)
        self._call("update_model_package", ModelPackageArn=arn, ModelApprovalStatus=status)
        return self.get_model(arn)

    def _register(self, entry: IndexEntry, job: Job) -> str:
        """A new version in the model package group named after the request; returns its ``group/version``."""
        containers, metadata = registration(entry.kind, entry.config, job)
        group = model_group_name(entry.config, job.name)
        self._ensure_group(group)
        arn = self._sagemaker.create_model_package(
            ModelPackageGroupName=group, ModelPackageDescription=f"Trained by the {entry.kind} job {job.name}"[:1000],
            InferenceSpecification={"Containers": containers, "SupportedContentTypes": ["text/csv"],
                                    "SupportedResponseMIMETypes": ["text/csv"]},
            ModelApprovalStatus="PendingManualApproval", CustomerMetadataProperties=metadata,
        )["ModelPackageArn"]
        return f"{group}/{arn.rsplit('/', 1)[-1]}"

    def _ensure_group(self, group: str) -> None:
        try:
            self._call("describe_model_package_group", ModelPackageGroupName=group)
        except NotFound:
            self._sagemaker.create_model_package_group(ModelPackageGroupName=group,
                                                       ModelPackageGroupDescription="Models trained in the workbench")

    # -- S3 and settings ----------------------------------------------------------------------

    def _require_setup(self) -> tuple[str, str]:
        if not self.settings.s3_bucket:
            raise BackendUnavailable("No S3 bucket is configured for SageMaker's data and models.", hint=BUCKET_HINT)
        if not self.settings.sagemaker_role:
            raise BackendUnavailable("No IAM role is configured for SageMaker jobs.", hint=ROLE_HINT)
        return self.settings.s3_bucket, self.settings.sagemaker_role

    def _input(self, source: DataSource) -> S3Input:
        """A catalog table's S3 location and columns, or a local file's (``file://``) ones."""
        if bool(source.table) == bool(source.path):
            raise InvalidInput("Give either a catalog table or a data file.", hint="Use --table DB.TABLE or --data FILE.")
        if source.table:
            table = self.catalog.get_table(*split_table_name(source.table))
            pinned = replace(source, table=table.qualified_name, table_version=table.version_id)
            return S3Input(table.location.rstrip("/") + "/", table.format, table.all_columns, pinned)
        path = Path(source.path).expanduser().resolve()
        if not path.exists():
            raise NotFound(f"{source.path} does not exist.", hint="Check the path of the data file.")
        inspected = inspect_path(path)
        return S3Input(path.as_uri(), inspected.format, inspected.columns, replace(source, path=str(path)))

    def _staged(self, data: S3Input, prefix: str) -> S3Input:
        """The input in S3: a table as it is, a local file (or folder) uploaded under ``prefix``."""
        if not data.source.path:
            return data
        root = Path(data.source.path)
        for file in [root] if root.is_file() else data_files(root):
            relative = file.name if root.is_file() else file.relative_to(root).as_posix()
            self._s3.upload_file(str(file), *split_s3_uri(prefix + relative))
        return replace(data, uri=prefix)

    def _read_frame(self, data: S3Input) -> pd.DataFrame:
        """All rows of the input with the catalog's column names (read whole: fine for workbench-sized tables)."""
        if data.source.path:
            return read_file(Path(data.source.path))
        frame = S3_READERS[data.format](data.uri, self.session)
        return frame.rename(columns=catalog_names(data.columns, list(frame.columns)))

    def _header_name(self, data: S3Input, column: str) -> str:
        """The target as the file spells it: Glue lower-cases crawled CSV headers, Autopilot matches exactly."""
        if data.format != "csv" or data.source.path:
            return original_name(data.columns, column)
        header = self._csv_header(data.uri)
        matches = [h for h in header if h.lower() == original_name(data.columns, column).lower() or h.lower() == column]
        return matches[0] if matches else original_name(data.columns, column)

    def _csv_header(self, uri: str) -> list[str]:
        bucket, prefix = split_s3_uri(uri)
        listed = self._s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=100).get("Contents", [])
        keys = [o["Key"] for o in listed if not o["Key"].endswith("/") and not hidden_key(o["Key"][len(prefix):])]
        if not keys:
            raise NotFound(f"No data files under {uri}.", hint="Check the table's location holds CSV files.")
        head = self._s3.get_object(Bucket=bucket, Key=keys[0], Range="bytes=0-65535")["Body"].read()
        first_line = head.split(b"\n", 1)[0].decode(errors="replace")
        return next(csv.reader([first_line]), [])

    def _put_csv(self, frame: pd.DataFrame, uri: str, fill: bool) -> None:
        """CSV without header or index, as SageMaker's built-in algorithms read it."""
        body = csv_rows(frame, fill)
        self._upload_bytes(body, uri)

    def _upload_bytes(self, body: bytes, uri: str) -> str:
        bucket, key = split_s3_uri(uri)
        self._s3.put_object(Bucket=bucket, Key=key, Body=body)
        return uri

    def _upload_channel(self, path: str, prefix: str) -> str:
        if path.startswith("s3://"):
            return path
        local = Path(path).expanduser().resolve()
        if not local.exists():
            raise NotFound(f"Channel input {path} does not exist.", hint="Give NAME=PATH with an existing file or folder.")
        for file in [local] if local.is_file() else sorted(p for p in local.rglob("*") if p.is_file()):
            relative = file.name if local.is_file() else file.relative_to(local).as_posix()
            self._s3.upload_file(str(file), *split_s3_uri(prefix + relative))
        return prefix

    def _download_predictions(self, config: dict[str, Any]) -> None:
        """The transform output next to the rows that were scored, as a CSV at the requested path."""
        bucket, key = split_s3_uri(config["output_uri"])
        lines = self._s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()
        rows = self._read_frame(self._input(DataSource(**config["source"]))).reset_index(drop=True)
        output = Path(config["output"])
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(output.name + ".partial")
        rows.assign(prediction=pd.Series(lines[: len(rows)], dtype="string")).to_csv(partial, index=False)
        publish_file(partial, output, bool(config.get("overwrite", True)))


REPORT_READERS = {"model_insights": model_insights, "explainability": explainability}


# -- names ------------------------------------------------------------------------------------------



def model_group_name(config: dict[str, Any], job: str) -> str:
    """The model package group: the request's name, else target and algorithm (``rating-xgboost``)."""
    algorithm = config.get("algorithm") or ("autopilot" if "mode" in config else "script")
    base = config.get("name") or (f"{config['target']}-{algorithm}" if config.get("target") else job)
    clean = re.sub(r"[^A-Za-z0-9]+", "-", str(base)).strip("-")[:63].rstrip("-")
    return check_name("model-package-group", clean or job)


# -- request shapes ---------------------------------------------------------------------------------


def autopilot_objective(request: AutopilotRequest) -> tuple[str, str]:
    """The problem type and objective Autopilot is told: both or neither (SageMaker's rule)."""
    if request.mode not in AUTOPILOT_MODES:
        raise InvalidInput(f"Unknown mode {request.mode!r}.", hint=f"Use one of {', '.join(AUTOPILOT_MODES)}.")
    if request.problem_type and request.problem_type not in PROBLEM_TYPES:
        raise InvalidInput(f"Unknown problem type {request.problem_type!r}.", hint=f"Use one of {', '.join(PROBLEM_TYPES)}.")
    if request.max_runtime_seconds < 30 or request.max_candidates < 1:
        raise InvalidInput("The time limit must be at least 30 s and at least one candidate allowed.",
                           hint="For example --max-runtime 3600 --max-candidates 5.")
    objective = {o.lower(): o for o in AUTOPILOT_OBJECTIVES}.get(request.objective.lower(), "") if request.objective else ""
    if request.objective and not objective:
        raise InvalidInput(f"Autopilot has no objective {request.objective!r}.", hint=f"Use one of {', '.join(AUTOPILOT_OBJECTIVES)}.")
    if objective and not request.problem_type:
        raise InvalidInput("SageMaker Autopilot needs the problem type when an objective is chosen.",
                           hint="Pick a problem type too, or leave both empty for Autopilot to infer.")
    if not request.problem_type:
        return "", ""
    return request.problem_type, objective or DEFAULT_OBJECTIVES[request.problem_type]


def autopilot_job_spec(name: str, data: S3Input, target: str, request: AutopilotRequest, problem_type: str,
                       objective: str, bucket: str, role: str) -> dict[str, Any]:
    """``CreateAutoMLJobV2``'s parameters for a tabular job."""
    tabular: dict[str, Any] = {
        "TargetAttributeName": target, "Mode": request.mode,
        "CompletionCriteria": {"MaxCandidates": request.max_candidates,
                               "MaxAutoMLJobRuntimeInSeconds": request.max_runtime_seconds},
    }
    spec: dict[str, Any] = {
        "AutoMLJobName": name,
        "AutoMLJobInputDataConfig": [{"ChannelType": "training", "ContentType": AUTOPILOT_CONTENT_TYPES[data.format],
                                      "CompressionType": "None",
                                      "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": data.uri}}}],
        "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/autopilot/{name}/"},
        "AutoMLProblemTypeConfig": {"TabularJobConfig": tabular},
        "RoleArn": role,
    }
    if problem_type:
        tabular["ProblemType"] = problem_type
        spec["AutoMLJobObjective"] = {"MetricName": objective}
    return spec


def training_job_spec(image: str, hyperparameters: dict[str, str], channels: list[dict[str, Any]], output: str,
                      role: str, instance_type: str, metric_definitions: dict[str, str] | None = None) -> dict[str, Any]:
    """``CreateTrainingJob``'s parameters except the name (also the tuner's ``TrainingJobDefinition``)."""
    algorithm: dict[str, Any] = {"TrainingImage": image, "TrainingInputMode": "File"}
    if metric_definitions:
        algorithm["MetricDefinitions"] = [{"Name": n, "Regex": r} for n, r in metric_definitions.items()]
    return {
        "AlgorithmSpecification": algorithm,
        "HyperParameters": {str(k): str(v) for k, v in hyperparameters.items()},
        "RoleArn": role,
        "InputDataConfig": channels,
        "OutputDataConfig": {"S3OutputPath": output},
        "ResourceConfig": {"InstanceType": instance_type, "InstanceCount": 1, "VolumeSizeInGB": 30},
        "StoppingCondition": {"MaxRuntimeInSeconds": MAX_RUNTIME_SECONDS},
    }


def csv_channels(prefix: str) -> list[dict[str, Any]]:
    return [{**channel, "ContentType": "text/csv"}
            for channel in s3_channels({"train": f"{prefix}train/", "validation": f"{prefix}validation/"})]


def s3_channels(channels: dict[str, str]) -> list[dict[str, Any]]:
    return [{"ChannelName": name, "DataSource": {"S3DataSource": {
        "S3DataType": "S3Prefix", "S3Uri": uri, "S3DataDistributionType": "FullyReplicated"}}}
        for name, uri in channels.items()]


def script_hyperparameters(request: ScriptJobRequest, name: str, submit_dir: str, region: str) -> dict[str, str]:
    """JSON-encoded values, as the SageMaker SDK sends them for framework estimators."""
    values: dict[str, Any] = {**request.hyperparameters, "sagemaker_program": request.entry_point,
                              "sagemaker_submit_directory": submit_dir, "sagemaker_region": region,
                              "sagemaker_job_name": name, "sagemaker_container_log_level": 20}
    return {k: json.dumps(v) for k, v in values.items()}


def training_image(kind: str, region: str) -> str:
    """The region's image for a built-in algorithm or for script mode (scikit-learn)."""
    framework, version = IMAGES[kind]
    try:
        from sagemaker.core import image_uris
    except ImportError:
        return fallback_image(kind, region)
    extra = {"instance_type": "ml.m5.large"} if kind == "script" else {}
    return str(image_uris.retrieve(framework, region=region, version=version, **extra))


def fallback_image(kind: str, region: str) -> str:
    account = FALLBACK_ACCOUNTS[kind].get(region)
    if account is None:
        raise BackendUnavailable(f"No {kind} image is known for {region} without the sagemaker SDK.",
                                 hint="Install the requirements (`pip install -r requirements.txt`).")
    return f"{account}.dkr.ecr.{region}.amazonaws.com/{FALLBACK_TAGS[kind]}"


def parameter_ranges(ranges: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Our ranges as SageMaker's ``ParameterRanges`` (all values strings)."""
    if not ranges:
        raise InvalidInput("A tuning job needs at least one hyperparameter range.", hint="e.g. max_depth integer 3..8.")
    found: dict[str, list[dict[str, Any]]] = {key: [] for key in RANGE_KEYS.values()}
    for name, spec in ranges.items():
        kind = str(spec.get("type", "")).lower()
        if kind not in RANGE_KEYS:
            raise InvalidInput(f"Range {name!r} has type {spec.get('type')!r}.", hint="Use integer, continuous or categorical.")
        found[RANGE_KEYS[kind]].append(_range(name, kind, spec))
    return found


def _range(name: str, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    if kind == "categorical":
        values = [str(v) for v in spec.get("values") or []]
        if not values:
            raise InvalidInput(f"Categorical range {name!r} has no values.", hint="Give values, e.g. gbtree,dart.")
        return {"Name": name, "Values": values}
    scale = SCALING_TYPES.get(str(spec.get("scale", "")).lower().replace("_", "-"))
    if scale is None or "min" not in spec or "max" not in spec or float(spec["min"]) > float(spec["max"]):
        raise InvalidInput(f"Range {name!r} needs min ≤ max and a linear, log or auto scale.", hint="e.g. eta continuous 0.01..0.3 log.")
    number = int if kind == "integer" else float
    return {"Name": name, "MinValue": str(number(spec["min"])), "MaxValue": str(number(spec["max"])), "ScalingType": scale}


def objective_metric_name(request: TuningRequest) -> str:
    """A built-in algorithm's metric as it names it (``validation:auc``); a script's must be defined."""
    metric = request.objective_metric
    if isinstance(request.base, ScriptJobRequest):
        if metric not in request.base.metric_definitions:
            raise InvalidInput(f"The objective {metric!r} is not one of the script's metric definitions.",
                               hint=f"Define it, or pick one of: {', '.join(request.base.metric_definitions) or 'none defined'}.")
        return metric
    return metric if ":" in metric else f"validation:{metric}"


def tuning_config(request: TuningRequest, ranges: dict[str, list[dict[str, Any]]], metric: str) -> dict[str, Any]:
    if request.objective_type not in ("Maximize", "Minimize"):
        raise InvalidInput(f"Unknown objective type {request.objective_type!r}.", hint="Use Maximize or Minimize.")
    return {
        "Strategy": request.strategy,
        "HyperParameterTuningJobObjective": {"Type": request.objective_type, "MetricName": metric},
        "ResourceLimits": {"MaxNumberOfTrainingJobs": request.max_jobs, "MaxParallelTrainingJobs": request.max_parallel_jobs},
        "ParameterRanges": ranges,
        "TrainingJobEarlyStoppingType": "Off",
    }


def source_tarball(folder: Path) -> bytes:
    """``sourcedir.tar.gz`` of the script's folder, without caches and without dot-files or dot-folders:
    ``.env``, ``.git/``, ``.aws/`` and the like hold secrets and history, never code the script needs."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(folder.rglob("*")):
            parts = path.relative_to(folder).parts
            if path.is_file() and "__pycache__" not in parts and not any(p.startswith(".") for p in parts):
                archive.add(path, arcname="/".join(parts))
    return buffer.getvalue()


# -- data for built-in algorithms -------------------------------------------------------------------


def encode_table(frame: pd.DataFrame, target: str, seed: int) -> TabularData:
    """Target first (class index or number), numeric features, category codes; split 80/20 with ``seed``."""
    frame = frame[frame[target].notna()]
    problem_type, classes = problem_type_and_classes(frame[target])  # the one rule, as the local backend
    features, categories, dropped = feature_plan(frame.drop(columns=[target]))
    labels = frame[target].map(label_text).map({c: i for i, c in enumerate(classes)}) if classes else frame[target]
    matrix = pd.concat([labels.rename(target), encode_features(frame, features, categories)], axis=1)
    shuffled = matrix.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    cut = max(1, int(len(shuffled) * 0.8))
    if len(shuffled) < 2:
        raise InvalidInput("The table has fewer than two rows with a target.", hint="Train on a table with more data.")
    return TabularData(shuffled.iloc[:cut], shuffled.iloc[cut:], problem_type, classes, features, categories, dropped)


def label_text(value: Any) -> str:
    """Class labels as text; ``4.0`` read from a column with gaps is the label ``4``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def feature_plan(frame: pd.DataFrame) -> tuple[list[str], dict[str, list[str]], list[str]]:
    """Numeric columns as they are, low-cardinality strings as categories, free text dropped."""
    features, categories, dropped = [], {}, []
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            features.append(column)
        elif values.nunique() <= MAX_CATEGORIES:
            features.append(column)
            categories[column] = sorted(values.dropna().astype(str).unique())
        else:
            dropped.append(column)
    if not features:
        raise InvalidInput("No usable feature columns: only free text besides the target.",
                           hint="XGBoost and Linear Learner need numeric or categorical columns; use Autopilot for text.")
    return features, categories, dropped


def default_hyperparameters(algorithm: str, data: TabularData) -> dict[str, str]:
    """What the built-in algorithm must be told about the data; the request's values override."""
    n_classes = len(data.classes)
    if algorithm == "xgboost":
        objective = {"BinaryClassification": "binary:logistic", "MulticlassClassification": "multi:softprob",
                     "Regression": "reg:squarederror"}[data.problem_type]
        metric = {"BinaryClassification": "auc", "MulticlassClassification": "merror", "Regression": "rmse"}[data.problem_type]
        extra = {"num_class": str(n_classes)} if n_classes > 2 else {}
        return {"objective": objective, "eval_metric": metric, "num_round": "100", **extra}
    predictor = {"BinaryClassification": "binary_classifier", "MulticlassClassification": "multiclass_classifier",
                 "Regression": "regressor"}[data.problem_type]
    extra = {"num_classes": str(n_classes)} if n_classes > 2 else {}
    batch = str(max(1, min(1000, len(data.train))))
    return {"predictor_type": predictor, "feature_dim": str(len(data.features)), "mini_batch_size": batch, **extra}


# -- responses → our models --------------------------------------------------------------------------


def candidate_from_aws(raw: dict[str, Any]) -> Candidate:
    objective = raw.get("FinalAutoMLJobObjectiveMetric") or {}
    started, ended = raw.get("CreationTime"), raw.get("EndTime")
    seconds = (ended - started).total_seconds() if isinstance(started, datetime) and isinstance(ended, datetime) else 0.0
    value = objective.get("Value")
    return Candidate(name=raw["CandidateName"], algorithm=candidate_algorithm(raw), objective_name=objective.get("MetricName", ""),
                     objective_value=None if value is None else float(value), training_seconds=seconds,
                     status=raw.get("CandidateStatus", "Completed"))


def sorted_candidates(raw: list[dict[str, Any]]) -> list[Candidate]:
    """Best first: descending for Maximize objectives, ascending for Minimize; no value last."""
    minimize = any((c.get("FinalAutoMLJobObjectiveMetric") or {}).get("Type") == "Minimize" for c in raw)
    candidates = [candidate_from_aws(c) for c in raw]
    scored = sorted((c for c in candidates if c.objective_value is not None),
                    key=lambda c: c.objective_value or 0.0, reverse=not minimize)
    return scored + [c for c in candidates if c.objective_value is None]


# -- model packages -----------------------------------------------------------------------------------


def registration(kind: str, config: dict[str, Any], job: Job) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The model package's containers and ``workbench:*`` metadata for a completed job."""
    info: dict[str, Any] = {"job": job.name, "target": config.get("target", ""), "run_id": job.run_id,
                            "input_schema": config.get("input_schema", []), "metrics": job.metrics}
    if kind == "autopilot":
        containers = [{k: c[k] for k in ("Image", "ModelDataUrl", "Environment") if c.get(k)}
                      for c in job.result.get("inference_containers", [])]
        info |= {"framework": job.result.get("algorithm") or "autopilot",
                 "problem_type": job.result.get("problem_type") or config.get("problem_type", "")}
        return containers, metadata_properties(info)
    container: dict[str, Any] = {"Image": config.get("image", ""), "ModelDataUrl": job.result.get("model_artifacts", "")}
    if kind == "script":
        container["Environment"] = {"SAGEMAKER_PROGRAM": config.get("entry_point", ""),
                                    "SAGEMAKER_SUBMIT_DIRECTORY": config.get("submit_directory", "")}
        info |= {"framework": "script", "problem_type": ""}
    else:
        info |= {"framework": config.get("algorithm", ""), "problem_type": config.get("problem_type", ""),
                 "classes": config.get("classes", []), "encoding": config.get("encoding", {})}
    return [container], metadata_properties(info)


# -- small helpers ------------------------------------------------------------------------------------


def _check_algorithm(algorithm: str) -> None:
    if algorithm in LOCAL_ONLY_ALGORITHMS:
        raise InvalidInput(f"{algorithm} runs locally only: SageMaker's analogue (BlazingText) needs its own text format.",
                           hint="Train it with WORKBENCH_BACKEND=local, or use Autopilot (it handles text columns) on AWS.")
    if algorithm not in ALGORITHMS:
        raise InvalidInput(f"Unknown algorithm {algorithm!r}.", hint=f"Use one of {', '.join(ALGORITHMS)}.")


def _schema(columns: tuple[Column, ...], target: str) -> list[dict[str, str]]:
    return [{"Name": c.name, "Type": c.type, "Comment": c.comment} for c in columns if c.name != target]


def build_aws_training(session: boto3.Session, settings: Settings, stack: EmbeddedStack, *, catalog: CatalogPort,
                       jobs: JobsPort) -> TrainingPort:
    """The SageMaker adapter; its job index lives in the workspace's metadata store."""
    return AwsTraining(session, settings, stack.store, catalog=catalog, jobs=jobs)
