"""The full demo's bookkeeping without building anything: its status file, one build at a time, and the decisions
that make a second build find what the first one made (pure functions over plain records)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from services.bias.models import BiasRequest
from services.config import Settings
from services.demo import status as progress
from services.demo.background import build_unless_building, demo_progress, start_demo_build
from services.demo.full import (
    BIAS_REQUEST,
    REVIEW_MODEL,
    STEPS,
    DemoPorts,
    build_full_demo,
    build_lock,
    is_demo_name,
    matching_bias_job,
    newest_demo_model,
    next_free_name,
    reusable_job,
)
from services.errors import NotFound
from services.models import DataSource, Job, ModelRecord
from services.registry import Services


def job(name: str, status: str, created_at: str, kind: str = "training", **config: object) -> Job:
    return Job(name=name, kind=kind, status=status, secondary_status="", created_at=created_at, config=dict(config))


def model(name: str, version: int, created_at: str) -> ModelRecord:
    return ModelRecord(model_id=f"{name}/{version}", name=name, version=version, framework="text-tfidf",
                       problem_type="MulticlassClassification", target="sentiment", input_schema=(), classes=("-1", "0", "1"),
                       metrics={}, run_id="", job_name=name, artifact_path="", created_at=created_at)


# -- the status file ---------------------------------------------------------------------------------------------


def test_the_status_file_follows_the_build_and_reads_back(tmp_path: Path) -> None:
    status = progress.started(STEPS)
    assert (status.state, status.step, status.done, status.total) == ("running", STEPS[0], 0, 5)
    status = progress.step_finished(progress.step_started(status, 0, 0.0), 0, 7.04, "model demo-review-sentiment/1", True)
    status = progress.step_finished(progress.step_started(status, 1, 7.1), 1, 7.2, "demo-review-sentiment/1 approved", False)
    progress.write_status(tmp_path, status)
    read = progress.read_status(tmp_path)
    assert read == status and (read.done, read.fraction, read.elapsed_seconds) == (2, 0.4, 7.2)
    assert (read.built, read.found) == (("model demo-review-sentiment/1",), ("demo-review-sentiment/1 approved",))
    written = json.loads(progress.status_path(tmp_path).read_text())
    assert (written["step"], written["done"], written["total"], written["error"]) == (STEPS[1], 2, 5, "")
    done = progress.finished(read, 20.0)
    assert (done.state, done.done, done.step) == ("done", 5, "")
    failed = progress.failed(read, 9.0, "The training job failed: out of memory", "See its log.")
    assert (failed.state, failed.step, failed.error, failed.hint) == ("failed", STEPS[1], "The training job failed: out of memory",
                                                                        "See its log.")
    assert not list(tmp_path.glob("demo/.status.json.*"))  # written beside it, then renamed over it


def test_no_file_a_foreign_file_or_a_huge_one_reads_as_no_status(tmp_path: Path) -> None:
    assert progress.read_status(tmp_path) is None
    path = progress.status_path(tmp_path)
    path.parent.mkdir(parents=True)
    for text in ("not json", json.dumps({"state": "done"}), json.dumps([1, 2]), " " * (progress.MAX_STATUS_BYTES + 1)):
        path.write_text(text)
        assert progress.read_status(tmp_path) is None, text


def test_a_running_build_shows_the_time_since_it_started() -> None:
    status = progress.started(STEPS)
    later = datetime.fromisoformat(status.started_at) + timedelta(seconds=42)
    assert progress.with_live_elapsed(status, later).elapsed_seconds == 42.0
    assert progress.with_live_elapsed(replace(status, started_at="?"), later) == replace(status, started_at="?")


# -- one build at a time --------------------------------------------------------------------------------------


def test_one_build_holds_the_lock_and_a_running_status_without_it_is_interrupted(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    progress.write_status(tmp_path, progress.step_started(progress.started(STEPS), 2, 30.0))
    with build_lock(tmp_path, wait=False) as first:
        assert first
        with build_lock(tmp_path, wait=False) as second:
            assert not second  # another build (here: another open of the lock) waits or is skipped
        shown = demo_progress(settings)
        assert shown is not None and shown.state == "running" and shown.elapsed_seconds >= 0
    shown = demo_progress(settings)
    assert shown is not None and (shown.state, shown.step) == ("interrupted", STEPS[2])
    assert demo_progress(replace(settings, backend="aws")) is None


def test_nothing_starts_unless_full_on_the_local_backend_and_not_done(tmp_path: Path) -> None:
    def nothing() -> DemoPorts:
        raise AssertionError("no port is built when nothing is to be built")
    assert start_demo_build(nothing, Settings(home=tmp_path, demo="data")) is None
    assert start_demo_build(nothing, Settings(home=tmp_path, demo="none")) is None
    assert start_demo_build(nothing, Settings(home=tmp_path, backend="aws")) is None
    assert start_demo_build(nothing, Settings(home=tmp_path, seed_on_start=False)) is None
    progress.write_status(tmp_path, progress.finished(progress.started(STEPS), 20.0))
    assert start_demo_build(nothing, Settings(home=tmp_path)) is None  # done once for this workspace
    assert not (tmp_path / "models").exists()


def test_the_build_is_running_for_home_before_its_ports_are_built(tmp_path: Path) -> None:
    """Building the ports takes seconds (the endpoints port relaunches endpoints); Home opened meanwhile read no
    status and showed nothing."""
    seen: list[progress.DemoStatus | None] = []

    def ports() -> DemoPorts:
        seen.append(demo_progress(Settings(home=tmp_path)))
        raise NotFound("no ports in this test")

    final = build_unless_building(ports, tmp_path)
    assert seen[0] is not None and (seen[0].state, seen[0].done, seen[0].steps) == ("running", 0, STEPS)
    assert final is not None and (final.state, final.error) == ("failed", "no ports in this test")  # not "interrupted"


# -- finding what exists ------------------------------------------------------------------------------------------


def test_demo_names_and_the_next_free_one() -> None:
    assert is_demo_name("demo-review-sentiment", REVIEW_MODEL) and is_demo_name("demo-review-sentiment-12", REVIEW_MODEL)
    assert not is_demo_name("demo-review-sentiment-x", REVIEW_MODEL) and not is_demo_name("my-demo-review-sentiment", REVIEW_MODEL)
    assert not is_demo_name("demo-review-sentiment2", REVIEW_MODEL)
    assert next_free_name([], REVIEW_MODEL) == REVIEW_MODEL
    assert next_free_name([REVIEW_MODEL, f"{REVIEW_MODEL}-2", "other"], REVIEW_MODEL) == f"{REVIEW_MODEL}-3"


def test_the_newest_model_of_the_demo_group_or_a_retry_is_found() -> None:
    models = [model("other", 9, "2026-12-05T12:00"), model(REVIEW_MODEL, 1, "2026-12-05T10:00"),
              model(f"{REVIEW_MODEL}-2", 1, "2026-12-05T11:00")]
    found = newest_demo_model(models, REVIEW_MODEL)
    assert found is not None and found.model_id == f"{REVIEW_MODEL}-2/1"
    assert newest_demo_model(models[:1], REVIEW_MODEL) is None


@pytest.mark.parametrize("statuses, reused", [
    (("Failed",), None), (("Stopped", "Failed"), None), (("Failed", "InProgress"), 1), (("Completed",), 0),
    (("Completed", "Failed"), 0), (("Stopping",), 0),
])
def test_a_running_or_completed_job_is_waited_for_a_failed_one_is_not(statuses: tuple[str, ...], reused: int | None) -> None:
    names = [REVIEW_MODEL, f"{REVIEW_MODEL}-2"]
    jobs = [job(names[i], state, f"2026-12-05T1{i}:00") for i, state in enumerate(statuses)]
    found = reusable_job(jobs + [job("someone-else", "InProgress", "2026-12-05T13:00")], REVIEW_MODEL)
    assert (found.name if found else None) == (None if reused is None else names[reused])


def test_the_bias_report_is_found_by_table_label_and_facet() -> None:
    table = {"table": "demo.reviews_sentiment", "table_version": "1"}
    ours = job("bias-1", "Completed", "2026-12-05T10:00", kind="bias", source=table, label="sentiment", facet="product_category",
               model_id="", sql="")
    assert matching_bias_job([ours], BIAS_REQUEST) == ours
    others = [replace(ours, config={**ours.config, "facet": "age"}), replace(ours, config={**ours.config, "model_id": "m/1"}),
              replace(ours, status="Failed"), replace(ours, kind="explain"),
              replace(ours, config={**ours.config, "source": {"table": "demo.reviews"}})]
    assert matching_bias_job(others, BIAS_REQUEST) is None
    assert matching_bias_job([ours], BiasRequest(source=DataSource(table="demo.wine"), label="target", facet="alcohol")) is None



def test_a_failing_step_is_recorded_with_its_error_and_raised(services: Services) -> None:
    """On a workspace without the demo tables the first step cannot train: the status file names the step and the
    error for Home, and the error reaches the caller (the CLI prints it, the app's log shows it)."""
    home = Path(services.settings.home)
    ports = DemoPorts(training=services.training, jobs=services.jobs, bias=services.bias, endpoints=services.endpoints)
    with pytest.raises(NotFound) as caught:
        build_full_demo(ports, home)
    status = progress.read_status(home)
    assert status is not None and (status.state, status.done, status.step) == ("failed", 0, STEPS[0])
    assert status.error == caught.value.message and status.hint == caught.value.hint and "demo" in status.error
    assert services.jobs.list_jobs() == [] and services.endpoints.list_endpoints() == []
