"""``CreateTrainingJob``'s parameters for the built-in algorithms and script mode, and their images."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

from services.errors import BackendUnavailable
from services.models import ScriptJobRequest

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
