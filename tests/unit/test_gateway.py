"""The local SageMaker Runtime gateway against unchanged boto3 clients and real endpoint servers."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import struct
import threading
import tracemalloc
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from services.embedded.metadata import utc_now
from services.endpoints import launcher
from services.endpoints.gateway import build_app
from services.endpoints.local import LocalEndpoints, runtime_client
from services.endpoints.models import MAX_PAYLOAD_BYTES, DeployRequest, Variant
from services.endpoints.store import EndpointRow
from services.errors import InvalidInput
from services.registry import Services, build_services
from tests.helpers.endpoints import (
    TEXT_MODEL,
    hosting_services,
    process_gone,
    review,
    runtime,
    stop_everything,
    trained_template,
    wait_for,
)
from tests.helpers.servers import unused_port
from tests.helpers.workspace import close_services, settings_for_tests


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
    assert str(endpoints.home) not in error.response["Error"]["Message"]  # the log is named inside the workspace
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
        assert other.endpoints.gateway_url() == url
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


# -- what the gateway lets in ----------------------------------------------------------------------------------


def gateway_port(endpoints: LocalEndpoints) -> int:
    return int(endpoints.gateway_url().rsplit(":", 1)[1])


def test_ping_names_the_workspace_by_a_digest_not_by_its_path(endpoints: LocalEndpoints) -> None:
    answer = launcher.http_get("127.0.0.1", gateway_port(endpoints), "/ping")
    assert answer == {"service": "sagemaker-runtime", "workspace": launcher.workspace_id(endpoints.home)}
    assert str(endpoints.home) not in json.dumps(answer) and endpoints.home.name not in json.dumps(answer)


def test_the_gateway_refuses_other_host_names_and_missing_content_types(endpoints: LocalEndpoints) -> None:
    port = gateway_port(endpoints)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", "/endpoints/ab/invocations", body=review("Pretty."),
                           headers={"Host": f"rebound.example:{port}", "Content-Type": "application/json"})
        refused = connection.getresponse()
        assert refused.status == 421 and refused.headers["x-amzn-ErrorType"] == "ValidationError"
        assert "is not the address this server was started on" in json.loads(refused.read())["Message"]
    finally:
        connection.close()
    client = runtime(endpoints.gateway_url())
    missing = client_error(client.invoke_endpoint, EndpointName="ab", Body=review("Pretty."))  # boto3 sends no Content-Type
    assert missing.response["ResponseMetadata"]["HTTPStatusCode"] == 415
    assert missing.response["Error"]["Code"] == "ValidationError" and "no Content-Type" in missing.response["Error"]["Message"]
    plain = client_error(client.invoke_endpoint, EndpointName="ab", ContentType="text/plain", Body=b"Pretty.")
    assert plain.response["ResponseMetadata"]["HTTPStatusCode"] == 415
    with pytest.raises(InvalidInput, match="text/plain"):
        endpoints.invoke("ab", b"Pretty.", content_type="text/plain")


def test_deeply_nested_json_through_the_gateway_is_the_models_400_not_a_500(endpoints: LocalEndpoints) -> None:
    deep = ("[" * 100_000 + "]" * 100_000).encode()
    error = client_error(runtime(endpoints.gateway_url()).invoke_endpoint, EndpointName="ab", ContentType="application/json",
                         Body=deep)
    assert error.response["Error"]["Code"] == "ModelError" and error.response["OriginalStatusCode"] == 400
    assert "too deeply" in error.response["OriginalMessage"]
    with pytest.raises(InvalidInput, match="too deeply"):
        endpoints.invoke("ab", deep)


def test_a_body_over_6_mb_gets_its_413_even_from_a_client_that_closes_after_sending(endpoints: LocalEndpoints) -> None:
    """urllib sends "Connection: close"; a gateway answering before reading the body reset the connection."""
    request = urllib.request.Request(f"{endpoints.gateway_url()}/endpoints/ab/invocations", data=b"x" * (7 * 1024 * 1024),
                                     method="POST", headers={"Content-Type": "text/csv"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=60)
    assert caught.value.code == 413 and caught.value.headers["x-amzn-ErrorType"] == "ValidationError"
    assert "6 MB" in json.loads(caught.value.read())["Message"]


def test_a_chunked_body_is_streamed_and_never_held_beyond_the_limit(tmp_path: Path) -> None:
    """32 MB sent in 1 MB chunks without a Content-Length: refused with at most the limit and a chunk in memory."""
    app = build_app(tmp_path / "workspace", "127.0.0.1", 8765)
    chunk, total, pulled, sent = 1024 * 1024, 32, [0], []

    async def receive() -> dict[str, Any]:
        pulled[0] += 1
        return {"type": "http.request", "body": bytes(chunk), "more_body": pulled[0] < total}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/endpoints/ab/invocations", "raw_path": b"/endpoints/ab/invocations", "query_string": b"", "root_path": "",
             "headers": [(b"host", b"127.0.0.1:8765"), (b"content-type", b"text/csv"), (b"transfer-encoding", b"chunked")],
             "server": ("127.0.0.1", 8765), "client": ("127.0.0.1", 50000)}
    tracemalloc.start()
    try:
        asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sent[0]["status"] == 413 and b"6 MB" in sent[1]["body"]
    assert pulled[0] == total  # the rest was read and thrown away, so a real client gets the answer
    assert peak < MAX_PAYLOAD_BYTES + 3 * chunk, f"{peak:,} bytes held"


# -- the gateway's life ----------------------------------------------------------------------------------------


@pytest.fixture
def empty_workspace(tmp_path: Path) -> Iterator[LocalEndpoints]:
    """An adapter on a workspace with no endpoints, its gateway stopped afterwards."""
    services = build_services(settings_for_tests(home=tmp_path / "workspace", seed_on_start=False, gateway_port=unused_port()))
    adapter: LocalEndpoints = services.endpoints  # type: ignore[assignment]
    yield adapter
    adapter.stop_gateway()
    close_services(services)


def test_a_gateway_with_no_endpoint_in_service_stops_itself_and_is_started_again_when_needed(
        empty_workspace: LocalEndpoints) -> None:
    empty_workspace.gateway_idle_seconds = 3  # over one watchdog period, so it answers before it may stop
    empty_workspace.gateway_url()
    pid = empty_workspace.endpoints.gateway().pid  # type: ignore[union-attr]
    wait_for(lambda: process_gone(pid), 30)
    log = (empty_workspace.home / "endpoints" / "gateway.log").read_text()
    assert "gateway: stopping: no endpoint has been in service for 3 s" in log
    empty_workspace.gateway_url()  # returns once a new gateway answers /ping
    assert empty_workspace.endpoints.gateway().pid != pid  # type: ignore[union-attr]


def test_a_gateway_stops_when_its_workspace_is_deleted(tmp_path: Path) -> None:
    home = tmp_path / "workspace"
    services = build_services(settings_for_tests(home=home, seed_on_start=False, gateway_port=unused_port()))
    adapter: LocalEndpoints = services.endpoints  # type: ignore[assignment]
    assert adapter.gateway_idle_seconds >= 60  # only the deletion can stop it within this test
    adapter.gateway_url()
    pid = adapter.endpoints.gateway().pid  # type: ignore[union-attr]
    close_services(services)
    shutil.rmtree(home)
    try:
        wait_for(lambda: process_gone(pid), 30)
    finally:
        launcher.stop_group(pid, str(home), 1.0)


@contextlib.contextmanager
def resetting_gateway() -> Iterator[int]:
    """A port where a "gateway" reads each request and dies with it: the client's connection is reset."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            connection.recv(65536)
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with RST
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        done.set()
        thread.join(5)
        listener.close()


def test_a_connection_reset_by_a_dying_gateway_is_retried_once_on_a_working_one(endpoints: LocalEndpoints) -> None:
    endpoints.gateway_url()  # the workspace's gateway runs
    with resetting_gateway() as port:
        endpoints._runtime = runtime_client(f"http://127.0.0.1:{port}")  # the client still points at the dying one
        assert endpoints.score_text("ab", "Lovely").predicted_label == "1"
    assert endpoints._runtime.meta.endpoint_url == endpoints.gateway_url()
