"""Lineage's pure parts and the local store: what each event records, the QueryLineage walk (direction, depth,
bounds), idempotence, and hooks that log instead of failing the work."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.embedded.metadata import MetadataStore
from services.errors import InvalidInput, NotFound
from services.lineage import hooks
from services.lineage.graph import walk
from services.lineage.models import Association, Entity, LineageStart, direction_name, guess_start
from services.lineage.record import (
    FinishedJob,
    deploy_record,
    job_record,
    model_package_artifact,
    model_version_record,
    table_version_artifact,
    table_version_record,
    trial_component_arn,
)
from services.lineage.store import LineageStore

TRAINING_CONFIG = {"algorithm": "xgboost", "source": {"table": "demo.wine", "path": "", "table_version": "2"},
                   "target": "target"}


@pytest.fixture
def store(tmp_path: Path) -> LineageStore:
    return LineageStore(MetadataStore(tmp_path / "metadata.sqlite"))


def chain(store: LineageStore) -> None:
    """table v2 -> training job -> model data -> model package -> deployment -> endpoint, as the hooks record it."""
    store.save(table_version_record("demo", "wine", "2", "s3://workbench-lake/tables/demo/wine/v2/"))
    store.save(job_record(FinishedJob("train-1", "training", TRAINING_CONFIG, {}, "wine-xgboost/1", "2026-01-01T00:00:00+00:00")))
    store.save(model_version_record("wine-xgboost/1", "train-1", "/tmp/models/wine-xgboost/1"))
    store.save(deploy_record("wine-ep", "2026-01-02T00:00:00+00:00", ["wine-xgboost/1"]))


def test_a_training_job_records_its_table_version_as_input_and_its_model_data_as_output() -> None:
    record = job_record(FinishedJob("train-1", "training", TRAINING_CONFIG, {}, "wine-xgboost/1"))
    job = trial_component_arn("train-1", "TrainingJob")
    assert job.endswith(":experiment-trial-component/train-1-aws-training-job")
    assert job.startswith("arn:aws:sagemaker:us-east-1:000000000000:")
    by_arn = {e.arn: e for e in record.entities}
    table = table_version_artifact("demo", "wine", "2")
    assert (by_arn[job].type, by_arn[job].lineage_type) == ("TrainingJob", "TrialComponent")
    assert by_arn[table.arn].type == "DataSet" and by_arn[table.arn].name == "demo.wine v2"
    kinds = {(a.source_arn, a.association_type) for a in record.associations}
    assert (table.arn, "ContributedTo") in kinds and (job, "Produced") in kinds
    produced = [by_arn[a.destination_arn] for a in record.associations if a.association_type == "Produced"]
    assert [e.type for e in produced] == ["ModelData"]


def test_a_pipeline_processing_job_records_s3_inputs_outputs_and_its_image() -> None:
    config = {"ProcessingInputs": [{"InputName": "raw", "S3Input": {"S3Uri": "s3://lake/raw/", "LocalPath": "/opt/ml/processing/input"}}],
              "ProcessingOutputConfig": {"Outputs": [{"OutputName": "train", "S3Output": {"S3Uri": "s3://lake/train/"}}]},
              "AppSpecification": {"ImageUri": "123.dkr.ecr.us-east-1.amazonaws.com/sklearn:1.2"},
              "pipeline_execution_arn": "arn:aws:sagemaker:us-east-1:000000000000:pipeline/reviews/execution/abc123"}
    record = job_record(FinishedJob("prep-1", "container", config, {}))
    types = sorted((e.type, e.source_uri) for e in record.entities if e.lineage_type != "TrialComponent")
    assert ("DataSet", "s3://lake/raw/") in types and ("DataSet", "s3://lake/train/") in types
    assert ("Image", "123.dkr.ecr.us-east-1.amazonaws.com/sklearn:1.2") in types
    assert ("PipelineExecution", config["pipeline_execution_arn"]) in types
    assert record.entities[0].type == "ProcessingJob"


def test_a_pipeline_training_step_and_its_registration_link_the_archive_to_the_model_package() -> None:
    execution = "arn:aws:sagemaker:us-east-1:000000000000:pipeline/reviews/execution/abc123"
    archive = "s3://workbench-lake/reviews/train-1/output/model.tar.gz"
    training = {"contract": "training", "execution_arn": execution, "request": {
        "AlgorithmSpecification": {"TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"},
        "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {"S3Uri": "s3://workbench-lake/reviews/train/"}}}],
        "OutputDataConfig": {"S3OutputPath": "s3://workbench-lake/reviews/"}}}
    trained = job_record(FinishedJob("train-1", "container", training, {"model_artifacts": archive}))
    assert trained.entities[0].type == "TrainingJob"
    produced = {e.arn: e for e in trained.entities}
    outputs = [produced[a.destination_arn] for a in trained.associations if a.association_type == "Produced"]
    assert [(e.type, e.source_uri, e.name) for e in outputs] == [("ModelData", archive, "train-1/output/model.tar.gz")]
    assert "PipelineExecution" in {e.type for e in trained.entities}
    registered = job_record(FinishedJob("register-1", "container", {"contract": "register", "register": {"model_data_url": archive}},
                                        {}, "reviews/1"))
    package = model_version_record("reviews/1", "register-1", "/tmp/models/reviews/1")
    store_links = {(a.source_arn, a.destination_arn) for a in (*registered.associations, *package.associations)}
    archive_arn = outputs[0].arn
    copy_arn = next(e.arn for e in registered.entities if e.arn != archive_arn)
    assert {(archive_arn, copy_arn), (copy_arn, model_package_artifact("reviews/1").arn)} <= store_links


def test_a_batch_job_scores_with_a_model_package_and_produces_the_output_table_version() -> None:
    config = {"model_id": "wine-xgboost/1", "output_table": "demo.wine_scored", "sql": "",
              "source": {"table": "demo.wine", "path": "", "table_version": "2"}}
    record = job_record(FinishedJob("batch-1", "batch", config, {"table": "demo.wine_scored"}, "wine-xgboost/1",
                                    current_versions={"demo.wine_scored": "1"}))
    links = {(a.source_arn, a.destination_arn, a.association_type) for a in record.associations}
    job = trial_component_arn("batch-1", "TransformJob")
    assert (model_package_artifact("wine-xgboost/1").arn, job, "ContributedTo") in links
    assert (job, table_version_artifact("demo", "wine_scored", "1").arn, "Produced") in links


def test_recording_twice_keeps_one_entity_and_one_association(store: LineageStore) -> None:
    chain(store)
    before = (store.count(), len(store.associations_of(model_package_artifact("wine-xgboost/1").arn)))
    chain(store)
    assert (store.count(), len(store.associations_of(model_package_artifact("wine-xgboost/1").arn))) == before
    assert before == (7, 3)  # table version, job, model data, package, group, deployment, endpoint


def graph_of(store: LineageStore, start: str, direction: str, depth: int, max_vertices: int = 100):  # type: ignore[no-untyped-def]
    return walk([start], direction, depth, max_vertices, store.associations_of, store.entity)


def test_upstream_of_a_model_reaches_the_table_and_downstream_of_the_table_reaches_the_endpoint(store: LineageStore) -> None:
    chain(store)
    package = model_package_artifact("wine-xgboost/1").arn
    upstream = graph_of(store, package, "Ascendants", 10)
    assert [v.type for v in upstream.vertices] == ["Model", "ModelData", "TrainingJob", "DataSet"]
    table = table_version_artifact("demo", "wine", "2").arn
    downstream = graph_of(store, table, "Descendants", 10)
    assert [v.type for v in downstream.vertices] == ["DataSet", "TrainingJob", "ModelData", "Model", "ModelDeployment",
                                                     "ModelPackageGroup", "Endpoint"]
    assert downstream.as_api()["Edges"][0] == {"SourceArn": table, "DestinationArn": trial_component_arn("train-1", "TrainingJob"),
                                               "AssociationType": "ContributedTo"}


def test_depth_limits_the_hops_and_both_is_the_union_of_the_two_directions(store: LineageStore) -> None:
    chain(store)
    job = trial_component_arn("train-1", "TrainingJob")
    assert [v.type for v in graph_of(store, job, "Descendants", 1).vertices] == ["TrainingJob", "ModelData"]
    both = graph_of(store, job, "Both", 1)
    assert {v.type for v in both.vertices} == {"TrainingJob", "ModelData", "DataSet"}
    # another model trained on the same table is a sibling, not an ascendant or descendant of this job
    store.save(job_record(FinishedJob("train-2", "training", TRAINING_CONFIG, {}, "wine-xgboost/2")))
    assert trial_component_arn("train-2", "TrainingJob") not in {v.arn for v in graph_of(store, job, "Both", 10).vertices}


def test_max_vertices_cuts_the_graph_and_says_so(store: LineageStore) -> None:
    chain(store)
    table = table_version_artifact("demo", "wine", "2").arn
    cut = graph_of(store, table, "Descendants", 10, max_vertices=3)
    assert len(cut.vertices) == 3 and cut.truncated
    assert all(e.source_arn in {v.arn for v in cut.vertices} for e in cut.edges)
    assert not graph_of(store, table, "Descendants", 10).truncated


def test_the_dot_source_colours_each_type_and_outlines_the_start(store: LineageStore) -> None:
    chain(store)
    dot = graph_of(store, model_package_artifact("wine-xgboost/1").arn, "Ascendants", 10).to_dot()
    assert dot.startswith("digraph lineage {") and dot.rstrip().endswith("}")
    assert '"#8ecae6"' in dot and "penwidth=3" in dot and 'label="ContributedTo"' in dot


def test_directions_and_starts_are_read_like_the_cli_writes_them() -> None:
    assert direction_name("upstream") == "Ascendants" and direction_name("Descendants") == "Descendants"
    with pytest.raises(InvalidInput):
        direction_name("sideways")
    assert guess_start("demo.wine") == LineageStart("table", "demo.wine")
    assert guess_start("wine-xgboost/1") == LineageStart("model", "wine-xgboost/1")
    assert guess_start("arn:aws:sagemaker:us-east-1:000000000000:context/x").kind == "arn"
    assert guess_start("wine-ep") == LineageStart("name", "wine-ep")


def test_a_failing_hook_logs_into_the_job_log_and_does_not_raise(tmp_path: Path) -> None:
    class BrokenJob:  # a job whose config cannot be read: the recording fails, the job must not
        name, kind, result, model_id, created_at = "j", "training", {}, "", ""
        config = None

    lines: list[str] = []
    hooks.record_finished_job(MetadataStore(tmp_path / "m.sqlite"), BrokenJob(), lines.append)
    assert len(lines) == 1 and lines[0].startswith("Lineage not recorded for job j") and "Traceback" in lines[0]


def test_the_store_fills_a_missing_source_uri_and_lists_table_versions_newest_first(store: LineageStore) -> None:
    store.save(job_record(FinishedJob("train-1", "training", TRAINING_CONFIG, {}, "")))  # before the version was seen
    store.save(table_version_record("demo", "wine", "2", "s3://workbench-lake/tables/demo/wine/v2/"))
    store.save(table_version_record("demo", "wine", "10", "s3://workbench-lake/tables/demo/wine/v10/"))
    versions = store.table_versions("demo", "wine")
    assert [v.properties["version"] for v in versions] == ["10", "2"]
    assert versions[1].source_uri == "s3://workbench-lake/tables/demo/wine/v2/"
    assert isinstance(store.entity(versions[0].arn), Entity) and store.entity("arn:nope") is None
    assert store.associations_of(versions[1].arn) == [Association(versions[1].arn, trial_component_arn("train-1", "TrainingJob"),
                                                                   "ContributedTo", store.associations_of(versions[1].arn)[0].created_at)]


def test_an_unknown_start_is_not_found_with_how_lineage_appears(tmp_path: Path) -> None:
    from services.config import Settings
    from services.embedded.embedded_stack import EmbeddedStack
    from services.lineage.local import LocalLineage

    lineage = LocalLineage(EmbeddedStack.open(Settings(home=tmp_path / "home", seed_on_start=False)))
    with pytest.raises(NotFound, match="No lineage is recorded for table demo.nothing") as caught:
        lineage.query_lineage(LineageStart("table", "demo.nothing"))
    assert "a job runs" in caught.value.hint
    with pytest.raises(InvalidInput):
        lineage.query_lineage(LineageStart("table", "demo.nothing"), max_depth=11)


def test_a_monitoring_report_is_produced_by_the_endpoint_it_watched(tmp_path: Path) -> None:
    metadata = MetadataStore(tmp_path / "m.sqlite")
    store = LineageStore(metadata)
    chain(store)
    hooks.record_monitoring_report(metadata, "wine-ep", str(tmp_path / "20260103T000000Z.json"), "2026-01-03T00:00:00+00:00")
    table = table_version_artifact("demo", "wine", "2").arn
    downstream = graph_of(store, table, "Descendants", 10)
    report = downstream.of_type("Report")
    assert [r.name for r in report] == ["wine-ep drift 20260103T000000Z"]
    endpoint = store.endpoint_contexts("wine-ep")[0]
    assert Association(endpoint.arn, report[0].arn, "Produced", "2026-01-03T00:00:00+00:00") in store.associations_of(endpoint.arn)


def test_approving_records_one_approval_action_per_status(tmp_path: Path) -> None:
    from services.embedded.model_registry import ModelRegistry
    from services.models import ModelRecord

    metadata = MetadataStore(tmp_path / "m.sqlite")
    registry = ModelRegistry(metadata, tmp_path / "models")
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "model.json").write_text("{}")
    registry.register(ModelRecord("", "wine", 0, "xgboost", "Regression", "y", (), (), {}, "", "train-1", ""), tmp_path / "model")
    for _ in range(2):
        registry.set_approval("wine/1", "Approved")
    store = LineageStore(metadata)
    actions = graph_of(store, model_package_artifact("wine/1").arn, "Descendants", 1).of_type("Approval")
    assert [(a.name, a.lineage_type) for a in actions] == [("wine-1-Approved", "Action")]
    assert store.entity(actions[0].arn).properties["ModelApprovalStatus"] == "Approved"  # type: ignore[union-attr]


def test_an_update_is_a_new_deployment_of_the_same_endpoint(store: LineageStore) -> None:
    chain(store)
    store.save(model_version_record("wine-xgboost/2", "train-2", "/tmp/models/wine-xgboost/2"))
    store.save(deploy_record("wine-ep", "2026-01-02T00:00:00+00:00", ["wine-xgboost/2"], "2026-01-05T00:00:00+00:00"))
    endpoint = store.endpoint_contexts("wine-ep")
    assert len(endpoint) == 1
    upstream = graph_of(store, endpoint[0].arn, "Ascendants", 2)
    assert sorted(v.name for v in upstream.of_type("Model")) == ["wine-xgboost/1", "wine-xgboost/2"]
    assert len(upstream.of_type("ModelDeployment")) == 2
