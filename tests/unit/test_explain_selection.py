"""The Explain page's decisions over job records: a model's explanations, its training table, reuse."""

from __future__ import annotations

from services.explain.models import jobs_of_model, trained_on_table, was_reused
from services.models import Job


def job(name: str, kind: str = "explain", model_id: str = "", config: dict[str, object] | None = None) -> Job:
    return Job(name=name, kind=kind, status="Completed", secondary_status="Completed", created_at="2026-01-01T00:00:00",
               config=config or {}, model_id=model_id)


def test_a_models_explanations_are_found_by_the_job_or_by_what_it_asked_for() -> None:
    jobs = [job("e3", model_id="wine/2"), job("e2", config={"model_id": "wine/1"}),
            job("e1", model_id="wine/1"), job("t1", kind="training", model_id="wine/1")]
    assert [j.name for j in jobs_of_model(jobs, "wine/1")] == ["e2", "e1"]  # order kept, training jobs left out
    assert jobs_of_model(jobs, "wine/3") == []
    assert jobs_of_model(jobs, "") == []  # an empty id matches no job without a model


def test_the_training_table_comes_from_the_training_jobs_source() -> None:
    assert trained_on_table(job("t", "training", config={"source": {"table": "demo.wine", "path": ""}})) == "demo.wine"
    assert trained_on_table(job("t", "training", config={"source": {"table": "", "path": "/data/wine.csv"}})) == ""
    assert trained_on_table(job("t", "training", config={"source": "demo.wine"})) == ""  # not the recorded shape
    assert trained_on_table(job("t", "training")) == ""
    assert trained_on_table(None) == ""


def test_a_job_listed_before_starting_was_reused() -> None:
    earlier = [job("e1"), job("e2")]
    assert was_reused("e2", earlier)
    assert not was_reused("e3", earlier)
    assert not was_reused("e1", [])
