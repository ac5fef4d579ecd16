"""The processing port on the aws backend, in moto: the CreateProcessingJob request as sent (role, image, the
code uploaded under the job's prefix), the job seen by the jobs port (kind processing, its CloudWatch log), the
built-in review template (code and tokenizer.json in S3, its splits catalogued in Glue once it completed), and
SageMaker's refusals translated."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest

from services.errors import InvalidInput, ServiceError
from services.processing.aws import sklearn_image
from services.processing.models import ReviewFeaturesRequest, processing_outputs
from services.registry import Services, build_services
from tests.helpers.aws import BUCKET, REGION, aws_settings
from tests.helpers.moto_gaps import fail_calls
from tests.helpers.processing import ROLE, processing_request


@pytest.fixture
def services(mocked_aws: None, tmp_path: Path) -> Services:
    return build_services(replace(aws_settings(tmp_path / "home"), sagemaker_role=ROLE))


def described(name: str) -> dict[str, Any]:
    return boto3.client("sagemaker", region_name=REGION).describe_processing_job(ProcessingJobName=name)


def test_a_request_goes_to_sagemaker_with_the_configured_role_and_the_jobs_port_sees_it(services: Services) -> None:
    request = processing_request(BUCKET, "clean-reviews")
    del request["RoleArn"]
    name = services.processing.start_processing_job(request)
    raw = described(name)
    assert (raw["RoleArn"], raw["AppSpecification"]["ImageUri"]) == (ROLE, request["AppSpecification"]["ImageUri"])
    assert raw["ProcessingInputs"][0]["S3Input"]["S3DataDistributionType"] == "ShardedByS3Key"
    job = services.jobs.describe_job(name)
    assert (job.kind, job.status) == ("processing", "Completed")
    assert [o["S3 URI"] for o in processing_outputs(job)] == [f"s3://{BUCKET}/out/clean-reviews/seen/"]
    assert [j.name for j in services.jobs.list_jobs(kind="processing")] == [name]
    logs = boto3.client("logs", region_name=REGION)
    logs.create_log_group(logGroupName="/aws/sagemaker/ProcessingJobs")
    logs.create_log_stream(logGroupName="/aws/sagemaker/ProcessingJobs", logStreamName=f"{name}/algo-1-1700000000")
    logs.put_log_events(logGroupName="/aws/sagemaker/ProcessingJobs", logStreamName=f"{name}/algo-1-1700000000",
                        logEvents=[{"timestamp": int(time.time() * 1000), "message": "rows: 20"}])
    assert "rows: 20" in services.jobs.job_logs(name)


def test_code_is_uploaded_under_the_jobs_prefix_and_sagemakers_refusal_is_translated(
        services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fail_calls(monkeypatch, "sagemaker", "CreateProcessingJob", "ResourceLimitExceeded",
               "The account-level service limit 'ml.m5.large for processing job usage' is 0 Instances.")
    (tmp_path / "code" / "lib").mkdir(parents=True)
    (tmp_path / "code" / "preprocess.py").write_text("print(1)\n")
    (tmp_path / "code" / "lib" / "helpers.py").write_text("X = 1\n")
    uri = services.processing.upload_code(tmp_path / "code", "clean-reviews")
    assert uri == f"s3://{BUCKET}/processing/clean-reviews/input/code/"
    keys = [o["Key"] for o in boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert sorted(keys) == ["processing/clean-reviews/input/code/lib/helpers.py",
                            "processing/clean-reviews/input/code/preprocess.py"]
    with pytest.raises(ServiceError, match="service limit"):
        services.processing.start_processing_job(processing_request(BUCKET, "too-many"))


def test_the_review_template_uploads_its_code_and_tokenizer_and_catalogues_its_splits(services: Services,
                                                                                      tmp_path: Path) -> None:
    source = tmp_path / "reviews.csv"
    pd.DataFrame({"review_text": [f"review {i}" for i in range(30)], "rating": [1, 3, 5] * 10}).to_csv(source, index=False)
    services.catalog.import_path(source, "demo", "reviews")
    name = services.processing.start_review_features(ReviewFeaturesRequest(table="demo.reviews", max_length=64,
                                                                           job_name="review-features-1"))
    raw = described(name)
    assert raw["AppSpecification"]["ImageUri"] == sklearn_image(REGION) == (
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3")
    inputs = {i["InputName"]: i["S3Input"] for i in raw["ProcessingInputs"]}
    assert inputs["reviews"]["S3Uri"] == services.catalog.get_table("demo", "reviews").location
    assert inputs["reviews"]["S3DataDistributionType"] == "ShardedByS3Key"
    s3 = boto3.client("s3", region_name=REGION)
    prefix = f"processing/{name}/input/"
    assert s3.head_object(Bucket=BUCKET, Key=prefix + "code/preprocess.py")["ContentLength"] > 0
    assert s3.head_object(Bucket=BUCKET, Key=prefix + "tokenizer/tokenizer.json")["ContentLength"] > 100_000
    assert raw["AppSpecification"]["ContainerArguments"][:2] == ["--max-length", "64"]
    container_uploads(raw)  # what SageMaker's container would have written
    job = services.processing.describe_processing_job(name)  # moto: Completed, so the splits are catalogued now
    assert job.tables == ("demo.reviews_features_train", "demo.reviews_features_validation", "demo.reviews_features_test")
    train = services.catalog.get_table("demo", "reviews_features_train")
    assert [c.name for c in train.columns] == ["review_id", "review_body", "sentiment", "label", "product_category",
                                               "event_time"]
    assert train.location == f"s3://{BUCKET}/processing/{name}/output/train/"
    assert services.processing.describe_processing_job(name).tables == job.tables  # once, remembered


def container_uploads(raw: dict[str, Any]) -> None:
    """The split files the template's script writes (``<split>-algo-1.parquet``, its columns), uploaded to each
    output's S3Uri as SageMaker does when the job ends (the script itself runs in test_processing_cli)."""
    s3 = boto3.client("s3", region_name=REGION)
    split = pd.DataFrame({"review_id": ["reviews.csv:0", "reviews.csv:1", "reviews.csv:2"],
                          "review_body": ["fits well", "too small", "ok"], "sentiment": [1, -1, 0],
                          "label": ["positive", "negative", "neutral"], "product_category": ["Tops"] * 3,
                          "event_time": ["2026-12-05T08:00:00Z"] * 3})
    for output in raw["ProcessingOutputConfig"]["Outputs"]:
        bucket, key = output["S3Output"]["S3Uri"].removeprefix("s3://").split("/", 1)
        name = output["OutputName"]
        body = b"{}" if name == "report" else split.to_parquet(index=False)
        s3.put_object(Bucket=bucket, Key=f"{key}{name}-algo-1.{'json' if name == 'report' else 'parquet'}", Body=body)


def test_no_role_and_no_bucket_are_refused_with_what_to_set(mocked_aws: None, tmp_path: Path) -> None:
    services = build_services(replace(aws_settings(tmp_path / "home"), s3_bucket=None))
    request = processing_request(BUCKET, "no-role")
    del request["RoleArn"]
    with pytest.raises(InvalidInput, match="role"):
        services.processing.start_processing_job(request)
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "x.py").write_text("")
    with pytest.raises(InvalidInput, match="bucket"):
        services.processing.upload_code(tmp_path / "code", "no-bucket")
