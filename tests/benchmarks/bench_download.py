"""Benchmark: peak memory of downloading a large query result (default 5 million rows) in full.

Each way runs in a fresh process that opens the workspace, then downloads the stored result once while
sampling its resident memory, so the figures are the download's own cost:
  * ``before_csv``: the CSV built whole in memory, as the Query page did (Streamlit's download button
    then keeps those bytes in its media file storage);
  * ``after_csv`` / ``after_parquet``: a one-time link on the app's download server, fetched over HTTP
    by a client in the same process that discards what it reads (so its buffers count too).

Run: `make bench` or `.venv/bin/python tests/benchmarks/bench_download.py [--rows N]`.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.config import Settings  # noqa: E402
from services.registry import build_services  # noqa: E402

WORDS = np.array(["fits", "lovely", "fabric", "small", "returned", "colour", "great", "poor", "soft", "long"])


def write_reviews(folder: Path, rows: int, files: int = 10, seed: int = 3) -> None:
    """Deterministic review-like rows: ids, a category, a rating, an amount and a short text."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    per_file = rows // files
    for index in range(files):
        words = WORDS[rng.integers(0, len(WORDS), (per_file, 4))]
        table = pa.table({
            "review_id": np.arange(index * per_file, (index + 1) * per_file, dtype=np.int64),
            "rating": rng.integers(1, 6, per_file, dtype=np.int32),
            "amount": rng.gamma(2.0, 30.0, per_file).round(2),
            "review_text": pa.array([" ".join(w) for w in words]),
        })
        pq.write_table(table, folder / f"part-{index:05d}.parquet")


def old_csv_download(path: Path) -> bytes:
    """The Query page's CSV download before streaming: one writer into one in-memory buffer."""
    buffer = io.BytesIO()
    parquet = pq.ParquetFile(path)
    with pa_csv.CSVWriter(buffer, parquet.schema_arrow) as writer:
        for batch in parquet.iter_batches(batch_size=65_536):
            writer.write_batch(batch)
    return buffer.getvalue()


def streamed_download(services: object, query_id: str, fmt: str) -> int:
    from services.query.downloads import download_server

    server = download_server("127.0.0.1")
    query = services.query  # type: ignore[attr-defined]
    token = server.mint(f"{query_id}.{fmt}", "text/csv", lambda: query.export_chunks(query_id, fmt))
    received = 0
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}{server.path(token)}", timeout=600) as response:
        while chunk := response.read(1024 * 1024):
            received += len(chunk)
    return received


def rss_mb() -> float:
    """The process's resident memory now (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


class PeakRss:
    """The highest resident memory seen while the block runs, sampled every few milliseconds (the high-water
    mark ``ru_maxrss`` would include start-up peaks from imports and opening the workspace)."""

    def __enter__(self) -> PeakRss:
        self.start = self.peak = rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_mb())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())


def measure(home: Path, query_id: str, way: str) -> dict[str, float]:
    """One download in this process; prints the figures as JSON."""
    services = build_services(Settings(home=home, seed_on_start=False))
    path = home / "query-results" / f"{query_id}.parquet"
    pq.ParquetFile(path)  # imports and opens everything the download uses before the baseline
    started = time.perf_counter()
    with PeakRss() as memory:
        fmt = way.removeprefix("after_")
        size = len(old_csv_download(path)) if way == "before_csv" else streamed_download(services, query_id, fmt)
    return {"rss_before_mb": round(memory.start, 1), "peak_rss_mb": round(memory.peak, 1),
            "download_peak_mb": round(memory.peak - memory.start, 1), "bytes": size,
            "seconds": round(time.perf_counter() - started, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--measure", nargs=3, metavar=("HOME", "QUERY_ID", "WAY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        home, query_id, way = args.measure
        print(json.dumps(measure(Path(home), query_id, way)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-download-") as temp:
        home = Path(temp)
        services = build_services(Settings(home=home, seed_on_start=False))
        folder = services.catalog.workspace.table_folder("bench", "reviews")  # type: ignore[attr-defined]
        write_reviews(folder, args.rows)
        services.catalog.register("bench", "reviews", folder)  # type: ignore[attr-defined]
        result = services.query.run("SELECT * FROM bench.reviews", max_rows=10)
        assert result.statistics.rows == args.rows
        figures: dict[str, object] = {"rows": args.rows,
                                      "result_parquet_mb": round((home / "query-results" / f"{result.query_id}.parquet")
                                                                 .stat().st_size / 2**20, 1)}
        for way in ("before_csv", "after_csv", "after_parquet"):
            child = subprocess.run([sys.executable, __file__, "--measure", str(home), result.query_id, way],
                                   capture_output=True, text=True, check=True)
            figures[way] = json.loads(child.stdout)
        print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
