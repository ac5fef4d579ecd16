"""Model packages in the SageMaker Model Registry as our ``ModelRecord``s, with the ``workbench:*``
metadata (framework, target, classes, input schema, encoding) kept in ``CustomerMetadataProperties``."""

from __future__ import annotations

import json
from typing import Any

from services.aws.sagemaker import iso, model_id_of
from services.errors import InvalidInput
from services.models import Column, ModelRecord

META = "workbench:"
CHUNK = 256  # CustomerMetadataProperties values are at most 256 characters


def metadata_properties(info: dict[str, Any]) -> dict[str, str]:
    """``workbench:<key>`` → value; JSON values longer than 256 characters as ``workbench:<key>.<n>`` chunks."""
    properties: dict[str, str] = {}
    for key, value in info.items():
        text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), default=str)
        if not text:
            continue  # SageMaker refuses empty values
        if len(text) <= CHUNK:
            properties[f"{META}{key}"] = text
        else:
            properties |= {f"{META}{key}.{i}": text[start:start + CHUNK] for i, start in enumerate(range(0, len(text), CHUNK))}
    if len(properties) > 50:
        raise InvalidInput("The model's metadata exceeds SageMaker's 50 properties.", hint="Train on fewer columns.")
    return properties


def package_metadata(package: dict[str, Any]) -> dict[str, Any]:
    """``metadata_properties`` read back, JSON decoded where it parses."""
    properties = package.get("CustomerMetadataProperties") or {}
    keys = {k[len(META):].split(".")[0] for k in properties if k.startswith(META)}
    return {key: _decoded(_joined(properties, key)) for key in keys}


def _joined(properties: dict[str, str], key: str) -> str:
    if f"{META}{key}" in properties:
        return properties[f"{META}{key}"]
    return "".join(properties[k] for k in sorted((k for k in properties if k.startswith(f"{META}{key}.")),
                                                  key=lambda k: int(k.rsplit(".", 1)[-1])))


def _decoded(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def model_from_package(raw: dict[str, Any]) -> ModelRecord:
    meta = package_metadata(raw)
    containers = (raw.get("InferenceSpecification") or {}).get("Containers", [])
    group, version = model_id_of(raw).split("/")
    return ModelRecord(
        model_id=f"{group}/{version}", name=group, version=int(version), framework=str(meta.get("framework", "sagemaker")),
        problem_type=str(meta.get("problem_type", "")), target=str(meta.get("target", "")),
        input_schema=tuple(Column(c["Name"], c.get("Type", "string"), c.get("Comment", "")) for c in meta.get("input_schema", [])),
        classes=tuple(str(c) for c in meta.get("classes", [])), metrics={k: float(v) for k, v in (meta.get("metrics") or {}).items()},
        run_id=str(meta.get("run_id", "")), job_name=str(meta.get("job", "")),
        artifact_path=str(containers[-1].get("ModelDataUrl", "")) if containers else "",
        approval_status=raw.get("ModelApprovalStatus", "PendingManualApproval"), created_at=iso(raw.get("CreationTime")),
        package_arn=str(raw.get("ModelPackageArn", "")),
    )
