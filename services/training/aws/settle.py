"""When a training, script or Autopilot job completes: its model becomes a new version in the model package
group named after the request (the jobs port calls ``settle_job`` the first time it sees the job Completed)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from services.aws.job_index import IndexEntry
from services.aws.model_packages import metadata_properties
from services.aws.sagemaker import SageMakerClients
from services.errors import NotFound
from services.models import Job
from services.names import check_name


class Settling(SageMakerClients):
    """Registers the model of a completed job."""

    def settle_job(self, entry: IndexEntry, job: Job) -> Job:
        """Work due once a job of this adapter completes (called by the jobs port): register its model.
        Raises what went wrong; the jobs port retries later."""
        return replace(job, model_id=job.model_id or self._register(entry, job))

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


def model_group_name(config: dict[str, Any], job: str) -> str:
    """The model package group: the request's name, else target and algorithm (``rating-xgboost``)."""
    algorithm = config.get("algorithm") or ("autopilot" if "mode" in config else "script")
    base = config.get("name") or (f"{config['target']}-{algorithm}" if config.get("target") else job)
    clean = re.sub(r"[^A-Za-z0-9]+", "-", str(base)).strip("-")[:63].rstrip("-")
    return check_name("model-package-group", clean or job)



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
