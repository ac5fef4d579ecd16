"""Training on SageMaker: Autopilot (AutoML V2), built-in algorithms, script mode, tuning, and the
SageMaker Model Registry.

Choices that differ from the local adapter, and why:

* SageMaker job names do not say which ``Describe*`` call applies, so every job started here is
  indexed in the workspace store (name → kind, request, last state seen), which the jobs port
  (``services/jobs/aws.py``) describes, lists and stops.
* Built-in XGBoost and Linear Learner read CSV with *no header and the target first*, numbers
  only; a Glue table is rarely laid out like that, so the table is read (awswrangler), encoded
  (``builtin_data.py``), split 80/20 and written to ``s3://{bucket}/training/{job}/input/{train,validation}/``.
  Autopilot reads the table's own S3 location.
* Nothing runs in our process when a job ends, so the model is registered (a model package in the
  group named after the request) the first time the jobs port sees the job Completed (it calls
  ``settle_job``, ``settle.py``).
* Model ids are ``"<model package group>/<version>"`` like the local registry's ``name/version``;
  a model package ARN is accepted wherever a model id is. What SageMaker's registry has no field
  for (framework, target, classes, input schema, encoding) is kept in the package's
  ``CustomerMetadataProperties`` as ``workbench:*`` keys, long values split in 256-character chunks.

Modules: ``inputs`` (the job's data in S3), ``builtin_data``, ``specs`` (training job requests and images),
``tuning``, ``autopilot``, ``models`` (list/get/approve model packages), ``settle`` (registering a finished job's model).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import boto3

from services.aws.errors import translated
from services.aws.job_index import JobIndex
from services.aws.sagemaker import job_name
from services.catalog.base import CatalogPort
from services.config import Settings
from services.debugger.aws_requests import debugger_parameters
from services.embedded.embedded_stack import EmbeddedStack
from services.embedded.metadata import MetadataStore
from services.errors import InvalidInput, NotFound
from services.jobs.base import JobsPort
from services.models import ModelRecord, ScriptJobRequest, TrainingRequest, TuningRequest
from services.names import check_job_request
from services.training.aws.autopilot import AutopilotJobs
from services.training.aws.builtin_data import check_algorithm, default_hyperparameters, encode_table
from services.training.aws.inputs import input_schema
from services.training.aws.models import ModelPackages
from services.training.aws.settle import Settling
from services.training.aws.specs import (
    csv_channels,
    s3_channels,
    script_hyperparameters,
    source_tarball,
    training_image,
    training_job_spec,
)
from services.training.aws.tuning import objective_metric_name, parameter_ranges, tuning_config
from services.training.base import TrainingPort
from services.training.data import require_column


class AwsTraining(AutopilotJobs, ModelPackages, Settling):
    """The training port on SageMaker; data and artifacts live under ``s3://{WORKBENCH_S3_BUCKET}/``."""

    def __init__(self, session: boto3.Session, settings: Settings, store: MetadataStore, *, catalog: CatalogPort,
                 jobs: JobsPort, on_approved: Callable[[ModelRecord], object] | None = None) -> None:
        self.on_approved = on_approved  # called with the record after an approval change (deploy on approval)
        self.session = session
        self.settings = settings
        self.catalog = catalog
        self.index = JobIndex(store)
        self.jobs = jobs  # describes the jobs started here; its settlers call settle_job

    @translated
    def start_training_job(self, request: TrainingRequest) -> str:
        """``CreateTrainingJob`` with the built-in XGBoost or Linear Learner image on the encoded table."""
        from services.training.algorithms.common import check_hyperparameter_values  # loads scikit-learn

        check_job_request("training", request.name, request.experiment)
        check_algorithm(request.algorithm)
        check_hyperparameter_values(request.algorithm, request.hyperparameters)  # as the local adapter does
        bucket, role = self._require_setup()
        name = job_name(request.name, "training")
        debugger = debugger_parameters(request.debugger, name, self.region, f"s3://{bucket}/training/")
        spec, config = self._builtin_training(request, name, bucket, role)
        self._sagemaker.create_training_job(TrainingJobName=name, **spec, **debugger)
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
            "input_schema": input_schema(tuple(c for c in data.columns if c.name in tabular.features), request.target),
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
        debugger = debugger_parameters(request.debugger, name, self.region, f"s3://{bucket}/training/")
        spec, config = self._script_training(request, name, bucket, role)
        self._sagemaker.create_training_job(TrainingJobName=name, **spec, **debugger)
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
        check_algorithm(base.algorithm)
        return self._builtin_training(base, name, bucket, role)


def build_aws_training(session: boto3.Session, settings: Settings, stack: EmbeddedStack, *, catalog: CatalogPort,
                       jobs: JobsPort, on_approved: Callable[[ModelRecord], object] | None = None) -> TrainingPort:
    """The SageMaker adapter; its job index lives in the workspace's metadata store; ``on_approved`` runs after
    every approval change."""
    return AwsTraining(session, settings, stack.store, catalog=catalog, jobs=jobs, on_approved=on_approved)
