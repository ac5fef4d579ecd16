"""A Training step on a SageMaker built-in algorithm's image (XGBoost here) runs the workbench's own built-in
XGBoost on the train channel's built-in CSV (label first, no header), registers the model as built-in training
jobs do, and packs it as model.tar.gz under S3OutputPath/<job>/output/ like any training job."""

from __future__ import annotations

import tarfile
from collections.abc import Iterator

import pytest

from services.pipelines.steps.base import StepExecutor
from services.registry import Services, build_services
from tests.helpers.pipeline_steps import executors_of, lake, put, step_run, wait_for_job
from tests.helpers.workspace import copy_empty_mlflow_store, settings_for_tests

WAIT = 90
BUCKET = "steps-bucket"


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    home = tmp_path_factory.mktemp("builtin-step") / "workspace"
    copy_empty_mlflow_store(tmp_path_factory, home)
    services = build_services(settings_for_tests(home=home, seed_on_start=False))
    yield services
    services.stack.store.close()


@pytest.fixture(scope="module")
def executors(services: Services) -> dict[str, StepExecutor]:
    return executors_of(services)


def test_a_builtin_xgboost_image_runs_the_workbenchs_xgboost(services: Services, executors: dict[str, StepExecutor]) -> None:
    rows = [f"{int(i % 6 > 2)},{i % 6},{(i * 7) % 5}" for i in range(30)]  # SageMaker's built-in CSV: label first
    put(services, f"s3://{BUCKET}/builtin/train/train.csv", "\n".join(rows) + "\n")
    arguments = {
        "AlgorithmSpecification": {"TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                                   "TrainingInputMode": "File"},
        "HyperParameters": {"objective": "binary:logistic", "num_round": "5"},
        "InputDataConfig": [{"ChannelName": "train", "ContentType": "text/csv", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/builtin/train"}}}],
        "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/builtin/models"},
        "StoppingCondition": {"MaxRuntimeInSeconds": 120},
    }
    executors["Training"].validate("TrainXgb", arguments)
    run = step_run(services, "TrainXgb", "Training", arguments, "xgb-exec-1-1")
    job = wait_for_job(services.stack, executors["Training"].start(run), WAIT)
    assert job.status == "Completed", services.stack.runner.logs(job.name)[-3000:]
    properties = executors["Training"].outcome(run).properties
    assert properties["ModelArtifacts"]["S3ModelArtifacts"] == f"s3://{BUCKET}/builtin/models/xgb-exec-1-1/output/model.tar.gz"
    with tarfile.open(lake(services, properties["ModelArtifacts"]["S3ModelArtifacts"])) as archive:
        assert "predictor.json" in archive.getnames()
    assert properties["FinalMetricDataList"]
    record = services.training.get_model(job.model_id)
    assert (record.framework, record.name, record.target) == ("xgboost", "p-TrainXgb", "label")
    assert [c.name for c in record.input_schema] == ["f0", "f1"]
