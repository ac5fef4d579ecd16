"""Benchmark: Debugger's overhead on a MiniLM fine-tune.

The same local text-minilm job (the first ``--rows`` demo reviews as a table of their own, 1 epoch, same seed) runs
without Debugger and with every rule that applies to it (all ten built-ins: the debug rules read its loss, validation
metric, labels and the hook's gradient statistics; the profiler rules read the system samples taken every 500 ms)
plus the profiler, alternately after one uncounted warm-up job, in one workspace and one process, so both see the
same machine. Each job's wall time is its own runtime (``started_at`` → ``ended_at``: the worker process, without
queueing). Prints, as JSON, every run, the median of each side and their ratio against the target (≤ 1.05).

Run: `.venv/bin/python tests/benchmarks/bench_debugger.py` (`--rows 400 --repeats 3` by default; about four
minutes on two idle cores). Run it on a quiet machine: the ratio is only as good as the load is steady.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.config import Settings  # noqa: E402
from services.debugger.models import ALL_RULES, DebuggerConfig, RuleConfig  # noqa: E402
from services.models import DataSource, TrainingRequest  # noqa: E402
from services.registry import Services, build_services  # noqa: E402

TARGET = 1.05
SEED = 42
ALL_APPLICABLE = DebuggerConfig(rules=tuple(RuleConfig(rule) for rule in ALL_RULES), profiler=True)


def small_reviews(services: Services, rows: int) -> DataSource:
    """The first ``rows`` demo reviews as their own table, so validation and test are as small as training."""
    result = services.query.run(f"SELECT * FROM demo.reviews_sentiment ORDER BY review_id LIMIT {int(rows)}")
    table = services.query.save_result_as_table(result.query_id, "bench", "reviews_small")
    return DataSource(table=table.qualified_name)


def fine_tune(services: Services, source: DataSource, debugger: DebuggerConfig | None) -> dict[str, Any]:
    request = TrainingRequest(algorithm="text-minilm", source=source, target="sentiment", seed=SEED, debugger=debugger,
                              hyperparameters={"epochs": "1", "batch_size": "32", "max_seq_length": "128",
                                               "learning_rate": "1e-4"})
    job = services.jobs.wait_for_job(services.training.start_training_job(request), 3600)
    if job.status != "Completed":
        raise SystemExit(f"{job.name} ended {job.status}: {job.failure_reason}")
    seconds = (datetime.fromisoformat(job.ended_at) - datetime.fromisoformat(job.started_at)).total_seconds()
    statuses = services.debugger.rule_statuses(job.name) if debugger else []
    return {"job": job.name, "debugger": debugger is not None, "wall_seconds": round(seconds, 2),
            "rules": {s.configuration_name: s.status for s in statuses}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=400, help="demo reviews in the job's own table")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side, alternating")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        services = build_services(Settings(home=Path(folder) / "workspace", seed_on_start=True))
        source = small_reviews(services, args.rows)
        fine_tune(services, source, None)  # warm-up, not counted: the first job reads the model from a cold disk cache
        runs = []
        for _ in range(args.repeats):
            for debugger in (None, ALL_APPLICABLE):
                runs.append(fine_tune(services, source, debugger))
                print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
        services.stack.store.close()
    without = statistics.median(r["wall_seconds"] for r in runs if not r["debugger"])
    with_rules = statistics.median(r["wall_seconds"] for r in runs if r["debugger"])
    ratio = with_rules / without
    print(json.dumps({"rows": args.rows, "repeats": args.repeats, "runs": runs,
                      "median_wall_seconds_without_debugger": without,
                      "median_wall_seconds_with_all_rules_and_profiler": with_rules,
                      "ratio": round(ratio, 3), "target": TARGET, "meets_target": ratio <= TARGET}, indent=2))


if __name__ == "__main__":
    main()
