"""SageMaker Clarify under moto: a reviews table, a registered built-in XGBoost model, S3 reads and writes,
and DescribeProcessingJob answers in the states moto never reaches. Shared by the bias and explain tests."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sagemaker.models import sagemaker_backends

from services.aws.model_packages import metadata_properties
from services.aws.processing_jobs import CLARIFY_IMAGE
from services.models import DataSource
from tests.helpers.aws import BUCKET, REGION

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "clarify"
ROLE = "arn:aws:iam::123456789012:role/workbench-sagemaker"
TABLE = DataSource(table="demo.reviews")
XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
CATEGORIES = {"division_name": ["General", "Intimates", "Petite"], "department_name": ["Dresses", "Tops"]}


def reviews_csv(folder: Path, name: str = "reviews.csv") -> Path:
    """A small reviews table: free text, a 1-5 rating, two categories, a number and a prediction."""
    rows = [{"Review Text": f"review {i}, {'great' if i % 5 > 2 else 'poor'} fit", "Rating": i % 5 + 1,
             "Division Name": ("General", "Petite", "Intimates")[i % 3], "Department Name": ("Tops", "Dresses")[i % 2],
             "Age": 20 + i, "Predicted": (i * 7) % 5 + 1} for i in range(60)]
    path = folder / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def register_model(group: str, classes: tuple[str, ...] = ("1", "2", "3", "4", "5"),
                   features: tuple[str, ...] = ("age", "division_name", "department_name")) -> str:
    """A built-in XGBoost model package as the training adapter registers one (encoding in its metadata)."""
    client = boto3.client("sagemaker", region_name=REGION)
    client.create_model_package_group(ModelPackageGroupName=group)
    encoding = {"features": list(features), "categories": {f: CATEGORIES[f] for f in features if f in CATEGORIES},
                "dropped": ["review_text"], "fill_missing": False}
    info = {"framework": "xgboost", "target": "rating", "classes": list(classes), "job": "training-1",
            "problem_type": "BinaryClassification" if len(classes) == 2 else "MulticlassClassification",
            "input_schema": [{"Name": f, "Type": "string" if f in CATEGORIES else "bigint", "Comment": ""} for f in features],
            "encoding": encoding}
    client.create_model_package(
        ModelPackageGroupName=group, ModelApprovalStatus="PendingManualApproval", CustomerMetadataProperties=metadata_properties(info),
        InferenceSpecification={"Containers": [{"Image": XGBOOST_IMAGE, "ModelDataUrl": f"s3://{BUCKET}/training/{group}/model.tar.gz"}],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]})
    return f"{group}/1"


def sagemaker_backend() -> Any:
    return sagemaker_backends[DEFAULT_ACCOUNT_ID][REGION]


def s3_text(uri: str) -> str:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return boto3.client("s3", region_name=REGION).get_object(Bucket=bucket, Key=key)["Body"].read().decode()


def put_s3(uri: str, body: bytes) -> None:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    boto3.client("s3", region_name=REGION).put_object(Bucket=bucket, Key=key, Body=body)


def clarify_keys() -> list[str]:
    listed = boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=BUCKET, Prefix="clarify/")
    return [o["Key"] for o in listed.get("Contents", [])]


def analysis_config(name: str) -> dict[str, Any]:
    return json.loads(s3_text(f"s3://{BUCKET}/clarify/{name}/output/analysis_config.json"))  # type: ignore[no-any-return]


def processing_response(name: str, status: str, failure: str = "") -> dict[str, Any]:
    """A DescribeProcessingJob answer in a state moto never reaches."""
    response: dict[str, Any] = {
        "ProcessingJobName": name, "ProcessingJobArn": f"arn:aws:sagemaker:{REGION}:123456789012:processing-job/{name}",
        "ProcessingJobStatus": status, "CreationTime": datetime(2025, 6, 1, 12, 0), "ProcessingStartTime": datetime(2025, 6, 1, 12, 1),
        "AppSpecification": {"ImageUri": f"205585389593.dkr.ecr.{REGION}.amazonaws.com/{CLARIFY_IMAGE}:1.0"},
        "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 30}},
        "ProcessingOutputConfig": {"Outputs": [{"OutputName": "analysis_result", "S3Output": {
            "S3Uri": f"s3://{BUCKET}/clarify/{name}/output", "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
    }
    if status in ("Completed", "Failed", "Stopped"):
        response["ProcessingEndTime"] = datetime(2025, 6, 1, 12, 7, 30)
    if failure:
        response["FailureReason"] = failure
    return response
