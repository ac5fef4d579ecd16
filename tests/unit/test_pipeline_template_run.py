"""The review-sentiment template, unchanged, through the local pipeline engine: installed with its code
objects, started on a small reviews table (imported, so its Location is a version folder), it prepares,
trains, evaluates and registers the model; with a gate it cannot meet it ends in QualityGateFailed with the
metrics in the reason, every job's result taken from the cache."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.demo.demo_reviews import generate_reviews
from services.embedded.sandbox import sandbox_available
from services.pipelines.templates import INPUT_TABLES, template_objects, with_parameter_defaults
from services.registry import Services

WAIT = 300


@pytest.mark.skipif(not sandbox_available()[0], reason=sandbox_available()[1])
def test_review_sentiment_runs_unchanged_to_a_registered_model_or_the_failed_gate(services: Services, data_dir: Path) -> None:
    generate_reviews(400, 21).to_csv(data_dir / "reviews.csv", index=False)
    table = services.catalog.import_path(data_dir / "reviews.csv", "course", "reviews")
    pipelines = services.pipelines
    installed = pipelines.install_template("review-sentiment")
    assert installed.definition == next(t.definition for t in pipelines.templates() if t.key == "review-sentiment")
    lake = Path(services.settings.home) / "lake"
    assert all((lake / uri.removeprefix("s3://")).is_file() for uri in template_objects("review-sentiment"))

    assert set(INPUT_TABLES["review-sentiment"]) == {"InputData"}
    pipelines.upsert_pipeline("course-sentiment", with_parameter_defaults(installed.definition, {"InputData": table.location}))
    loose = {"MinMacroF1": "0.3", "MaxAbsDPPL": "1.0", "Algorithm": "tfidf-naive-bayes"}
    passed = pipelines.wait_for_execution(pipelines.start_execution("course-sentiment", loose).arn, WAIT)
    steps = {step.name: step for step in pipelines.list_steps(passed.arn)}
    assert passed.status == "Succeeded", [(s.name, s.failure_reason) for s in steps.values()]
    assert list(steps) == ["PrepareReviews", "TrainSentimentModel", "EvaluateSentimentModel", "CheckQualityGates",
                           "RegisterSentimentModel"]
    assert steps["CheckQualityGates"].metadata == {"Condition": {"Outcome": "True"}}
    training_log = pipelines.step_logs(passed.arn, "TrainSentimentModel")
    assert "algorithm=tfidf-naive-bayes" in training_log and "validation:macro_f1=" in training_log
    package = steps["RegisterSentimentModel"].metadata["RegisterModel"]["Arn"]
    assert package.endswith(":model-package/review-sentiment/1")

    failed = pipelines.wait_for_execution(pipelines.start_execution(
        "course-sentiment", {"MinMacroF1": "1.01", "Algorithm": "tfidf-naive-bayes"}).arn, WAIT)
    steps = {step.name: step for step in pipelines.list_steps(failed.arn)}
    assert failed.status == "Failed" and "RegisterSentimentModel" not in steps
    # same inputs, code and hyperparameters: every job comes from the cache, only the gate decides again
    assert {steps[name].cache_hit_source for name in ("PrepareReviews", "TrainSentimentModel", "EvaluateSentimentModel")} == {
        passed.arn}
    assert re.fullmatch(r"Quality gates: macro-F1 [0-9.]+ must be at least 1\.01 and DPPL across product_category "
                        r"-?[0-9.e-]+ must be within plus or minus 0\.1 - the model was not registered\.", failed.failure_reason)
    assert steps["QualityGateFailed"].failure_reason == failed.failure_reason
