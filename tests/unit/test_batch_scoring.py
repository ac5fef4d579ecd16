"""Batch scoring into a catalog table, end to end through the real job runner (worker processes).

A text-tfidf model on demo.reviews_sentiment and an xgboost model on demo.wine are trained once for
the module; their batch jobs' outputs are then read back through the query engine.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.config import Settings
from services.endpoints.batch import batch_folder
from services.errors import AlreadyExists, InvalidInput, NotFound, QueryRefused
from services.models import DataSource, Job, ModelRecord, TrainingRequest
from services.registry import Services, build_services
from tests.helpers.workspace import close_services, copy_empty_mlflow_store

REVIEWS = DataSource(table="demo.reviews_sentiment")
WINE = DataSource(table="demo.wine")


@pytest.fixture(scope="module")
def workspace(seeded_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    home = tmp_path_factory.mktemp("batch-scoring") / "workspace"
    shutil.copytree(seeded_home, home)
    copy_empty_mlflow_store(tmp_path_factory, home)
    # one job at a time: two jobs creating the MLflow experiment at once race
    services = build_services(Settings(home=home, seed_on_start=False, max_heavy_jobs=1))
    yield services
    for job in services.jobs.list_jobs():
        if not job.finished:
            services.jobs.stop_job(job.name)
    close_services(services)


@pytest.fixture(scope="module")
def models(workspace: Services) -> dict[str, ModelRecord]:
    names = {
        "text": workspace.training.start_training_job(TrainingRequest(
            algorithm="text-tfidf", source=REVIEWS, target="sentiment", text_column="review_body")),
        "wine": workspace.training.start_training_job(TrainingRequest(
            algorithm="xgboost", source=WINE, target="target", hyperparameters={"num_round": "10", "max_depth": "3"})),
    }
    records = {}
    for key, name in names.items():
        job = workspace.jobs.wait_for_job(name, 300)
        assert job.status == "Completed", workspace.jobs.job_logs(name)
        records[key] = workspace.training.get_model(job.model_id)
    return records


def finished(services: Services, job_name: str) -> Job:
    job = services.jobs.wait_for_job(job_name, 300)
    assert job.status == "Completed", services.jobs.job_logs(job_name)
    return job


def count(services: Services, sql: str) -> int:
    return int(services.query.run(sql).frame.iloc[0, 0])


def test_reviews_scored_by_a_text_model_become_a_queryable_table(workspace: Services, models: dict[str, ModelRecord]) -> None:
    job = finished(workspace, workspace.endpoints.start_batch_transform(models["text"].model_id, REVIEWS, "scored.reviews"))
    rows = count(workspace, "SELECT count(*) FROM demo.reviews_sentiment")
    assert job.kind == "batch" and job.result["table"] == "scored.reviews" and job.result["rows"] == rows
    assert job.result["progress"] == 1.0
    assert count(workspace, "SELECT count(*) FROM scored.reviews") == rows
    columns = {c.name for c in workspace.catalog.get_table("scored", "reviews").columns}
    assert {"review_id", "review_body", "sentiment", "predicted_label", "probability"} <= columns
    assert {"probability__1", "probability_0", "probability_1"} <= columns  # probability_-1 in Glue's spelling
    summary = workspace.query.run(
        "SELECT min(probability) AS low, max(probability) AS high, "
        "avg(CASE WHEN predicted_label = CAST(sentiment AS varchar) THEN 1.0 ELSE 0.0 END) AS accuracy, "
        "max(abs(probability__1 + probability_0 + probability_1 - 1)) AS off FROM scored.reviews").frame.iloc[0]
    assert 0 < summary["low"] <= summary["high"] <= 1 and summary["off"] < 1e-6
    assert summary["accuracy"] > 0.7  # the predictions sit on the rows they were made for
    assert batch_folder(workspace.settings.home, "scored", "reviews").is_dir()


def test_wine_from_sql_scored_by_xgboost_and_scoring_again_replaces_the_table(workspace: Services,
                                                                               models: dict[str, ModelRecord]) -> None:
    sql = "SELECT * FROM demo.wine WHERE alcohol > 13"
    for _ in range(2):
        name = workspace.endpoints.start_batch_transform(models["wine"].model_id, DataSource(), "scored.strong_wine", sql)
        job = finished(workspace, name)
        assert job.result["rows"] == count(workspace, "SELECT count(*) FROM demo.wine WHERE alcohol > 13")
    assert count(workspace, "SELECT count(*) FROM scored.strong_wine") == job.result["rows"]
    accuracy = workspace.query.run("SELECT avg(CASE WHEN predicted_label = CAST(target AS varchar) THEN 1.0 ELSE 0.0 END) AS a "
                                   "FROM scored.strong_wine").frame["a"].iloc[0]
    assert accuracy > 0.85
    assert count(workspace, "SELECT count(*) FROM scored.strong_wine WHERE probability_0 IS NULL") == 0


def test_bad_requests_fail_before_a_job_starts(workspace: Services, models: dict[str, ModelRecord]) -> None:
    text, wine = models["text"].model_id, models["wine"].model_id
    jobs_before = len(workspace.jobs.list_jobs("batch"))
    with pytest.raises(NotFound):
        workspace.endpoints.start_batch_transform("no-such-model/1", WINE, "scored.x")
    with pytest.raises(InvalidInput, match="not a valid output table"):
        workspace.endpoints.start_batch_transform(wine, WINE, "no_database")
    with pytest.raises(InvalidInput, match="not a valid output table"):
        workspace.endpoints.start_batch_transform(wine, WINE, "Scored.Wine-Out")
    with pytest.raises(AlreadyExists):
        workspace.endpoints.start_batch_transform(wine, WINE, "demo.reviews")
    with pytest.raises(NotFound):
        workspace.endpoints.start_batch_transform(wine, DataSource(table="demo.missing"), "scored.x")
    with pytest.raises(InvalidInput, match="lacks columns") as caught:
        workspace.endpoints.start_batch_transform(text, WINE, "scored.x")
    assert caught.value.hint
    with pytest.raises(QueryRefused):
        workspace.endpoints.start_batch_transform(wine, DataSource(), "scored.x", sql="DROP TABLE demo.wine")
    assert len(workspace.jobs.list_jobs("batch")) == jobs_before


def test_sql_without_the_model_columns_fails_the_job_with_the_reason(workspace: Services, models: dict[str, ModelRecord]) -> None:
    name = workspace.endpoints.start_batch_transform(models["wine"].model_id, DataSource(), "scored.alcohol_only",
                                 sql="SELECT alcohol FROM demo.wine")
    job = workspace.jobs.wait_for_job(name, 120)
    assert job.status == "Failed" and "lacks columns" in job.failure_reason
    with pytest.raises(NotFound):
        workspace.catalog.get_table("scored", "alcohol_only")
