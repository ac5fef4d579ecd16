"""Benchmark: Explain's default settings against the old ones, through the code the SHAP jobs run (issue 14, UX #3).

1. Wine, Autopilot: an ENSEMBLING Autopilot job on demo.wine (the issue's case: its best candidate is AutoGluon's
   weighted ensemble), then ``shap_tabular.explain_rows`` with
   * the baseline — the Permutation explainer at the old defaults: every wine row (178) over 100 background rows;
   * the default now — ``ExplainPort.plan`` of the model (explainer, rows and background rows).
2. Reviews: a text-tfidf model on demo.reviews_sentiment, then the top words job's per-review loop
   (``shap_text.TextExplainer`` at the job's evaluation budget) for the old 40 reviews and the new default.

Prints one JSON object per case with the seconds of both in the same run (and the load average: other work on the
two cores slows everything down).
Run: `.venv/bin/python tests/benchmarks/bench_explain_defaults.py [--runtime 120] [--baseline-rows 178]`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.explain import explain_job, shap_tabular, shap_text  # noqa: E402
from services.models import AutopilotRequest, DataSource, ModelRecord, TrainingRequest  # noqa: E402
from services.registry import Services, build_services  # noqa: E402
from services.training.algorithms.base import load_predictor  # noqa: E402
from tests.helpers.workspace import settings_for_tests  # noqa: E402

OLD_TABULAR = (500, 100)  # the form's old defaults: 500 rows (all 178 of wine) over 100 background rows
OLD_REVIEWS = 40
SEED = 0


def timed_tabular(record: ModelRecord, frame: pd.DataFrame, rows: int, background_rows: int) -> dict[str, Any]:
    """explain_rows as the job runs it (``explain_job.explain_table``'s sampling), timed."""
    predictor = load_predictor(Path(record.artifact_path), allow_user_code=True)
    columns = shap_tabular.input_columns(predictor, record, frame)
    sample = explain_job.sample(frame, rows, SEED)
    background = frame.sample(n=min(len(frame), background_rows), random_state=SEED + 1)
    predicted = shap_tabular.scored(predictor, record, sample)["predicted_label"]
    target = shap_tabular.choose_target(record.problem_type, list(predictor.classes), "", predicted)
    started = time.perf_counter()
    result = shap_tabular.explain_rows(predictor, columns, sample[columns], background[columns], target, SEED)
    return {"explainer": result.explainer, "rows": len(sample), "background_rows": len(background),
            "seconds": round(time.perf_counter() - started, 2)}


def wine_case(services: Services, runtime: int, baseline_rows: int) -> dict[str, Any]:
    job = services.jobs.wait_for_job(services.training.start_autopilot_job(AutopilotRequest(
        source=DataSource(table="demo.wine"), target="target", mode="ENSEMBLING", max_runtime_seconds=runtime,
        max_candidates=4)), runtime * 4)
    assert job.status == "Completed", job.failure_reason
    record = services.training.get_model(job.model_id)
    frame = services.storage.read_table("demo", "wine")
    plan = services.explain.plan(record)
    baseline = timed_tabular(record, frame, baseline_rows, OLD_TABULAR[1])
    default = timed_tabular(record, frame, plan.rows, plan.background_rows)
    case = {"case": "wine, Autopilot best candidate", "model": record.model_id, "framework": record.framework,
            "baseline_permutation_old_defaults": baseline, "default_now": default, "plan": plan.explainer,
            "speed_up": round(baseline["seconds"] / max(default["seconds"], 1e-3), 1)}
    return case


def reviews_case(services: Services) -> dict[str, Any]:
    job = services.jobs.wait_for_job(services.training.start_training_job(TrainingRequest(
        algorithm="text-tfidf", source=DataSource(table="demo.reviews_sentiment"), target="sentiment")), 600)
    assert job.status == "Completed", job.failure_reason
    record = services.training.get_model(job.model_id)
    predictor = load_predictor(Path(record.artifact_path), allow_user_code=True)
    columns = shap_text.require_text_classifier(predictor, record)
    texts = services.storage.read_table("demo", "reviews_sentiment")[columns[0]].astype(str)
    explainer = shap_text.TextExplainer(predictor, columns)
    explainer.explain("warm up the word explainer once", 20)  # numba compiles shap's helpers once per process
    plan = services.explain.plan(record)

    def top_words_seconds(count: int) -> float:
        chosen = explain_job.sample(texts.to_frame(), count, SEED)[columns[0]]
        started = time.perf_counter()
        for text in chosen:
            explainer.explain(text, explain_job.TEXT_MAX_EVALS)
        return round(time.perf_counter() - started, 2)

    old, new = top_words_seconds(OLD_REVIEWS), top_words_seconds(plan.rows)
    return {"case": "reviews, top words", "model": record.model_id, "baseline_reviews": OLD_REVIEWS, "baseline_seconds": old,
            "default_reviews": plan.rows, "default_seconds": new, "per_review_seconds": round(old / OLD_REVIEWS, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runtime", type=int, default=120, help="the Autopilot job's max runtime (seconds)")
    parser.add_argument("--baseline-rows", type=int, default=OLD_TABULAR[0], help="rows for the Permutation baseline")
    parser.add_argument("--skip-wine", action="store_true")
    parser.add_argument("--skip-reviews", action="store_true")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        services = build_services(settings_for_tests(home=Path(folder) / "workspace", seed_on_start=True))
        print(json.dumps({"load_average": os.getloadavg()}))
        if not arguments.skip_wine:
            print(json.dumps(wine_case(services, arguments.runtime, arguments.baseline_rows)))
        if not arguments.skip_reviews:
            print(json.dumps(reviews_case(services)))
        print(json.dumps({"load_average": os.getloadavg()}))


if __name__ == "__main__":
    main()
