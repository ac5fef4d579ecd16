"""SageMaker's processing contract as plain data: what a CreateProcessingJob request asks each instance's
container to see and run, checked before anything starts. Pure: no files, no processes (``job.py`` does the work).

* ``ProcessingInputs``: each S3Input lands at its LocalPath, which must lie under ``/opt/ml/processing/``
  (SageMaker's own rule; ``..`` refused). ``S3DataDistributionType`` ``FullyReplicated`` gives every instance
  every object; ``ShardedByS3Key`` gives instance *i* (0-based) of *n* the objects ``i, i+n, i+2n, …`` of the
  input's objects sorted by key, so each sees only its share (about 1/n of the objects, as SageMaker splits
  them). Locally only ``File`` mode and ``S3Prefix``/``ManifestFile`` data run (no Athena/Redshift datasets).
* ``ProcessingOutputConfig.Outputs``: after every instance exited 0, each instance's LocalPath is uploaded
  under the output's S3Uri (``EndOfJob``; ``Continuous`` is collected at the end too). Objects with the same key
  from two instances: the later instance's wins, as the last upload does on S3.
* ``AppSpecification``: ContainerEntrypoint + ContainerArguments (the image's own entrypoint is unknown
  locally, so one is needed) and the request's ``Environment``.
* ``ProcessingResources.ClusterConfig.InstanceCount`` N: N instances named ``algo-1`` … ``algo-N``, each
  with ``/opt/ml/config/resourceconfig.json`` ``{"current_host": "algo-i", "hosts": [...]}`` and
  ``/opt/ml/config/processingjobconfig.json`` (the request, with the job's name and ARN), as SageMaker's
  "Build your own processing container" page shows them.

At a pipeline's upsert the arguments may still hold references (``{"Get": …}``); only concrete values are
checked then. Messages name their ``owner``: "Step 'Prep'" in a pipeline, "Processing job 'x'" otherwise.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.errors import InvalidInput

PROCESSING_ROOT = "/opt/ml/processing"
ARN_PREFIX = "arn:aws:sagemaker:local:000000000000"
DISTRIBUTIONS = ("FullyReplicated", "ShardedByS3Key")
MAX_INSTANCES = 8  # local worker processes on one machine; SageMaker allows up to 100
FAILURE_LIMIT = 1024  # SageMaker's FailureReason is at most 1,024 characters
HINT = "Fix the request's arguments (the CreateProcessingJob request shape)."


def job_arn(name: str) -> str:
    """A local ARN in SageMaker's form: ``arn:aws:sagemaker:local:000000000000:processing-job/<name>``."""
    return f"{ARN_PREFIX}:processing-job/{name}"


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
    distribution: str = "FullyReplicated"  # FullyReplicated | ShardedByS3Key


@dataclass(frozen=True)
class ProcessingOutput:
    name: str
    s3_uri: Any
    local_path: str
    upload_mode: str  # EndOfJob | Continuous (both collected at the end locally)


def local_path(owner: str, path: Any, what: str) -> str:
    """A LocalPath under /opt/ml/processing/, normalised; refused anywhere else (``..`` included)."""
    if has_references(path):
        return ""  # a parameter: checked once the execution resolves it
    if not concrete(path) or not str(path):
        raise InvalidInput(f"{owner}: {what} has no LocalPath.", hint=HINT)
    text = str(path)
    normalised = posixpath.normpath(text)
    if not text.startswith("/") or not normalised.startswith(PROCESSING_ROOT + "/") or "\x00" in text:
        raise InvalidInput(f"{owner}: {what} has LocalPath {text!r}, which is not under {PROCESSING_ROOT}/.",
                           hint="SageMaker mounts processing inputs and outputs under /opt/ml/processing/.")
    return normalised


def processing_inputs(owner: str, request: dict[str, Any]) -> list[ProcessingInput]:
    found = []
    for item in request.get("ProcessingInputs") or []:
        name = str(item.get("InputName", ""))
        s3 = item.get("S3Input")
        if not isinstance(s3, dict):
            raise InvalidInput(f"{owner}: input {name!r} is not an S3Input; locally only S3 inputs run "
                               "(no Athena/Redshift DatasetDefinition).", hint=HINT)
        _check_s3_input(owner, name, s3)
        found.append(ProcessingInput(name, s3.get("S3Uri"), local_path(owner, s3.get("LocalPath"), f"input {name!r}"),
                                     s3.get("S3DataType", "S3Prefix"), s3.get("S3DataDistributionType", "FullyReplicated")))
    _check_unique(owner, "input", [item.name for item in found])
    return found


def _check_s3_input(owner: str, name: str, s3: dict[str, Any]) -> None:
    mode, data_type = s3.get("S3InputMode", "File"), s3.get("S3DataType", "S3Prefix")
    distribution = s3.get("S3DataDistributionType", "FullyReplicated")
    if concrete(mode) and mode != "File":
        raise InvalidInput(f"{owner}: input {name!r} uses S3InputMode {mode!r}; locally only File runs.", hint=HINT)
    if concrete(data_type) and data_type not in ("S3Prefix", "ManifestFile"):
        raise InvalidInput(f"{owner}: input {name!r} has S3DataType {data_type!r}; use S3Prefix or ManifestFile.",
                           hint=HINT)
    if concrete(distribution) and distribution not in DISTRIBUTIONS:
        raise InvalidInput(f"{owner}: input {name!r} has S3DataDistributionType {distribution!r}.",
                           hint=f"Use {' or '.join(DISTRIBUTIONS)}.")


def _check_unique(owner: str, what: str, names: list[str]) -> None:
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InvalidInput(f"{owner}: {what} name {repeated[0]!r} is used twice.", hint=f"Give every {what} its own name.")


def processing_outputs(owner: str, request: dict[str, Any]) -> list[ProcessingOutput]:
    found = []
    for item in (request.get("ProcessingOutputConfig") or {}).get("Outputs") or []:
        name = str(item.get("OutputName", ""))
        s3 = item.get("S3Output")
        if not isinstance(s3, dict):
            raise InvalidInput(f"{owner}: output {name!r} is not an S3Output (Feature Store outputs do not "
                               "run locally).", hint=HINT)
        found.append(ProcessingOutput(name, s3.get("S3Uri"), local_path(owner, s3.get("LocalPath"), f"output {name!r}"),
                                      s3.get("S3UploadMode", "EndOfJob")))
    _check_unique(owner, "output", [item.name for item in found])
    return found


def processing_command(owner: str, request: dict[str, Any]) -> list[str]:
    """ContainerEntrypoint + ContainerArguments: the image's own entrypoint is unknown locally, so one is needed."""
    app = request.get("AppSpecification") or {}
    entrypoint = list(app.get("ContainerEntrypoint") or [])
    if not entrypoint:
        raise InvalidInput(f"{owner}: AppSpecification has no ContainerEntrypoint; locally the image's own "
                           "entrypoint is not available.",
                           hint="Give the command, e.g. [\"python3\", \"/opt/ml/processing/input/code/x.py\"].")
    return [*entrypoint, *(app.get("ContainerArguments") or [])]


def instance_count(owner: str, request: dict[str, Any]) -> int:
    """ClusterConfig.InstanceCount (default 1); locally at most ``MAX_INSTANCES`` worker processes."""
    count = ((request.get("ProcessingResources") or {}).get("ClusterConfig") or {}).get("InstanceCount", 1)
    if not concrete(count):
        return 1  # a parameter, checked once resolved
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_INSTANCES:
        raise InvalidInput(f"{owner}: InstanceCount {count!r} cannot run here.",
                           hint=f"Locally each instance is a process on this machine: use 1 to {MAX_INSTANCES}.")
    return count


def hosts(count: int) -> list[str]:
    """SageMaker's host names: ``algo-1`` … ``algo-N``."""
    return [f"algo-{number}" for number in range(1, count + 1)]


def resource_config(host: str, count: int) -> dict[str, Any]:
    """``/opt/ml/config/resourceconfig.json`` of one instance."""
    return {"current_host": host, "hosts": hosts(count)}


def job_config(request: dict[str, Any], name: str, arn: str) -> dict[str, Any]:
    """``/opt/ml/config/processingjobconfig.json``: the request with the job's name and ARN."""
    return {**request, "ProcessingJobName": name, "ProcessingJobArn": arn}


def share(keys: Sequence[str], instance: int, count: int, distribution: str) -> list[str]:
    """The object keys instance ``instance`` (0-based) of ``count`` receives: all of them (FullyReplicated),
    or every ``count``-th of the keys in sorted order starting at ``instance`` (ShardedByS3Key)."""
    ordered = sorted(keys)
    if distribution != "ShardedByS3Key":
        return ordered
    return ordered[instance::count]


def failure_reason(host: str, count: int, exit_code: int, message: str, tail: str) -> str:
    """FailureReason of a job whose instance ``host`` failed: what it wrote to ``/opt/ml/output/message``,
    else its exit code and the end of its log; prefixed with the host when there are several instances."""
    prefix = f"{host}: " if count > 1 else ""
    if message.strip():
        return (prefix + message.strip())[:FAILURE_LIMIT]
    ending = f"The command exited with code {exit_code}" if exit_code >= 0 else f"The command was killed by signal {-exit_code}"
    tail = tail.strip()
    if not tail:
        return f"{prefix}{ending} and printed nothing."
    room = FAILURE_LIMIT - len(prefix) - len(ending) - 2
    return f"{prefix}{ending}: {tail[-room:]}"


def check_request(owner: str, request: dict[str, Any]) -> None:
    """Everything about a request's inputs, outputs, command and instances that can be checked now."""
    processing_inputs(owner, request)
    processing_outputs(owner, request)
    processing_command(owner, request)
    instance_count(owner, request)
