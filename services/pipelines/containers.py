"""SageMaker container contracts as plain data: what a CreateProcessingJob / CreateTrainingJob request asks a
container to see and run, checked before anything starts. Pure: no files, no processes (``container_job``
does the work).

Checks name the step and refuse what would run wrongly: a LocalPath outside ``/opt/ml/processing/``
(SageMaker's own rule), inputs that are not S3 (Athena/Redshift dataset definitions), channels that are not
S3 data sources, Pipe or FastFile modes, images this machine cannot stand in for. At upsert the arguments may
still hold references (``{"Get": …}``); only concrete values are checked then.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass
from typing import Any

from services.errors import InvalidInput
from services.pipelines.steps.images import Image, recognise

PROCESSING_ROOT = "/opt/ml/processing"
ARN_PREFIX = "arn:aws:sagemaker:local:000000000000"
SCRIPT_PROGRAM = "sagemaker_program"
SCRIPT_DIRECTORY = "sagemaker_submit_directory"
HINT = "Fix the step's arguments (the Create*Job request shape) and upsert the pipeline again."


def job_arn(resource: str, name: str) -> str:
    """A local ARN in SageMaker's form, e.g. ``arn:aws:sagemaker:local:000000000000:training-job/<name>``."""
    return f"{ARN_PREFIX}:{resource}/{name}"


def concrete(value: Any) -> bool:
    """True when the value holds no reference left to resolve (a plain string, number or bool)."""
    return isinstance(value, str | int | float | bool)


def has_references(value: Any) -> bool:
    """True when anything inside ``value`` is still a ``Get``, ``Std:Join`` or ``Std:JsonGet`` (at upsert)."""
    if isinstance(value, dict):
        return any(key in value for key in ("Get", "Std:Join", "Std:JsonGet")) or any(map(has_references, value.values()))
    return isinstance(value, list) and any(map(has_references, value))


@dataclass(frozen=True)
class ProcessingInput:
    name: str
    s3_uri: Any  # a string once resolved; a reference ({"Get": …}) at upsert
    local_path: str  # normalised, under /opt/ml/processing
    data_type: str  # S3Prefix | ManifestFile


@dataclass(frozen=True)
class ProcessingOutput:
    name: str
    s3_uri: Any
    local_path: str
    upload_mode: str  # EndOfJob | Continuous (both collected at the end locally)


def local_path(step: str, path: Any, what: str) -> str:
    """A LocalPath under /opt/ml/processing/, normalised; refused anywhere else (``..`` included)."""
    if has_references(path):
        return ""  # a parameter: checked once the execution resolves it
    if not concrete(path) or not str(path):
        raise InvalidInput(f"Step {step!r}: {what} has no LocalPath.", hint=HINT)
    text = str(path)
    normalised = posixpath.normpath(text)
    if not text.startswith("/") or not normalised.startswith(PROCESSING_ROOT + "/") or "\x00" in text:
        raise InvalidInput(f"Step {step!r}: {what} has LocalPath {text!r}, which is not under {PROCESSING_ROOT}/.",
                           hint="SageMaker mounts processing inputs and outputs under /opt/ml/processing/.")
    return normalised


def processing_inputs(step: str, arguments: dict[str, Any]) -> list[ProcessingInput]:
    found = []
    for item in arguments.get("ProcessingInputs") or []:
        name = str(item.get("InputName", ""))
        s3 = item.get("S3Input")
        if not isinstance(s3, dict):
            raise InvalidInput(f"Step {step!r}: input {name!r} is not an S3Input; locally only S3 inputs run "
                               "(no Athena/Redshift DatasetDefinition).", hint=HINT)
        mode, data_type = s3.get("S3InputMode", "File"), s3.get("S3DataType", "S3Prefix")
        if concrete(mode) and mode != "File":
            raise InvalidInput(f"Step {step!r}: input {name!r} uses S3InputMode {mode!r}; locally only File runs.", hint=HINT)
        if concrete(data_type) and data_type not in ("S3Prefix", "ManifestFile"):
            raise InvalidInput(f"Step {step!r}: input {name!r} has S3DataType {data_type!r}; use S3Prefix or "
                               "ManifestFile.", hint=HINT)
        found.append(ProcessingInput(name, s3.get("S3Uri"), local_path(step, s3.get("LocalPath"), f"input {name!r}"),
                                     data_type))
    return found


def processing_outputs(step: str, arguments: dict[str, Any]) -> list[ProcessingOutput]:
    found = []
    for item in (arguments.get("ProcessingOutputConfig") or {}).get("Outputs") or []:
        name = str(item.get("OutputName", ""))
        s3 = item.get("S3Output")
        if not isinstance(s3, dict):
            raise InvalidInput(f"Step {step!r}: output {name!r} is not an S3Output (Feature Store outputs do not "
                               "run locally).", hint=HINT)
        found.append(ProcessingOutput(name, s3.get("S3Uri"), local_path(step, s3.get("LocalPath"), f"output {name!r}"),
                                      s3.get("S3UploadMode", "EndOfJob")))
    return found


def processing_command(step: str, arguments: dict[str, Any]) -> list[str]:
    """ContainerEntrypoint + ContainerArguments: the image's own entrypoint is unknown locally, so one is needed."""
    app = arguments.get("AppSpecification") or {}
    entrypoint = list(app.get("ContainerEntrypoint") or [])
    if not entrypoint:
        raise InvalidInput(f"Step {step!r}: AppSpecification has no ContainerEntrypoint; locally the image's own "
                           "entrypoint is not available.",
                           hint="Give the command, e.g. [\"python3\", \"/opt/ml/processing/input/code/x.py\"].")
    return [*entrypoint, *(app.get("ContainerArguments") or [])]


def check_processing(step: str, arguments: dict[str, Any]) -> Image | None:
    """Everything a Processing step needs that can be checked now; its image when already concrete."""
    processing_inputs(step, arguments)
    processing_outputs(step, arguments)
    processing_command(step, arguments)
    image = (arguments.get("AppSpecification") or {}).get("ImageUri")
    if not concrete(image):
        return None
    return recognise(step, str(image), has_entry_point=True)


# -- training -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Channel:
    name: str
    s3_uri: Any
    data_type: str  # S3Prefix | ManifestFile


def training_contract(arguments: dict[str, Any]) -> str:
    """``modeltrainer`` (a container entry point: sagemaker 3.x, sm_train.sh), ``script-mode`` (2.x:
    sagemaker_program) or ``builtin`` (a built-in algorithm's image with no code of the user's)."""
    algorithm = arguments.get("AlgorithmSpecification") or {}
    if algorithm.get("ContainerEntrypoint"):
        return "modeltrainer"
    if SCRIPT_PROGRAM in (arguments.get("HyperParameters") or {}):
        return "script-mode"
    return "builtin"


def training_channels(step: str, arguments: dict[str, Any]) -> list[Channel]:
    found = []
    for item in arguments.get("InputDataConfig") or []:
        name = str(item.get("ChannelName", ""))
        source = (item.get("DataSource") or {}).get("S3DataSource")
        if not isinstance(source, dict):
            raise InvalidInput(f"Step {step!r}: channel {name!r} is not an S3DataSource; locally only S3 channels run.",
                               hint=HINT)
        mode = item.get("InputMode", "File")
        if concrete(mode) and mode != "File":
            raise InvalidInput(f"Step {step!r}: channel {name!r} uses InputMode {mode!r}; locally only File runs.",
                               hint=HINT)
        data_type = source.get("S3DataType", "S3Prefix")
        if concrete(data_type) and data_type not in ("S3Prefix", "ManifestFile"):
            raise InvalidInput(f"Step {step!r}: channel {name!r} has S3DataType {data_type!r}; use S3Prefix or "
                               "ManifestFile.", hint=HINT)
        found.append(Channel(name, source.get("S3Uri"), data_type))
    return found


def metric_definitions(arguments: dict[str, Any]) -> dict[str, str]:
    """AlgorithmSpecification.MetricDefinitions as {Name: Regex}."""
    definitions = (arguments.get("AlgorithmSpecification") or {}).get("MetricDefinitions") or []
    return {str(item.get("Name", "")): str(item.get("Regex", "")) for item in definitions}


def check_training(step: str, arguments: dict[str, Any]) -> Image | None:
    """Everything a Training step needs that can be checked now; its image when already concrete."""
    algorithm = arguments.get("AlgorithmSpecification") or {}
    if algorithm.get("AlgorithmName"):
        raise InvalidInput(f"Step {step!r}: AlgorithmName {algorithm['AlgorithmName']!r} (an algorithm resource or "
                           "Marketplace listing) does not run locally.", hint="Name a TrainingImage instead.")
    training_channels(step, arguments)
    if not (arguments.get("OutputDataConfig") or {}).get("S3OutputPath"):
        raise InvalidInput(f"Step {step!r}: OutputDataConfig.S3OutputPath is missing.", hint=HINT)
    contract = training_contract(arguments)
    image = algorithm.get("TrainingImage")
    if not concrete(image):
        return None
    recognised = recognise(step, str(image), has_entry_point=contract != "builtin")
    if recognised.kind == "builtin":
        _check_builtin_channels(step, arguments)
    return recognised


def _check_builtin_channels(step: str, arguments: dict[str, Any]) -> None:
    """Built-in algorithms read a ``train`` channel of CSV (SageMaker's built-in format) here."""
    channels = {item.get("ChannelName"): item for item in arguments.get("InputDataConfig") or []}
    if "train" not in channels:
        raise InvalidInput(f"Step {step!r}: a built-in algorithm needs a 'train' channel.", hint=HINT)
    content_type = channels["train"].get("ContentType", "text/csv")
    if concrete(content_type) and str(content_type).split(";")[0].strip() not in ("text/csv", "csv"):
        raise InvalidInput(f"Step {step!r}: the train channel's ContentType {content_type!r} is not read locally; "
                           "built-in algorithms read text/csv (label first, no header) here.", hint=HINT)


def script_hyperparameter(arguments: dict[str, Any], key: str) -> str:
    """A 2.x script-mode hyperparameter (JSON-encoded by the SDK: ``"\\"train.py\\""``) as its plain value."""
    raw = (arguments.get("HyperParameters") or {}).get(key, "")
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        value = raw
    return str(value)
