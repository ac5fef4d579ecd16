"""Step caching as SageMaker documents it ("Default cache key attributes by pipeline step type").

The key of a step is a hash per documented attribute of its resolved arguments — output locations are
not among them, since the SDK's default outputs contain the execution id — plus, locally, one more
part: the content of the input objects in the lake (files under the input S3 URIs, hashed in chunks).
A step whose key equals that of a Succeeded run of the same step in another execution of the pipeline,
ended within ``ExpireAfter``, is a hit. On a miss the parts that differ from the latest earlier run say
why ("HyperParameters changed", "input data changed").
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from services.processing.lake import lake_path

# SageMaker's documented attributes per step type (Processing, Training, Tuning, AutoML, Transform).
KEY_ATTRIBUTES = {
    "Processing": ("AppSpecification", "Environment", "ProcessingInputs"),
    "Training": ("AlgorithmSpecification", "CheckpointConfig", "DebugHookConfig", "DebugRuleConfigurations",
                 "Environment", "HyperParameters", "InputDataConfig"),
    "Tuning": ("HyperParameterTuningJobConfig", "TrainingJobDefinition", "TrainingJobDefinitions"),
    "AutoML": ("AutoMLJobConfig", "AutoMLJobObjective", "InputDataConfig", "ProblemType"),
    "Transform": ("DataProcessing", "Environment", "ModelName", "TransformInput"),
}
# An AutoML step written as CreateAutoMLJobV2 (which the local engine also runs) keeps the same things under V2's
# names; keyed by V1's names alone, every part would be null and any change would still hit the cache.
AUTOML_V2_KEY_ATTRIBUTES = ("AutoMLJobInputDataConfig", "AutoMLJobObjective", "AutoMLProblemTypeConfig", "DataSplitConfig")
# The parts of a Tuning step's TrainingJobDefinition that count (the rest, e.g. OutputDataConfig, does not).
TUNING_DEFINITION_KEYS = ("AlgorithmSpecification", "HyperParameterRanges", "InputDataConfig", "StaticHyperParameters",
                          "TuningObjective")
INPUT_DATA = "input data"
CHUNK_BYTES = 1 << 20


def cacheable(step_type: str) -> bool:
    return step_type in KEY_ATTRIBUTES


def key_parts(step_type: str, arguments: dict[str, Any]) -> dict[str, str]:
    """Attribute name → a hash of its value in the resolved arguments (absent attributes hash as null)."""
    parts = {}
    v2 = step_type == "AutoML" and "AutoMLJobInputDataConfig" in arguments
    for attribute in AUTOML_V2_KEY_ATTRIBUTES if v2 else KEY_ATTRIBUTES[step_type]:
        value = arguments.get(attribute)
        if step_type == "Tuning" and attribute == "TrainingJobDefinition" and isinstance(value, dict):
            value = {key: value.get(key) for key in TUNING_DEFINITION_KEYS}
        parts[attribute] = digest(value)
    return parts


def digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def input_uris(step_type: str, arguments: dict[str, Any]) -> list[str]:
    """The S3 URIs the step reads (ProcessingInputs' S3Input, InputDataConfig's S3DataSource, TransformInput…)."""
    sections = [arguments.get(attribute)
                for attribute in ("ProcessingInputs", "InputDataConfig", "TransformInput", "AutoMLJobInputDataConfig")]
    definition = arguments.get("TrainingJobDefinition")
    if isinstance(definition, dict):
        sections.append(definition.get("InputDataConfig"))
    return sorted({uri for section in sections for uri in _s3_uris(section)})


def _s3_uris(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "S3Uri" and isinstance(item, str) and item.startswith("s3://"):
                yield item
            else:
                yield from _s3_uris(item)
    elif isinstance(value, list):
        for item in value:
            yield from _s3_uris(item)


def hash_inputs(lake: Path, uris: list[str]) -> str:
    """One hash of every file under each URI (a prefix: a file, or a folder walked in sorted order), read in
    1 MB chunks so memory stays flat; a missing input hashes as missing."""
    total = hashlib.sha256()
    for uri in uris:
        total.update(uri.encode() + b"\0")
        for path in _files(lake_path(lake, uri)):
            total.update(path.relative_to(lake).as_posix().encode() + b"\0")
            with path.open("rb") as handle:
                while chunk := handle.read(CHUNK_BYTES):
                    total.update(chunk)
    return total.hexdigest()


def _files(path: Path) -> Iterator[Path]:
    if path.is_file():
        yield path
        return
    for folder, folders, files in os.walk(path):
        folders.sort()
        for name in sorted(files):
            yield Path(folder) / name


def cache_key(step_type: str, arguments: dict[str, Any], lake: Path) -> dict[str, str]:
    """The documented attributes' hashes plus the input data's."""
    return {**key_parts(step_type, arguments), INPUT_DATA: hash_inputs(lake, input_uris(step_type, arguments))}


def find_hit(key: dict[str, str], runs: list[dict[str, Any]], expire_after: timedelta, now: datetime) -> dict[str, Any] | None:
    """The newest earlier Succeeded run with the same key that ended within ``expire_after`` of ``now``."""
    for run in runs:
        if run.get("cache_key") != key or not run.get("ended_at"):
            continue
        ended = datetime.fromisoformat(run["ended_at"])
        if expire_after == timedelta.max or now - ended <= expire_after:
            return run
    return None


def miss_reason(key: dict[str, str], previous: dict[str, str] | None) -> str:
    """Which parts of the key changed since the step's latest earlier run ("" when nothing did)."""
    if not previous:
        return "no earlier run of this step"
    changed = [part for part in key if key.get(part) != previous.get(part)]
    if not changed:
        return "the earlier run with this key did not succeed or has expired"
    return ", ".join(changed) + " changed"
