"""Benchmark: the local Feature Store's online GetRecord latency in-process, and ingestion rows/s against a plain
DuckDB insert of the same rows (both measured in the same run, on the same Parquet file).

GetRecord: ``--rows`` records ingested, then ``--lookups`` GetRecord calls on random identifiers (target p50 < 1 ms).
Ingestion: ``LocalFeatures.ingest`` of the file (validated, cast, online upserts in SQLite, offline Parquet, chunks of
50,000 rows) vs ``INSERT INTO t SELECT * FROM read_parquet(file)`` into an in-memory DuckDB table.

Run: `make bench` or `.venv/bin/python tests/benchmarks/bench_features.py [--rows N] [--lookups N]`.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.config import Settings  # noqa: E402
from services.features.models import FeatureGroupSpec, IngestSource  # noqa: E402
from services.registry import build_services  # noqa: E402


def write_records(path: Path, rows: int) -> None:
    rng = np.random.default_rng(12)
    start = np.datetime64("2024-01-01T00:00:00")
    times = (start + rng.integers(0, 90 * 86_400, rows).astype("timedelta64[s]")).astype(str)
    pd.DataFrame({
        "review_id": np.arange(rows, dtype=np.int64),
        "event_time": [f"{t}Z" for t in times],
        "rating": rng.integers(1, 6, rows),
        "helpful_votes": rng.poisson(2, rows),
        "score": rng.random(rows),
        "department": rng.choice(["Tops", "Dresses", "Bottoms", "Intimate", "Jackets"], rows),
    }).to_parquet(path, index=False)


def ingestion(services_home: Path, data: Path, rows: int) -> tuple[float, FeatureGroupSpec]:
    services = build_services(Settings(home=services_home, seed_on_start=False, import_roots=(data.parent,)))
    features = services.features
    definitions = tuple(features.infer_definitions(IngestSource(path=str(data))))
    spec = FeatureGroupSpec("bench-reviews", "review_id", "event_time", definitions)
    features.create_feature_group(spec)
    started = time.perf_counter()
    result = features.ingest(spec.name, IngestSource(path=str(data)))
    seconds = time.perf_counter() - started
    assert (result.ingested, result.failed) == (rows, 0), result
    return seconds, spec


def duckdb_insert(data: Path, rows: int) -> float:
    with duckdb.connect() as conn:
        conn.execute("CREATE TABLE records (review_id BIGINT, event_time VARCHAR, rating BIGINT, helpful_votes BIGINT, "
                     "score DOUBLE, department VARCHAR)")
        started = time.perf_counter()
        conn.execute("INSERT INTO records SELECT * FROM read_parquet(?)", [str(data)])
        seconds = time.perf_counter() - started
        counted = conn.execute("SELECT count(*) FROM records").fetchone()
    assert counted is not None and counted[0] == rows
    return seconds


def get_record_latencies(home: Path, name: str, rows: int, lookups: int) -> list[float]:
    features = build_services(Settings(home=home, seed_on_start=False)).features
    ids = [str(random.Random(7).randrange(rows)) for _ in range(lookups)]
    features.get_record(name, ids[0])  # warm: the first call opens the group's statement caches
    latencies = []
    for record_id in ids:
        started = time.perf_counter()
        record = features.get_record(name, record_id)
        latencies.append(time.perf_counter() - started)
        assert record is not None and str(record["review_id"]) == record_id
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--lookups", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-features-") as temp:
        data = Path(temp) / "records.parquet"
        write_records(data, args.rows)
        ingest_seconds, spec = ingestion(Path(temp) / "workspace", data, args.rows)
        insert_seconds = duckdb_insert(data, args.rows)
        latencies = sorted(get_record_latencies(Path(temp) / "workspace", spec.name, args.rows, args.lookups))
    ingest_rate, insert_rate = args.rows / ingest_seconds, args.rows / insert_seconds
    print(json.dumps({
        "rows": args.rows,
        "ingestion_seconds": round(ingest_seconds, 3),
        "ingestion_rows_per_second": round(ingest_rate),
        "duckdb_insert_seconds": round(insert_seconds, 3),
        "duckdb_insert_rows_per_second": round(insert_rate),
        "duckdb_insert_to_ingestion_ratio": round(insert_rate / ingest_rate, 1),
        "get_record_lookups": args.lookups,
        "get_record_p50_ms": round(statistics.median(latencies) * 1000, 4),
        "get_record_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 4),
        "get_record_target_p50_ms": 1.0,
    }, indent=2))


if __name__ == "__main__":
    main()
