"""Which container images a local job (a pipeline step, a processing job) can stand in for, recognised from
their URIs.

``image_uris.retrieve`` writes ``<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>:<tag>`` for any
region and account; only the repository matters here:

* SageMaker's built-in algorithms ``xgboost`` / ``sagemaker-xgboost`` (no user entry point) and
  ``linear-learner``: the workbench's own built-in algorithms (``services/training``);
* framework images ``sagemaker-scikit-learn``, ``pytorch-training``, ``sagemaker-xgboost`` run with a user
  entry point (and their processing variants): the user's script, run by the project's Python.

Anything else is refused before it runs (at upsert, or when a processing job starts), naming the step or job,
the image and what is supported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.errors import InvalidInput

ECR_IMAGE = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
                       r"(?P<repository>[a-z0-9._/-]+):(?P<tag>[A-Za-z0-9._-]+)$")
FRAMEWORK_REPOSITORIES = {
    "sagemaker-scikit-learn": "scikit-learn",
    "pytorch-training": "pytorch",
    "pytorch-inference": "pytorch",
    "sagemaker-xgboost": "xgboost",
}
BUILTIN_REPOSITORIES = {"xgboost": "xgboost", "sagemaker-xgboost": "xgboost", "linear-learner": "linear-learner"}
SUPPORTED = ("SageMaker's built-in XGBoost and Linear Learner images, and the scikit-learn, PyTorch and XGBoost "
             "framework images (sagemaker-scikit-learn, pytorch-training, sagemaker-xgboost) running your script")


@dataclass(frozen=True)
class Image:
    """What an image URI stands for here: ``kind`` "framework" (the user's script) or "builtin"."""

    uri: str
    repository: str
    kind: str
    name: str  # scikit-learn | pytorch | xgboost | linear-learner


def repository(uri: str) -> str:
    """The ECR repository of an image URI ("" when it is not a SageMaker/ECR image URI)."""
    match = ECR_IMAGE.fullmatch(uri.strip())
    return match["repository"] if match else ""


def recognise(step_name: str, uri: str, *, has_entry_point: bool, subject: str = "Step") -> Image:
    """The image as this machine runs it; ``InvalidInput`` naming the step (``subject`` "Processing job": the
    job) when it cannot.

    ``has_entry_point``: the step brings its own code (a container entry point, or script mode's
    ``sagemaker_program``), which turns ``sagemaker-xgboost`` from the built-in algorithm into a framework."""
    name = repository(uri)
    if has_entry_point and name in FRAMEWORK_REPOSITORIES:
        return Image(uri, name, "framework", FRAMEWORK_REPOSITORIES[name])
    if not has_entry_point and name in BUILTIN_REPOSITORIES:
        return Image(uri, name, "builtin", BUILTIN_REPOSITORIES[name])
    if name in FRAMEWORK_REPOSITORIES:
        raise InvalidInput(f"{subject} {step_name!r}: image {uri!r} is a framework image but the step gives no code to run.",
                           hint="Give a ContainerEntrypoint (Processing, ModelTrainer) or sagemaker_program (script mode).")
    raise InvalidInput(f"{subject} {step_name!r}: image {uri!r} cannot run on this machine.",
                       hint=f"Locally supported: {SUPPORTED}.")
