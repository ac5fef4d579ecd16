"""SageMaker container contracts as plain data: what a CreateTrainingJob request asks a container to see and
run, checked before anything starts; the processing contract is the processing capability's
(``services/processing/contract.py``), checked here for a Processing step. Pure: no files, no processes
(``container_job`` does the work).

Checks name the step and refuse what would run wrongly: channels that are not S3 data sources, Pipe or
FastFile modes, images this machine cannot stand in for. At upsert the arguments may still hold references
(``{"Get": …}``); only concrete values are checked then.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from services.errors import InvalidInput
from services.processing import contract
from services.processing.contract import ARN_PREFIX, concrete
from services.processing.contract import has_references as has_references  # the steps ask containers
from services.processing.images import Image, recognise

SCRIPT_PROGRAM = "sagemaker_program"
SCRIPT_DIRECTORY = "sagemaker_submit_directory"
HINT = "Fix the step's arguments (the Create*Job request shape) and upsert the pipeline again."


def job_arn(resource: str, name: str) -> str:
    """A local ARN in SageMaker's form, e.g. ``arn:aws:sagemaker:local:000000000000:training-job/<name>``."""
    return f"{ARN_PREFIX}:{resource}/{name}"


def check_processing(step: str, arguments: dict[str, Any]) -> Image | None:
    """Everything a Processing step needs that can be checked now; its image when already concrete."""
    contract.check_request(f"Step {step!r}", arguments)
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
