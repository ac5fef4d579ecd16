"""The local pipeline engine's step executors, one per step type (``StepExecutor`` in ``base.py``).

``build_executors(StepDeps)`` maps each type the engine hands to an executor (Condition and Fail are the
engine's own). Processing and Training run SageMaker's container contracts in a private ``/opt/ml``
(``services/pipelines/container_job.py``); RegisterModel and Model register the artifact in the local model
registry; EndpointConfig and Endpoint deploy those models through the endpoints port;
Transform scores files in the lake with them;
AutoML runs the local Autopilot; Tuning runs one sandboxed training job per trial.
"""

from __future__ import annotations

from services.pipelines.steps.automl import AutoMLExecutor
from services.pipelines.steps.base import StepExecutor
from services.pipelines.steps.deploy import EndpointConfigExecutor, EndpointExecutor
from services.pipelines.steps.deps import StepDeps
from services.pipelines.steps.model import ModelExecutor
from services.pipelines.steps.processing import ProcessingExecutor
from services.pipelines.steps.register import RegisterModelExecutor
from services.pipelines.steps.training import TrainingExecutor
from services.pipelines.steps.transform import TransformExecutor
from services.pipelines.steps.tuning import TuningExecutor

__all__ = ["StepDeps", "build_executors"]


def build_executors(deps: StepDeps) -> dict[str, StepExecutor]:
    return {
        "Processing": ProcessingExecutor(deps),
        "Training": TrainingExecutor(deps),
        "RegisterModel": RegisterModelExecutor(deps),
        "Model": ModelExecutor(deps),
        "Tuning": TuningExecutor(deps),
        "Transform": TransformExecutor(deps),
        "AutoML": AutoMLExecutor(deps),
        "EndpointConfig": EndpointConfigExecutor(deps),
        "Endpoint": EndpointExecutor(deps),
    }
