"""Benchmark: online GetRecord through the local runtime gateway with an unchanged boto3
``sagemaker-featurestore-runtime`` client (target p50 < 5 ms), beside the in-process GetRecord measured in the same run
on the same records.

A workspace gets ``--rows`` records (ingested from a Parquet file), the gateway is started as the app starts it
(``python -m services endpoints gateway`` does the same), and ``--lookups`` GetRecord calls on random identifiers are
timed on each path after one warm-up call each (the gateway opens the workspace's Feature Store on its first request).
The same GetRecord sent with plain ``http.client`` on a kept-alive connection is timed too: the difference to boto3's
figure is the client's own work (serialising, signing, parsing), which runs in the caller's process.

Run: `make bench` or `.venv/bin/python tests/benchmarks/bench_features_gateway.py [--rows N] [--lookups N]`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.config import Settings  # noqa: E402
from services.endpoints.local import LocalEndpoints  # noqa: E402
from services.features.models import FeatureGroupSpec, IngestSource  # noqa: E402
from services.registry import Services, build_services  # noqa: E402

GROUP = "bench-gateway-reviews"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def workspace(home: Path, rows: int) -> Services:
    """A workspace whose group ``GROUP`` holds ``rows`` records (review_id 0 … rows-1)."""
    data = home.parent / "records.parquet"
    rng = np.random.default_rng(5)
    pd.DataFrame({"review_id": np.arange(rows, dtype=np.int64), "event_time": "2024-05-01T10:00:00Z",
                  "rating": rng.integers(1, 6, rows), "score": rng.random(rows),
                  "department": rng.choice(["Tops", "Dresses", "Bottoms"], rows)}).to_parquet(data, index=False)
    services = build_services(Settings(home=home, seed_on_start=False, gateway_port=free_port(), import_roots=(home.parent,)))
    features = services.features
    definitions = tuple(features.infer_definitions(IngestSource(path=str(data))))
    features.create_feature_group(FeatureGroupSpec(GROUP, "review_id", "event_time", definitions))
    result = features.ingest(GROUP, IngestSource(path=str(data)))
    assert (result.ingested, result.failed) == (rows, 0), result
    return services


def connect_address(url: str) -> tuple[str, int]:
    host, _, port = url.removeprefix("http://").partition(":")
    return host, int(port)


def timed(call: Callable[[str], object], ids: list[str]) -> list[float]:
    call(ids[0])  # warm-up
    latencies = []
    for record_id in ids:
        started = time.perf_counter()
        call(record_id)
        latencies.append(time.perf_counter() - started)
    return sorted(latencies)


def summary(latencies: list[float]) -> dict[str, float]:
    return {"p50_ms": round(statistics.median(latencies) * 1000, 3),
            "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 3)}


def main() -> None:
    import boto3

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--lookups", type=int, default=2_000)
    args = parser.parse_args()
    ids = [str(random.Random(11).randrange(args.rows)) for _ in range(args.lookups)]
    with tempfile.TemporaryDirectory(prefix="bench-features-gateway-") as temp:
        services = workspace(Path(temp) / "workspace", args.rows)
        endpoints: LocalEndpoints = services.endpoints  # type: ignore[assignment]
        try:
            url = endpoints.gateway_url()
            client = boto3.client("sagemaker-featurestore-runtime", endpoint_url=url, region_name="us-east-1",
                                  aws_access_key_id="local", aws_secret_access_key="local")

            def through_gateway(record_id: str) -> object:
                record = client.get_record(FeatureGroupName=GROUP, RecordIdentifierValueAsString=record_id)["Record"]
                assert record[0] == {"FeatureName": "review_id", "ValueAsString": record_id}
                return record

            def in_process(record_id: str) -> object:
                record = services.features.get_record(GROUP, record_id)
                assert record is not None and str(record["review_id"]) == record_id
                return record

            connection = http.client.HTTPConnection(*connect_address(url))

            def plain_http(record_id: str) -> object:
                connection.request("GET", f"/FeatureGroup/{GROUP}?RecordIdentifierValueAsString={record_id}")
                answer = connection.getresponse()
                body = answer.read()
                assert answer.status == 200, body
                return body

            gateway = summary(timed(through_gateway, ids))
            plain = summary(timed(plain_http, ids))
            local = summary(timed(in_process, ids))
            connection.close()
        finally:
            endpoints.stop_gateway()
    print(json.dumps({
        "rows": args.rows, "lookups": args.lookups,
        "gateway_boto3_get_record": gateway, "gateway_target_p50_ms": 5.0,
        "gateway_plain_http_get_record": plain,  # the same request without boto3: the server's and the wire's share
        "in_process_get_record": local, "in_process_target_p50_ms": 1.0,
    }, indent=2))


if __name__ == "__main__":
    main()
