"""Benchmark: crawl a lake folder of 1,000 small Parquet files (10 hive partitions × 100 files).

Run: `make bench` or `.venv/bin/python tests/benchmarks/bench_crawl.py [--files N]`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.config import Settings  # noqa: E402
from services.registry import build_services  # noqa: E402


def write_small_files(folder: Path, files: int, partitions: int = 10, rows: int = 100) -> None:
    rng = np.random.default_rng(11)
    for index in range(files):
        partition = folder / f"day=2024-01-{index % partitions + 1:02d}"
        partition.mkdir(parents=True, exist_ok=True)
        table = pa.table({"event_id": np.arange(rows, dtype=np.int64) + index * rows,
                          "value": rng.normal(size=rows), "kind": ["click"] * rows})
        pq.write_table(table, partition / f"part-{index:05d}.parquet")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-crawl-") as temp:
        services = build_services(Settings(home=Path(temp), seed_on_start=False))
        catalog = services.catalog
        write_small_files(Path(temp) / "lake" / "workbench-lake" / "landing" / "events", args.files)
        first = time.perf_counter()
        created = catalog.crawl("s3://workbench-lake/landing/", "landing")
        first_crawl = time.perf_counter() - first
        assert created.created == ("landing.events",), created
        recrawls = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            result = catalog.crawl("s3://workbench-lake/landing/", "landing")
            recrawls.append(time.perf_counter() - started)
            assert result.unchanged == ("landing.events",), result
        rows = services.query.run("SELECT count(*) AS n FROM landing.events").frame["n"][0]
        assert rows == args.files * 100
        print(json.dumps({
            "files": args.files,
            "first_crawl_seconds": round(first_crawl, 3),
            "recrawl_median_seconds": round(statistics.median(recrawls), 3),
            "partitions": len(catalog.list_partitions("landing", "events")),
            "rows_queried_after_crawl": int(rows),
        }, indent=2))


if __name__ == "__main__":
    main()
