"""The local inference server as a client sees it: real server processes on free loopback ports.

Two servers per module run: a text endpoint (two text-tfidf production variants weighted 3:1 and a
text-tfidf shadow, capturing every request) and a tabular one (xgboost on scikit-learn's wine,
capturing half). Served predictions are compared with the same models loaded in this process.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sklearn.datasets import load_wine

from services.endpoints.capture import CaptureWriter, Exchange, exchange_bytes
from services.endpoints.models import MAX_PAYLOAD_BYTES
from services.endpoints.serving import MAX_REVIEW_CHARS, load_serving_model
from services.training.algorithms.common import get_algorithm
from services.training.algorithms.dataset import prepare_dataset
from tests.helpers.data import tiny_reviews
from tests.helpers.recording import RecordingReporter
from tests.helpers.servers import JSON, ROOT, Server, running_server, server_environment, unused_port, variant

REVIEWS = ["I love this dress, it fits perfectly", "Terrible sweater, cheap material", "The skirt is okay, nothing special",
           "Great quality coat, highly recommend it", "Very disappointed, the top fell apart"]
WINE_ROW = [13.2, 1.8, 2.1, 11.2, 100.0, 2.65, 2.76, 0.26, 1.28, 4.38, 1.05, 3.4, 1050.0]
EXPLAIN = {"X-Amzn-SageMaker-Custom-Attributes": "explain=true"}
# -- a client and a server process -------------------------------------------------------------------


def wait_until(check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting")
        time.sleep(0.1)


def capture_records(folder: Path) -> list[tuple[Path, dict[str, Any]]]:
    """The complete records (a last line without its newline is still being written, as the monitor's reader says)."""
    return [(path, json.loads(line)) for path in sorted(folder.rglob("*.jsonl"))
            for line in path.read_text().splitlines(keepends=True) if line.endswith("\n")]


# -- models and servers -------------------------------------------------------------------------------


def train(folder: Path, algorithm: str, data: Any, hyperparameters: dict[str, str]) -> Path:
    result = get_algorithm(algorithm).fit(data, hyperparameters, RecordingReporter())
    result.predictor.save(folder)
    return folder


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("models")
    reviews = prepare_dataset(tiny_reviews(), "sentiment", text_column="review_body", seed=3)
    shuffled = tiny_reviews().assign(sentiment=lambda f: f["sentiment"].sample(frac=1, random_state=5).to_numpy())
    wine = prepare_dataset(load_wine(as_frame=True).frame, "target", seed=3)
    return {"text-a": train(root / "text-a" / "1", "text-tfidf", reviews, {}),
            "text-b": train(root / "text-b" / "1", "text-tfidf", reviews, {"word_ngrams": "1", "C": "0.5"}),
            # trained on shuffled labels, so that it often disagrees with the live variants
            "text-shadow": train(root / "text-shadow" / "1", "text-tfidf",
                                 prepare_dataset(shuffled, "sentiment", text_column="review_body", seed=3), {}),
            "wine": train(root / "wine" / "1", "xgboost", wine, {"num_round": "15"})}


@pytest.fixture(scope="module")
def text_server(models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    variants = [variant("A", models["text-a"], 3.0), variant("B", models["text-b"], 1.0),
                variant("Shadow", models["text-shadow"], shadow=True)]
    with running_server(tmp_path_factory.mktemp("endpoints") / "reviews", variants) as server:
        yield server


@pytest.fixture(scope="module")
def wine_server(models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("endpoints") / "wine", [variant("AllTraffic", models["wine"])], 50) as server:
        yield server


def expected(models: dict[str, Path], name: str, instances: list[Any]) -> list[dict[str, Any]]:
    return load_serving_model(models[name]).predict(instances)


# -- text endpoint ------------------------------------------------------------------------------------


def test_ping_and_json_predictions_match_the_model(text_server: Server, models: dict[str, Path]) -> None:
    assert text_server.call("/ping", method="GET").status == 200
    reply = text_server.invoke({"instances": REVIEWS}, {"X-Amzn-SageMaker-Target-Variant": "A"})
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.headers["x-amzn-invoked-production-variant"] == "A"
    predictions = reply.json()["predictions"]
    assert predictions == expected(models, "text-a", REVIEWS)
    for prediction in predictions:
        assert set(prediction["probabilities"]) == {"-1", "0", "1"}
        assert sum(prediction["probabilities"].values()) == pytest.approx(1.0)
        assert prediction["probability"] == max(prediction["probabilities"].values())


def test_every_request_format_gives_the_same_predictions(text_server: Server, models: dict[str, Path]) -> None:
    texts = [*REVIEWS, 'She said "wow", and I agree, lovely', "Runs small, order a size up, otherwise fine"]
    target = {"X-Amzn-SageMaker-Target-Variant": "A"}
    want = [p["predicted_label"] for p in expected(models, "text-a", texts)]
    csv_body = "\n".join(['"' + t.replace('"', '""') + '"' for t in texts[:-1]] + [texts[-1]]) + "\n"  # last one unquoted
    bodies = [
        (json.dumps({"instances": texts}), "application/json"),
        (json.dumps({"inputs": texts}), "application/json"),
        (json.dumps({"instances": [{"review_body": t, "review_id": 7} for t in texts]}), "application/json"),
        (json.dumps(texts), "application/json; charset=utf-8"),
        ("\n".join(json.dumps(t) for t in texts), "application/jsonlines"),
        (csv_body, "text/csv"),
    ]
    for body, content_type in bodies:
        reply = text_server.call("/invocations", body.encode(), {"Content-Type": content_type} | target)
        assert reply.status == 200, (content_type, reply.body)
        assert [p["predicted_label"] for p in reply.json()["predictions"]] == want, content_type
    one = text_server.invoke({"inputs": texts[0]}, target).json()["predictions"]
    assert [p["predicted_label"] for p in one] == want[:1]


def test_accept_types(text_server: Server, models: dict[str, Path]) -> None:
    target = {"X-Amzn-SageMaker-Target-Variant": "A"} | JSON
    body = json.dumps({"instances": REVIEWS}).encode()
    want = expected(models, "text-a", REVIEWS)
    as_csv = text_server.call("/invocations", body, target | {"Accept": "text/csv"})
    assert as_csv.status == 200 and as_csv.headers["content-type"].startswith("text/csv")
    lines = as_csv.body.decode().splitlines()
    assert [line.split(",") for line in lines] == [[p["predicted_label"], repr(p["probability"])] for p in want]
    as_lines = text_server.call("/invocations", body, target | {"Accept": "application/jsonlines"})
    assert [json.loads(line) for line in as_lines.body.decode().splitlines()] == want
    for accept in ("*/*", "application/json", "text/html, application/json;q=0.9"):
        assert text_server.call("/invocations", body, target | {"Accept": accept}).json()["predictions"] == want
    assert text_server.call("/invocations", body, target).json()["predictions"] == want  # no Accept at all
    refused = text_server.call("/invocations", body, target | {"Accept": "application/xml"})
    assert refused.status == 406 and "application/xml" in refused.json()["message"]


def test_bad_requests_are_refused_and_the_next_request_is_served(text_server: Server) -> None:
    before = text_server.stats()
    chunks = [b"x" * (1024 * 1024)] * (MAX_PAYLOAD_BYTES // (1024 * 1024)) + [b"x" * 1024]
    cases: list[tuple[bytes | Iterator[bytes], dict[str, str], int, str]] = [
        (b'{"instances": [', JSON, 400, "not valid JSON"),
        (b"", JSON, 400, "empty"),
        (b"   \n", {"Content-Type": "text/csv"}, 400, "empty"),
        (b'{"instances": "one review"}', JSON, 400, "must be an array"),
        (b'{"instances": []}', JSON, 400, "no instances"),
        (b'{"instances": [""]}', JSON, 400, "review is empty"),
        (b'{"instances": [{"title": "no review field"}]}', JSON, 400, "review_body"),
        (b'{"instances": [["two", "values"]]}', JSON, 400, "2 values"),
        (b'"\xff\xfe not utf-8"', JSON, 400, "UTF-8"),
        (b'{"instances": ["fine"]}', {"Content-Type": "application/xml"}, 415, "application/xml"),
        (b'{"instances": ["fine"]}', JSON | {"Content-Length": str(MAX_PAYLOAD_BYTES + 1)}, 413, "limit"),
        (iter(chunks), JSON, 413, "limit"),
        (json.dumps({"instances": ["a" * 1_048_576]}).encode(), JSON, 400, f"{MAX_REVIEW_CHARS:,}"),
        (b'{"instances": ["fine"]}', JSON | {"X-Amzn-SageMaker-Target-Variant": "C"}, 400, "Target variant 'C'"),
        (b'{"instances": ["fine"]}', JSON | {"X-Amzn-SageMaker-Target-Variant": "Shadow"}, 400, "not a production variant"),
    ]
    for body, headers, status, words in cases:
        reply = text_server.call("/invocations", body, headers)
        assert reply.status == status, (headers, reply.body[:200])
        assert words in reply.json()["message"]
        assert text_server.invoke({"instances": ["Love it"]}).status == 200
    assert text_server.call("/nothing-here", method="GET").json()["message"] == "Not Found"
    after = text_server.stats()
    assert after["requests"] - before["requests"] == 2 * len(cases)
    assert after["errors"] - before["errors"] == len(cases)


def test_explain_flag_adds_token_attributions(text_server: Server, models: dict[str, Path]) -> None:
    text = "Love this dress,  it fits perfectly!! But the zipper broke. "
    for headers, path in ((EXPLAIN, "/invocations"), ({}, "/invocations?explain=true")):
        reply = text_server.invoke({"instances": [text, "Terrible top"]}, headers | {"X-Amzn-SageMaker-Target-Variant": "A"}, path)
        assert reply.status == 200, reply.body
        for prediction, review in zip(reply.json()["predictions"], [text, "Terrible top"]):
            explanation = prediction["explanation"]
            assert "".join(explanation["tokens"]) == review
            assert set(explanation["scores"]) == {"-1", "0", "1"}
            assert all(len(scores) == len(explanation["tokens"]) for scores in explanation["scores"].values())
    scores = reply.json()["predictions"][0]["explanation"]["scores"]
    love = reply.json()["predictions"][0]["explanation"]["tokens"].index("Love ")
    assert scores["1"][love] > 0  # "Love" pushes towards the positive class
    plain = text_server.invoke({"instances": [text]})
    assert "explanation" not in plain.json()["predictions"][0]
    as_csv = text_server.invoke({"instances": [text]}, EXPLAIN | {"Accept": "text/csv"})
    assert as_csv.status == 200 and "text/csv" in as_csv.headers["x-explanation-omitted"]
    too_long = text_server.invoke({"instances": ["word " * 2000]}, EXPLAIN)
    assert too_long.status == 400 and "can be explained" in too_long.json()["message"]
    too_many = text_server.invoke({"instances": ["fine"] * 11}, EXPLAIN)
    assert too_many.status == 400 and "at most 10" in too_many.json()["message"]


def test_traffic_splits_by_weight_and_target_variant_wins(text_server: Server) -> None:
    answered = Counter(text_server.invoke({"instances": ["Nice top"]}).headers["x-amzn-invoked-production-variant"]
                       for _ in range(200))
    assert set(answered) == {"A", "B"}  # never the shadow
    assert 0.6 < answered["A"] / 200 < 0.9  # weights 3:1
    targeted = {text_server.invoke({"instances": ["Nice top"]}, {"X-Amzn-SageMaker-Target-Variant": "B"})
                .headers["x-amzn-invoked-production-variant"] for _ in range(10)}
    assert targeted == {"B"}


def test_shadow_predictions_are_captured_compared_and_never_returned(text_server: Server, models: dict[str, Path]) -> None:
    texts = REVIEWS + ["Okay fit", "Lovely color but thin fabric", "Not for me"]
    live, shadow = expected(models, "text-a", texts), expected(models, "text-shadow", texts)
    assert [p["predicted_label"] for p in live] != [p["predicted_label"] for p in shadow]  # the shadow is a different model
    before = text_server.stats()["variants"]["Shadow"]
    for text, want in zip(texts, live):
        reply = text_server.invoke({"instances": [text]}, {"X-Amzn-SageMaker-Target-Variant": "A", "Accept": "text/csv"})
        assert reply.body.decode() == f"{want['predicted_label']},{want['probability']!r}\n"
    wait_until(lambda: text_server.stats()["variants"]["Shadow"]["compared"] == before["compared"] + len(texts))
    after = text_server.stats()["variants"]["Shadow"]
    agreed = round(after["agreement"] * after["compared"]) - round((before["agreement"] or 0) * before["compared"])
    assert agreed == sum(a["predicted_label"] == b["predicted_label"] for a, b in zip(live, shadow))
    assert after["shadow"] is True and after["latency_ms"]["p50"] is not None
    assert text_server.stats()["variants"]["A"]["agreement"] is None
    requests = [json.dumps({"instances": [text]}) for text in texts]
    # wait for these requests' own records: the earlier tests of this module leave text/csv records on this server too
    wait_until(lambda: set(requests) <= set(shadow_csv_outputs(text_server.capture_dir)))
    captured = shadow_csv_outputs(text_server.capture_dir)
    for request, want in zip(requests, shadow):
        assert captured[request] == f"{want['predicted_label']},{want['probability']!r}\n"


def shadow_csv_outputs(folder: Path) -> dict[str, str]:
    """The shadow variant's captured text/csv answers by the request they answered."""
    return {r["captureData"]["endpointInput"]["data"]: r["captureData"]["endpointOutput"]["data"]
            for p, r in capture_records(folder) if p.parts[-6] == "Shadow"
            and r["captureData"]["endpointOutput"]["observedContentType"] == "text/csv"}


def test_capture_files_follow_sagemaker_format(text_server: Server) -> None:
    body = "\"Lovely, soft\"\nCheap zipper\n"
    reply = text_server.call("/invocations", body.encode(), {"Content-Type": "text/csv", "X-Amzn-SageMaker-Target-Variant": "B"})
    assert reply.status == 200
    wait_until(lambda: any(r["captureData"]["endpointInput"]["data"] == body for _, r in capture_records(text_server.capture_dir)))
    records = capture_records(text_server.capture_dir)
    assert {path.parts[-6] for path, _ in records} >= {"A", "B", "Shadow"}
    for path, record in records:
        assert set(record) == {"captureData", "eventMetadata", "eventVersion"} and record["eventVersion"] == "0"
        request, response = record["captureData"]["endpointInput"], record["captureData"]["endpointOutput"]
        assert (request["mode"], response["mode"]) == ("INPUT", "OUTPUT")
        assert request["encoding"] == {"text/csv": "CSV"}.get(request["observedContentType"], "JSON")
        metadata = record["eventMetadata"]
        uuid.UUID(metadata["eventId"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", metadata["inferenceTime"])
        when = datetime.strptime(metadata["inferenceTime"], "%Y-%m-%dT%H:%M:%S.%fZ")
        assert path.relative_to(text_server.capture_dir).parts[:5] == (metadata["variant"], *when.strftime("%Y/%m/%d/%H").split("/"))
    mine = next(r for _, r in records if r["captureData"]["endpointInput"]["data"] == body)
    assert mine["eventMetadata"]["variant"] == "B"
    assert json.loads(mine["captureData"]["endpointOutput"]["data"]) == reply.json()


def test_eight_concurrent_clients_are_all_served(text_server: Server) -> None:
    before = text_server.stats()["requests"]
    statuses: list[int] = []

    def client(number: int) -> None:
        for i in range(25):
            statuses.append(text_server.invoke({"instances": [f"{REVIEWS[(number + i) % len(REVIEWS)]} #{i}"]}).status)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert statuses == [200] * 200
    assert text_server.stats()["requests"] - before == 200


def test_stats_shape(text_server: Server) -> None:
    stats = text_server.stats()
    assert set(stats) >= {"started_at", "requests", "errors", "variants"}
    datetime.strptime(stats["started_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert set(stats["variants"]) == {"A", "B", "Shadow"}
    for name, figures in stats["variants"].items():
        assert set(figures) >= {"requests", "errors", "latency_ms", "shadow", "agreement"}
        assert figures["shadow"] is (name == "Shadow")
        assert figures["latency_ms"]["p50"] <= figures["latency_ms"]["p99"]
    assert stats["requests"] >= sum(v["requests"] for n, v in stats["variants"].items() if n != "Shadow")


def test_every_model_is_warmed_up_before_the_server_listens(text_server: Server, wine_server: Server) -> None:
    """Issue 14, UX #12: when /ping first answers (InService), every variant's model has predicted once and a review
    model has explained once, so the first request does not pay for it: the server's own figures say so, and its
    log has the warm-up before it started listening."""
    for server, explained in ((text_server, True), (wine_server, False)):
        for name, figures in server.stats()["variants"].items():
            warm = figures["warm_up"]
            assert warm["error"] == "" and warm["predict_ms"] is not None, (name, warm)
            assert (warm["explain_ms"] is not None) is explained, (name, warm)
        log = server.log.read_text()
        assert log.count("warmed up: predict") == len(server.stats()["variants"])
        assert log.rindex("warmed up: predict") < log.index("serving on"), log


def test_deeply_nested_json_is_a_400_that_says_so(text_server: Server) -> None:
    deep = "[" * 100_000 + "]" * 100_000  # the JSON decoder recurses once per level
    for body, content_type in ((deep, "application/json"), ('{"instances": ' + deep + "}", "application/json"),
                               ('"fine"\n' + deep, "application/jsonlines")):
        reply = text_server.call("/invocations", body.encode(), {"Content-Type": content_type})
        assert reply.status == 400, (content_type, reply.body[:200])
        assert "nests arrays or objects too deeply" in reply.json()["message"]
    assert text_server.invoke({"instances": ["Love it"]}).status == 200


def test_invocations_need_a_supported_content_type(text_server: Server) -> None:
    """A cross-site "simple" POST can only send no Content-Type, text/plain or a form: all refused."""
    body = json.dumps({"instances": ["Love it"]}).encode()
    missing = text_server.call("/invocations", body, {})
    assert missing.status == 415 and "no Content-Type" in missing.json()["message"]
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        refused = text_server.call("/invocations", body, {"Content-Type": content_type})
        assert refused.status == 415 and content_type in refused.json()["message"], content_type


def test_requests_for_another_host_name_are_refused(text_server: Server) -> None:
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends its own name as Host."""
    port = text_server.port
    for host in (f"evil.example:{port}", f"127.0.0.1:{port + 1}", "127.0.0.1", f"localhost.evil.example:{port}", ""):
        for path, method in (("/invocations", "POST"), ("/ping", "GET"), ("/stats", "GET")):
            reply = text_server.call(path, json.dumps({"instances": ["Nice"]}).encode(), JSON | {"Host": host}, method)
            assert reply.status == 421, (host, path, reply.body)
            assert "is not the address this server was started on" in reply.json()["message"]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}", f"[::1]:{port}"):
        assert text_server.invoke({"instances": ["Nice"]}, {"Host": host}).status == 200, host


@pytest.mark.parametrize(("header", "bound", "allowed"), [
    ("127.0.0.1:8080", "127.0.0.1", True), ("localhost:8080", "127.0.0.1", True), ("[::1]:8080", "localhost", True),
    ("127.0.0.1:8081", "127.0.0.1", False), ("127.0.0.1", "127.0.0.1", False), ("evil.example:8080", "127.0.0.1", False),
    ("10.1.2.3:8080", "0.0.0.0", True), ("localhost:8080", "0.0.0.0", True), ("evil.example:8080", "0.0.0.0", False),
    ("10.1.2.3:8080", "10.1.2.3", True), ("localhost:8080", "10.1.2.3", False), ("10.1.2.4:8080", "10.1.2.3", False),
    ("host.lan:8080", "host.lan", True), ("127.0.0.1:notaport", "127.0.0.1", False), ("[::1:8080", "127.0.0.1", False),
])
def test_host_headers_name_the_bound_address(header: str, bound: str, allowed: bool) -> None:
    from services.endpoints.guards import host_allowed

    assert host_allowed(header, bound, 8080) is allowed


def test_a_body_over_6_mb_gets_its_413_even_from_a_client_that_closes_after_sending(text_server: Server) -> None:
    """urllib sends "Connection: close": a server that answers before reading the rest of the body and
    closes resets the connection, and the client saw "Connection reset by peer" instead of the 413."""
    body = b"x" * (7 * 1024 * 1024)
    request = urllib.request.Request(f"http://127.0.0.1:{text_server.port}/invocations", data=body, method="POST",
                                     headers={"Content-Type": "text/csv"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=60)
    assert caught.value.code == 413 and "the limit is 6,291,456" in json.loads(caught.value.read())["message"]
    chunks = iter([body[start:start + 65536] for start in range(0, len(body), 65536)])  # no Content-Length
    reply = text_server.call("/invocations", chunks, {"Content-Type": "text/csv", "Connection": "close"})
    assert reply.status == 413 and "over the limit" in reply.json()["message"]
    assert text_server.invoke({"instances": ["Love it"]}).status == 200


# -- data capture under pressure -------------------------------------------------------------------------------


class StalledDisk(CaptureWriter):
    """A capture writer whose disk stalls until ``release`` is set: the writer thread cannot keep up."""

    def __init__(self, folder: Path, limit_bytes: int) -> None:
        self.release = threading.Event()
        super().__init__(folder, 100, seed=0, limit_bytes=limit_bytes)

    def _append(self, items: list[tuple[Exchange, datetime]]) -> None:
        self.release.wait(60)
        super()._append(items)


def test_the_capture_queue_is_bounded_by_bytes_and_drops_rather_than_waits(tmp_path: Path,
                                                                              capsys: pytest.CaptureFixture[str]) -> None:
    writer = StalledDisk(tmp_path, limit_bytes=3 * 1024 * 1024)
    megabyte = Exchange("AllTraffic", b"x" * 1024 * 1024, "text/csv", b"1,0.9\n", "text/csv")
    for _ in range(5):
        writer.capture(megabyte)  # returns at once although nothing can be written
    assert (writer.dropped, writer.queued_bytes) == (3, 2 * exchange_bytes(megabyte))  # 2 MB held, not 5
    writer.release.set()
    writer.close()
    assert (writer.written, writer.dropped, writer.queued_bytes) == (2, 3, 0)
    assert capsys.readouterr().out.count("data capture cannot keep up") == 1  # one line when dropping starts


# -- tabular endpoint ----------------------------------------------------------------------------------


def test_tabular_formats_give_the_models_predictions(wine_server: Server, models: dict[str, Path]) -> None:
    columns = load_serving_model(models["wine"]).input_columns
    rows = [WINE_ROW, [12.4, 1.1, 2.5, 21.0, 90.0, 2.0, 1.6, 0.4, 1.1, 2.9, 0.9, 2.5, 420.0]]
    want = expected(models, "wine", rows)
    csv_body = "\n".join(",".join(map(str, row)) for row in rows)
    bodies = [
        (json.dumps({"instances": rows}), "application/json"),
        (json.dumps({"instances": [dict(zip(columns, row)) | {"target": 0} for row in rows]}), "application/json"),
        (json.dumps({"instances": [{"features": row} for row in rows]}), "application/json"),
        (json.dumps({"instances": [",".join(map(str, row)) for row in rows]}), "application/json"),
        (csv_body, "text/csv"),
        (",".join(columns) + "\n" + csv_body, "text/csv"),  # a header line equal to the columns is skipped
        ("\n".join(json.dumps(dict(zip(columns, row))) for row in rows), "application/jsonlines"),
    ]
    for body, content_type in bodies:
        reply = wine_server.call("/invocations", body.encode(), {"Content-Type": content_type})
        assert reply.status == 200, (content_type, reply.body)
        assert reply.json()["predictions"] == want, content_type
    single = wine_server.invoke(dict(zip(columns, WINE_ROW)))
    assert single.json()["predictions"] == want[:1]
    partial = wine_server.invoke({"instances": [{"alcohol": 13.0}]})
    assert partial.status == 200 and partial.json()["predictions"] == expected(models, "wine", [{"alcohol": 13.0}])


def test_tabular_bad_instances_and_model_errors(wine_server: Server) -> None:
    cases = [
        (b'{"instances": [[1, 2, 3]]}', 400, "3 values"),
        (b'{"instances": [{"colour": "red"}]}', 400, "none of the model's columns"),
        (b'{"instances": [{"alcohol": [1, 2]}]}', 400, "not a single value"),
        (b'{"instances": [true]}', 400, "is a bool"),
        (('{"instances": [[Infinity' + ", 1" * 12 + "]]}").encode(), 500, "The model failed"),
    ]
    for body, status, words in cases:
        reply = wine_server.call("/invocations", body, JSON)
        assert reply.status == status and words in reply.json()["message"], reply.body
        assert wine_server.invoke({"instances": [WINE_ROW]}).status == 200
    assert "error: variant AllTraffic failed to predict: ValueError" in wine_server.log.read_text()


def test_tabular_explain_is_omitted_with_the_reason(wine_server: Server) -> None:
    reply = wine_server.invoke({"instances": [WINE_ROW]}, EXPLAIN)
    assert reply.status == 200
    assert "explanation" not in reply.json()["predictions"][0]
    assert "text models" in reply.headers["x-explanation-omitted"]


def test_capture_percent_samples_requests(wine_server: Server) -> None:
    before = len(capture_records(wine_server.capture_dir))
    for _ in range(100):
        assert wine_server.invoke({"instances": [WINE_ROW]}).status == 200
    time.sleep(1)  # the writer thread appends within moments
    captured = len(capture_records(wine_server.capture_dir)) - before
    assert 25 <= captured <= 75  # 50% of 100


def test_regression_predictions_are_numbers(tmp_path: Path) -> None:
    frame = load_wine(as_frame=True).frame.drop(columns=["target"])
    data = prepare_dataset(frame, "proline", problem_type="Regression", seed=3)
    artifact = train(tmp_path / "models" / "proline" / "1", "linear-learner", data, {})
    row = data.test.drop(columns=["proline"]).iloc[0].tolist()
    with running_server(tmp_path / "proline", [variant("AllTraffic", artifact)], capture_percent=100) as server:
        reply = server.invoke({"instances": [row]})
        assert reply.json()["predictions"] == load_serving_model(artifact).predict([row])
        assert isinstance(reply.json()["predictions"][0]["predicted_label"], float)
        as_csv = server.invoke({"instances": [row]}, {"Accept": "text/csv"})
        assert float(as_csv.body.decode()) == reply.json()["predictions"][0]["predicted_label"]
    assert "stopped (2 requests, 2 captured)" in server.log.read_text()  # capture flushed at shutdown
    assert len(capture_records(server.capture_dir)) == 2


# -- the process -------------------------------------------------------------------------------------------


def test_a_bad_configuration_fails_with_one_error_line(tmp_path: Path) -> None:
    config = {"name": "broken", "host": "127.0.0.1", "port": unused_port(), "capture_percent": 0, "capture_dir": str(tmp_path),
              "variants": [variant("AllTraffic", tmp_path / "no-such-model" / "1")]}
    (tmp_path / "endpoint.json").write_text(json.dumps(config))
    done = subprocess.run([sys.executable, "-m", "services.endpoints.server", "--config", str(tmp_path / "endpoint.json")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, env=server_environment())
    assert done.returncode == 2
    errors = [line for line in done.stdout.splitlines() if " error: " in line]
    assert len(errors) == 1 and "predictor.json is missing" in errors[0]
    (tmp_path / "endpoint.json").write_text(json.dumps(config | {"variants": [variant("S", tmp_path, shadow=True)]}))
    done = subprocess.run([sys.executable, "-m", "services.endpoints.server", "--config", str(tmp_path / "endpoint.json")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, env=server_environment())
    assert done.returncode == 2 and "no production (non-shadow) variant" in done.stdout


def test_autopilot_pipelines_read_csv_values_as_numbers(tmp_path: Path) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from services.training.autopilot.features import build_featuriser
    from services.training.autopilot.predictors import PipelinePredictor

    frame = load_wine(as_frame=True).frame
    columns = [c for c in frame.columns if c != "target"]
    pipeline = make_pipeline(build_featuriser(columns, [], []), LogisticRegression(max_iter=500)).fit(frame[columns], frame["target"])
    PipelinePredictor(pipeline, problem_type="MulticlassClassification", classes=["0", "1", "2"], feature_columns=columns,
                      date_columns=[], algorithm="linear-learner").save(tmp_path / "autopilot")
    model = load_serving_model(tmp_path / "autopilot")
    as_numbers = model.predict([WINE_ROW])
    assert model.predict([",".join(map(str, WINE_ROW))]) == as_numbers
    assert model.predict([[str(v) for v in WINE_ROW]]) == as_numbers
    assert model.input_columns == columns and not model.text_model
