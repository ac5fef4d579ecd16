"""The aws lineage adapter's own behaviour: QueryLineage paging and the vertex bound, starting from a model package ARN
or an endpoint name (its Endpoint context, found by the endpoint's ARN), ListAssociations on both sides, AWS errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from services.errors import NotFound, ServiceError
from services.lineage.models import LineageStart
from services.registry import build_services
from tests.helpers.aws import REGION, aws_settings
from tests.helpers.lineage_aws import LineageGraphFake, glue_table, registered_model_package, training_job_lineage
from tests.helpers.moto_gaps import answer_calls, fail_calls


@pytest.fixture
def graph(mocked_aws: None) -> tuple[LineageGraphFake, dict[str, str], str]:
    fake = LineageGraphFake()
    package = registered_model_package("points-xgboost")
    return fake, training_job_lineage(fake, "points-train-1", glue_table("lab", "points"), package), package


def lineage(tmp_path: Path):  # type: ignore[no-untyped-def]
    return build_services(aws_settings(tmp_path / "home")).lineage


def paged(fake: LineageGraphFake, size: int) -> Any:
    """QueryLineage answered ``size`` vertices a page, with NextToken, as SageMaker pages it."""
    def answer(params: dict[str, Any]) -> dict[str, Any]:
        whole = fake.query_lineage(params)
        start = int(params.get("NextToken") or 0)
        page = {"Vertices": whole["Vertices"][start:start + size], "Edges": whole["Edges"] if start == 0 else []}
        return {**page, **({"NextToken": str(start + size)} if start + size < len(whole["Vertices"]) else {})}
    return answer


def test_query_lineage_follows_next_token_and_keeps_the_request(graph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    fake, arns, _ = graph
    calls = answer_calls(monkeypatch, "sagemaker", "QueryLineage", paged(fake, 2))
    fake.serve(monkeypatch)
    result = lineage(tmp_path).query_lineage(LineageStart("model", "points-xgboost/1"), "upstream", 10)
    assert [v.arn for v in result.vertices] == [arns["package"], arns["model_data"], arns["job"], arns["data"]]
    assert [c.get("NextToken") for c in calls] == [None, "2"]
    assert {(c["Direction"], c["MaxDepth"], c["IncludeEdges"], c["MaxResults"]) for c in calls} == {("Ascendants", 10, True, 50)}
    assert len(result.edges) == 3 and not result.truncated


def test_more_vertices_than_allowed_are_cut_and_said(graph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    fake, arns, _ = graph
    fake.serve(monkeypatch)
    result = lineage(tmp_path).query_lineage(LineageStart("table", "lab.points"), "downstream", 10, max_vertices=2)
    assert [v.arn for v in result.vertices] == [arns["data"], arns["job"]] and result.truncated
    assert [(e.source_arn, e.destination_arn) for e in result.edges] == [(arns["data"], arns["job"])]


def test_a_model_package_arn_starts_at_its_model_artifact(graph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    fake, arns, package = graph
    fake.serve(monkeypatch)
    assert lineage(tmp_path).resolve(LineageStart("arn", package)) == [arns["package"]]
    names = {v.arn: v.name for v in lineage(tmp_path).query_lineage(LineageStart("arn", package), "upstream", 1).vertices}
    assert names[arns["package"]] == "points-xgboost"  # DescribeArtifact's ArtifactName
    assert names[arns["model_data"]] == "s3://bucket/output/points-train-1/output/model.tar.gz"  # no name: its source URI


def test_an_endpoint_starts_at_the_context_of_its_arn(graph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    fake, arns, _ = graph
    client = boto3.client("sagemaker", region_name=REGION)
    client.create_model(ModelName="points-v1", ExecutionRoleArn="arn:aws:iam::123456789012:role/sm",
                        PrimaryContainer={"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"})
    client.create_endpoint_config(EndpointConfigName="points-config", ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": "points-v1", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    endpoint_arn = client.create_endpoint(EndpointName="points-ep", EndpointConfigName="points-config")["EndpointArn"]
    context = fake.context("Endpoint", "points-ep-1767225600-aws-endpoint", endpoint_arn)
    fake.link(arns["package"], context, "AssociatedWith")
    fake.serve(monkeypatch)
    port = lineage(tmp_path)
    assert port.resolve(LineageStart("name", "points-ep")) == [context]
    upstream = port.query_lineage(LineageStart("endpoint", "points-ep"), "upstream", 10)
    assert {v.type for v in upstream.vertices} == {"Endpoint", "Model", "TrainingJob", "DataSet"}
    assert port.describe_entity(context).source_uri == endpoint_arn
    with pytest.raises(NotFound, match="no lineage for endpoint nope"):
        port.resolve(LineageStart("endpoint", "nope"))


def test_list_associations_reads_both_sides(graph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    fake, arns, _ = graph
    calls = answer_calls(monkeypatch, "sagemaker", "ListAssociations", fake.list_associations)
    fake.serve(monkeypatch)
    links = lineage(tmp_path).list_associations(arns["model_data"])
    assert {(a.source_arn, a.association_type) for a in links} == {(arns["job"], "Produced"), (arns["model_data"], "DerivedFrom")}
    assert [sorted(k for k in c if k.endswith("Arn")) for c in calls] == [["SourceArn"], ["DestinationArn"]]


def test_throttling_is_a_service_error_not_a_crash(graph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    fake, _, _ = graph
    fail_calls(monkeypatch, "sagemaker", "QueryLineage", "ThrottlingException", "Rate exceeded")
    fake.serve(monkeypatch)
    with pytest.raises(ServiceError, match="Rate exceeded"):
        lineage(tmp_path).query_lineage(LineageStart("model", "points-xgboost/1"))


def test_a_table_the_built_ins_read_through_an_encoded_copy_starts_at_the_jobs_that_read_it(
        mocked_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from services.lineage.aws import AwsLineage
    from services.models import Job

    fake = LineageGraphFake()
    glue_table("lab", "points")
    encoded = "s3://workbench-test/training/points-train-1/train/"  # not the table's location: no artifact names it
    arns = training_job_lineage(fake, "points-train-1", encoded, registered_model_package("points-xgboost"))
    fake.serve(monkeypatch)
    jobs = [Job("points-train-1", "training", "Completed", "Completed", "", {"source": {"table": "lab.points"}}),
            Job("points-train-2", "training", "InProgress", "Training", "", {"source": {"table": "lab.points"}}),
            Job("other", "training", "Completed", "Completed", "", {"source": {"table": "lab.other"}})]
    services = build_services(aws_settings(tmp_path / "home"))
    port = AwsLineage(boto3.Session(region_name=REGION), lambda d, t: services.catalog.get_table(d, t).location, lambda: jobs)
    assert port.resolve(LineageStart("table", "lab.points")) == [arns["job"]]
    downstream = port.query_lineage(LineageStart("table", "lab.points"), "downstream", 10)
    assert [v.type for v in downstream.vertices] == ["TrainingJob", "Model", "Model"]
