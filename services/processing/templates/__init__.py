"""Built-in processing scripts and the CreateProcessingJob requests that run them (pure: both adapters build
the same request, with their own image, role and locations).

``review_features/preprocess.py``: the course's review feature engineering (see its docstring). Its job reads
the table's files (``reviews`` input, sharded by key across instances), MiniLM's ``tokenizer.json``
(``tokenizer`` input, replicated) and the script (``code`` input), and writes the ``train``, ``validation``,
``test`` and ``report`` outputs under ``<prefix>/<output>/``; the three splits become catalog tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from services.errors import InvalidInput
from services.names import check_name, glue_name
from services.processing.models import ReviewFeaturesRequest

REVIEW_FEATURES = Path(__file__).resolve().parent / "review_features"
REVIEW_SCRIPT = "preprocess.py"
SPLITS = ("train", "validation", "test")
OUTPUTS = (*SPLITS, "report")
INSTANCE_TYPE = "ml.m5.large"
MAX_TOKENS = 512  # MiniLM's position embeddings


def check_review_request(request: ReviewFeaturesRequest) -> tuple[str, str]:
    """The source table as (database, table); ``InvalidInput`` for shares, lengths or names that cannot work."""
    database, _, table = request.table.partition(".")
    if not database or not table:
        raise InvalidInput(f"{request.table!r} is not DATABASE.TABLE.", hint="Write it as e.g. demo.reviews.")
    if not 0 <= request.max_length <= MAX_TOKENS:
        raise InvalidInput(f"The maximum length must be 0 (no tokenisation) to {MAX_TOKENS} tokens, got {request.max_length}.",
                           hint="MiniLM reads at most 512 tokens; 128 is its default.")
    shares = (request.validation_share, request.test_share)
    if not all(0 < share < 1 for share in shares) or sum(shares) >= 1:
        raise InvalidInput("The validation and test shares must each lie between 0 and 1 and leave rows to train on.",
                           hint="For example 0.1 and 0.2.")
    return database, table


def output_tables(request: ReviewFeaturesRequest) -> dict[str, str]:
    """``{split: "database.table"}`` the splits are registered as."""
    database, table = check_review_request(request)
    target_database = glue_name("database", request.output_database or database)
    prefix = glue_name("table", request.output_prefix or f"{table}_features")
    return {split: f"{target_database}.{prefix}_{split}" for split in SPLITS}


def review_features_request(request: ReviewFeaturesRequest, name: str, image: str, table_location: str,
                            job_prefix: str) -> dict[str, Any]:
    """The CreateProcessingJob request of the built-in template (no RoleArn: the adapter adds its own).
    ``job_prefix``: ``s3://…/<job>/``, where the code and tokenizer were uploaded (``input/code/``,
    ``input/tokenizer/``) and the outputs go (``output/<name>/``)."""
    check_name("processing-job", name)
    arguments = ["--max-length", str(request.max_length), "--validation-share", str(request.validation_share),
                 "--test-share", str(request.test_share), "--seed", str(request.seed)]
    inputs = [_input("reviews", table_location, "/opt/ml/processing/input/reviews", "ShardedByS3Key"),
              _input("code", f"{job_prefix}input/code/", "/opt/ml/processing/input/code")]
    if request.max_length:
        inputs.append(_input("tokenizer", f"{job_prefix}input/tokenizer/", "/opt/ml/processing/input/tokenizer"))
    outputs = [{"OutputName": output, "AppManaged": False, "S3Output": {
        "S3Uri": f"{job_prefix}output/{output}/", "LocalPath": f"/opt/ml/processing/output/{output}",
        "S3UploadMode": "EndOfJob"}} for output in OUTPUTS]
    return {"ProcessingJobName": name, "ProcessingInputs": inputs, "ProcessingOutputConfig": {"Outputs": outputs},
            "ProcessingResources": {"ClusterConfig": {"InstanceCount": request.instance_count,
                                                      "InstanceType": INSTANCE_TYPE, "VolumeSizeInGB": 30}},
            "AppSpecification": {"ImageUri": image, "ContainerEntrypoint": [
                "python3", f"/opt/ml/processing/input/code/{REVIEW_SCRIPT}"], "ContainerArguments": arguments},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600}}


def _input(name: str, uri: str, local_path: str, distribution: str = "FullyReplicated") -> dict[str, Any]:
    return {"InputName": name, "AppManaged": False, "S3Input": {
        "S3Uri": uri, "LocalPath": local_path, "S3DataType": "S3Prefix", "S3InputMode": "File",
        "S3DataDistributionType": distribution}}


def tokenizer_file() -> Path:
    """MiniLM's ``tokenizer.json``, from the model package text-minilm loads (``services/embedded/minilm_model.py``)."""
    from services.embedded.minilm_model import base_model_path

    return base_model_path() / "tokenizer.json"
