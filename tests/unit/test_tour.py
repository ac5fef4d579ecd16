"""The Tour's decisions, pure: which model and endpoint the later steps use, deploy or update, how results read."""

from __future__ import annotations

import pytest

import services.tour.models as tour
from services.bias.models import BiasReport, FacetEntry, MetricValue, StageReport
from services.endpoints.models import Endpoint, VariantStats
from services.errors import NotFound
from services.explain.base import TokenAttribution
from services.models import Column, ModelRecord, RunSummary


def model(model_id: str, framework: str = "text-tfidf", target: str = "sentiment", created: str = "2026-12-01") -> ModelRecord:
    name, version = model_id.split("/")
    return ModelRecord(model_id, name, int(version), framework, "MulticlassClassification", target,
                       (Column("review_body", "string"),), ("-1", "0", "1"), {}, "run", "job", "/m", created_at=created)


def endpoint(name: str, model_id: str, status: str = "InService") -> Endpoint:
    return Endpoint(name, status, "http://127.0.0.1:1", (VariantStats("AllTraffic", model_id, 1.0, False),), "2026-12-01")


def test_the_later_steps_use_the_train_steps_model_else_the_newest_review_model() -> None:
    models = [model("demo-review-sentiment/1", created="2026-12-01"), model("wine/1", "xgboost", "target", "2026-12-03"),
              model("reviews/2", created="2026-12-02")]
    assert tour.review_model(models, tour.TourMemory(model_id="mine/4")) == "mine/4"
    assert tour.review_model(models, tour.TourMemory()) == "reviews/2"
    with pytest.raises(NotFound, match="no review-sentiment model"):
        tour.review_model([models[1]], tour.TourMemory())


def test_deploy_creates_updates_or_reads_back_the_tours_endpoint() -> None:
    assert tour.deploy_plan([endpoint("reviews-demo", "a/1")], "a/1") == "deploy"
    assert tour.deploy_plan([endpoint(tour.ENDPOINT, "a/1")], "a/1") == "serving"
    assert tour.deploy_plan([endpoint(tour.ENDPOINT, "a/1")], "a/2") == "update"
    assert tour.deploy_plan([endpoint(tour.ENDPOINT, "a/1", "Failed")], "a/1") == "update"
    assert tour.deploy_request("a/2").variants[0].model_id == "a/2"


def test_score_uses_the_deployed_endpoint_else_one_in_service_else_asks_for_a_deploy() -> None:
    assert tour.tour_endpoint([], tour.TourMemory(endpoint="x")) == "x"
    assert tour.tour_endpoint([endpoint("other", "a/1"), endpoint("reviews-demo", "a/1")], tour.TourMemory()) == "reviews-demo"
    with pytest.raises(NotFound, match="Run step 6"):
        tour.tour_endpoint([endpoint("reviews-demo", "a/1", "Creating")], tour.TourMemory())


def test_the_bias_headline_names_the_largest_gap_and_its_direction() -> None:
    def entry(value: str, dpl: float | None) -> FacetEntry:
        return FacetEntry(value, (MetricValue("CI", "", 0.5), MetricValue("DPL", "", dpl)))

    report = BiasReport(StageReport("sentiment", "1", "product_category",
                                    (entry("Tops", 0.01), entry("Trend", -0.062), entry("Jackets", None))), rows=19_259)
    assert list(tour.bias_table(report)["product_category"]) == ["Tops", "Trend", "Jackets"]
    assert tour.bias_headline(report) == ("Trend gets positive reviews 6.2% more often than the other categories "
                                          "(DPL -0.062); 2 categories compared on 19,259 reviews.")


def test_top_words_are_the_strongest_pushes_towards_the_predicted_class() -> None:
    attribution = TokenAttribution("m/1", "love it but broke", "-1", {"-1": 0.6, "1": 0.4},
                                   ("love ", "it ", "but ", "broke"), {"-1": (-0.3, 0.01, 0.05, 0.4), "1": (0.3, 0, 0, -0.4)}, {})
    words = tour.top_words(attribution, count=3)
    assert list(words["word"]) == ["broke", "love", "but"] and words["contribution"].iloc[0] == 0.4


def test_the_ranking_keeps_the_reviews_runs_and_says_when_there_is_none() -> None:
    def run(run_id: str, table: str, accuracy: float) -> RunSummary:
        return RunSummary(run_id, "tour", run_id, "FINISHED", "2026-12-01", {}, {"accuracy": accuracy},
                          {"workbench.input": table, "workbench.kind": "training"})

    board = tour.ranking([run("a", tour.TABLE, 0.8), run("b", "demo.wine", 0.99), run("c", tour.TABLE, 0.9)])
    assert list(board["run_id"]) == ["c", "a"] and "accuracy" in board.columns
    with pytest.raises(NotFound, match="No finished run"):
        tour.ranking([run("b", "demo.wine", 0.99)])


def test_every_step_has_two_lines_and_aws_code_that_compiles() -> None:
    memory = tour.TourMemory(job="training-1", model_id="reviews/2", endpoint="tour-reviews")
    for step in tour.STEPS:
        assert len(step.explanation.split("\n")) == 2
        compile(tour.step_code(step.key, memory), step.key, "exec")
    assert "TrainingJob.get(training_job_name='training-1')" in tour.step_code("deploy", memory)
