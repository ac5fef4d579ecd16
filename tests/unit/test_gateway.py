"""The local SageMaker Runtime gateway against unchanged boto3 clients and real endpoint servers."""

from __future__ import annotations

import json
import os
import signal
import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from services.embedded.metadata import utc_now
from services.endpoints.local import LocalEndpoints, build_local_endpoints, runtime_client
from services.endpoints.models import DeployRequest, Variant
from services.endpoints.store import EndpointRow
from services.errors import InvalidInput
from services.registry import Services, build_services
from tests.conftest import close_services
from tests.unit.test_local_endpoints import (
    TEXT_MODEL,
    hosting_services,
    process_gone,
    review,
    runtime,
    stop_everything,
    trained_template,
    unused_port,
    wait_for,
)


@pytest.fixture(scope="module")
def gateway_services(seeded_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """One workspace with endpoint ``ab`` (variants A and B, same model) for the whole module."""
    services = hosting_services(trained_template(tmp_path_factory, seeded_home), tmp_path_factory.mktemp("gateway") / "ws")
    variants = (Variant("A", TEXT_MODEL, 1.0), Variant("B", TEXT_MODEL, 1.0))
    services.endpoints.deploy(DeployRequest(name="ab", variants=variants))
    assert services.endpoints.wait_for_endpoint("ab", 120).status == "InService"
    yield services
    stop_everything(services)
    close_services(services)


@pytest.fixture
def endpoints(gateway_services: Services) -> LocalEndpoints:
    return gateway_services.endpoints  # type: ignore[return-value]


def client_error(call: object, **arguments: object) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call(**arguments)  # type: ignore[operator]
    return caught.value


def test_an_unchanged_boto3_client_gets_predictions_and_the_variant(endpoints: LocalEndpoints) -> None:
    client = runtime(endpoints.gateway_url())
    answer = client.invoke_endpoint(EndpointName="ab", ContentType="application/json", Body=review("Gorgeous, fits like a glove."))
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert answer["InvokedProductionVariant"] in ("A", "B")
    assert json.loads(answer["Body"].read())["predictions"][0]["predicted_label"] == "1"
    seen = {client.invoke_endpoint(EndpointName="ab", ContentType="application/json", Body=review("Nice."))["InvokedProductionVariant"]
            for _ in range(30)}
    assert seen == {"A", "B"}  # 50/50 weights: both answer


def test_target_variant_and_csv_reach_the_server(endpoints: LocalEndpoints) -> None:
    client = runtime(endpoints.gateway_url())
    for variant in ("A", "B"):
        answer = client.invoke_endpoint(EndpointName="ab", ContentType="application/json", TargetVariant=variant,
                                        Body=review("Cheap material, returned it."))
        assert answer["InvokedProductionVariant"] == variant
    answer = client.invoke_endpoint(EndpointName="ab", ContentType="text/csv", Accept="application/json",
                                    Body=b"Love it so much\nAwful and scratchy, sent it back\n")
    assert [p["predicted_label"] for p in json.loads(answer["Body"].read())["predictions"]] == ["1", "-1"]


def test_unknown_endpoints_raise_validation_error(endpoints: LocalEndpoints) -> None:
    error = client_error(runtime(endpoints.gateway_url()).invoke_endpoint, EndpointName="missing", ContentType="application/json",
                         Body=b"{}")
    assert error.response["Error"] == {"Code": "ValidationError", "Message": "Endpoint missing of account local not found."}
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_model_errors_carry_the_servers_status_and_message(endpoints: LocalEndpoints) -> None:
    client = runtime(endpoints.gateway_url())
    error = client_error(client.invoke_endpoint, EndpointName="ab", ContentType="application/json",
                         Body=json.dumps({"instances": [{"review_body": "x" * 1_000_000}]}).encode())
    assert error.response["Error"]["Code"] == "ModelError"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert error.response["OriginalStatusCode"] == 400
    assert "characters" in error.response["OriginalMessage"]
    assert error.response["Error"]["Message"].startswith("Received client error (400) from ")
    with pytest.raises(InvalidInput, match="The model rejected the request: .*characters"):
        endpoints.score_text("ab", "x" * 1_000_000)


def test_payloads_over_6_mb_are_refused_with_413(endpoints: LocalEndpoints) -> None:
    body = b" " * (6 * 1024 * 1024 + 1)
    error = client_error(runtime(endpoints.gateway_url()).invoke_endpoint, EndpointName="ab", ContentType="text/csv", Body=body)
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert error.response["Error"]["Code"] == "ValidationError" and "6 MB" in error.response["Error"]["Message"]
    with pytest.raises(InvalidInput, match="at most 6 MB"):
        endpoints.invoke("ab", body, content_type="text/csv")


def test_endpoints_without_a_server_are_not_in_service_or_unavailable(endpoints: LocalEndpoints) -> None:
    client = runtime_client(endpoints.gateway_url())  # no retries: a 503 comes back at once
    closed = unused_port()
    for name, status in (("starting", "Creating"), ("vanished", "InService")):
        endpoints.endpoints.insert(EndpointRow(name=name, status=status, host="127.0.0.1", port=closed,
                                               variants=(Variant("AllTraffic", TEXT_MODEL),), capture_percent=0,
                                               restart_on_failure=False, created_at=utc_now()))
    try:
        starting = client_error(client.invoke_endpoint, EndpointName="starting", ContentType="application/json", Body=b"{}")
        assert starting.response["Error"]["Code"] == "ValidationError"
        assert "is not in service (status Creating)" in starting.response["Error"]["Message"]
        vanished = client_error(client.invoke_endpoint, EndpointName="vanished", ContentType="application/json", Body=b"{}")
        assert vanished.response["Error"]["Code"] == "ServiceUnavailable"
        assert vanished.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    finally:
        endpoints.endpoints.delete("starting")
        endpoints.endpoints.delete("vanished")


def test_signatures_are_not_checked(endpoints: LocalEndpoints) -> None:
    request = urllib.request.Request(f"{endpoints.gateway_url()}/endpoints/ab/invocations", data=review("Pretty."), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.headers["x-Amzn-Invoked-Production-Variant"] in ("A", "B")
        assert json.loads(answer.read())["predictions"][0]["predicted_label"] == "1"


def test_one_gateway_per_workspace_is_reused_and_restarted_when_gone(endpoints: LocalEndpoints, gateway_services: Services) -> None:
    url = endpoints.gateway_url()
    pid = endpoints.endpoints.gateway().pid  # type: ignore[union-attr]
    other = build_services(gateway_services.settings)  # another app or CLI process on the same workspace
    try:
        assert build_local_endpoints(other).gateway_url() == url
    finally:
        close_services(other)
    assert endpoints.endpoints.gateway().pid == pid  # type: ignore[union-attr]
    assert endpoints.score_text("ab", "Lovely").predicted_label == "1"  # the adapter's client is made
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: process_gone(pid), 5)
    assert endpoints.score_text("ab", "Lovely").predicted_label == "1"  # the gateway is started again
    assert endpoints.endpoints.gateway().pid != pid  # type: ignore[union-attr]


def test_stop_gateway_closes_its_port(endpoints: LocalEndpoints) -> None:
    port = int(endpoints.gateway_url().rsplit(":", 1)[1])
    assert port == endpoints.settings.gateway_port
    endpoints.stop_gateway()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    assert endpoints.endpoints.gateway() is None
    assert endpoints.gateway_url() == f"http://127.0.0.1:{port}"
