"""Local endpoints end to end: real models, real server processes, the real gateway and boto3.

Two models are trained once per session (text-tfidf on 1,500 demo reviews, xgboost on demo.wine)
into a template workspace that every endpoint test module copies (``trained_template``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.endpoints.local import LocalEndpoints, score_result
from services.endpoints.models import DeployRequest, Endpoint, InvokeResult, Variant
from services.errors import AlreadyExists, InvalidInput, NotFound, ServiceError
from services.registry import Services, build_services
from tests.helpers.endpoints import (
    TEXT_MODEL,
    WINE_MODEL,
    hosting_services,
    process_gone,
    review,
    runtime,
    stop_everything,
    trained_template,
    wait_for,
)
from tests.helpers.servers import unused_port
from tests.helpers.workspace import close_services

# -- shared fixtures (imported by test_gateway.py and test_cli_endpoints.py) --------------------------------


@pytest.fixture(scope="module")
def hosting(seeded_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    services = hosting_services(trained_template(tmp_path_factory, seeded_home), tmp_path_factory.mktemp("hosting") / "ws")
    yield services
    stop_everything(services)
    close_services(services)


@pytest.fixture(scope="module")
def wine_port() -> int:
    return unused_port()


@pytest.fixture(scope="module")
def live(hosting: Services, wine_port: int) -> dict[str, Endpoint]:
    """Two endpoints for the module, deployed together: ``reviews`` (text) and ``wine`` (tabular, on a
    port chosen here). Holds what ``deploy`` returned and what ``wait_for_endpoint`` reported."""
    adapter: LocalEndpoints = hosting.endpoints  # type: ignore[assignment]
    created = {"reviews": adapter.deploy(DeployRequest(name="reviews", variants=(Variant("AllTraffic", TEXT_MODEL),))),
               "wine": adapter.deploy(DeployRequest(name="wine", variants=(Variant("AllTraffic", WINE_MODEL),), port=wine_port))}
    ready = {name: adapter.wait_for_endpoint(name, 120) for name in created}
    return {**{f"created-{name}": e for name, e in created.items()}, **ready}


@pytest.fixture
def endpoints(hosting: Services, live: dict[str, Endpoint]) -> Iterator[LocalEndpoints]:
    """The adapter; endpoints a test adds are deleted after it (the module's two stay)."""
    adapter: LocalEndpoints = hosting.endpoints  # type: ignore[assignment]
    yield adapter
    for row in adapter.endpoints.all():
        if row.name not in live:
            adapter.delete_endpoint(row.name)


def deploy(endpoints: LocalEndpoints, name: str, model_id: str = TEXT_MODEL, **options: object) -> Endpoint:
    endpoints.deploy(DeployRequest(name=name, variants=(Variant("AllTraffic", model_id),), **options))  # type: ignore[arg-type]
    return endpoints.wait_for_endpoint(name, 120)


def server_pid(endpoints: LocalEndpoints, name: str) -> int:
    pid = endpoints.endpoints.get(name).pid
    assert pid is not None and pid > 0
    return pid


# -- deploy, invoke, describe ---------------------------------------------------------------------------------


def test_deploy_returns_at_once_and_the_endpoint_comes_into_service(live: dict[str, Endpoint], endpoints: LocalEndpoints,
                                                                     wine_port: int) -> None:
    assert live["created-reviews"].status == "Creating" and live["created-reviews"].uptime_seconds is None
    assert live["reviews"].status == "InService", endpoints.endpoint_logs("reviews")
    assert live["wine"].status == "InService" and live["wine"].url == f"http://127.0.0.1:{wine_port}"
    config = json.loads(endpoints.config_path("reviews").read_text())
    assert config["host"] == "127.0.0.1" and config["port"] == int(live["reviews"].url.rsplit(":", 1)[1])
    assert config["variants"][0]["artifact_path"].endswith("endpoint-reviews/1")
    assert config["capture_dir"] == str(endpoints.folder("reviews") / "capture")


def test_an_unchanged_boto3_client_gets_predictions_through_the_gateway(endpoints: LocalEndpoints) -> None:
    client = runtime(endpoints.gateway_url())
    answer = client.invoke_endpoint(EndpointName="reviews", ContentType="application/json", Accept="application/json",
                                    Body=review("Terrible fabric, it ripped after one wash and the seams came apart."))
    assert answer["InvokedProductionVariant"] == "AllTraffic"
    assert answer["ContentType"].startswith("application/json")
    prediction = json.loads(answer["Body"].read())["predictions"][0]
    assert prediction["predicted_label"] == "-1"
    assert set(prediction["probabilities"]) == {"-1", "0", "1"}


def test_describe_and_list_show_the_model_and_the_traffic(endpoints: LocalEndpoints) -> None:
    before = endpoints.describe_endpoint("reviews")
    for text in ("Love it, fits perfectly and the colour is gorgeous.", "Returned it, cheap and scratchy."):
        endpoints.score_text("reviews", text)
    endpoint = endpoints.describe_endpoint("reviews")
    assert (endpoint.requests - before.requests, endpoint.errors) == (2, 0)
    assert endpoint.variants[0].requests == endpoint.requests and endpoint.variants[0].latency_p50_ms is not None
    assert endpoint.latency_p99_ms is not None and endpoint.latency_p99_ms >= endpoint.latency_p50_ms  # type: ignore[operator]
    assert endpoint.uptime_seconds is not None and endpoint.uptime_seconds > 0
    assert (endpoint.framework, endpoint.problem_type, endpoint.text_model) == ("text-tfidf", "MulticlassClassification", True)
    assert endpoint.input_columns == ()
    wine = endpoints.describe_endpoint("wine")
    assert not wine.text_model and wine.framework == "xgboost" and "alcohol" in wine.input_columns
    assert sorted(e.name for e in endpoints.list_endpoints()) == ["reviews", "wine"]


def test_score_text_and_score_record(endpoints: LocalEndpoints, hosting: Services) -> None:
    happy = endpoints.score_text("reviews", "Absolutely love this dress, beautiful and comfortable.")
    assert happy.predicted_label == "1" and happy.variant == "AllTraffic" and happy.latency_ms > 0
    assert sum(happy.probabilities.values()) == pytest.approx(1, abs=1e-4) and happy.probability == max(happy.probabilities.values())
    with pytest.raises(InvalidInput, match="The model rejected the request: .*100,000"):
        endpoints.score_text("reviews", "word " * 200_000)  # a 1 MB "review"
    columns = endpoints.describe_endpoint("wine").input_columns
    row = hosting.query.run("SELECT * FROM demo.wine LIMIT 1").frame.iloc[0]
    scored = endpoints.score_record("wine", {c: row[c].item() for c in columns})
    assert scored.predicted_label == str(int(row["target"]))  # the row reads back as floats
    with pytest.raises(InvalidInput, match="tabular"):
        endpoints.score_text("wine", "a review")


def test_explanations_are_read_from_the_servers_answer() -> None:
    body = {"predictions": [{"predicted_label": "1", "probability": 0.9, "probabilities": {"-1": 0.05, "0": 0.05, "1": 0.9},
                             "explanation": {"tokens": ["Great ", "dress"], "scores": {"-1": [-0.1, 0.0], "0": [0.0, 0.0],
                                                                                          "1": [0.3, 0.1]},
                                             "base_values": {"-1": 0.3, "0": 0.3, "1": 0.4}}}]}
    result = score_result(InvokeResult(json.dumps(body).encode(), "application/json", "AllTraffic", 12.5))
    assert result.tokens == ("Great ", "dress") and result.token_scores["1"] == (0.3, 0.1)
    assert (result.predicted_label, result.probability, result.variant, result.latency_ms) == ("1", 0.9, "AllTraffic", 12.5)
    with pytest.raises(ServiceError, match="not a prediction"):
        score_result(InvokeResult(b"<html>", "text/html", "", 1.0))


def test_the_gateway_answers_an_unknown_endpoint_as_sagemaker_runtime_does(endpoints: LocalEndpoints) -> None:
    """(The port's NotFound for unknown endpoints is a clause of tests/contract/test_endpoints.py.)"""
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as caught:
        runtime(endpoints.gateway_url()).invoke_endpoint(EndpointName="nowhere", ContentType="application/json", Body=b"{}")
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    assert caught.value.response["Error"]["Message"] == "Endpoint nowhere of account local not found."


def test_logs_are_the_launchers_and_servers_output(endpoints: LocalEndpoints) -> None:
    logs = endpoints.endpoint_logs("reviews")
    assert "launcher: preparing 1 model(s) for endpoint reviews" in logs
    assert "launcher: starting the inference server" in logs and "endpoint reviews: serving on" in logs
    assert len(endpoints.endpoint_logs("reviews", tail_bytes=10)) <= 10


# -- refused deploys ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "-leading", "under_score", "dots.in.name", "x" * 64])
def test_bad_names_are_refused(endpoints: LocalEndpoints, name: str) -> None:
    with pytest.raises(InvalidInput, match="not a valid endpoint name"):
        endpoints.deploy(DeployRequest(name=name, variants=(Variant("AllTraffic", TEXT_MODEL),)))
    assert len(endpoints.endpoints.all()) == 2


@pytest.mark.parametrize(("variants", "capture", "error", "match"), [
    ((Variant("AllTraffic", "no-such-model/1"),), 100, NotFound, "no-such-model/1"),
    ((Variant("AllTraffic", TEXT_MODEL, 0.0),), 100, InvalidInput, "weight"),
    ((Variant("AllTraffic", TEXT_MODEL, shadow=True),), 100, InvalidInput, "non-shadow"),
    ((Variant("A", TEXT_MODEL), Variant("A", TEXT_MODEL)), 100, InvalidInput, "unique"),
    ((Variant("bad_variant", TEXT_MODEL),), 100, InvalidInput, "variant name"),
    ((Variant("AllTraffic", TEXT_MODEL),), 101, InvalidInput, "0–100"),
    ((Variant("AllTraffic", TEXT_MODEL),), -1, InvalidInput, "0–100"),
])
def test_bad_requests_are_refused_before_anything_starts(endpoints: LocalEndpoints, variants: tuple[Variant, ...], capture: int,
                                                           error: type[ServiceError], match: str) -> None:
    with pytest.raises(error, match=match):
        endpoints.deploy(DeployRequest(name="refused", variants=variants, capture_percent=capture))
    assert endpoints.endpoints.find("refused") is None and not endpoints.folder("refused").exists()


def test_duplicate_names_and_busy_ports_are_refused(endpoints: LocalEndpoints, wine_port: int) -> None:
    with pytest.raises(AlreadyExists, match="'reviews' exists already"):
        endpoints.deploy(DeployRequest(name="reviews", variants=(Variant("AllTraffic", WINE_MODEL),)))
    with pytest.raises(InvalidInput, match=f"Port {wine_port} is already in use"):
        endpoints.deploy(DeployRequest(name="same-port", variants=(Variant("AllTraffic", TEXT_MODEL),), port=wine_port))
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        busy = listener.getsockname()[1]
        with pytest.raises(InvalidInput, match=f"Port {busy} is already in use"):
            endpoints.deploy(DeployRequest(name="busy-port", variants=(Variant("AllTraffic", TEXT_MODEL),), port=busy))
    gateway = endpoints.settings.gateway_port
    with pytest.raises(InvalidInput, match=f"Port {gateway} is already in use"):
        endpoints.deploy(DeployRequest(name="gateway-port", variants=(Variant("AllTraffic", TEXT_MODEL),), port=gateway))
    with pytest.raises(InvalidInput, match="outside"):
        endpoints.deploy(DeployRequest(name="low-port", variants=(Variant("AllTraffic", TEXT_MODEL),), port=80))
    assert sorted(row.name for row in endpoints.endpoints.all()) == ["reviews", "wine"]


# -- failures, restarts, delete, restore ---------------------------------------------------------------------


def test_latency_is_the_requests_not_the_clients_creation(endpoints: LocalEndpoints, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's first score showed 788 ms: the boto3 client made on first use (importing boto3, reading the
    runtime's service model) was inside the measured time."""
    import services.endpoints.local as local_module

    make = local_module.runtime_client
    clock = {"skew": 0.0}
    monkeypatch.setattr(local_module.time, "perf_counter", lambda: time.monotonic() + clock["skew"])

    def slow_to_make(url: str) -> object:
        clock["skew"] += 3600.0  # an hour passes while the client is made
        return make(url)

    monkeypatch.setattr(local_module, "runtime_client", slow_to_make)
    monkeypatch.setattr(endpoints, "_runtime", None)
    assert endpoints.score_text("reviews", "Soft fabric, lovely fit.").latency_ms < 3_600_000
    assert clock["skew"] == 3600.0  # the client was made, once


def test_endpoint_servers_interpret_shaps_numba_helpers(endpoints: LocalEndpoints) -> None:
    """Compiling shap's numba helpers held a review endpoint's InService back by ~4.5 s (the explanation warm-up);
    interpreted, they cost a few ms per explanation (launcher.SERVER_ENVIRONMENT)."""
    environ = Path(f"/proc/{server_pid(endpoints, 'reviews')}/environ").read_bytes().split(b"\0")
    assert b"NUMBA_DISABLE_JIT=1" in environ
    assert endpoints.score_text("reviews", "Soft fabric, lovely fit.", explain=True).token_scores


def test_a_killed_server_is_failed_within_seconds_then_delete_and_redeploy_work(endpoints: LocalEndpoints) -> None:
    deploy(endpoints, "crashy")
    pid = server_pid(endpoints, "crashy")
    outcomes: list[str] = []
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():
            try:
                endpoints.score_text("crashy", "Nice top, fits well.")
                outcomes.append("ok")
            except ServiceError as exc:
                outcomes.append(type(exc).__name__)

    worker = threading.Thread(target=load)
    worker.start()
    try:
        wait_for(lambda: outcomes.count("ok") >= 5, 30)
        os.kill(pid, signal.SIGKILL)
        took = wait_for(lambda: endpoints.describe_endpoint("crashy").status == "Failed", 5)
    finally:
        stop.set()
        worker.join(30)
    assert took < 5
    failed = endpoints.describe_endpoint("crashy")
    assert f"pid {pid}" in failed.failure_reason and "killed by signal 9" in failed.failure_reason
    assert "Last log lines:" in failed.failure_reason
    assert set(outcomes) - {"ok"} <= {"BackendUnavailable"}  # the requests after the kill: a clear error, no hang
    endpoints.delete_endpoint("crashy")
    again = deploy(endpoints, "crashy")
    assert again.status == "InService" and again.failure_reason == ""
    assert endpoints.score_text("crashy", "Lovely.").predicted_label == "1"


def test_delete_returns_when_the_port_is_closed_and_keeps_captured_data(endpoints: LocalEndpoints) -> None:
    endpoint = deploy(endpoints, "short-lived", capture_percent=100)
    endpoints.score_text("short-lived", "Lovely.")
    port = int(endpoint.url.rsplit(":", 1)[1])
    pid = server_pid(endpoints, "short-lived")
    endpoints.delete_endpoint("short-lived")
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    assert not Path(f"/proc/{pid}").exists()
    with pytest.raises(NotFound):
        endpoints.describe_endpoint("short-lived")
    folder = endpoints.folder("short-lived")
    assert sorted(path.name for path in folder.iterdir()) == ["capture"]
    assert any(path.suffix == ".jsonl" for path in (folder / "capture").rglob("*"))


def test_a_server_that_stops_answering_ping_is_failed_and_stopped(endpoints: LocalEndpoints, monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint = deploy(endpoints, "frozen")
    pid = server_pid(endpoints, "frozen")
    monkeypatch.setattr(endpoints, "unresponsive_seconds", 4.0)  # a ping waits up to 2 s
    os.kill(pid, signal.SIGSTOP)  # alive, but answers nothing
    assert endpoints.describe_endpoint("frozen").status == "InService"  # one missed ping is not a failure yet
    wait_for(lambda: endpoints.describe_endpoint("frozen").status == "Failed", 12)
    failed = endpoints.describe_endpoint("frozen")
    assert "stopped answering /ping for more than 4 s" in failed.failure_reason
    assert not Path(f"/proc/{pid}").exists()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", int(endpoint.url.rsplit(":", 1)[1]))) != 0


def test_restart_on_failure_brings_the_server_back(endpoints: LocalEndpoints) -> None:
    deploy(endpoints, "phoenix", restart_on_failure=True)
    first = server_pid(endpoints, "phoenix")
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: endpoints.describe_endpoint("phoenix").status == "Creating", 5)
    back = endpoints.wait_for_endpoint("phoenix", 120)
    assert back.status == "InService" and back.failure_reason.startswith("Restarted after a failure: The server process")
    assert server_pid(endpoints, "phoenix") != first and endpoints.endpoints.get("phoenix").restarts == 1
    assert endpoints.score_text("phoenix", "Great jeans, so comfortable.").predicted_label == "1"


def test_a_server_that_cannot_start_is_failed_with_the_log_as_reason(endpoints: LocalEndpoints, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(endpoints.registry.get(TEXT_MODEL).artifact_path, broken)
    for path in broken.rglob("*"):
        if path.is_file():
            path.write_bytes(b"not a model")
    record = endpoints.registry.register(endpoints.registry.get(TEXT_MODEL), broken)
    assert endpoints.deploy(DeployRequest(name="broken", variants=(Variant("AllTraffic", record.model_id),))).status == "Creating"
    failed = endpoints.wait_for_endpoint("broken", 120)
    assert failed.status == "Failed"
    assert "exited with code 2" in failed.failure_reason and "error:" in failed.failure_reason
    assert endpoints.wait_for_endpoint("broken", 1).status == "Failed"  # stays failed: no restart loop


def test_in_service_endpoints_come_back_after_an_app_restart(endpoints: LocalEndpoints, hosting: Services, wine_port: int) -> None:
    old = server_pid(endpoints, "wine")
    os.kill(old, signal.SIGKILL)  # the machine rebooted: the server is gone, the store still says InService
    wait_for(lambda: process_gone(old), 5)
    restarted = build_services(hosting.settings)
    try:
        again: LocalEndpoints = restarted.endpoints  # type: ignore[assignment]
        assert again.endpoints.get("wine").status == "Creating"
        back = again.wait_for_endpoint("wine", 120)
        assert back.status == "InService" and back.url == f"http://127.0.0.1:{wine_port}"
        assert server_pid(again, "wine") != old
        assert back.failure_reason.startswith(f"Brought back: its server (pid {old}) was gone")
        assert again.endpoints.get("reviews").status == "InService"  # the live one was left alone
    finally:
        close_services(restarted)
