"""Job kind ``container``: one SageMaker container contract run in its own ``/opt/ml`` (``embedded/sandbox.py``).

The config holds ``contract`` ("processing" or "training"), ``request`` (the resolved CreateProcessingJob /
CreateTrainingJob arguments), ``job_arn`` and ``max_runtime_in_seconds`` (StoppingCondition). The job folder's
``ml/`` is what the command sees at ``/opt/ml``; ``s3://BUCKET/KEY`` is ``WORKBENCH_HOME/lake/BUCKET/KEY``.

* processing: SageMaker's processing contract, run by the processing capability (``services/processing/job.py``:
  each instance's share of the inputs at their LocalPath, ``/opt/ml/config/processingjobconfig.json`` and
  ``resourceconfig.json``, InstanceCount instances at once, outputs uploaded after every instance exited 0).
* training: channels land in ``/opt/ml/input/data/<channel>``, the request's HyperParameters (as given) in
  ``/opt/ml/input/config/hyperparameters.json``. With a ContainerEntrypoint (sagemaker 3.x ModelTrainer:
  ``/bin/bash -c …sm_drivers/sm_train.sh``, whose ``code`` and ``sm_drivers`` channels carry the script and
  sourcecode.json) that command runs; with ``sagemaker_program`` (2.x script mode) the entry point runs from
  ``sagemaker_submit_directory`` under ``services/training/script_mode.py``'s contract. Afterwards
  ``/opt/ml/model`` is packed as ``<S3OutputPath>/<job>/output/model.tar.gz`` (and ``output/data`` as
  ``output.tar.gz``), as SageMaker does; MetricDefinitions regexes turn log lines into metrics.

* tuning: CreateHyperParameterTuningJob, one training job per trial as above (``containers_tuning.py``).
* builtin: a built-in algorithm's image (XGBoost, Linear Learner) with no code of the user's runs the
  workbench's own built-in of that name (``services/training/builtin_job.py``, called directly in this worker):
  the ``train`` channel's CSV files, SageMaker's built-in format (no header, the label first), become a table
  with columns ``label, f0, f1, …``; the model is registered as built-in training jobs' models are, and its
  folder is packed as model.tar.gz under S3OutputPath like any training job's.
* transform: CreateTransformJob over a registered model (a Model step's): every object under
  TransformInput's S3Uri (text/csv, one record a line, the model's input columns in order, no header) is
  scored by the model's predictor in this worker, as batch jobs score, and written as
  ``<S3OutputPath>/<relative key>.out``: one predicted label a line, after the input's fields with
  ``DataProcessing.JoinSource`` "Input".
* automl: CreateAutoMLJobV2 (TabularJobConfig) → the local Autopilot (``autopilot_job``, called directly in
  this worker) on the training channel's files; the best candidate's model is registered as Autopilot
  registers it and packed as ``<S3OutputPath>/<job>/output/model.tar.gz``.
* register: a model.tar.gz (RegisterModel's InferenceSpecification, Model's PrimaryContainer) unpacked and
  registered in the local model registry as a script's model (``register_script_model``: a model.joblib is
  scored, anything else is kept but not loaded); metrics from ModelMetrics' statistics JSON when it is in the
  lake. This runs in the worker, not the sandbox: it is the workbench's code (unpickling the model to describe
  it, as script jobs do).

Framework images run with the project's Python (``services/processing/runtime.py``: ``python``/``python3`` on
the step's PATH start it, and ``pip``/``pip3`` refuse to install anything).
"""

from __future__ import annotations

import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.embedded.job_worker import JobContext
from services.embedded.sandbox import end_group, start_sandboxed
from services.embedded.workspace import Workspace
from services.errors import InternalError, InvalidInput, NotFound
from services.pipelines import containers
from services.pipelines.containers_lake import upload_model
from services.processing.job import run_request
from services.processing.lake import copy_from_lake, lake_path, write_json
from services.processing.runtime import step_environment
from services.training import script_mode
from services.training.script_job import stream_output
from services.training.script_mode import MlLayout, ScriptFailed

SANDBOX_ML = Path("/opt/ml")


class LogSink:
    """A container's output: lines into the job log, metric points onto the job's curve."""

    def __init__(self, ctx: JobContext) -> None:
        self.ctx = ctx

    def log(self, message: str) -> None:
        self.ctx.log(message)

    def metric(self, name: str, value: float, step: int) -> None:
        self.ctx.metric(name, value, step)


def run(ctx: JobContext) -> None:
    contract = ctx.config.get("contract")
    lake = Workspace(ctx.settings.home).lake
    if contract == "processing":
        run_processing(ctx, lake)
    elif contract == "training":
        run_training(ctx, lake)
    elif contract == "tuning":
        from services.pipelines.containers_tuning import run_tuning  # it builds on this module

        run_tuning(ctx, lake)
    elif contract in ("register", "builtin", "transform", "automl"):
        from services.pipelines import containers_models  # the workbench's own model code, in this worker

        getattr(containers_models, f"run_{contract}")(ctx, lake)
    else:
        raise InternalError(f"Unknown container contract {contract!r}.", hint="Start container jobs from a pipeline step.")


# -- shared ---------------------------------------------------------------------------------------------------


def run_command(ctx: JobContext, ml_root: Path, command: list[str], env: dict[str, str], workdir: str,
                metric_definitions: dict[str, str] | None = None) -> tuple[int, dict[str, float], str]:
    """Run ``command`` with ``ml_root`` at /opt/ml, its output streamed to the job log; (exit code, metrics, tail)."""
    patterns = script_mode.compile_metric_definitions(metric_definitions or {})
    ctx.log("Running: " + " ".join(command))
    process = start_sandboxed(ml_root, command, env, workdir)
    try:
        metrics, tail = stream_output(process.stdout or [], patterns, LogSink(ctx))
        process.wait()
    finally:
        exit_code = end_group(process)  # on Stop (JobStopped) or max runtime too: the whole group goes
    return exit_code, metrics, tail


# -- processing -----------------------------------------------------------------------------------------------


def run_processing(ctx: JobContext, lake: Path) -> None:
    step = ctx.config.get("step_name", ctx.name)
    outputs = run_request(ctx, lake, ctx.config["request"], f"Step {step!r}")
    ctx.finish_with(result={"exit_code": 0, "job_arn": ctx.config.get("job_arn", ""), "outputs": outputs})


# -- training -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingJob:
    """One training job's identity: its name, ARN and folder (``ml/`` inside is its /opt/ml)."""

    name: str
    arn: str
    folder: Path
    step: str


@dataclass(frozen=True)
class TrainingRun:
    """How one training run ended: exit code, last metric values, the log's tail, its model artifacts."""

    layout: MlLayout
    exit_code: int
    metrics: dict[str, float]
    tail: str
    artifacts: str = ""

    def failure_reason(self) -> str:
        return script_mode.failure_reason(self.layout, self.exit_code, self.tail)


def run_training(ctx: JobContext, lake: Path) -> None:
    job = TrainingJob(ctx.name, ctx.config.get("job_arn", ""), ctx.job_dir, ctx.config.get("step_name", ctx.name))
    outcome = train_once(ctx, lake, ctx.config["request"], job)
    if outcome.exit_code != 0:
        ctx.finish_with(metrics=outcome.metrics, result={"exit_code": outcome.exit_code})
        raise ScriptFailed(outcome.failure_reason())
    ctx.finish_with(metrics=outcome.metrics, result={"exit_code": 0, "model_artifacts": outcome.artifacts,
                                                     "job_arn": job.arn})


def train_once(ctx: JobContext, lake: Path, request: dict[str, Any], job: TrainingJob) -> TrainingRun:
    """Run one CreateTrainingJob request in ``job.folder``'s own /opt/ml; the model is uploaded when it exits 0."""
    contract = containers.training_contract(request)
    channels = containers.training_channels(job.step, request)
    layout = MlLayout(job.folder / "ml")
    ctx.secondary("Downloading", f"{job.name}: copying the channels into /opt/ml/input/data")
    for channel in channels:
        count = copy_from_lake(lake, channel.s3_uri, channel.data_type, layout.channel_dir(channel.name))
        ctx.log(f"Channel {channel.name}: {count} file(s) from {channel.s3_uri}")
    if contract == "modeltrainer":
        command, env, workdir = _modeltrainer(job, layout, request, channels)
    elif contract == "script-mode":
        command, env, workdir = _script_mode(job, lake, layout, request, channels)
    else:
        raise InternalError(f"Step {job.step!r}: a built-in algorithm is a 'builtin' container job.", hint="")
    ctx.secondary("Training", job.name)
    exit_code, metrics, tail = run_command(ctx, layout.root, command, env, workdir, containers.metric_definitions(request))
    if exit_code != 0:
        return TrainingRun(layout, exit_code, metrics, tail)
    ctx.secondary("Uploading", f"{job.name}: packing /opt/ml/model as model.tar.gz")
    artifacts = upload_model(lake, layout.model_dir, layout.output_data_dir, request, job.name)
    ctx.log(f"Model artifacts: {artifacts}")
    return TrainingRun(layout, 0, metrics, tail, artifacts)


def _prepare_training_layout(layout: MlLayout, request: dict[str, Any], channels: list[containers.Channel]) -> None:
    for folder in (layout.config_dir, layout.model_dir, layout.output_data_dir, layout.intermediate_dir):
        folder.mkdir(parents=True, exist_ok=True)
    write_json(layout.config_dir / "hyperparameters.json", dict(request.get("HyperParameters") or {}))
    write_json(layout.config_dir / "inputdataconfig.json", script_mode.input_data_config(c.name for c in channels))
    write_json(layout.config_dir / "resourceconfig.json", script_mode.resource_config())


def _modeltrainer(job: TrainingJob, layout: MlLayout, request: dict[str, Any],
                  channels: list[containers.Channel]) -> tuple[list[str], dict[str, str], str]:
    """sagemaker 3.x: the request's own command (``/bin/bash -c …sm_train.sh``), which sets up SM_* itself."""
    _prepare_training_layout(layout, request, channels)
    algorithm = request["AlgorithmSpecification"]
    command = [*algorithm["ContainerEntrypoint"], *(algorithm.get("ContainerArguments") or [])]
    env = step_environment(job.folder, {"TRAINING_JOB_NAME": job.name}, request.get("Environment") or {},
                           {"TRAINING_JOB_ARN": job.arn})
    return command, env, str(SANDBOX_ML)


def _script_mode(job: TrainingJob, lake: Path, layout: MlLayout, request: dict[str, Any],
                 channels: list[containers.Channel]) -> tuple[list[str], dict[str, str], str]:
    """sagemaker 2.x script mode: the entry point from the submitted source, under script_mode's contract."""
    program = containers.script_hyperparameter(request, containers.SCRIPT_PROGRAM)
    source = _source_dir(lake, containers.script_hyperparameter(request, containers.SCRIPT_DIRECTORY), job.folder / "source")
    hyperparameters = {k: v for k, v in (request.get("HyperParameters") or {}).items() if not k.startswith("sagemaker_")}
    names = [c.name for c in channels]
    script_mode.prepare_layout(layout.root, source, {}, hyperparameters)  # the channels are in place already
    write_json(layout.config_dir / "inputdataconfig.json", script_mode.input_data_config(names))
    inside = MlLayout(SANDBOX_ML)
    training_env = script_mode.training_env(inside, job.name, program, names, hyperparameters)
    contract = script_mode.script_environment(training_env, hyperparameters) | {
        "SAGEMAKER_BASE_DIR": str(SANDBOX_ML), "TRAINING_JOB_NAME": job.name, "SAGEMAKER_PROGRAM": program,
        "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(inside.code_dir)}
    env = step_environment(job.folder, contract, request.get("Environment") or {})
    return script_mode.script_command(program, hyperparameters), env, str(inside.code_dir)


def _source_dir(lake: Path, uri: str, target: Path) -> Path:
    """``sagemaker_submit_directory``: an s3:// sourcedir.tar.gz (unpacked safely) or a prefix of files."""
    if not uri.startswith("s3://"):
        raise InvalidInput(f"sagemaker_submit_directory {uri!r} is not an s3:// URI.",
                           hint="Upload the source (sourcedir.tar.gz) to S3, the lake locally.")
    path = lake_path(lake, uri)
    if path.is_file():
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(path) as archive:
            archive.extractall(target, filter="data")
        return target
    if path.is_dir():
        return path
    raise NotFound(f"The training code {uri} is not in the lake ({path}).", hint="Upload sourcedir.tar.gz there first.")
