"""Steps that run the workbench's own algorithms: a Training step on a SageMaker built-in algorithm's image
(XGBoost here) runs the built-in XGBoost on the train channel's built-in CSV (label first, no header), registers
the model as built-in training jobs do, and packs it as model.tar.gz under S3OutputPath/<job>/output/; an AutoML
step (CreateAutoMLJobV2) runs the local Autopilot and reports its best candidate. A RegisterModel step on the
built-in's artifact registers it as XGBoost again (known from the job that wrote it). Both log MLflow runs."""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from typing import Any

import pytest

from services.errors import InvalidInput
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
    register = step_run(services, "Register", "RegisterModel", {
        "ModelPackageGroupName": "xgb-group", "ModelApprovalStatus": "Approved", "InferenceSpecification": {
            "Containers": [{"Image": arguments["AlgorithmSpecification"]["TrainingImage"],
                            "ModelDataUrl": properties["ModelArtifacts"]["S3ModelArtifacts"]}]}}, "register-xgb-1")
    registered = wait_for_job(services.stack, executors["RegisterModel"].start(register), WAIT)
    assert registered.status == "Completed", services.stack.runner.logs(registered.name)
    package = services.training.get_model("xgb-group/1")  # registered as the built-in it is, not as a script's
    assert (package.framework, package.target, package.input_schema, package.approval_status) == (
        "xgboost", "label", record.input_schema, "Approved")


def test_an_automl_step_runs_the_local_autopilot_and_reports_the_best_candidate(
        services: Services, executors: dict[str, StepExecutor]) -> None:
    rows = ["x1,x2,label"] + [f"{i % 6},{(i * 7) % 5},{'yes' if i % 6 > 2 else 'no'}" for i in range(60)]
    put(services, f"s3://{BUCKET}/automl/train/data.csv", "\n".join(rows) + "\n")
    arguments = {
        "AutoMLJobInputDataConfig": [{"ChannelType": "training", "ContentType": "text/csv;header=present",
                                      "CompressionType": "None", "DataSource": {"S3DataSource": {
                                          "S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/automl/train"}}}],
        "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/automl/output"},
        "AutoMLProblemTypeConfig": {"TabularJobConfig": {
            "TargetAttributeName": "label", "ProblemType": "BinaryClassification", "Mode": "HYPERPARAMETER_TUNING",
            "CompletionCriteria": {"MaxCandidates": 1, "MaxAutoMLJobRuntimeInSeconds": 30}}},
        "AutoMLJobObjective": {"MetricName": "Accuracy"},
    }
    executors["AutoML"].validate("AutoPilot", arguments)
    run = step_run(services, "AutoPilot", "AutoML", arguments, "AutoPilot-abcd-exec1-1")
    job = wait_for_job(services.stack, executors["AutoML"].start(run), WAIT)
    assert job.status == "Completed", services.stack.runner.logs(job.name)[-3000:]
    assert len(job.name) <= 32
    outcome = executors["AutoML"].outcome(run)
    best = outcome.properties["BestCandidate"]
    assert best["FinalAutoMLJobObjectiveMetric"]["MetricName"] == "Accuracy"
    assert 0 <= best["FinalAutoMLJobObjectiveMetric"]["Value"] <= 1
    model_data = best["InferenceContainers"][0]["ModelDataUrl"]
    assert model_data == f"s3://{BUCKET}/automl/output/{job.name}/output/model.tar.gz" and lake(services, model_data).is_file()
    assert outcome.metadata == {"AutoMLJob": {"Arn": f"arn:aws:sagemaker:local:000000000000:automl-job/{job.name}"}}
    assert services.training.get_model(job.model_id).target == "label"


@pytest.mark.parametrize(("change", "message"), [
    ({"AutoMLProblemTypeConfig": {"TextClassificationJobConfig": {}}}, "only TabularJobConfig AutoML jobs run locally"),
    ({"AutoMLJobInputDataConfig": []}, "exactly one training channel"),
])
def test_automl_steps_that_cannot_run_here_are_refused_at_upsert(executors: dict[str, StepExecutor], change: dict[str, Any],
                                                                 message: str) -> None:
    arguments = {"AutoMLJobInputDataConfig": [{"DataSource": {"S3DataSource": {"S3Uri": "s3://b/k"}}}],
                 "OutputDataConfig": {"S3OutputPath": "s3://b/o"},
                 "AutoMLProblemTypeConfig": {"TabularJobConfig": {"TargetAttributeName": "label"}}} | change
    with pytest.raises(InvalidInput, match=message):
        executors["AutoML"].validate("Auto", arguments)
