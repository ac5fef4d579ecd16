"""Lineage recorded by real work on the local backend: a table imported from a 60-row CSV, a real Linear Learner
training job on it (the job worker records the job as it completes, the registry the model version), a real deploy.
Upstream of the model reaches the table version; downstream of the table reaches the model package and the endpoint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from services import cli
from services.endpoints.models import DeployRequest, Variant
from services.lineage.hooks import record_finished_job
from services.lineage.models import LineageStart
from services.lineage.record import trial_component_arn
from services.lineage.store import LineageStore
from services.models import DataSource, Job, TrainingRequest
from services.registry import Services, build_services
from tests.helpers.pages import remove_endpoints
from tests.helpers.workspace import settings_for_tests

ENDPOINT = "points-ep"


def points_csv(path: Path, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x": rng.normal(size=60), "y": rng.normal(size=60)})
    frame["label"] = np.where(frame.x + frame.y > 0, "pos", "neg")
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, Job]]:
    root = tmp_path_factory.mktemp("lineage")
    services = build_services(settings_for_tests(home=root / "home", seed_on_start=False))
    services.catalog.import_path(points_csv(root / "points.csv", 0), "lab", "points")
    name = services.training.start_training_job(TrainingRequest(algorithm="linear-learner",
                                                                source=DataSource(table="lab.points"), target="label"))
    job = services.jobs.wait_for_job(name, 240)
    assert job.status == "Completed", services.jobs.job_logs(name)
    services.endpoints.deploy(DeployRequest(ENDPOINT, (Variant("AllTraffic", job.model_id),)))
    yield services, job
    remove_endpoints(services.settings.home)


def test_upstream_of_the_model_reaches_the_table_version_it_was_trained_on(trained: tuple[Services, Job]) -> None:
    services, job = trained
    graph = services.lineage.query_lineage(LineageStart("model", job.model_id), "upstream", 10)
    names = {v.type: v.name for v in graph.vertices}
    assert names == {"Model": job.model_id, "ModelData": f"{job.name} model", "TrainingJob": job.name, "DataSet": "lab.points v1"}
    table = services.catalog.get_table("lab", "points")
    dataset = graph.of_type("DataSet")[0]
    assert services.lineage.describe_entity(dataset.arn).source_uri == table.location
    assert "Lineage not recorded" not in services.jobs.job_logs(job.name)


def test_downstream_of_the_table_reaches_the_model_package_and_the_endpoint(trained: tuple[Services, Job]) -> None:
    services, job = trained
    graph = services.lineage.query_lineage(LineageStart("table", "lab.points"), "downstream", 10)
    assert {v.type for v in graph.vertices} >= {"DataSet", "TrainingJob", "ModelData", "Model", "ModelDeployment", "Endpoint"}
    assert [v.name for v in graph.of_type("Model")] == [job.model_id]
    endpoint = services.lineage.query_lineage(LineageStart("endpoint", ENDPOINT), "upstream", 10)
    assert "lab.points v1" in {v.name for v in endpoint.vertices}


def test_a_new_table_version_is_a_new_data_set_and_the_job_keeps_its_own(trained: tuple[Services, Job], tmp_path: Path) -> None:
    services, job = trained
    services.catalog.import_path(points_csv(tmp_path / "points.csv", 1), "lab", "points")
    versions = services.lineage.resolve(LineageStart("table", "lab.points"))
    assert len(versions) == 2
    upstream = services.lineage.query_lineage(LineageStart("job", job.name), "upstream", 1)
    assert [v.name for v in upstream.of_type("DataSet")] == ["lab.points v1"]


def test_recording_a_finished_job_again_changes_nothing(trained: tuple[Services, Job]) -> None:
    services, job = trained
    store = LineageStore(services.stack.store)
    before = (store.count(), store.associations_of(trial_component_arn(job.name, "TrainingJob")))
    lines: list[str] = []
    record_finished_job(services.stack.store, services.jobs.describe_job(job.name), lines.append)
    assert (store.count(), store.associations_of(trial_component_arn(job.name, "TrainingJob"))) == before and lines == []


def test_the_cli_prints_query_lineage_json(trained: tuple[Services, Job], monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    services, job = trained
    monkeypatch.setenv("WORKBENCH_HOME", str(services.settings.home))
    monkeypatch.setenv("WORKBENCH_SEED_ON_START", "false")
    monkeypatch.delenv("WORKBENCH_BACKEND", raising=False)
    assert cli.main(["lineage", job.model_id, "--direction", "upstream", "--depth", "2"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert set(answer) == {"Vertices", "Edges"}
    assert [v["Type"] for v in answer["Vertices"]] == ["Model", "ModelData", "TrainingJob"]
    assert {e["AssociationType"] for e in answer["Edges"]} == {"DerivedFrom", "Produced"}
    assert cli.main(["lineage", "lab.points", "--depth", "11"]) == 2
    assert "depth must be 1 to 10" in capsys.readouterr().err
