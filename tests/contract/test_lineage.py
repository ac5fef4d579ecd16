"""One contract for the lineage port, run on the local adapter (lineage recorded by the local hooks as a finished
training job, its registration and the table's import record it) and on the aws adapter (SageMaker's lineage
answered in its documented shapes; moto for the catalog, the model registry and trial components)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from services.errors import InvalidInput, NotFound
from services.lineage.base import LineagePort
from services.lineage.hooks import record_finished_job
from services.lineage.models import LineageStart
from services.models import Job
from services.registry import Services, build_services
from tests.helpers.aws import aws_settings
from tests.helpers.lineage_aws import LineageGraphFake, glue_table, registered_model_package, training_job_lineage
from tests.helpers.workspace import settings_for_tests

JOB = "points-train-1"


@dataclass
class World:
    """A table ``lab.points`` a training job ``JOB`` read, whose model was registered as ``model``."""

    lineage: LineagePort
    model: str  # what the model picker offers on this backend (group/version)
    table_location: str


def import_points(services: Services, tmp_path: Path) -> str:
    source = tmp_path / "points.csv"
    pd.DataFrame({"x": range(30), "label": ["a", "b"] * 15}).to_csv(source, index=False)
    return services.catalog.import_path(source, "lab", "points").location


class LineageContract:
    @pytest.fixture
    def world(self) -> World:
        raise NotImplementedError

    def test_upstream_of_a_model_reaches_the_job_and_the_data(self, world: World) -> None:
        graph = world.lineage.query_lineage(LineageStart("model", world.model), "upstream", 10)
        types = [v.type for v in graph.vertices]
        assert "TrainingJob" in types and "DataSet" in types
        answer = graph.as_api()
        assert set(answer) == {"Vertices", "Edges"}
        assert set(answer["Vertices"][0]) == {"Arn", "Type", "LineageType"}
        assert {e["AssociationType"] for e in answer["Edges"]} >= {"ContributedTo", "Produced"}
        assert not graph.truncated

    def test_downstream_of_a_table_reaches_the_model(self, world: World) -> None:
        graph = world.lineage.query_lineage(LineageStart("table", "lab.points"), "downstream", 10)
        assert graph.vertices[0].type == "DataSet"
        assert "Model" in {v.type for v in graph.vertices}
        assert world.lineage.describe_entity(graph.vertices[0].arn).source_uri == world.table_location

    def test_depth_bounds_the_walk(self, world: World) -> None:
        near = world.lineage.query_lineage(LineageStart("model", world.model), "upstream", 1)
        far = world.lineage.query_lineage(LineageStart("model", world.model), "upstream", 10)
        assert len(near.vertices) == 2 < len(far.vertices)
        assert "DataSet" not in {v.type for v in near.vertices}

    def test_a_job_starts_at_its_trial_component(self, world: World) -> None:
        arns = world.lineage.resolve(LineageStart("job", JOB))
        assert len(arns) == 1 and arns[0].endswith(f":experiment-trial-component/{JOB}-aws-training-job")
        links = world.lineage.list_associations(arns[0])
        assert {"ContributedTo", "Produced"} <= {a.association_type for a in links}
        assert world.lineage.resolve(LineageStart("name", JOB)) == arns

    def test_unknown_entities_are_not_found(self, world: World) -> None:
        with pytest.raises(NotFound):
            world.lineage.query_lineage(LineageStart("table", "lab.nothing_here"))
        with pytest.raises(NotFound):
            world.lineage.query_lineage(LineageStart("job", "no-such-job"))

    def test_bad_depth_and_direction_are_refused(self, world: World) -> None:
        with pytest.raises(InvalidInput, match="1 to 10"):
            world.lineage.query_lineage(LineageStart("model", world.model), "upstream", 11)
        with pytest.raises(InvalidInput, match="direction"):
            world.lineage.query_lineage(LineageStart("model", world.model), "sideways", 3)


class TestLocalLineage(LineageContract):
    @pytest.fixture
    def world(self, tmp_path: Path) -> World:
        services = build_services(settings_for_tests(home=tmp_path / "home", seed_on_start=False))
        location = import_points(services, tmp_path)
        config = {"algorithm": "xgboost", "source": {"table": "lab.points", "path": "", "table_version": "1"}, "target": "label"}
        job = Job(JOB, "training", "Completed", "Completed", "2026-01-01T00:00:00+00:00", config, model_id="points-xgboost/1")
        model_dir = tmp_path / "model"
        model_dir.mkdir()
        (model_dir / "model.json").write_text("{}")
        from services.models import ModelRecord

        services.stack.models.register(ModelRecord("", "points-xgboost", 0, "xgboost", "BinaryClassification", "label", (),
                                                   ("a", "b"), {}, "", JOB, ""), model_dir)
        record_finished_job(services.stack.store, job, pytest.fail)
        return World(services.lineage, "points-xgboost/1", location)


class TestAwsLineage(LineageContract):
    @pytest.fixture
    def world(self, mocked_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
        services = build_services(aws_settings(tmp_path / "home"))
        location = glue_table("lab", "points")
        graph = LineageGraphFake()
        training_job_lineage(graph, JOB, location, registered_model_package("points-xgboost"))
        graph.serve(monkeypatch)
        return World(services.lineage, "points-xgboost/1", location)
