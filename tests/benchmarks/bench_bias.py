"""Bias benchmarks (issue 4). Run: ``.venv/bin/python tests/benchmarks/bench_bias.py [--rows 10000000]``.

1. A generated Parquet table (default 10 million rows) with a 10-value facet, a binary label and
   a 5-value group variable, catalogued in a scratch workspace; all pre-training metrics one-vs-all
   through the table (aggregation query) path: seconds, with and without bootstrap intervals.
2. The same metrics on 1 million rows held in memory: our path (``report_from_frame``) against a
   straightforward pandas implementation of the same formulas (masks per facet value), same run.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from services.bias.engine import report_from_frame
from services.bias.models import BiasRequest
from services.config import Settings
from services.models import DataSource
from services.registry import build_services

FACETS = [f"group_{i}" for i in range(10)]


def generate(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    facet = rng.integers(0, 10, rows)
    group = rng.integers(0, 5, rows)
    label = (rng.random(rows) < 0.3 + 0.03 * facet - 0.02 * group).astype(np.int64)
    return pd.DataFrame({"facet": np.asarray(FACETS, dtype=object)[facet], "label": label, "grp": group,
                         "score": rng.random(rows)})


def write_table(folder: Path, rows: int, files: int = 10) -> None:
    folder.mkdir(parents=True)
    per_file = rows // files
    for i in range(files):
        pq.write_table(pa.Table.from_pandas(generate(per_file, seed=i), preserve_index=False), folder / f"part-{i}.parquet")


def request(source: DataSource | None = None, bootstrap: int = 0) -> BiasRequest:
    return BiasRequest(source=source or DataSource(), label="label", label_values=("1",), facet="facet", group="grp",
                       bootstrap=bootstrap)


def pandas_baseline(frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    """The formulas written the obvious way: boolean masks over the rows for every facet value."""
    results = {}
    y = frame["label"] == 1
    for value in frame["facet"].unique():
        d = frame["facet"] == value
        a = ~d
        n_a, n_d = a.sum(), d.sum()
        q_a, q_d = y[a].mean(), y[d].mean()
        p_a, p_d = np.array([1 - q_a, q_a]), np.array([1 - q_d, q_d])
        keep = (p_a > 0) & (p_d > 0)
        p_a, p_d = p_a[keep], p_d[keep]
        middle = (p_a + p_d) / 2
        cdd_sum, weight = 0.0, 0
        for g in np.unique(frame["grp"]):
            in_g = frame["grp"] == g
            accepted, rejected = in_g & y, in_g & ~y
            share_accepted = (accepted & d).sum() / accepted.sum() if accepted.sum() else 0.0
            share_rejected = (rejected & d).sum() / rejected.sum() if rejected.sum() else 0.0
            cdd_sum += in_g.sum() * (share_rejected - share_accepted)
            weight += in_g.sum()
        results[str(value)] = {
            "CI": (n_a - n_d) / (n_a + n_d), "DPL": q_a - q_d, "KL": float(np.sum(p_a * np.log(p_a / p_d))),
            "JS": float(0.5 * np.sum(p_a * np.log(p_a / middle) + p_d * np.log(p_d / middle))),
            "LP": float(np.sqrt(np.sum((p_a - p_d) ** 2))), "TVD": float(0.5 * np.sum(np.abs(p_a - p_d))),
            "KS": float(np.max(np.abs(p_a - p_d))), "CDDL": cdd_sum / weight,
        }
    return results


def timed(function, repeats: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def table_path(rows: int) -> None:
    home = Path(tempfile.mkdtemp(prefix="bench-bias-"))
    services = build_services(Settings(home=home, seed_on_start=False))
    started = time.perf_counter()
    folder = home / "lake" / "workbench-lake" / "bench" / "people"
    write_table(folder, rows)
    services.catalog.create_database("bench", "benchmark")
    services.catalog.register("bench", "people", folder)  # type: ignore[attr-defined]
    print(f"generated and catalogued {rows:,} rows in {time.perf_counter() - started:.1f} s")
    source = DataSource(table="bench.people")
    seconds, report = timed(lambda: services.bias.analyze(request(source)), 3)
    entries = report.pre.entries  # type: ignore[attr-defined]
    print(f"table path, {rows:,} rows, one-vs-all over {len(entries)} facet values, 8 pre-training metrics: "
          f"{seconds:.2f} s (median of 3)")
    seconds, _ = timed(lambda: services.bias.analyze(request(source, bootstrap=200)), 1)
    print(f"  the same with 200 bootstrap resamples for intervals: {seconds:.2f} s")


def in_memory(rows: int) -> None:
    frame = generate(rows, seed=42)
    ours, report = timed(lambda: report_from_frame(frame, request()), 3)
    baseline, expected = timed(lambda: pandas_baseline(frame), 3)
    for entry in report.pre.entries:  # type: ignore[attr-defined]
        for name, value in expected[entry.value_or_threshold].items():  # type: ignore[index]
            assert abs(entry.metric(name).value - value) < 1e-9, (entry.value_or_threshold, name)
    print(f"in memory, {rows:,} rows: ours {ours:.3f} s, straightforward pandas {baseline:.3f} s "
          f"-> pandas takes {baseline / ours:.1f}x as long (same values checked)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--memory-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    table_path(args.rows)
    in_memory(args.memory_rows)


if __name__ == "__main__":
    main()
