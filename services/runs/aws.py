"""Runs on AWS: the same MLflow adapter, pointed at a SageMaker managed MLflow tracking server.

``WORKBENCH_MLFLOW_TRACKING_URI`` is the tracking server's ARN
(``arn:aws:sagemaker:<region>:<account>:mlflow-tracking-server/<name>``); the sagemaker-mlflow
plugin turns it into signed requests with boto3's credentials. Any other MLflow URI (``https://…``,
``sqlite:///…``) works too, which is how the tests run this offline.
"""

from __future__ import annotations

import importlib.util

from services.config import Settings
from services.errors import BackendUnavailable
from services.runs.base import RunsPort
from services.runs.local import MlflowRuns

URI_HINT = ("Set WORKBENCH_MLFLOW_TRACKING_URI to your SageMaker MLflow tracking server ARN "
            "(arn:aws:sagemaker:<region>:<account>:mlflow-tracking-server/<name>).")
PLUGIN_HINT = "Install the SageMaker MLflow plugin: `pip install sagemaker-mlflow` (it is in requirements.txt)."


def build_aws_runs(settings: Settings) -> RunsPort:
    """``MlflowRuns`` over the configured tracking server; ``BackendUnavailable`` when none is set
    or an ARN is given without the sagemaker-mlflow plugin."""
    uri = settings.mlflow_tracking_uri
    if not uri:
        raise BackendUnavailable("No MLflow tracking server is configured for the AWS backend.", hint=URI_HINT)
    if uri.startswith("arn:") and importlib.util.find_spec("sagemaker_mlflow") is None:
        raise BackendUnavailable(f"The tracking URI {uri} is an ARN, which needs the sagemaker-mlflow plugin.",
                                 hint=PLUGIN_HINT)
    return MlflowRuns(settings)
