"""Benchmark: an aggregation over a generated 10-million-row Parquet table.

Compares, in the same run and on the same files:
  * our query path (Athena SQL → sandboxed DuckDB, history, result file, display rows),
  * the same SQL on raw DuckDB over the files (target: our overhead ratio ≤ 1.10),
  * pandas reading the Parquet files and grouping.

Run: `make bench` or `.venv/bin/python tests/benchmarks/bench_query.py [--rows N] [--repeats R]`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.config import Settings  # noqa: E402
from services.registry import build_services  # noqa: E402

CATEGORIES = np.array([f"category_{i:02d}" for i in range(40)])
REGIONS = np.array(["north", "south", "east", "west", "central", "islands"])
OUR_SQL = """
SELECT category, region, count(*) AS orders, sum(amount) AS revenue, avg(quantity) AS avg_quantity
FROM bench.sales
GROUP BY category, region
ORDER BY revenue DESC
"""


def write_sales(folder: Path, rows: int, files: int = 10, seed: int = 7) -> None:
    """Deterministic synthetic sales split across ``files`` Parquet files."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    per_file = rows // files
    for index in range(files):
        table = pa.table({
            "order_id": np.arange(index * per_file, (index + 1) * per_file, dtype=np.int64),
            "category": pa.array(CATEGORIES[rng.integers(0, len(CATEGORIES), per_file)]).dictionary_encode(),
            "region": pa.array(REGIONS[rng.integers(0, len(REGIONS), per_file)]).dictionary_encode(),
            "amount": rng.gamma(2.0, 30.0, per_file).round(2),
            "quantity": rng.integers(1, 10, per_file, dtype=np.int32),
        })
        pq.write_table(table, folder / f"part-{index:05d}.parquet")


def timed(function: Callable[[], object], repeats: int) -> list[float]:
    function()  # warm-up: file cache, views, imports
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-query-") as temp:
        home = Path(temp)
        services = build_services(Settings(home=home, seed_on_start=False))
        folder = services.catalog.workspace.table_folder("bench", "sales")  # type: ignore[attr-defined]
        started = time.perf_counter()
        write_sales(folder, args.rows)
        generated = time.perf_counter() - started
        table = services.catalog.register("bench", "sales", folder)  # type: ignore[attr-defined]
        assert table.parameters["recordCount"] == str(args.rows)
        raw = duckdb.connect(config={"threads": services.settings.query_threads})
        raw_sql = OUR_SQL.replace("bench.sales", f"read_parquet('{folder}/*.parquet')")

        def ours() -> object:
            return services.query.run(OUR_SQL)

        def raw_duckdb() -> object:
            return raw.sql(raw_sql).to_arrow_table()

        def pandas_path() -> object:
            frame = pd.read_parquet(folder, columns=["category", "region", "amount", "quantity"])
            grouped = frame.groupby(["category", "region"], observed=True).agg(
                orders=("amount", "size"), revenue=("amount", "sum"), avg_quantity=("quantity", "mean"))
            return grouped.sort_values("revenue", ascending=False)

        check_same_answer(ours(), raw_duckdb())
        # Interleave the contenders so drift in machine load hits all of them alike.
        results: dict[str, list[float]] = {"ours": [], "raw_duckdb": [], "pandas": []}
        for _ in range(args.repeats):
            results["ours"] += timed(ours, 1)
            results["raw_duckdb"] += timed(raw_duckdb, 1)
            results["pandas"] += timed(pandas_path, 1)
        report(args.rows, generated, results)


def check_same_answer(ours: object, raw: object) -> None:
    ours_frame = ours.frame  # type: ignore[attr-defined]
    raw_frame = raw.to_pandas()  # type: ignore[attr-defined]
    assert len(ours_frame) == len(raw_frame)
    assert int(ours_frame["orders"].sum()) == int(raw_frame["orders"].sum())


def report(rows: int, generated: float, results: dict[str, list[float]]) -> None:
    medians = {name: statistics.median(times) for name, times in results.items()}
    figures = {
        "rows": rows,
        "generate_seconds": round(generated, 2),
        "median_seconds": {k: round(v, 4) for k, v in medians.items()},
        "min_seconds": {k: round(min(v), 4) for k, v in results.items()},
        "ours_vs_raw_duckdb_ratio": round(medians["ours"] / medians["raw_duckdb"], 3),
        "pandas_vs_ours_ratio": round(medians["pandas"] / medians["ours"], 2),
        "target_ratio": 1.10,
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
