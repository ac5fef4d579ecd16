"""The SageMaker hosting adapter, offline.

moto (``mock_aws``) answers the control plane (models, endpoint configs, endpoints, transform jobs,
model packages, tags), S3, Glue, Athena, CloudWatch and CloudWatch Logs, and returns stub bodies from
``invoke_endpoint``; botocore's ``Stubber`` stands in for realistic runtime answers, runtime errors
and the deletion sequence. moto never stands in for the local inference servers. What every endpoints
adapter must do (unknown endpoints, list shape, refused deploys, invoke and score_text answers, empty input)
is tested once, in tests/contract/test_endpoints.py.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import awswrangler as wr
import boto3
import numpy as np
import pandas as pd
import pytest
import sqlglot
from botocore.stub import Stubber
from moto import mock_aws
from moto.athena.models import athena_backends
from moto.core import DEFAULT_ACCOUNT_ID
from sqlglot import exp

from services.config import Settings
from services.embedded.metadata import MetadataStore
from services.endpoints.aws import AwsEndpoints
from services.endpoints.aws.hosting import Traffic, endpoint_from_aws, traffic_from_results
from services.endpoints.aws.monitor import capture_view_sql
from services.endpoints.aws.predictions import prediction_of
from services.endpoints.models import MAX_PAYLOAD_BYTES, DeployRequest, Endpoint, Variant
from services.errors import AlreadyExists, BackendUnavailable, InternalError, InvalidInput, NotFound, ServiceError
from services.models import DataSource, Job
from services.registry import Services, build_services
from services.training.baseline import write_baseline
from tests.helpers.aws import BUCKET, REGION, FakeClock, aws_settings, create_lake_bucket, fake_aws_credentials
from tests.helpers.aws_endpoints import (
    CLASSES,
    ENCODING,
    IMAGE,
    ROLE,
    RUNTIME,
    answer_of,
    body_of,
    fail_operation,
    register_model,
    reviews_csv,
    sagemaker_backend,
)

TABLE = DataSource(table="demo.reviews")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return replace(aws_settings(tmp_path / "workspace"), sagemaker_role=ROLE, inference_instance_type="ml.c5.xlarge")


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, settings: Settings) -> Iterator[Services]:
    fake_aws_credentials(monkeypatch, tmp_path)
    with mock_aws():
        create_lake_bucket()
        yield build_services(settings)


@pytest.fixture
def table(services: Services, tmp_path: Path) -> DataSource:
    """``demo.reviews`` in Glue and S3 (imported only where a test scores rows: it takes a few seconds)."""
    services.catalog.import_path(reviews_csv(tmp_path), "demo", "reviews")
    return TABLE


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def endpoints(services: Services, settings: Settings, clock: FakeClock) -> AwsEndpoints:
    return endpoints_with(services, settings, clock)


def endpoints_with(services: Services, settings: Settings, clock: FakeClock | None = None) -> AwsEndpoints:
    clock = clock or FakeClock()
    store = MetadataStore(settings.home / "metadata.sqlite")
    return AwsEndpoints(boto3.Session(region_name=REGION), settings, store, catalog=services.catalog, query=services.query,
                        storage=services.storage, jobs=services.jobs, poll_seconds=5, sleep=clock.sleep, clock=clock)


def capture_params(client: Any, operation: str) -> list[dict[str, Any]]:
    """Every request ``client`` sends for ``operation`` (e.g. ``CreateEndpointConfig``), as sent."""
    sent: list[dict[str, Any]] = []
    client.meta.events.register(f"before-parameter-build.{client.meta.service_model.endpoint_prefix}.{operation}",
                                lambda params, **_: sent.append(dict(params)))
    return sent


def put_s3(key: str, body: bytes) -> None:
    boto3.client("s3", region_name=REGION).put_object(Bucket=BUCKET, Key=key, Body=body)


# -- deploy -----------------------------------------------------------------------------------------


def test_deploy_sends_models_weighted_variants_and_data_capture(endpoints: AwsEndpoints) -> None:
    champion, challenger = register_model("champion"), register_model("challenger")
    models = capture_params(endpoints._sagemaker, "CreateModel")
    configs = capture_params(endpoints._sagemaker, "CreateEndpointConfig")
    created = capture_params(endpoints._sagemaker, "CreateEndpoint")
    request = DeployRequest("reviews-live", (Variant("a", champion, 0.7), Variant("b", challenger, 0.3)), capture_percent=40)
    endpoint = endpoints.deploy(request)
    assert [m["Containers"] for m in models] == [
        [{"Image": IMAGE, "ModelDataUrl": f"s3://{BUCKET}/training/{group}/model.tar.gz"}] for group in ("champion", "challenger")]
    assert {m["ExecutionRoleArn"] for m in models} == {ROLE}
    (config,) = configs
    assert [(v["VariantName"], v["ModelName"], v["InitialInstanceCount"], v["InstanceType"], v["InitialVariantWeight"])
            for v in config["ProductionVariants"]] == [
        ("a", models[0]["ModelName"], 1, "ml.c5.xlarge", 0.7), ("b", models[1]["ModelName"], 1, "ml.c5.xlarge", 0.3)]
    assert "ShadowProductionVariants" not in config
    assert config["DataCaptureConfig"] == {
        "EnableCapture": True, "InitialSamplingPercentage": 40, "DestinationS3Uri": f"s3://{BUCKET}/endpoints/reviews-live/capture/",
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        "CaptureContentTypeHeader": {"JsonContentTypes": ["application/json", "application/jsonlines"], "CsvContentTypes": ["text/csv"]}}
    assert created == [{"EndpointName": "reviews-live", "EndpointConfigName": config["EndpointConfigName"],
                        "Tags": [{"Key": "workbench:model:a", "Value": champion}, {"Key": "workbench:model:b", "Value": challenger}]}]
    assert endpoint.url == f"{RUNTIME}/endpoints/reviews-live/invocations"
    assert [(v.name, v.model_id, v.weight, v.shadow) for v in endpoint.variants] == [
        ("a", champion, 0.7, False), ("b", challenger, 0.3, False)]
    assert (endpoint.capture_percent, endpoint.framework, endpoint.input_columns) == (40, "xgboost", ("division_name", "age"))


def test_deploy_with_a_shadow_variant_and_no_capture(endpoints: AwsEndpoints) -> None:
    model_id = register_model()
    configs = capture_params(endpoints._sagemaker, "CreateEndpointConfig")
    request = DeployRequest("shadowed", (Variant("live", model_id), Variant("shadow", model_id, 0.5, shadow=True)), capture_percent=0)
    endpoints.deploy(request)
    (config,) = configs
    assert [v["VariantName"] for v in config["ProductionVariants"]] == ["live"]
    assert [(v["VariantName"], v["InitialVariantWeight"]) for v in config["ShadowProductionVariants"]] == [("shadow", 0.5)]
    assert "DataCaptureConfig" not in config


@pytest.mark.parametrize("request_", [
    DeployRequest("ok", ()),
    DeployRequest("ok", (Variant("a", "m/1", shadow=True),)),
    DeployRequest("ok", (Variant("a", "m/1"), Variant("a", "m/1"))),
    DeployRequest("ok", (Variant("bad variant", "m/1"),)),
    DeployRequest("ok", (Variant("a", ""),)),
    DeployRequest("ok", (Variant("a", "m/1", weight=0),)),
    DeployRequest("ok", (Variant("a", "m/1", weight=-1), Variant("b", "m/1"))),
    DeployRequest("ok", (Variant("a", "m/1"), Variant("b", "m/1"), Variant("c", "m/1", shadow=True))),
    DeployRequest("ok", (Variant("a", "m/1"),), capture_percent=101),
])
def test_bad_deploy_requests_are_refused_before_anything_exists(endpoints: AwsEndpoints, request_: DeployRequest) -> None:
    with pytest.raises(InvalidInput):
        endpoints.deploy(request_)
    assert sagemaker_backend()._models == {} and sagemaker_backend().endpoint_configs == {}


@pytest.mark.parametrize(("missing", "capture", "variable"), [
    ("sagemaker_role", 0, "WORKBENCH_SAGEMAKER_ROLE"),
    ("s3_bucket", 100, "WORKBENCH_S3_BUCKET"),
])
def test_missing_role_or_bucket_is_explained(services: Services, settings: Settings, missing: str, capture: int,
                                             variable: str) -> None:
    endpoints = endpoints_with(services, replace(settings, **{missing: None}))  # type: ignore[arg-type]
    with pytest.raises(BackendUnavailable) as caught:
        endpoints.deploy(DeployRequest("ep", (Variant("a", "m/1"),), capture_percent=capture))
    assert variable in caught.value.hint


def test_no_bucket_is_needed_without_capture(services: Services, settings: Settings) -> None:
    model_id = register_model()
    endpoints = endpoints_with(services, replace(settings, s3_bucket=None))
    assert endpoints.deploy(DeployRequest("ep", (Variant("a", model_id),), capture_percent=0)).capture_percent == 0


def test_a_failed_create_endpoint_removes_the_models_and_config_it_made(endpoints: AwsEndpoints) -> None:
    model_id = register_model()
    fail_operation(endpoints._sagemaker, "CreateEndpoint", "ResourceLimitExceeded", "no more ml.c5.xlarge instances")
    with pytest.raises(BackendUnavailable, match="no more ml.c5.xlarge"):
        endpoints.deploy(DeployRequest("ep", (Variant("a", model_id),)))
    assert sagemaker_backend()._models == {} and sagemaker_backend().endpoint_configs == {}


# -- describe, list, wait, delete -------------------------------------------------------------------


def raw_endpoint(status: str, **extra: Any) -> dict[str, Any]:
    return {"EndpointName": "ep", "EndpointArn": "arn:aws:sagemaker:us-east-1:1:endpoint/ep", "EndpointStatus": status,
            "CreationTime": datetime(2025, 1, 1, tzinfo=UTC), "ProductionVariants": [{"VariantName": "a", "CurrentWeight": 2.0}],
            **extra}


@pytest.mark.parametrize(("status", "ours", "reason"), [
    ("Creating", "Creating", ""),
    ("InService", "InService", ""),
    ("Updating", "InService", ""),
    ("SystemUpdating", "InService", ""),
    ("RollingBack", "InService", ""),
    ("Deleting", "Deleting", ""),
    ("Failed", "Failed", "The primary container did not pass the ping health check."),
    ("OutOfService", "Failed", "OutOfService"),
    ("UpdateRollbackFailed", "Failed", "The primary container did not pass the ping health check."),
])
def test_sagemaker_statuses_map_to_ours(status: str, ours: str, reason: str) -> None:
    failure = {"FailureReason": "The primary container did not pass the ping health check."} if status != "OutOfService" else {}
    endpoint = endpoint_from_aws(raw_endpoint(status, **failure), {}, {"a": "m/1"}, None, {}, RUNTIME)
    assert endpoint.status == ours
    assert reason in endpoint.failure_reason and bool(endpoint.failure_reason) == bool(reason)
    assert (endpoint.uptime_seconds is not None) == (ours == "InService")
    assert [(v.name, v.model_id, v.weight) for v in endpoint.variants] == [("a", "m/1", 2.0)]


def test_traffic_figures_sum_counts_and_convert_latency_to_milliseconds() -> None:
    results: list[dict[str, Any]] = [{"Id": "m0_0", "Values": [3.0, 4.0]}, {"Id": "m0_1", "Values": [1.0]}, {"Id": "m0_2", "Values": [2.0]},
               {"Id": "m0_3", "Values": [1500.0, 2500.0]}, {"Id": "m0_4", "Values": [9000.0]}, {"Id": "m1_0", "Values": []}]
    traffic = traffic_from_results(["a", "b"], results)
    assert traffic == {"a": Traffic(7, 3, 2.5, 9.0), "b": Traffic(0, 0, None, None)}
    config = {"ProductionVariants": [{"VariantName": "a", "InitialVariantWeight": 1.0}],
              "ShadowProductionVariants": [{"VariantName": "b", "InitialVariantWeight": 1.0}]}
    endpoint = endpoint_from_aws(raw_endpoint("InService"), config, {}, None, traffic | {"b": Traffic(50, 50, 99.0, 99.0)}, RUNTIME)
    # shadow variants never answer, so their traffic is not the endpoint's
    assert (endpoint.requests, endpoint.errors, endpoint.latency_p50_ms, endpoint.latency_p99_ms) == (7, 3, 2.5, 9.0)
    assert [v.shadow for v in endpoint.variants] == [False, True]


def test_describe_reads_invocation_counts_from_cloudwatch(endpoints: AwsEndpoints) -> None:
    endpoints.deploy(DeployRequest("counted", (Variant("a", register_model()),)))
    dimensions = [{"Name": "EndpointName", "Value": "counted"}, {"Name": "VariantName", "Value": "a"}]
    boto3.client("cloudwatch", region_name=REGION).put_metric_data(Namespace="AWS/SageMaker", MetricData=[
        {"MetricName": "Invocations", "Dimensions": dimensions, "Value": 12.0},
        {"MetricName": "Invocation4XXErrors", "Dimensions": dimensions, "Value": 2.0}])
    endpoint = endpoints.describe_endpoint("counted")
    assert (endpoint.requests, endpoint.errors, endpoint.variants[0].requests) == (12, 2, 12)


@pytest.mark.parametrize("code", ["AccessDenied", "AccessDeniedException"])
def test_metrics_without_permission_leave_the_figures_empty_and_say_so(endpoints: AwsEndpoints, code: str) -> None:
    endpoints.deploy(DeployRequest("counted", (Variant("a", register_model()),)))
    with Stubber(endpoints._cloudwatch) as stubber:
        stubber.add_client_error("get_metric_data", code, "User: arn:aws:iam::123456789012:user/analyst is not authorized "
                                 "to perform: cloudwatch:GetMetricData", 403)
        endpoint = endpoints.describe_endpoint("counted")
    assert (endpoint.status, endpoint.requests, endpoint.latency_p50_ms) == ("InService", 0, None)
    assert endpoint.notes == ("Traffic metrics unavailable: no permission to read CloudWatch metrics "
                              "(cloudwatch:GetMetricData).",)


@pytest.mark.parametrize(("code", "status", "error"), [("Throttling", 400, BackendUnavailable),
                                                       ("InternalServiceError", 500, InternalError)])
def test_other_cloudwatch_errors_are_not_swallowed(endpoints: AwsEndpoints, code: str, status: int,
                                                   error: type[ServiceError]) -> None:
    endpoints.deploy(DeployRequest("counted", (Variant("a", register_model()),)))
    with Stubber(endpoints._cloudwatch) as stubber:
        stubber.add_client_error("get_metric_data", code, "Rate exceeded", status)
        with pytest.raises(error, match="Rate exceeded"):
            endpoints.describe_endpoint("counted")


def test_list_endpoints_newest_first(endpoints: AwsEndpoints) -> None:
    model_id = register_model()
    for name in ("older", "newer"):
        endpoints.deploy(DeployRequest(name, (Variant("a", model_id),), capture_percent=0))
    listed = endpoints.list_endpoints()
    assert [e.name for e in listed] == ["newer", "older"]
    assert all(e.status == "InService" and e.variants[0].model_id == model_id for e in listed)


def test_wait_for_endpoint_polls_until_in_service_or_timeout(endpoints: AwsEndpoints, clock: FakeClock,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["Creating", "Creating", "InService"])
    monkeypatch.setattr(endpoints, "describe_endpoint", lambda name: Endpoint(name, next(answers), "", (), ""))
    assert endpoints.wait_for_endpoint("ep").status == "InService"
    assert clock.sleeps == [5, 5]
    monkeypatch.setattr(endpoints, "describe_endpoint", lambda name: Endpoint(name, "Creating", "", (), ""))
    assert endpoints.wait_for_endpoint("ep", timeout_seconds=12).status == "Creating"


def test_delete_removes_the_endpoint_its_config_and_its_models(endpoints: AwsEndpoints) -> None:
    model_id = register_model()
    endpoints.deploy(DeployRequest("doomed", (Variant("a", model_id), Variant("b", model_id))))
    endpoints.deploy(DeployRequest("kept", (Variant("a", model_id),)))
    endpoints.delete_endpoint("doomed")
    with pytest.raises(NotFound):
        endpoints.describe_endpoint("doomed")
    assert [m.startswith("kept-") for m in sagemaker_backend()._models] == [True]
    assert [c.startswith("kept-") for c in sagemaker_backend().endpoint_configs] == [True]
    with pytest.raises(NotFound):
        endpoints.delete_endpoint("doomed")


def test_delete_waits_until_sagemaker_has_removed_the_endpoint(endpoints: AwsEndpoints, clock: FakeClock) -> None:
    described = {"EndpointName": "ep", "EndpointArn": "arn:aws:sagemaker:us-east-1:1:endpoint/ep", "EndpointConfigName": "ep-cfg",
                 "EndpointStatus": "InService", "CreationTime": datetime(2025, 1, 1), "LastModifiedTime": datetime(2025, 1, 1)}
    config = {"EndpointConfigName": "ep-cfg", "EndpointConfigArn": "arn:aws:sagemaker:us-east-1:1:endpoint-config/ep-cfg",
              "CreationTime": datetime(2025, 1, 1), "ProductionVariants": [{"VariantName": "a", "ModelName": "ep-a-1"}],
              "ShadowProductionVariants": [{"VariantName": "s", "ModelName": "ep-s-1"}]}
    with Stubber(endpoints._sagemaker) as stubber:
        stubber.add_response("describe_endpoint", described, {"EndpointName": "ep"})
        stubber.add_response("describe_endpoint_config", config, {"EndpointConfigName": "ep-cfg"})
        stubber.add_response("delete_endpoint", {}, {"EndpointName": "ep"})
        stubber.add_response("describe_endpoint", described | {"EndpointStatus": "Deleting"}, {"EndpointName": "ep"})
        stubber.add_client_error("describe_endpoint", "ValidationException", "Could not find endpoint ep.")
        stubber.add_response("delete_endpoint_config", {}, {"EndpointConfigName": "ep-cfg"})
        stubber.add_response("delete_model", {}, {"ModelName": "ep-a-1"})
        stubber.add_client_error("delete_model", "ValidationException", 'Could not find model "ep-s-1".')
        endpoints.delete_endpoint("ep")
        stubber.assert_no_pending_responses()
    assert clock.sleeps == [5]


def test_delete_gives_up_waiting_with_a_clear_error(endpoints: AwsEndpoints) -> None:
    endpoints.delete_timeout_seconds = 10
    described = {"EndpointName": "ep", "EndpointArn": "arn:aws:sagemaker:us-east-1:1:endpoint/ep", "EndpointConfigName": "ep-cfg",
                 "EndpointStatus": "Deleting", "CreationTime": datetime(2025, 1, 1), "LastModifiedTime": datetime(2025, 1, 1)}
    with Stubber(endpoints._sagemaker) as stubber:
        stubber.add_response("describe_endpoint", described)
        stubber.add_client_error("describe_endpoint_config", "ValidationException", "Could not find endpoint configuration.")
        stubber.add_response("delete_endpoint", {})
        for _ in range(4):
            stubber.add_response("describe_endpoint", described)
        with pytest.raises(BackendUnavailable, match="still deleting"):
            endpoints.delete_endpoint("ep")


def test_endpoint_logs_tail_cloudwatch(endpoints: AwsEndpoints) -> None:
    endpoints.deploy(DeployRequest("logged", (Variant("a", register_model()),)))
    assert endpoints.endpoint_logs("logged") == ""
    logs = boto3.client("logs", region_name=REGION)
    group = "/aws/sagemaker/Endpoints/logged"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="a/i-0123")
    now = int(datetime.now(UTC).timestamp() * 1000)
    logs.put_log_events(logGroupName=group, logStreamName="a/i-0123",
                        logEvents=[{"timestamp": now, "message": "starting the model server"},
                                   {"timestamp": now + 1, "message": "GET /ping 200"}])
    assert endpoints.endpoint_logs("logged") == "starting the model server\nGET /ping 200"
    assert endpoints.endpoint_logs("logged", tail_bytes=12) == "GET /ping 200"[-12:]


# -- invoking ---------------------------------------------------------------------------------------


def test_gateway_url_is_the_regions_runtime(endpoints: AwsEndpoints) -> None:
    assert endpoints.gateway_url() == RUNTIME


def test_invoke_through_moto_returns_its_stub_body(endpoints: AwsEndpoints) -> None:
    sent = capture_params(endpoints._runtime, "InvokeEndpoint")
    result = endpoints.invoke("ep", b"3,40", content_type="text/csv", accept="text/csv", target_variant="b",
                              custom_attributes="trace=1")
    assert (result.body, result.variant, result.status_code) == (b"body", "invoked_production_variant", 200)
    assert result.latency_ms >= 0
    assert sent == [{"EndpointName": "ep", "Body": b"3,40", "ContentType": "text/csv", "Accept": "text/csv", "TargetVariant": "b",
                     "CustomAttributes": "trace=1"}]


def test_score_text_with_moto_stub_body_explains_the_unexpected_format(endpoints: AwsEndpoints) -> None:
    with pytest.raises(InternalError, match="unexpected format") as caught:
        endpoints.score_text("ep", "Lovely dress")
    assert "JSON" in caught.value.hint


def test_score_text_parses_the_workbench_json_answer(endpoints: AwsEndpoints) -> None:
    answer = json.dumps({"predictions": [{"predicted_label": "positive", "probability": 0.8,
                                          "probabilities": {"negative": 0.05, "neutral": 0.15, "positive": 0.8}}]}).encode()
    with Stubber(endpoints._runtime) as stubber:
        stubber.add_response("invoke_endpoint", {"Body": body_of(answer), "ContentType": "application/json",
                                                 "InvokedProductionVariant": "champion"},
                             {"EndpointName": "ep", "Body": json.dumps({"instances": ["Lovely dress"]}).encode(),
                              "ContentType": "application/json", "Accept": "application/json"})
        scored = endpoints.score_text("ep", "Lovely dress")
    assert (scored.predicted_label, scored.probability, scored.variant) == ("positive", 0.8, "champion")
    assert scored.probabilities == {"negative": 0.05, "neutral": 0.15, "positive": 0.8}


def serving(endpoints: AwsEndpoints, model_id: str, name: str = "tabular") -> str:
    endpoints.deploy(DeployRequest(name, (Variant("a", model_id),), capture_percent=0))
    return name


def test_score_record_sends_csv_encoded_as_at_training_and_reads_xgboosts_class_probabilities(endpoints: AwsEndpoints) -> None:
    name = serving(endpoints, register_model())
    with Stubber(endpoints._runtime) as stubber:
        # category codes in the training CSV's column order, no header; multi:softprob answers every class's probability
        stubber.add_response("invoke_endpoint", answer_of(b"[0.05, 0.05, 0.1, 0.2, 0.6]", "text/csv"),
                             {"EndpointName": name, "Body": b"0,31\n", "ContentType": "text/csv", "Accept": "text/csv"})
        scored = endpoints.score_record(name, {"age": 31, "division_name": "General"})
    assert (scored.predicted_label, scored.probability, scored.variant) == ("5", 0.6, "a")
    assert scored.probabilities == {"1": 0.05, "2": 0.05, "3": 0.1, "4": 0.2, "5": 0.6}


def test_score_record_reads_linear_learners_json_and_fills_missing_values_as_at_training(endpoints: AwsEndpoints) -> None:
    name = serving(endpoints, register_model("ll", "linear-learner", classes=["negative", "positive"],
                                             encoding=ENCODING | {"fill_missing": True}))
    with Stubber(endpoints._runtime) as stubber:
        # "Plus" was never seen in training: a missing category code, sent as 0 like the training CSV's gaps
        stubber.add_response("invoke_endpoint", answer_of(json.dumps({"predictions": [{"score": 0.8, "predicted_label": 1}]}).encode(),
                                                          "application/json"),
                             {"EndpointName": name, "Body": b"0.0,52\n", "ContentType": "text/csv", "Accept": "application/json"})
        scored = endpoints.score_record(name, {"division_name": "Plus", "age": 52})
    assert (scored.predicted_label, scored.probability) == ("positive", 0.8)
    assert scored.probabilities == pytest.approx({"negative": 0.2, "positive": 0.8})


@pytest.mark.parametrize(("framework", "answer", "content_type", "label"), [
    ("xgboost", b"4.25", "text/csv", "4.25"),
    ("linear-learner", b'{"predictions": [{"score": 4.25}]}', "application/json", "4.25"),
])
def test_score_record_reads_a_regressors_value(endpoints: AwsEndpoints, framework: str, answer: bytes, content_type: str,
                                               label: str) -> None:
    name = serving(endpoints, register_model("regressor", framework, classes=[]))
    with Stubber(endpoints._runtime) as stubber:
        stubber.add_response("invoke_endpoint", answer_of(answer, content_type))
        scored = endpoints.score_record(name, {"division_name": "Petite", "age": 40})
    assert (scored.predicted_label, scored.probability, scored.probabilities) == (label, None, {})


def test_score_record_of_an_answer_in_no_known_shape_is_a_clear_error(endpoints: AwsEndpoints) -> None:
    name = serving(endpoints, register_model())
    with Stubber(endpoints._runtime) as stubber:
        stubber.add_response("invoke_endpoint", answer_of(b'{"unexpected": true}', "application/json"))
        with pytest.raises(InternalError, match="unexpected format"):
            endpoints.score_record(name, {"division_name": "Petite", "age": 40})


def test_score_record_refuses_a_row_without_the_models_columns(endpoints: AwsEndpoints) -> None:
    name = serving(endpoints, register_model())
    with Stubber(endpoints._runtime), pytest.raises(InvalidInput, match="age"):  # nothing is sent
        endpoints.score_record(name, {"division_name": "Petite"})


@pytest.mark.parametrize(("status", "error"), [(400, InvalidInput), (500, BackendUnavailable)])
def test_model_errors_keep_the_models_message(endpoints: AwsEndpoints, status: int, error: type[ServiceError]) -> None:
    with Stubber(endpoints._runtime) as stubber:
        stubber.add_client_error("invoke_endpoint", "ModelError", "Received client error (400) from primary", 424,
                                 modeled_fields={"OriginalStatusCode": status, "OriginalMessage": "could not parse CSV row 1"})
        with pytest.raises(error, match="could not parse CSV row 1"):
            endpoints.invoke("ep", b"x", content_type="text/csv")


def test_oversized_payloads_are_refused_before_calling(endpoints: AwsEndpoints) -> None:
    with Stubber(endpoints._runtime), pytest.raises(InvalidInput, match="at most"):  # any call would fail: nothing is queued
        endpoints.invoke("ep", b"x" * (MAX_PAYLOAD_BYTES + 1))


# -- capture --------------------------------------------------------------------------------------


def capture_line(event: str, time: str, data: str, encoding: str = "JSON", content_type: str = "application/json") -> str:
    return json.dumps({"captureData": {
        "endpointInput": {"observedContentType": content_type, "mode": "INPUT", "data": data, "encoding": encoding},
        "endpointOutput": {"observedContentType": "application/json", "mode": "OUTPUT",
                           "data": '{"predictions": [{"predicted_label": "positive"}]}', "encoding": "JSON"}},
        "eventMetadata": {"eventId": event, "inferenceTime": time}, "eventVersion": "0"})


def test_captured_files_in_s3_are_read_as_flat_rows(endpoints: AwsEndpoints) -> None:
    prefix = "endpoints/live/capture/live"
    put_s3(f"{prefix}/a/2025/01/01/10/one.jsonl", "\n".join([
        capture_line("e2", "2025-01-01T10:00:02Z", '{"instances": ["so soft"]}'), "not json",
        capture_line("e1", "2025-01-01T10:00:01Z", '{"instances": ["too small"]}')]).encode())
    encoded = base64.b64encode(b"3,41").decode()
    put_s3(f"{prefix}/b/2025/01/01/11/two.jsonl", capture_line("e3", "2025-01-01T11:00:00Z", encoded, "BASE64", "text/x-csv").encode())
    frame = endpoints.read_capture("live")
    assert list(frame.columns) == ["event_id", "inference_time", "variant", "input_content_type", "input_data",
                                   "output_content_type", "output_data"]
    assert frame[["event_id", "variant", "input_data"]].values.tolist() == [
        ["e1", "a", '{"instances": ["too small"]}'], ["e2", "a", '{"instances": ["so soft"]}'], ["e3", "b", "3,41"]]
    assert frame["output_data"].iloc[0] == '{"predictions": [{"predicted_label": "positive"}]}'
    assert endpoints.read_capture("quiet").empty


def test_capture_table_catalogs_the_raw_capture_and_creates_the_flat_view(endpoints: AwsEndpoints) -> None:
    endpoints.deploy(DeployRequest("reviews-live", (Variant("a", register_model()),)))
    assert endpoints.capture_table("reviews-live") == "endpoints.reviews_live_capture"
    raw = endpoints.catalog.get_table("endpoints", "reviews_live_capture_raw")
    assert raw.location == f"s3://{BUCKET}/endpoints/reviews-live/capture/"
    assert [c.name for c in raw.columns] == ["capturedata", "eventmetadata", "eventversion"]
    queries = [e.query for e in athena_backends[DEFAULT_ACCOUNT_ID][REGION].executions.values()]
    assert queries == [capture_view_sql("endpoints", "reviews_live_capture")]
    assert endpoints.capture_table("reviews-live") == "endpoints.reviews_live_capture"  # refresh
    with pytest.raises(NotFound):
        endpoints.capture_table("never-deployed")


def test_capture_view_has_the_local_capture_columns() -> None:
    sql = capture_view_sql("endpoints", "live_capture")
    view = sqlglot.parse_one(sql, read="athena")
    assert isinstance(view, exp.Create) and view.this.sql(dialect="athena") == '"endpoints"."live_capture"'
    query = view.expression
    inner = query.find(exp.Subquery).this
    assert inner.named_selects == ["event_id", "inference_time", "variant", "input_content_type", "input_data",
                                   "output_content_type", "output_data"]
    assert query.named_selects[1:] == ["predicted_label", "probability", "prediction_count"]
    assert inner.find(exp.Table).sql(dialect="athena") == '"endpoints"."live_capture_raw"'


# -- drift reports ----------------------------------------------------------------------------------

LABEL_SHARES = [0.1, 0.1, 0.2, 0.3, 0.3]


def training_rows(rows: int, seed: int, age_shift: float = 0.0, divisions: tuple[str, ...] = ("General", "Intimates", "Petite"),
                  division_shares: tuple[float, ...] = (0.6, 0.15, 0.25)) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"division_name": rng.choice(divisions, rows, p=division_shares),
                         "age": np.round(rng.normal(40 + age_shift, 10, rows)).astype(int)})


def predicted_labels(rows: int, seed: int, shares: list[float] = LABEL_SHARES) -> list[str]:
    return list(np.random.default_rng(seed).choice(CLASSES, rows, p=shares))


def put_baseline(tmp_path: Path, model_id: str) -> None:
    """A baseline written by ``write_baseline`` (with predictions) where the adapter looks for it in S3."""
    frame = training_rows(3000, seed=1)
    predictions = pd.DataFrame({"predicted_label": predicted_labels(3000, seed=1), "probability": 0.8})
    folder = tmp_path / "made" / model_id / "baseline"
    write_baseline(frame, ["division_name", "age"], "", predictions, folder)
    for name in ("statistics.json", "constraints.json"):
        put_s3(f"models/{model_id}/baseline/{name}", (folder / name).read_bytes())


def put_json_capture(name: str, variant: str, frame: pd.DataFrame, labels: list[str], hour: str) -> None:
    """SageMaker's capture of JSON requests of 10 records each, in the hour's folder."""
    lines = []
    for start in range(0, len(frame), 10):
        records = frame.iloc[start:start + 10].to_dict("records")
        answer = {"predictions": [{"predicted_label": label, "probability": 0.8} for label in labels[start:start + 10]]}
        lines.append(json.dumps({"captureData": {
            "endpointInput": {"observedContentType": "application/json", "mode": "INPUT",
                              "data": json.dumps({"instances": records}, default=int), "encoding": "JSON"},
            "endpointOutput": {"observedContentType": "application/json", "mode": "OUTPUT", "data": json.dumps(answer),
                               "encoding": "JSON"}},
            "eventMetadata": {"eventId": f"{variant}-{hour}-{start}", "inferenceTime": f"{hour}:{start % 60:02d}:00Z"},
            "eventVersion": "0"}))
    put_s3(f"endpoints/{name}/capture/{name}/{variant}/{hour.replace('-', '/').replace('T', '/')}/capture.jsonl",
           "\n".join(lines).encode())


def put_csv_capture(name: str, variant: str, frame: pd.DataFrame, labels: list[str], hour: str) -> None:
    """SageMaker's capture of one-row CSV requests it was not told are CSV (so BASE64-encoded), answered in CSV."""
    lines = [json.dumps({"captureData": {
        "endpointInput": {"observedContentType": "text/x-csv", "mode": "INPUT", "encoding": "BASE64",
                          "data": base64.b64encode(f"{row.division_name},{row.age}".encode()).decode()},
        "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": f"{label},0.9", "encoding": "CSV"}},
        "eventMetadata": {"eventId": f"{variant}-{i}", "inferenceTime": f"{hour}:00:{i % 60:02d}Z"}, "eventVersion": "0"})
        for i, (row, label) in enumerate(zip(frame.itertuples(), labels))]
    put_s3(f"endpoints/{name}/capture/{name}/{variant}/{hour.replace('-', '/').replace('T', '/')}/csv.jsonl", "\n".join(lines).encode())


def shifted_rows(rows: int, seed: int) -> pd.DataFrame:
    return training_rows(rows, seed, age_shift=25, divisions=("Petite", "Plus"), division_shares=(0.5, 0.5))


@pytest.fixture
def live(endpoints: AwsEndpoints, tmp_path: Path) -> dict[str, str]:
    """Endpoint ``live``: variant a serves like training, variant b gets older customers, a new division and
    answers "1" (half of it CSV); both models' baselines are in S3."""
    models = {"a": register_model("champion"), "b": register_model("challenger")}
    for model_id in models.values():
        put_baseline(tmp_path, model_id)
    endpoints.deploy(DeployRequest("live", (Variant("a", models["a"]), Variant("b", models["b"])), capture_percent=100))
    put_json_capture("live", "a", training_rows(300, seed=2), predicted_labels(300, seed=2), "2025-01-01T10")
    put_json_capture("live", "a", training_rows(300, seed=3), predicted_labels(300, seed=3), "2025-01-01T11")
    put_json_capture("live", "b", shifted_rows(200, seed=4), ["1"] * 200, "2025-01-01T10")
    put_csv_capture("live", "b", shifted_rows(100, seed=5), ["1"] * 100, "2025-01-01T11")
    return models


def test_drift_report_of_calm_traffic_against_the_baseline_in_s3_has_no_violations(endpoints: AwsEndpoints,
                                                                                  live: dict[str, str]) -> None:
    report = endpoints.drift_report("live")
    assert (report.endpoint, report.baseline_model_id, report.rows) == ("live", live["a"], 600)
    assert report.violations == (), report.violations
    assert {f.feature: f.kind for f in report.features} == {"division_name": "categorical", "age": "numeric"}
    assert all(f.psi is not None and f.psi < 0.05 for f in report.features), report.features
    assert report.prediction_drift is not None and report.prediction_drift.psi < 0.05  # type: ignore[operator]
    assert [(row["hour"], row["rows"]) for row in report.over_time] == [("2025-01-01T10", 300), ("2025-01-01T11", 300)]
    assert not (endpoints.settings.home / "aws-baselines").exists()  # nothing computed: S3 had it


def test_drift_report_of_shifted_traffic_flags_columns_and_predictions(endpoints: AwsEndpoints, live: dict[str, str]) -> None:
    report = endpoints.drift_report("live", baseline_model_id=live["b"])  # the variant serving it: b
    assert (report.baseline_model_id, report.rows) == (live["b"], 300)
    drift = {f.feature: f for f in report.features}
    assert drift["age"].psi > 1 and drift["age"].ks > 0.5  # type: ignore[operator]
    assert "never seen in training" in drift["division_name"].violation and "'Plus'" in drift["division_name"].violation
    assert report.prediction_drift is not None and "predictions have shifted" in report.prediction_drift.violation
    assert any(v.startswith("age: PSI") for v in report.violations) and len(report.violations) >= 4


def glue_table(qualified_name: str, columns: dict[str, str]) -> None:
    """A Parquet table in Glue (its rows come from the fake query port)."""
    session = boto3.Session(region_name=REGION)
    database, table = qualified_name.split(".")
    wr.catalog.create_database(database, exist_ok=True, boto3_session=session)
    wr.catalog.create_parquet_table(database, table, f"s3://{BUCKET}/lake/{database}/{table}/", columns, boto3_session=session)


class FakeQuery:
    """The query port's ``run``/``export_result``, answering every query with ``frame`` as Parquet."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.sql: list[str] = []

    def run(self, sql: str, database: str | None = None, max_rows: int | None = None) -> SimpleNamespace:
        self.sql.append(sql)
        return SimpleNamespace(query_id=f"q{len(self.sql)}")

    def export_result(self, query_id: str, fmt: str) -> bytes:
        assert fmt == "parquet"
        return self.frame.to_parquet(index=False)


def test_without_a_stored_baseline_one_is_computed_from_a_seeded_sample_of_the_training_table(
        endpoints: AwsEndpoints, monkeypatch: pytest.MonkeyPatch) -> None:
    glue_table("demo.reviews", {"review_text": "string", "rating": "bigint", "division_name": "string", "age": "bigint"})
    job = "training-250101-000000-ab12"
    index = endpoints.jobs.index  # type: ignore[attr-defined]
    index.add(job, "training", {"source": {"table": "demo.reviews", "path": "", "table_version": "1"}, "target": "rating",
                                "text_column": ""})
    index.save(Job(job, "training", "Completed", "Completed", "2025-01-01T00:00:00+00:00"), settled=True)
    model_id = register_model("computed", job=job)
    query = FakeQuery(training_rows(3000, seed=1))
    monkeypatch.setattr(endpoints, "query", query)
    endpoints.deploy(DeployRequest("fresh", (Variant("a", model_id),), capture_percent=100))
    put_json_capture("fresh", "a", shifted_rows(300, seed=6), ["1"] * 300, "2025-01-01T10")
    report = endpoints.drift_report("fresh")
    (sql,) = query.sql
    parsed = sqlglot.parse_one(sql, read="athena")
    assert [s.sql(dialect="athena") for s in parsed.expressions] == ['"division_name"', '"age"']
    assert parsed.find(exp.Table).sql(dialect="athena") == '"demo"."reviews"'
    assert parsed.args["where"].this.sql(dialect="athena") == 'NOT "rating" IS NULL'
    assert "XXHASH64" in parsed.args["order"].sql(dialect="athena").upper() and parsed.args["limit"].expression.this == "50000"
    assert report.prediction_drift is None  # the computed baseline has no predictions to compare with
    assert {f.feature for f in report.features if f.violation} == {"division_name", "age"}
    cached = endpoints.settings.home / "aws-baselines" / "computed" / "1" / "baseline"
    statistics = json.loads((cached / "statistics.json").read_text())
    assert statistics["dataset"]["item_count"] == 3000 and statistics["prediction"] is None
    assert "No predicted-label distribution" in statistics["notes"][0]
    put_json_capture("fresh", "a", training_rows(3000, seed=7), predicted_labels(3000, seed=7), "2025-01-01T11")
    assert endpoints.drift_report("fresh").rows == 3300 and len(query.sql) == 1  # the cached baseline: no second query


def test_drift_report_of_a_table_uses_a_sample_read_through_the_query_port(endpoints: AwsEndpoints, live: dict[str, str],
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    glue_table("scores.reviews_scored", {"division_name": "string", "age": "bigint", "predicted_label": "string"})
    glue_table("demo.unrelated", {"colour": "string"})
    query = FakeQuery(training_rows(500, seed=8).assign(predicted_label=["1"] * 500))
    monkeypatch.setattr(endpoints, "query", query)
    report = endpoints.drift_report("live", source=DataSource(table="scores.reviews_scored"))
    assert sqlglot.parse_one(query.sql[0], read="athena").named_selects == ["division_name", "age", "predicted_label"]
    assert (report.rows, report.over_time) == (500, ())
    assert report.prediction_drift is not None and report.violations == (report.prediction_drift.violation,)
    with pytest.raises(InvalidInput, match="none of the columns"):
        endpoints.drift_report("live", source=DataSource(table="demo.unrelated"))
    assert len(query.sql) == 1


def test_drift_report_without_capture_baseline_or_endpoint_is_a_clear_error(endpoints: AwsEndpoints, tmp_path: Path) -> None:
    model_id = register_model("quiet")
    endpoints.deploy(DeployRequest("quiet", (Variant("a", model_id),), capture_percent=100))
    put_baseline(tmp_path, model_id)
    with pytest.raises(InvalidInput, match="no captured traffic yet") as caught:
        endpoints.drift_report("quiet")
    assert caught.value.hint
    unbaselined = register_model("no-job")  # registered without a training job, and no baseline in S3
    with pytest.raises(InvalidInput, match="no training job") as caught:
        endpoints.drift_report("quiet", baseline_model_id=unbaselined)
    assert f"s3://{BUCKET}/models/no-job/1/baseline/" in caught.value.hint
    with pytest.raises(NotFound):
        endpoints.drift_report("never-deployed")


# -- batch transform --------------------------------------------------------------------------------


def test_batch_transform_scores_encoded_rows_and_registers_the_output_table(endpoints: AwsEndpoints, table: DataSource) -> None:
    model_id = register_model("scorer")
    name = endpoints.start_batch_transform(model_id, TABLE, "scores.reviews_scored")
    raw = endpoints._sagemaker.describe_transform_job(TransformJobName=name)
    assert raw["TransformInput"] == {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/transform/{name}/input/"}},
                                     "ContentType": "text/csv", "SplitType": "Line"}
    assert raw["TransformOutput"]["S3OutputPath"] == f"s3://{BUCKET}/transform/{name}/output/"
    assert raw["ModelName"] == "scorer-v1"
    assert raw["TransformResources"]["InstanceCount"] == 1
    sent = pd.read_csv(io.BytesIO(boto3.client("s3", region_name=REGION).get_object(
        Bucket=BUCKET, Key=f"transform/{name}/input/data.csv")["Body"].read()), header=None)
    assert sent.shape == (30, 2)  # the model's two encoded features, no header
    scores = "\n".join(",".join("0.9" if c == i % 5 else "0.025" for c in range(5)) for i in range(30))
    put_s3(f"transform/{name}/output/data.csv.out", scores.encode())
    job = endpoints.describe_batch_transform(name)
    assert (job.status, job.model_id, job.result["output_table"]) == ("Completed", model_id, "scores.reviews_scored")
    output = endpoints.catalog.get_table("scores", "reviews_scored")
    assert output.location == f"s3://{BUCKET}/batch/scores/reviews_scored/"
    scored = wr.s3.read_parquet(output.location, dataset=True, boto3_session=endpoints.session)
    assert len(scored) == 30 and {"review_text", "rating", "predicted_label", "probability"} <= set(scored.columns)
    assert (scored["predicted_label"] == scored["rating"].astype(str)).all()
    assert endpoints.list_batch_transforms()[0].name == name


def multiclass_output(rows: int) -> bytes:
    """XGBoost's multi:softprob answer, one line of class probabilities per input row."""
    return "\n".join(",".join("0.9" if c == i % 5 else "0.025" for c in range(5)) for i in range(rows)).encode()


def test_a_completed_job_stays_in_progress_until_its_output_is_registered(endpoints: AwsEndpoints, table: DataSource) -> None:
    name = endpoints.start_batch_transform(register_model(), TABLE, "scores.pending")
    job = endpoints.describe_batch_transform(name)  # moto says Completed, but no output was written yet
    assert (job.status, job.secondary_status, job.finished) == ("InProgress", "Registering", False)
    assert "settle_error" in job.result
    assert endpoints.batches.find(name).settled is False  # type: ignore[union-attr]
    put_s3(f"transform/{name}/output/data.csv.out", multiclass_output(30))
    done = endpoints.describe_batch_transform(name)
    assert (done.status, done.result["output_table"]) == ("Completed", "scores.pending")
    assert endpoints.catalog.get_table("scores", "pending").location == f"s3://{BUCKET}/batch/scores/pending/"


def test_the_output_table_is_registered_through_the_storage_port(endpoints: AwsEndpoints, table: DataSource,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    registered: list[tuple[str, str, str]] = []
    register = endpoints.storage.register_table
    monkeypatch.setattr(endpoints.storage, "register_table",
                        lambda database, name, location: registered.append((database, name, str(location))) or register(
                            database, name, location))
    name = endpoints.start_batch_transform(register_model(), TABLE, "scores.through_storage")
    put_s3(f"transform/{name}/output/data.csv.out", multiclass_output(30))
    assert endpoints.describe_batch_transform(name).status == "Completed"
    assert registered == [("scores", "through_storage", f"s3://{BUCKET}/batch/scores/through_storage/")]


def test_a_refused_registration_fails_the_job_with_the_reason_and_is_tried_again(endpoints: AwsEndpoints, table: DataSource) -> None:
    name = endpoints.start_batch_transform(register_model(), TABLE, "scores.refused")
    put_s3(f"transform/{name}/output/data.csv.out", multiclass_output(30))
    denied = {"Error": {"Code": "AccessDeniedException", "Message": "not authorized to perform: glue:CreateTable"},
              "ResponseMetadata": {"HTTPStatusCode": 400}}
    refuse = lambda **_: (SimpleNamespace(status_code=400), denied)  # noqa: E731
    endpoints.storage.session.events.register("before-call.glue.CreateTable", refuse)  # type: ignore[attr-defined]
    job = endpoints.describe_batch_transform(name)
    assert job.status == "Failed" and "not authorized to perform: glue:CreateTable" in job.failure_reason
    assert job.failure_reason.startswith("Every row was scored, but the output table could not be written")
    endpoints.storage.session.events.unregister("before-call.glue.CreateTable", refuse)  # type: ignore[attr-defined]
    assert endpoints.describe_batch_transform(name).status == "Completed"


def test_batch_transform_reads_a_sql_result_through_the_query_port(endpoints: AwsEndpoints,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    rows = pd.DataFrame({"division_name": ["General", "Petite"], "age": [30, 40], "rating": [5, 1]})
    fake_query = SimpleNamespace(run=lambda sql, max_rows: SimpleNamespace(query_id="q1"),
                                 export_result=lambda query_id, fmt: rows.to_csv(index=False).encode())
    monkeypatch.setattr(endpoints, "query", fake_query)
    name = endpoints.start_batch_transform(register_model(), DataSource(), "scores.from_sql", sql="SELECT * FROM demo.reviews")
    assert endpoints.batches.find(name).config["sql"] == "SELECT * FROM demo.reviews"  # type: ignore[union-attr]
    sent = boto3.client("s3", region_name=REGION).get_object(Bucket=BUCKET, Key=f"transform/{name}/input/data.csv")["Body"].read()
    assert sent.decode().splitlines() == ["0,30", "2,40"]  # category codes as trained


def test_batch_transform_refuses_to_overwrite_a_table_that_is_not_a_batch_output(endpoints: AwsEndpoints, table: DataSource) -> None:
    with pytest.raises(AlreadyExists):
        endpoints.start_batch_transform(register_model(), TABLE, "demo.reviews")
    with pytest.raises(InvalidInput):
        endpoints.start_batch_transform(register_model("other"), TABLE, "no_database")
    assert sagemaker_backend().transform_jobs == {}


def test_batch_transform_needs_role_and_bucket(services: Services, settings: Settings) -> None:
    for changed in (replace(settings, sagemaker_role=None), replace(settings, s3_bucket=None)):
        with pytest.raises(BackendUnavailable):
            endpoints_with(services, changed).start_batch_transform("m/1", TABLE, "scores.x")


@pytest.mark.parametrize(("line", "expected"), [
    ("0.1,0.7,0.2", ("b", 0.7)),
    ("[0.1, 0.2, 0.7]", ("c", 0.7)),
    ("positive", ("positive", None)),
    ("positive,0.93", ("positive", 0.93)),  # an Autopilot container asked for predicted_label,probability
])
def test_transform_output_lines_become_labels(line: str, expected: tuple[str, float | None]) -> None:
    assert prediction_of(line, ["a", "b", "c"])[:2] == expected


def test_binary_scores_pick_the_positive_class_above_one_half() -> None:
    assert prediction_of("0.8", ["neg", "pos"])[:2] == ("pos", 0.8)
    assert prediction_of("0.25", ["neg", "pos"])[:2] == ("neg", 0.75)
    assert prediction_of("3.5", [])[:2] == ("3.5", None)


# -- wiring -----------------------------------------------------------------------------------------


def test_registry_builds_the_aws_endpoints_adapter(services: Services) -> None:
    assert isinstance(services.endpoints, AwsEndpoints)
    assert services.endpoints.gateway_url() == RUNTIME
