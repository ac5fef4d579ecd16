"""SageMaker hosting fixtures shared by the endpoints tests on the aws backend (unit, contract and page tests):
model packages registered as the training adapter registers them, an invoke answer as the runtime returns it,
and a SageMaker call that fails with a given error code."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pandas as pd
from botocore.response import StreamingBody
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sagemaker.models import sagemaker_backends

from services.aws.model_packages import metadata_properties
from tests.helpers.aws import BUCKET, REGION

ROLE = "arn:aws:iam::123456789012:role/workbench-sagemaker"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
RUNTIME = "https://runtime.sagemaker.us-east-1.amazonaws.com"
CLASSES = ["1", "2", "3", "4", "5"]
ENCODING = {"features": ["division_name", "age"], "categories": {"division_name": ["General", "Intimates", "Petite"]},
            "dropped": ["review_text"], "fill_missing": False}


def reviews_csv(folder: Path) -> Path:
    rows = [{"Review Text": f"review number {i} says {'great' if i % 5 > 2 else 'poor'} things",
             "Rating": i % 5 + 1, "Division Name": ("General", "Petite", "Intimates")[i % 3], "Age": 20 + i}
            for i in range(30)]
    path = folder / "reviews.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def register_model(group: str = "sentiment", framework: str = "xgboost", job: str = "", classes: list[str] = CLASSES,
                   encoding: dict[str, Any] = ENCODING) -> str:
    """A model package as the training adapter registers it; returns ``group/version``."""
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    sagemaker.create_model_package_group(ModelPackageGroupName=group)
    problem_type = {0: "Regression", 2: "BinaryClassification"}.get(len(classes), "MulticlassClassification")
    metadata = metadata_properties({"framework": framework, "problem_type": problem_type, "target": "rating",
                                    "job": job,
                                    "classes": classes, "encoding": encoding,
                                    "input_schema": [{"Name": "division_name", "Type": "string", "Comment": ""},
                                                     {"Name": "age", "Type": "bigint", "Comment": ""}]})
    arn = sagemaker.create_model_package(
        ModelPackageGroupName=group, CustomerMetadataProperties=metadata,
        InferenceSpecification={"Containers": [{"Image": IMAGE, "ModelDataUrl": f"s3://{BUCKET}/training/{group}/model.tar.gz"}],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
    )["ModelPackageArn"]
    return f"{group}/{arn.rsplit('/', 1)[-1]}"


def sagemaker_backend() -> Any:
    return sagemaker_backends[DEFAULT_ACCOUNT_ID][REGION]


def fail_operation(client: Any, operation: str, code: str, message: str) -> None:
    """``operation`` answers ``code`` without reaching moto."""
    error = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}}
    client.meta.events.register(f"before-call.sagemaker.{operation}", lambda **_: (SimpleNamespace(status_code=400), error))


def body_of(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))


def answer_of(body: bytes, content_type: str, variant: str = "a") -> dict[str, Any]:
    """``InvokeEndpoint``'s response as the runtime returns it."""
    return {"Body": body_of(body), "ContentType": content_type, "InvokedProductionVariant": variant}
