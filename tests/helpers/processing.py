"""Helpers for the processing tests: CreateProcessingJob requests in the shape SKLearnProcessor.run writes them,
a script written for SKLearnProcessor, lake objects and waiting for a local job."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from services.processing.base import ProcessingPort
from services.processing.models import ProcessingJob

SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
ROLE = "arn:aws:iam::123456789012:role/workbench-sagemaker"

# A script written for SKLearnProcessor: argparse arguments, the contract's paths, SageMaker's config files.
SEEN_SCRIPT = """
import argparse, json, os, pathlib, sys
parser = argparse.ArgumentParser()
parser.add_argument("--split", type=float, default=0.5)
args = parser.parse_args()
base = pathlib.Path("/opt/ml/processing")
resource = json.loads(pathlib.Path("/opt/ml/config/resourceconfig.json").read_text())
job = json.loads(pathlib.Path("/opt/ml/config/processingjobconfig.json").read_text())
listing = lambda name: sorted(p.name for p in (base / "input" / name).rglob("*") if p.is_file())
seen = {"host": resource["current_host"], "hosts": resource["hosts"], "raw": listing("raw"), "lookup": listing("lookup"),
        "job": job["ProcessingJobName"], "split": args.split, "mode": os.environ.get("MODE"),
        "secrets": sorted(k for k in os.environ if k.startswith(("AWS_", "WORKBENCH_")))}
out = base / "output" / "seen"
(out / f"{resource['current_host']}.json").write_text(json.dumps(seen))
print("seen", json.dumps(seen))
if os.environ.get("FAIL_ON") == resource["current_host"]:
    pathlib.Path("/opt/ml/output").mkdir(parents=True, exist_ok=True)
    pathlib.Path("/opt/ml/output/message").write_text("no rating column in my share")
    sys.exit(3)
"""


def s3_input(name: str, uri: str, distribution: str = "FullyReplicated", local_path: str = "") -> dict[str, Any]:
    return {"InputName": name, "AppManaged": False, "S3Input": {
        "S3Uri": uri, "LocalPath": local_path or f"/opt/ml/processing/input/{name}", "S3DataType": "S3Prefix",
        "S3InputMode": "File", "S3DataDistributionType": distribution}}


def s3_output(name: str, uri: str, local_path: str = "") -> dict[str, Any]:
    return {"OutputName": name, "AppManaged": False, "S3Output": {
        "S3Uri": uri, "LocalPath": local_path or f"/opt/ml/processing/output/{name}", "S3UploadMode": "EndOfJob"}}


def processing_request(bucket: str, name: str = "", *, instances: int = 1, distribution: str = "ShardedByS3Key",
                       environment: dict[str, str] | None = None, command: list[str] | None = None) -> dict[str, Any]:
    """CreateProcessingJob as SKLearnProcessor.run(code="preprocess.py", inputs=[raw, lookup], outputs=[seen],
    arguments=["--split", "0.8"]) sends it: the code as one more input, ``python3`` + the script's path."""
    request: dict[str, Any] = {
        "ProcessingInputs": [s3_input("raw", f"s3://{bucket}/raw/", distribution),
                             s3_input("lookup", f"s3://{bucket}/lookup/"),
                             s3_input("code", f"s3://{bucket}/code/", local_path="/opt/ml/processing/input/code")],
        "ProcessingOutputConfig": {"Outputs": [s3_output("seen", f"s3://{bucket}/out/{name or 'job'}/seen/")]},
        "ProcessingResources": {"ClusterConfig": {"InstanceCount": instances, "InstanceType": "ml.m5.large",
                                                  "VolumeSizeInGB": 30}},
        "AppSpecification": {"ImageUri": SKLEARN_IMAGE,
                             "ContainerEntrypoint": command or ["python3", "/opt/ml/processing/input/code/preprocess.py"],
                             "ContainerArguments": ["--split", "0.8"]},
        "Environment": environment or {"MODE": "sharded"},
        "StoppingCondition": {"MaxRuntimeInSeconds": 120},
        "RoleArn": ROLE,
    }
    if name:
        request["ProcessingJobName"] = name
    return request


def put(lake: Path, uri: str, data: str) -> Path:
    path = lake / uri.removeprefix("s3://")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data)
    return path


def put_job_data(lake: Path, bucket: str) -> None:
    """Four raw objects (to shard), one lookup object (replicated) and the script."""
    for index in range(4):
        put(lake, f"s3://{bucket}/raw/part-{index}.csv", f"review,{index}\n")
    put(lake, f"s3://{bucket}/lookup/labels.csv", "1,negative\n5,positive\n")
    put(lake, f"s3://{bucket}/code/preprocess.py", SEEN_SCRIPT)


def wait_for_processing(port: ProcessingPort, name: str, seconds: float = 90) -> ProcessingJob:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = port.describe_processing_job(name)
        if job.finished:
            return job
        time.sleep(0.1)
    raise AssertionError(f"{name} did not finish in {seconds} s")
