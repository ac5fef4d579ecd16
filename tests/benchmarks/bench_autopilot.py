"""Benchmark: local Autopilot with a 120 s budget against a default HistGradientBoosting model.

Two public sets (skipped with a message when /work/shared/data is absent):
  * Kaggle bike-sharing demand, target ``count`` (regression, objective MSE). ``casual`` and
    ``registered`` are dropped: they sum to ``count``, so keeping them leaks the answer.
  * UCI Adult, target ``income`` (binary, objective F1 of ``>50K``).

Both contenders see the same rows: the job's own seeded 70/15/15 split. HistGradientBoosting is fit
on train + validation with scikit-learn's defaults, with a plain date expansion (year, month, day,
day of week, hour: what Autopilot applied before it added a trend and weekday/weekend hours, kept
fixed here so the baseline does not move with Autopilot's features) and text columns as pandas
categories, and scored on the test split with the job's objective. For regression the figure is
the ratio of the two test RMSEs; the target is Autopilot ≤ 0.80 × the baseline, within budget + 60 s.
The Autopilot job runs end to end through the training port (worker process, reports, notebooks,
MLflow, registry) and its wall time is measured, with the machine's load average (1, 5, 15 min)
before and after: other work on the cores slows the search.

Time limits (no data needed, run first): the wall time of a 30 s ENSEMBLING job on 400 demo reviews through
the port (baseline: budget + 60 s) and of the tuning search alone with a 12 s limit on scikit-learn's
diabetes set (baseline: limit + 5 s). They were wall-clock assertions in the unit tests; on a shared
machine they are figures to watch, not pass/fail checks.

Run: `.venv/bin/python tests/benchmarks/bench_autopilot.py [--budget 120] [--only limits|bike|adult]`.

The 0.80 target is not met (0.829-0.843 in the last runs), and bench_autopilot_ceiling.py shows why: LightGBM, CatBoost
and XGBoost hand-tuned on this split, fitted without a time limit under three target transforms and averaged in every
combination of up to five, reach 0.827 at best even when the combination is picked by its test score.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.config import Settings  # noqa: E402
from services.demo.demo_reviews import generate_reviews  # noqa: E402
from services.models import AutopilotRequest, DataSource  # noqa: E402
from services.registry import build_services  # noqa: E402
from services.training.autopilot import objectives  # noqa: E402
from services.training.autopilot.prepare import prepare_data  # noqa: E402
from services.training.autopilot.tuning import run_tuning  # noqa: E402
from tests.helpers.autopilot_sets import DATA, SEED, SETS, TARGET_RMSE_RATIO, baseline_score, input_file  # noqa: E402

JOB_BUDGET = 30  # seconds: the small job's max_runtime_seconds
JOB_ALLOWANCE = 60  # what the whole job may take beyond its budget (reading data, reports, worker start)
TUNING_LIMIT = 12  # seconds given to the tuning search alone
TUNING_ALLOWANCE = 5


def run_autopilot(path: Path, target: str, budget: int, home: Path) -> tuple[dict[str, object], float]:
    # ../shared/data is neither the home nor the current directory: list it as the import root.
    roots = (DATA.resolve(), path.parent.resolve())  # the set (with its leaking columns dropped) is a temporary copy
    services = build_services(Settings(home=home, seed_on_start=False, import_roots=roots))
    request = AutopilotRequest(source=DataSource(path=str(path)), target=target, max_runtime_seconds=budget,
                               max_candidates=10, seed=SEED)
    started = time.monotonic()
    name = services.training.start_autopilot_job(request)
    job = services.jobs.wait_for_job(name, timeout_seconds=budget + 600)
    wall = time.monotonic() - started
    if job.status != "Completed":
        raise SystemExit(f"{name} {job.status}: {job.failure_reason}")
    return {"job": name, **job.result}, wall


class QuietReporter:
    """A Reporter for the search run outside a job: it keeps nothing."""

    def log(self, message: str) -> None:
        pass

    def metric(self, name: str, value: float, step: int | None = None) -> None:
        pass

    def progress(self, fraction: float, message: str = "") -> None:
        pass


def bench_time_limits(folder: Path) -> dict[str, object]:
    """Wall times of a small job through the port and of the tuning search alone, with their baselines."""
    from sklearn.datasets import load_diabetes

    reviews = generate_reviews(400, seed=SEED)
    reviews.columns = [str(c).lower().replace(" ", "_") for c in reviews.columns]
    path = folder / "reviews-400.csv"
    reviews.to_csv(path, index=False)
    services = build_services(Settings(home=folder / "home-limits", seed_on_start=False, import_roots=(folder,)))
    request = AutopilotRequest(source=DataSource(path=str(path)), target="recommended_ind", mode="ENSEMBLING",
                               max_runtime_seconds=JOB_BUDGET, max_candidates=3, seed=SEED)
    started = time.monotonic()
    job = services.jobs.wait_for_job(services.training.start_autopilot_job(request), JOB_BUDGET + 600)
    job_wall = time.monotonic() - started
    prepared = prepare_data(load_diabetes(as_frame=True).frame, "target", seed=SEED)
    objective = objectives.resolve_objective("", prepared.dataset.problem_type)
    started = time.monotonic()
    search = run_tuning(prepared, objective, TUNING_LIMIT, 500, folder / "tuning", QuietReporter())
    tuning_wall = time.monotonic() - started
    return {"small_job_status": job.status, "small_job_wall_seconds": round(job_wall, 1),
            "small_job_baseline_seconds": JOB_BUDGET + JOB_ALLOWANCE,
            "small_job_within": job.status == "Completed" and job_wall < JOB_BUDGET + JOB_ALLOWANCE,
            "tuning_candidates": len(search.candidates), "tuning_wall_seconds": round(tuning_wall, 1),
            "tuning_baseline_seconds": TUNING_LIMIT + TUNING_ALLOWANCE,
            "tuning_within": tuning_wall < TUNING_LIMIT + TUNING_ALLOWANCE}


def bench(name: str, budget: int, folder: Path) -> dict[str, object]:
    spec = SETS[name]
    path = input_file(name, folder)
    load_before = os.getloadavg()
    result, wall = run_autopilot(path, str(spec["target"]), budget, folder / f"home-{name}")
    objective = str(result["objective"]["name"])  # type: ignore[index]
    autopilot = float(result["test_metrics"][f"test_{objective}"])  # type: ignore[index]
    baseline = baseline_score(path, str(spec["target"]), objective)
    better = objectives.is_better(objectives.OBJECTIVES[objective], autopilot, baseline)
    ratio = _rmse_ratio(objective, autopilot, baseline)
    return {**ratio, "dataset": name, "target": spec["target"], "problem_type": result["problem_type"], "mode": result["mode"],
            "objective": objective, "autopilot_test": round(autopilot, 5), "hist_gradient_boosting_test": round(baseline, 5),
            "autopilot_better": better, "best_candidate": result["best_candidate"],
            "candidates": len(result["candidates"]), "budget_seconds": budget,  # type: ignore[arg-type]
            "autopilot_wall_seconds": round(wall, 1), "within_budget_plus_60": wall <= budget + 60,
            "load_before": [round(v, 2) for v in load_before], "load_after": [round(v, 2) for v in os.getloadavg()]}


def _rmse_ratio(objective: str, autopilot: float, baseline: float) -> dict[str, object]:
    """For regression: both test RMSEs, their ratio and the target (empty for classification)."""
    if objective not in ("MSE", "RMSE"):
        return {}
    autopilot_rmse, baseline_rmse = (v**0.5 if objective == "MSE" else v for v in (autopilot, baseline))
    ratio = autopilot_rmse / baseline_rmse
    return {"rmse_ratio": round(ratio, 4), "target_ratio": TARGET_RMSE_RATIO, "meets_target": ratio <= TARGET_RMSE_RATIO,
            "autopilot_rmse": round(autopilot_rmse, 3), "baseline_rmse": round(baseline_rmse, 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=120)
    parser.add_argument("--only", choices=["limits", *sorted(SETS)], default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.only in (None, "limits"):
            print(json.dumps(bench_time_limits(Path(folder))), flush=True)
        if args.only == "limits":
            return 0
        return bench_sets(args.only, args.budget, Path(folder))


def bench_sets(only: str | None, budget: int, folder: Path) -> int:
    """Autopilot against HistGradientBoosting on the public sets, when they are present."""
    missing = [str(spec["file"]) for spec in SETS.values() if not Path(spec["file"]).exists()]  # type: ignore[arg-type]
    if missing:
        print(f"skipped: the benchmark data is absent ({', '.join(missing)})")
        return 0
    figures = []
    for name in [only] if only else list(SETS):
        figures.append(bench(name, budget, folder))
        print(json.dumps(figures[-1]), flush=True)
    print(json.dumps({"all_better": all(f["autopilot_better"] for f in figures),
                      "all_within_budget": all(f["within_budget_plus_60"] for f in figures)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
