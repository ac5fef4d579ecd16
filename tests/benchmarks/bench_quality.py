"""Data quality report benchmark (issue 12). Run: ``.venv/bin/python tests/benchmarks/bench_quality.py [--rows 10000000]``.

A generated, seeded Parquet table (default 10 million rows in 10 files: an id, three numbers with outliers, a
category with gaps, a review-like text column, a binary target and a column that leaks it) is catalogued in a
scratch workspace; the report with ``--target label`` runs through the query port (DuckDB): seconds, and the
process's peak memory (the query engine runs in it; the table is written by a helper process). Then, in the same
run, the baseline in a process of its own:
pandas reads the same files whole and runs ``describe(include="all")`` (seconds for each, and its peak memory).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.config import Settings  # noqa: E402
from services.quality.models import QualityRequest  # noqa: E402
from services.registry import build_services  # noqa: E402

FILES = 10
WORDS = np.array(["fits", "well", "soft", "fabric", "runs", "small", "lovely", "colour", "cheap", "returned", "great",
                  "price", "love", "it", "too", "long", "short", "sleeves", "comfortable", "flattering", "thin", "material",
                  "would", "buy", "again", "disappointed"])


def sentences(rng: np.random.Generator, count: int = 2000) -> np.ndarray:
    """Review-like texts of 6-16 words, drawn once; rows pick among them."""
    return np.array([" ".join(rng.choice(WORDS, rng.integers(6, 17))) for _ in range(count)], dtype=object)


def part(rows: int, first_id: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    score = rng.normal(size=rows)
    label = (score + rng.normal(scale=1.0, size=rows) > 0.8).astype(np.int64)
    amount = np.round(rng.lognormal(3, 0.6, rows), 2)
    amount[rng.random(rows) < 0.001] *= 50  # a few far outliers
    category = rng.choice(np.array(["tops", "dresses", "bottoms", "jackets", "intimates", "trend", "knits", "sweaters"]), rows)
    texts = sentences(rng)[rng.integers(0, 2000, rows)]
    return pa.table({
        "id": pa.array(np.arange(first_id, first_id + rows, dtype=np.int64)),
        "amount": pa.array(amount), "age": pa.array(rng.integers(18, 91, rows)), "score": pa.array(score),
        "category": pa.array(category, mask=rng.random(rows) < 0.05),
        "review": pa.array(texts, type=pa.string()),
        "label": pa.array(label), "status": pa.array(np.where(label == 1, "converted", "lost")),
    })


def write_table(folder: Path, rows: int) -> None:
    folder.mkdir(parents=True)
    per_file = rows // FILES
    for i in range(FILES):
        pq.write_table(part(per_file, i * per_file, seed=i), folder / f"part-{i:02d}.parquet")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args()
    # Helper processes start now, while this one is small: Linux keeps a process's peak memory across fork and
    # exec, so each process's peak below is its own. One writes the table, one runs the pandas baseline.
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn) as writer, ProcessPoolExecutor(1, mp_context=spawn) as baseline:
        writer.submit(peak_mb).result()
        baseline.submit(peak_mb).result()
        home = Path(tempfile.mkdtemp(prefix="bench-quality-"))
        try:
            run(home, args.rows, writer, baseline)
        finally:
            shutil.rmtree(home, ignore_errors=True)


def run(home: Path, rows: int, writer: ProcessPoolExecutor, baseline: ProcessPoolExecutor) -> None:
    folder = home / "lake" / "workbench-lake" / "bench" / "orders"
    started = time.perf_counter()
    writer.submit(write_table, folder, rows).result()
    services = build_services(replace(Settings(home=home, seed_on_start=False), query_timeout_seconds=900.0))
    services.catalog.create_database("bench", "benchmark")
    services.catalog.register("bench", "orders", folder)  # type: ignore[attr-defined]
    print(f"generated and catalogued {rows:,} rows ({FILES} Parquet files) in {time.perf_counter() - started:.1f} s")
    before = peak_mb()
    started = time.perf_counter()
    report = services.quality.report(QualityRequest(table="bench.orders", target="label"))
    seconds = time.perf_counter() - started
    print(f"quality report, {report.rows:,} rows x {len(report.columns)} columns, target label: {seconds:.1f} s "
          f"({len(report.queries)} queries, sample {report.sample_rows:,} rows, {len(report.warnings)} warnings, "
          f"leakage flagged: {[s.feature for s in report.flagged_leakage]}); peak memory of this process (DuckDB runs "
          f"in it): {before:,.0f} MB before, {peak_mb():,.0f} MB after")
    read_seconds, describe_seconds, pandas_peak = baseline.submit(pandas_baseline, folder).result()
    print(f"baseline pandas (own process): read_parquet {read_seconds:.1f} s + describe(include='all') {describe_seconds:.1f} s = "
          f"{read_seconds + describe_seconds:.1f} s (row count and per-column summaries only: no duplicates, histograms, "
          f"text lengths, leakage or model); peak memory {pandas_peak:,.0f} MB")


def pandas_baseline(folder: Path) -> tuple[float, float, float]:
    """Seconds to read the files whole, seconds to describe them, and this process's peak MB."""
    started = time.perf_counter()
    frame = pd.read_parquet(folder)
    read_seconds = time.perf_counter() - started
    started = time.perf_counter()
    frame.describe(include="all")
    return read_seconds, time.perf_counter() - started, peak_mb()


if __name__ == "__main__":
    main()
