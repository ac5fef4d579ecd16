"""Benchmark: live scoring over HTTP (uvicorn endpoint servers on this machine's loopback), from InService on.

1. Trains a tiny text-minilm model (120 generated reviews, 1 epoch, batch 8, 128 tokens) in a scratch
   folder, or uses ``--model ARTIFACT`` (a saved text-minilm model folder); and a tiny text-tfidf model.
2. ``python -m services.endpoints.prepare`` exports two copies of the MiniLM model to ONNX (timed): with
   INT8 weights (the default) and with float weights (``--float``).
3. Starts one ``python -m services.endpoints.server`` per model (minilm-int8, minilm-float, tfidf), each on a
   free loopback port with data capture at ``--capture-percent`` (default 100, as a default deployment
   does) and the environment the launcher gives a deployed server (``launcher.SERVER_ENVIRONMENT``);
   each is timed until ``GET /ping`` answers, which is when the endpoint reports InService.
4. First requests: as soon as all answer /ping, ``--first`` (50) requests of one ~60-word review each,
   without any warm-up of ours: p50/p99 as a client that starts right at InService sees them.
5. Sequential: ``--sequential`` (300) more requests on a kept-alive connection per endpoint, the
   endpoints taking turns request by request so all see the same load: p50/p99 per endpoint and the
   float/int8 p50 ratio. Targets: MiniLM p50 < 5 ms, TF-IDF p50 < 2 ms.
5b. Alone: the same count per endpoint with the others idle (one client scoring reviews on one endpoint).
   Taking turns costs the others (measured on 2 busy cores: int8 p50 5.5 ms in turns with tfidf only,
   6.9 ms with minilm-float in the turns too; tfidf 1.5 vs 2.4 ms). Likely causes, not separated: each
   minilm-float request streams 90 MB of weights through the shared caches, so the next request starts
   cold, and each server idles longer between its requests.
   Both are printed; ``targets`` checks the turns figures, ``targets_alone`` these.
6. Load: ``--clients`` (8) threads × ``--requests`` (1,000) requests each on minilm-int8 and tfidf, one
   endpoint at a time, each client on its own connection, stopped early at ``--max-seconds`` (300):
   throughput, p50/p99, errors (must be 0), and the server's resident memory (psutil) before and after.

Prints one JSON object with the load average at start and end (the machine is shared; compare the
ratios measured in one run). Run: ``.venv/bin/python tests/benchmarks/bench_endpoint.py``
(about 5 minutes on 2 idle cores plus the training; figures from a busy machine are slower).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from services.endpoints.launcher import SERVER_ENVIRONMENT  # noqa: E402
from tests.helpers.review_data import REVIEW  # noqa: E402

BODY = json.dumps({"instances": [REVIEW]}).encode()
HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


def train_tiny_model(folder: Path) -> Path:
    from services.training.algorithms.dataset import prepare_dataset
    from services.training.algorithms.text_minilm import MiniLMAlgorithm
    from tests.helpers.data import tiny_reviews
    from tests.helpers.recording import RecordingReporter

    data = prepare_dataset(tiny_reviews(), "sentiment", text_column="review_body", seed=7)
    hyperparameters = {"epochs": "1", "batch_size": "8", "max_seq_length": "128", "learning_rate": "3e-4"}
    result = MiniLMAlgorithm().fit(data, hyperparameters, RecordingReporter())
    result.predictor.save(folder)
    return folder


def train_tiny_tfidf(folder: Path) -> Path:
    from services.training.algorithms.common import get_algorithm
    from services.training.algorithms.dataset import prepare_dataset
    from tests.helpers.data import tiny_reviews
    from tests.helpers.recording import RecordingReporter

    data = prepare_dataset(tiny_reviews(), "sentiment", text_column="review_body", seed=7)
    get_algorithm("text-tfidf").fit(data, {}, RecordingReporter()).predictor.save(folder)
    return folder


def train_in_subprocess(function: str, folder: Path) -> Path:
    """Train in a child process: torch's worker threads must not share a process (and its cores) with the clients."""
    code = f"from pathlib import Path; import tests.benchmarks.bench_endpoint as b; b.{function}(Path({str(folder)!r}))"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, env=environment(), stdout=sys.stderr)
    return folder


def environment() -> dict[str, str]:
    return os.environ | {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(ROOT)}


def prepare(model: Path, *flags: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "services.endpoints.prepare", str(model), *flags], cwd=ROOT, check=True,
                   env=environment(), stdout=sys.stderr)
    return time.perf_counter() - started


def minilm_copy(model: Path, folder: Path) -> Path:
    """A copy of a saved MiniLM model without its export (so each copy is exported as asked)."""
    shutil.copytree(model, folder, ignore=shutil.ignore_patterns("onnx", ".onnx*"))
    return folder


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(model: Path, folder: Path, capture_percent: int) -> tuple[subprocess.Popen[bytes], int, float]:
    """Start a server for ``model`` with its files in ``folder``; returns it, its port and the seconds to InService."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = {"name": "bench", "host": "127.0.0.1", "port": port, "capture_percent": capture_percent,
              "capture_dir": str(folder / "data-capture"),
              "variants": [{"name": "AllTraffic", "model_id": "bench/1", "artifact_path": str(model), "weight": 1.0, "shadow": False}]}
    (folder / "endpoint.json").write_text(json.dumps(config))
    started = time.perf_counter()
    log = (folder / "server.log").open("wb")
    command = [sys.executable, "-m", "services.endpoints.server", "--config", str(folder / "endpoint.json")]
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               env=environment() | SERVER_ENVIRONMENT)  # as the launcher starts a deployed server
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited:\n{(folder / 'server.log').read_text()}")
        try:
            if request(http.client.HTTPConnection("127.0.0.1", port, timeout=5), "GET", "/ping")[0] == 200:
                return process, port, time.perf_counter() - started
        except OSError:
            time.sleep(0.1)
    stop(process)
    raise SystemExit("the server did not answer /ping within 120 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def request(connection: http.client.HTTPConnection, method: str = "POST", path: str = "/invocations") -> tuple[int, bytes]:
    connection.request(method, path, body=BODY if method == "POST" else None, headers=HEADERS if method == "POST" else {})
    response = connection.getresponse()
    return response.status, response.read()


def percentiles(latencies: list[float]) -> dict[str, float]:
    values = np.array(latencies) * 1000
    return {"p50_ms": round(float(np.percentile(values, 50)), 2), "p99_ms": round(float(np.percentile(values, 99)), 2),
            "mean_ms": round(float(values.mean()), 2)}


def first_requests(ports: dict[str, int], count: int) -> dict[str, dict[str, Any]]:
    """``count`` requests per endpoint right after InService, endpoints taking turns, no warm-up of ours."""
    return taking_turns(ports, count, warm=0)


def sequential(ports: dict[str, int], count: int) -> dict[str, dict[str, Any]]:
    return taking_turns(ports, count, warm=20)


def taking_turns(ports: dict[str, int], count: int, warm: int) -> dict[str, dict[str, Any]]:
    """p50/p99 per endpoint of ``count`` requests on a kept-alive connection each, one endpoint after the other
    request by request (so a burst of load on the machine hits them all alike), after ``warm`` unmeasured ones."""
    connections = {name: http.client.HTTPConnection("127.0.0.1", port, timeout=60) for name, port in ports.items()}
    latencies: dict[str, list[float]] = {name: [] for name in ports}
    errors = dict.fromkeys(ports, 0)
    for number in range(warm + count):
        for name, connection in connections.items():
            started = time.perf_counter()
            status, _ = request(connection)
            if number >= warm:
                latencies[name].append(time.perf_counter() - started)
                errors[name] += status != 200
    for connection in connections.values():
        connection.close()
    return {name: {"requests": count, "errors": errors[name], **percentiles(latencies[name])} for name in ports}


def load_test(port: int, clients: int, per_client: int, max_seconds: float) -> dict[str, Any]:
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    deadline = time.monotonic() + max_seconds

    def client(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for _ in range(per_client):
            if time.monotonic() > deadline:
                break
            started = time.perf_counter()
            try:
                status, _ = request(connection)
            except OSError:
                status = 0
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            latencies[number].append(time.perf_counter() - started)
            errors[number] += status != 200
        connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    done = [value for values in latencies for value in values]
    return {"clients": clients, "requests": len(done), "errors": sum(errors), "seconds": round(elapsed, 2),
            "throughput_per_s": round(len(done) / elapsed, 1), **percentiles(done)}


TARGET_P50_MS = {"minilm-int8": 5.0, "minilm-float": 5.0, "tfidf": 2.0}
LOADED = ("minilm-int8", "tfidf")


def targets(measured: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: {"p50_ms": measured[name]["p50_ms"], "target_p50_ms": limit, "met": measured[name]["p50_ms"] < limit}
            for name, limit in TARGET_P50_MS.items()}


def build_models(arguments: argparse.Namespace, folder: Path, figures: dict[str, Any]) -> dict[str, Path]:
    started = time.perf_counter()
    minilm = arguments.model.resolve() if arguments.model else train_in_subprocess("train_tiny_model", folder / "trained-minilm")
    figures["minilm_train_seconds"] = None if arguments.model else round(time.perf_counter() - started, 1)
    models = {"minilm-int8": minilm_copy(minilm, folder / "minilm-int8"), "minilm-float": minilm_copy(minilm, folder / "minilm-float"),
              "tfidf": train_in_subprocess("train_tiny_tfidf", folder / "tfidf")}
    figures["prepare_seconds"] = {"minilm-int8": round(prepare(models["minilm-int8"]), 1),
                                  "minilm-float": round(prepare(models["minilm-float"], "--float"), 1)}
    return models


def measure(arguments: argparse.Namespace, folder: Path, models: dict[str, Path], figures: dict[str, Any]) -> None:
    servers: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    try:
        figures["inservice_seconds"] = {}
        for name, model in models.items():
            process, port, startup = start_server(model, folder / "endpoints" / name, arguments.capture_percent)
            servers[name] = (process, port)
            figures["inservice_seconds"][name] = round(startup, 2)
        ports = {name: port for name, (_, port) in servers.items()}
        figures["first_requests_after_inservice"] = first_requests(ports, arguments.first)
        figures["sequential"] = sequential(ports, arguments.sequential)
        figures["load_average_after_sequential"] = [round(v, 2) for v in os.getloadavg()]
        figures["sequential_alone"] = {name: taking_turns({name: port}, arguments.sequential, warm=20)[name]
                                       for name, port in ports.items()}
        figures["load_average_after_alone"] = [round(v, 2) for v in os.getloadavg()]
        figures["targets"] = targets(figures["sequential"])
        figures["targets_alone"] = targets(figures["sequential_alone"])
        figures["float_over_int8_p50"] = round(figures["sequential"]["minilm-float"]["p50_ms"]
                                               / figures["sequential"]["minilm-int8"]["p50_ms"], 2)
        figures["load"] = {}
        for name in LOADED:
            server = psutil.Process(servers[name][0].pid)
            before = round(server.memory_info().rss / 2**20, 1)
            result = load_test(ports[name], arguments.clients, arguments.requests, arguments.max_seconds)
            figures["load"][name] = {**result, "rss_mb_before": before, "rss_mb_after": round(server.memory_info().rss / 2**20, 1)}
        figures["server_stats"] = {name: json.loads(request(http.client.HTTPConnection("127.0.0.1", port, timeout=10), "GET", "/stats")[1])
                                   for name, port in ports.items()}
    finally:
        for process, _ in servers.values():
            stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a saved text-minilm model folder (default: train a tiny one)")
    parser.add_argument("--capture-percent", type=int, default=100)
    parser.add_argument("--first", type=int, default=50)
    parser.add_argument("--sequential", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=1000, help="per client")
    parser.add_argument("--max-seconds", type=float, default=300)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-endpoint-") as scratch:
        folder = Path(scratch)
        figures: dict[str, Any] = {"review_words": len(REVIEW.split()), "cpu_count": os.cpu_count(),
                                   "load_average_at_start": [round(v, 2) for v in os.getloadavg()]}
        models = build_models(arguments, folder, figures)
        figures["model"] = str(arguments.model or "tiny text-minilm (120 generated reviews)")
        measure(arguments, folder, models, figures)
        figures["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
