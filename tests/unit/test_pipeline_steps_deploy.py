"""Model, EndpointConfig and Endpoint steps on the local registry and endpoints: a registered package (RegisterModel
on a model.tar.gz holding model.joblib) becomes a Model by its ModelPackageName, an endpoint config names it, the
Endpoint step deploys it through the endpoints port and succeeds once it is InService; a Model from a
ModelDataUrl registers the artifact; unknown names are clear errors."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.errors import InvalidInput, NotFound
from services.pipelines.containers_models import transform_lines
from services.pipelines.steps.base import StepExecutor
from services.registry import Services, build_services
from tests.helpers.pipeline_steps import executors_of, lake, put, step_run, wait_for_job
from tests.helpers.workspace import settings_for_tests

BUCKET = "deploy-bucket"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    home = tmp_path_factory.mktemp("deploy-steps") / "workspace"
    services = build_services(settings_for_tests(home=home, seed_on_start=False))
    yield services
    for endpoint in services.endpoints.list_endpoints():
        services.endpoints.delete_endpoint(endpoint.name)
    services.stack.store.close()


@pytest.fixture(scope="module")
def executors(services: Services) -> dict[str, StepExecutor]:
    return executors_of(services)


@pytest.fixture(scope="module")
def artifact(services: Services, tmp_path_factory: pytest.TempPathFactory) -> str:
    """s3://…/model.tar.gz holding a LogisticRegression fitted on 30 rows of two named features."""
    import joblib
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    frame = pd.DataFrame({"x1": [i % 6 for i in range(30)], "x2": [(i * 7) % 5 for i in range(30)]})
    model = LogisticRegression().fit(frame, [int(i % 6 > 2) for i in range(30)])
    folder = tmp_path_factory.mktemp("model")
    joblib.dump(model, folder / "model.joblib")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(folder / "model.joblib", arcname="model.joblib")
    uri = f"s3://{BUCKET}/models/model.tar.gz"
    put(services, uri, buffer.getvalue())
    return uri


@pytest.fixture(scope="module")
def package_arn(services: Services, executors: dict[str, StepExecutor], artifact: str) -> str:
    arguments = {"ModelPackageGroupName": "deploy-test", "ModelApprovalStatus": "Approved",
                 "InferenceSpecification": {"Containers": [{"Image": IMAGE, "ModelDataUrl": artifact}],
                                            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]}}
    run = step_run(services, "Register", "RegisterModel", arguments, "register-deploy-1")
    job = wait_for_job(services.stack, executors["RegisterModel"].start(run))
    assert job.status == "Completed", services.stack.runner.logs(job.name)
    arn: str = executors["RegisterModel"].outcome(run).properties["ModelPackageArn"]
    return arn


def test_a_registered_package_is_deployed_through_model_config_and_endpoint_steps(
        services: Services, executors: dict[str, StepExecutor], package_arn: str) -> None:
    assert package_arn == "arn:aws:sagemaker:local:000000000000:model-package/deploy-test/1"
    model_run = step_run(services, "CreateModel", "Model", {"PrimaryContainer": {"ModelPackageName": package_arn},
                                                            "ExecutionRoleArn": "arn:aws:iam::123456789012:role/r"}, "model-deploy-1")
    executors["Model"].validate("CreateModel", model_run.arguments)
    assert executors["Model"].start(model_run) == ""
    model = executors["Model"].outcome(model_run)
    assert (model.properties["ModelName"], model.metadata) == (
        "model-deploy-1", {"Model": {"Arn": "arn:aws:sagemaker:local:000000000000:model/model-deploy-1"}})
    config_arguments = {"EndpointConfigName": "reviews-config", "ProductionVariants": [{
        "VariantName": "AllTraffic", "ModelName": "model-deploy-1", "InitialVariantWeight": 1.0,
        "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}], "DataCaptureConfig": {"EnableCapture": False}}
    config_run = step_run(services, "Config", "EndpointConfig", config_arguments, "config-deploy-1")
    executors["EndpointConfig"].validate("Config", config_arguments)
    assert executors["EndpointConfig"].start(config_run) == ""
    assert executors["EndpointConfig"].outcome(config_run).properties["EndpointConfigName"] == "reviews-config"
    endpoint_run = step_run(services, "Deploy", "Endpoint", {"EndpointName": "pipeline-deployed",
                                                             "EndpointConfigName": "reviews-config"}, "endpoint-deploy-1")
    assert executors["Endpoint"].start(endpoint_run) == ""
    outcome = executors["Endpoint"].outcome(endpoint_run)
    assert outcome.properties["EndpointStatus"] == "InService"
    assert outcome.metadata == {"Endpoint": {"Arn": "arn:aws:sagemaker:local:000000000000:endpoint/pipeline-deployed"}}
    described = services.endpoints.describe_endpoint("pipeline-deployed")
    assert [v.model_id for v in described.variants] == ["deploy-test/1"] and described.capture_percent == 0
    assert executors["Endpoint"].start(endpoint_run) == ""  # started again (a resumed orchestrator): the same endpoint


def test_a_transform_step_scores_csv_files_into_s3_output_path(services: Services, executors: dict[str, StepExecutor],
                                                               package_arn: str) -> None:
    model_run = step_run(services, "TransformModel", "Model", {"PrimaryContainer": {"ModelPackageName": package_arn}},
                         "model-transform-1")
    executors["Model"].start(model_run)
    put(services, f"s3://{BUCKET}/batch/in/part-1.csv", "x1,x2\n5,1\n0,3\n")
    put(services, f"s3://{BUCKET}/batch/in/more/part-2.csv", "4,4\n")
    arguments = {"ModelName": "model-transform-1", "TransformInput": {
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/batch/in"}},
        "ContentType": "text/csv", "SplitType": "Line"},
        "TransformOutput": {"S3OutputPath": f"s3://{BUCKET}/batch/out", "Accept": "text/csv", "AssembleWith": "Line"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
        "DataProcessing": {"JoinSource": "Input"}}
    executors["Transform"].validate("Score", arguments)
    run = step_run(services, "Score", "Transform", arguments, "transform-1")
    job = wait_for_job(services.stack, executors["Transform"].start(run))
    assert job.status == "Completed", services.stack.runner.logs(job.name)
    first = lake(services, f"s3://{BUCKET}/batch/out/part-1.csv.out").read_text().splitlines()
    assert [line.rsplit(",", 1)[0] for line in first] == ["5,1", "0,3"]
    assert {line.rsplit(",", 1)[1] for line in first} <= {"0", "1"}
    assert len(lake(services, f"s3://{BUCKET}/batch/out/more/part-2.csv.out").read_text().splitlines()) == 1
    outcome = executors["Transform"].outcome(run)
    assert outcome.metadata == {"TransformJob": {"Arn": "arn:aws:sagemaker:local:000000000000:transform-job/transform-1"}}
    assert outcome.properties["TransformOutput"]["S3OutputPath"] == f"s3://{BUCKET}/batch/out"


def test_records_that_do_not_fit_the_model_are_refused_with_the_reason() -> None:
    with pytest.raises(InvalidInput, match="Record 2 has 3 fields; the model reads 2: x1, x2"):
        transform_lines(None, ["x1,x2", "1,2", "1,2,3"], ["x1", "x2"], join_input=False)


def test_a_model_from_a_model_data_url_registers_the_artifact(services: Services, executors: dict[str, StepExecutor],
                                                              artifact: str) -> None:
    run = step_run(services, "FromArtifact", "Model", {"PrimaryContainer": {"Image": IMAGE, "ModelDataUrl": artifact}},
                   "model-artifact-1")
    job = wait_for_job(services.stack, executors["Model"].start(run))
    assert job.status == "Completed", services.stack.runner.logs(job.name)
    assert executors["Model"].outcome(run).properties["ModelName"] == "model-artifact-1"
    assert services.training.get_model("p-FromArtifact/1").framework == "script"


def test_an_endpoint_config_naming_an_unknown_model_fails_clearly(services: Services,
                                                                 executors: dict[str, StepExecutor], tmp_path: Path) -> None:
    arguments = {"ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": "never-created"}]}
    with pytest.raises(NotFound, match="No ModelName 'never-created' was created by a pipeline here"):
        executors["EndpointConfig"].start(step_run(services, "Config", "EndpointConfig", arguments, "config-missing-1"))
