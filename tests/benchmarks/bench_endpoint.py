"""Benchmark: a text-minilm endpoint over HTTP (ONNX Runtime behind uvicorn), on this machine's loopback.

1. Trains a tiny text-minilm model (120 generated reviews, 1 epoch, batch 8, 128 tokens) in a scratch
   folder, or uses ``--model ARTIFACT`` (a saved text-minilm model folder).
2. ``python -m services.endpoints.prepare`` exports it to ONNX (timed).
3. Starts ``python -m services.endpoints.server`` on a free loopback port (data capture at
   ``--capture-percent``, default 100, as a default deployment does).
4. Sequential: one ~60-word review, ``--sequential`` (200) requests one after another on a kept-alive
   connection after 20 warm-up requests: p50/p99 latency as the client sees it (target p50 < 10 ms).
5. Load: ``--clients`` (8) threads × ``--requests`` (1,000) requests each, each on its own connection,
   stopped early at ``--max-seconds`` (300): throughput, p50/p99, errors (must be 0), and the server's
   resident memory (psutil) before and after.

Prints one JSON object. Run: ``.venv/bin/python tests/benchmarks/bench_endpoint.py``
(about 2 minutes on 2 idle cores plus the training; figures from a busy machine are slower).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
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

REVIEW = ("I ordered this dress for a summer wedding and it arrived quickly. The fabric is soft and drapes nicely, "
          "and the color is exactly as pictured. It runs slightly small in the bust, so I would size up, but the "
          "length was perfect for me at five foot six. Overall a lovely dress for the price and I got many compliments.")
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


def train_in_subprocess(folder: Path) -> Path:
    """Train in a child process: torch's worker threads must not share a process (and its cores) with the clients."""
    code = f"from pathlib import Path; import tests.benchmarks.bench_endpoint as b; b.train_tiny_model(Path({str(folder)!r}))"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, env=environment(), stdout=sys.stderr)
    return folder


def environment() -> dict[str, str]:
    return os.environ | {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(ROOT)}


def prepare(model: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "services.endpoints.prepare", str(model)], cwd=ROOT, check=True, env=environment(),
                   stdout=sys.stderr)
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(model: Path, folder: Path, capture_percent: int) -> tuple[subprocess.Popen[bytes], int, float]:
    port = free_port()
    config = {"name": "bench", "host": "127.0.0.1", "port": port, "capture_percent": capture_percent,
              "capture_dir": str(folder / "data-capture"),
              "variants": [{"name": "AllTraffic", "model_id": "bench/1", "artifact_path": str(model), "weight": 1.0, "shadow": False}]}
    (folder / "endpoint.json").write_text(json.dumps(config))
    started = time.perf_counter()
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "services.endpoints.server", "--config", str(folder / "endpoint.json")],
                               cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=environment())
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


def sequential(port: int, count: int) -> dict[str, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for _ in range(20):
        request(connection)
    latencies, errors = [], 0
    for _ in range(count):
        started = time.perf_counter()
        status, _ = request(connection)
        latencies.append(time.perf_counter() - started)
        errors += status != 200
    connection.close()
    return {"requests": count, "errors": errors, **percentiles(latencies)}


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a saved text-minilm model folder (default: train a tiny one)")
    parser.add_argument("--capture-percent", type=int, default=100)
    parser.add_argument("--sequential", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=1000, help="per client")
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument("--settle-seconds", type=float, default=20, help="wait after start (explainer warm-up) before measuring")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-endpoint-") as scratch:
        folder = Path(scratch)
        started = time.perf_counter()
        model = arguments.model.resolve() if arguments.model else train_in_subprocess(folder / "models" / "tiny-minilm" / "1")
        trained = None if arguments.model else round(time.perf_counter() - started, 1)
        figures: dict[str, Any] = {"model": str(model), "train_seconds": trained,
                                   "review_words": len(REVIEW.split()), "cpu_count": os.cpu_count(),
                                   "load_average_at_start": [round(v, 2) for v in os.getloadavg()]}
        figures["prepare_seconds"] = round(prepare(model), 1)
        process, port, startup = start_server(model, folder, arguments.capture_percent)
        try:
            server = psutil.Process(process.pid)
            figures["server_start_seconds"] = round(startup, 2)
            time.sleep(arguments.settle_seconds)  # the server warms shap's word explainer in the background after start
            figures["sequential"] = sequential(port, arguments.sequential)
            figures["rss_mb_before_load"] = round(server.memory_info().rss / 2**20, 1)
            figures["load"] = load_test(port, arguments.clients, arguments.requests, arguments.max_seconds)
            figures["rss_mb_after_load"] = round(server.memory_info().rss / 2**20, 1)
            stats_connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            figures["server_stats"] = json.loads(request(stats_connection, "GET", "/stats")[1])
        finally:
            stop(process)
        figures["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
