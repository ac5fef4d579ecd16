"""Benchmark: the point-in-time dataset builder — 1M base rows joined with a 10M-record feature group — against
pandas ``merge_asof`` on the same data in the same run (both from the Parquet on disk to a Parquet file).

The group (seeded): 100,000 identifiers × 100 records at distinct, increasing epoch-second event times, three
Fractional features, each record written 0–600 s after its event time (so some rows leak). The base: 1M rows at
random times and identifiers (a few unknown). Both answers are compared on a sample of 2,000 rows, and the leaking
rows counted by both.

Run: `make bench` or `.venv/bin/python tests/benchmarks/bench_feature_join.py [--base-rows N] [--records N]`.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.config import Settings  # noqa: E402
from services.features.dataset import build_dataset  # noqa: E402
from services.features.models import DatasetRequest  # noqa: E402
from services.registry import build_services  # noqa: E402
from tests.helpers.features_dataset import OfflineGroups, spec_of  # noqa: E402

START = 1_700_000_000.0
FEATURES = ("f1", "f2", "f3")


def group_records(records: int, ids: int, rng: np.random.Generator) -> pa.Table:
    per_id = records // ids
    item = np.repeat(np.arange(ids, dtype=np.int64), per_id)
    steps = rng.integers(1, 3600, size=(ids, per_id)).cumsum(axis=1).ravel().astype(np.float64)
    event = START + steps
    written = pd.to_datetime(event + rng.integers(0, 600, item.size), unit="s").to_numpy("datetime64[us]")
    columns: dict[str, object] = {"item_id": item, "ts": event}
    columns |= {name: rng.normal(size=item.size) for name in FEATURES}
    columns |= {"write_time": written, "api_invocation_time": written, "is_deleted": np.zeros(item.size, dtype=bool)}
    return pa.table(columns)


def base_rows(rows: int, ids: int, horizon: float, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame({"row_id": np.arange(rows, dtype=np.int64), "item_id": rng.integers(0, ids + ids // 100, rows),
                         "at": START + rng.uniform(0, horizon, rows), "label": rng.integers(0, 2, rows)})


def run_builder(groups: OfflineGroups, base: Path, out: Path) -> tuple[float, int, int]:
    started = time.perf_counter()
    result = build_dataset(groups, DatasetRequest(record_identifier="item_id", event_time="at", groups=("items",),
                                                   base_path=str(base), out_path=str(out)))
    return time.perf_counter() - started, result.rows, result.leaking_rows


def run_pandas(records: Path, base: Path, out: Path) -> tuple[float, int]:
    """merge_asof needs both sides sorted on the time; records sharing an identifier and time would need the
    builder's last-write rule, but the synthetic group has none."""
    started = time.perf_counter()
    left = pd.read_parquet(base).sort_values("at", kind="stable")
    right = pd.read_parquet(records, columns=["item_id", "ts", *FEATURES, "write_time"]).sort_values("ts", kind="stable")
    joined = pd.merge_asof(left, right, left_on="at", right_on="ts", by="item_id", direction="backward")
    leaking = int((joined["write_time"] > pd.to_datetime(joined["at"], unit="s")).sum())
    joined.drop(columns=["ts", "write_time"]).to_parquet(out, index=False)
    return time.perf_counter() - started, leaking


def agree_on_sample(ours: Path, theirs: Path, rng: np.random.Generator, size: int = 2000) -> int:
    """Rows of the sample whose features differ (0 when the answers agree)."""
    mine = pd.read_parquet(ours).set_index("row_id").sort_index()
    other = pd.read_parquet(theirs).set_index("row_id").sort_index()
    sample = rng.choice(mine.index.to_numpy(), size=min(size, len(mine)), replace=False)
    left, right = mine.loc[sample, list(FEATURES)], other.loc[sample, list(FEATURES)]
    same = (left == right) | (left.isna() & right.isna())
    return int((~same.all(axis=1)).sum())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-rows", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--ids", type=int, default=100_000)
    args = parser.parse_args()
    rng = np.random.default_rng(42)
    with tempfile.TemporaryDirectory(prefix="bench-feature-join-") as temp:
        folder = Path(temp)
        services = build_services(Settings(home=folder / "workspace", seed_on_start=False, import_roots=(folder,)))
        groups = OfflineGroups(services.stack, services.catalog, services.storage)
        spec = spec_of("items", "item_id", "ts", item_id="Integral", ts="Fractional", **dict.fromkeys(FEATURES, "Fractional"))
        records = group_records(args.records, args.ids, rng)
        horizon = float(pc_max(records) - START)
        groups.add_group(spec, records)
        del records
        base_rows(args.base_rows, args.ids, horizon, rng).to_parquet(folder / "base.parquet", index=False)
        record_file = next(groups.folder("items").rglob("*.parquet"))
        ours, rows, leaking = run_builder(groups, folder / "base.parquet", folder / "ours.parquet")
        theirs, pandas_leaking = run_pandas(record_file, folder / "base.parquet", folder / "pandas.parquet")
        differing = agree_on_sample(folder / "ours.parquet", folder / "pandas.parquet", rng)
        services.stack.store.close()
    print(json.dumps({"base_rows": args.base_rows, "group_records": args.records, "rows": rows,
                      "builder_seconds": round(ours, 2), "pandas_merge_asof_seconds": round(theirs, 2),
                      "ratio_builder_to_pandas": round(ours / theirs, 2), "leaking_rows": leaking,
                      "pandas_leaking_rows": pandas_leaking, "sample_rows_differing": differing}, indent=2))
    assert rows == args.base_rows and differing == 0 and leaking == pandas_leaking, "the two answers differ"


def pc_max(records: pa.Table) -> float:
    import pyarrow.compute as pc

    return float(pc.max(records.column("ts")).as_py())


if __name__ == "__main__":
    main()
