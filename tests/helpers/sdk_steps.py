"""Step arguments written by the real sagemaker 3.x SDK, built offline (``sdk_pipelines.offline_sdk``), with the
objects the SDK uploaded to (moto's) S3 copied into a local lake, where the local engine reads them.

``model_trainer_arguments``: a ``TrainingStep(step_args=ModelTrainer(...).train(...))``'s CreateTrainingJob
arguments (scikit-learn framework image, ``/bin/bash -c …sm_train.sh``, the ``code`` and ``sm_drivers``
channels). ``register_arguments``: what ``ModelStep(step_args=ModelBuilder(...).register(...))`` writes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.helpers.sdk_pipelines import BUCKET, ROLE, _session, offline_sdk

SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


def model_trainer_arguments(source_dir: Path, train_uri: str, lake: Path, hyperparameters: dict[str, Any]) -> dict[str, Any]:
    """The Training step's Arguments; the SDK's uploads (code, sm_drivers) are copied into ``lake``."""
    with offline_sdk():
        from sagemaker.mlops.workflow import Pipeline, TrainingStep
        from sagemaker.train import ModelTrainer
        from sagemaker.train.configs import Compute, InputData, SourceCode

        session = _session()
        trainer = ModelTrainer(training_image=SKLEARN_IMAGE, role=ROLE, sagemaker_session=session,
                               source_code=SourceCode(source_dir=str(source_dir), entry_script="train.py"),
                               hyperparameters=hyperparameters, base_job_name="sentiment",
                               compute=Compute(instance_type="ml.m5.large", instance_count=1))
        step = TrainingStep(name="Train", step_args=trainer.train(
            input_data_config=[InputData(channel_name="train", data_source=train_uri)], wait=False))
        definition = json.loads(Pipeline(name="steps", steps=[step], sagemaker_session=session).definition())
        copy_bucket_to_lake(lake)
    arguments: dict[str, Any] = definition["Steps"][0]["Arguments"]
    return arguments


def register_arguments(model_data_url: str, group: str) -> dict[str, Any]:
    """A RegisterModel step's Arguments for the artifact at ``model_data_url``."""
    with offline_sdk():
        from sagemaker.mlops.workflow import ModelStep, Pipeline
        from sagemaker.serve import ModelBuilder

        session = _session()
        builder = ModelBuilder(image_uri=SKLEARN_IMAGE, s3_model_data_url=model_data_url, role_arn=ROLE,
                               sagemaker_session=session)
        step_args = builder.register(model_package_group_name=group, content_types=["text/csv"],
                                     response_types=["text/csv"], inference_instances=["ml.m5.large"],
                                     transform_instances=["ml.m5.large"], approval_status="PendingManualApproval")
        definition = json.loads(Pipeline(name="steps", steps=[ModelStep(name="Register", step_args=step_args)],
                                         sagemaker_session=session).definition())
    arguments: dict[str, Any] = definition["Steps"][0]["Arguments"]
    return arguments


def copy_bucket_to_lake(lake: Path) -> None:
    """Every object of the SDK's bucket (in moto) into ``lake/<bucket>/<key>``."""
    import boto3

    s3 = boto3.client("s3", region_name="us-east-1")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            target = lake / BUCKET / item["Key"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read())
