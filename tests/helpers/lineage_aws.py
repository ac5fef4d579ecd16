"""SageMaker's lineage APIs for the aws lineage tests. moto 5.2.6 implements none of them (no artifacts, contexts,
actions, associations or QueryLineage; only trial components), so a small lineage graph answers QueryLineage,
ListArtifacts, ListContexts, ListAssociations and DescribeArtifact/Context/Action through botocore's event hooks
(tests/helpers/moto_gaps.py), each answer checked against the operation's output shape. What SageMaker records for a
training job is built here the way SageMaker documents it: the input S3 data set ContributedTo the job's trial
component, which Produced its model artifact; a model package's Model artifact (source: the package ARN)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from tests.helpers.aws import REGION
from tests.helpers.moto_gaps import answer_calls, fail_calls

ACCOUNT = "123456789012"  # moto's default account
WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def lineage_arn(resource: str) -> str:
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{resource}"


@dataclass
class LineageGraphFake:
    """Artifacts, contexts and actions by ARN (their Describe* bodies) and the associations between them."""

    entities: dict[str, dict[str, Any]] = field(default_factory=dict)
    associations: list[dict[str, Any]] = field(default_factory=list)

    def artifact(self, artifact_type: str, source_uri: str, name: str = "") -> str:
        arn = lineage_arn("artifact/" + hashlib.md5(source_uri.encode()).hexdigest())
        body = {"ArtifactArn": arn, "Source": {"SourceUri": source_uri}, "ArtifactType": artifact_type, "CreationTime": WHEN}
        self.entities[arn] = {**body, **({"ArtifactName": name} if name else {}), "_type": artifact_type, "_lineage": "Artifact"}
        return arn

    def context(self, context_type: str, name: str, source_uri: str) -> str:
        arn = lineage_arn(f"context/{name}")
        self.entities[arn] = {"ContextName": name, "ContextArn": arn, "Source": {"SourceUri": source_uri},
                              "ContextType": context_type, "CreationTime": WHEN, "_type": context_type, "_lineage": "Context"}
        return arn

    def trial_component(self, arn: str, job_type: str) -> str:
        self.entities[arn] = {"_type": job_type, "_lineage": "TrialComponent"}
        return arn

    def link(self, source: str, destination: str, association_type: str) -> None:
        self.associations.append({"SourceArn": source, "DestinationArn": destination, "AssociationType": association_type,
                                  "CreationTime": WHEN})

    # -- answers ------------------------------------------------------------------------------------------------

    def query_lineage(self, params: dict[str, Any]) -> dict[str, Any]:
        seen = list(params["StartArns"])
        edges: list[dict[str, Any]] = []
        ways = ("Ascendants", "Descendants") if params.get("Direction", "Both") == "Both" else (params["Direction"],)
        for way in ways:
            frontier = list(params["StartArns"])
            for _ in range(params.get("MaxDepth", 10)):
                following = []
                for arn in frontier:
                    for link in self.associations:
                        other = (link["SourceArn"] if way == "Ascendants" and link["DestinationArn"] == arn else
                                 link["DestinationArn"] if way == "Descendants" and link["SourceArn"] == arn else None)
                        if other is None:
                            continue
                        if other not in seen:
                            seen.append(other)
                            following.append(other)
                        edge = {k: link[k] for k in ("SourceArn", "DestinationArn", "AssociationType")}
                        if edge not in edges:
                            edges.append(edge)
                frontier = following
        vertices = [{"Arn": arn, "Type": self.entities.get(arn, {}).get("_type", ""),
                     "LineageType": self.entities.get(arn, {}).get("_lineage", "Artifact")} for arn in seen]
        return {"Vertices": vertices, "Edges": edges if params.get("IncludeEdges") else []}

    def list_by_source(self, lineage: str, key: str, arn_key: str) -> Any:
        def answer(params: dict[str, Any]) -> dict[str, Any]:
            found = [e for e in self.entities.values() if e["_lineage"] == lineage
                     and e.get("Source", {}).get("SourceUri") == params.get("SourceUri")]
            return {key: [{arn_key: e[arn_key], "Source": e["Source"], "CreationTime": WHEN} for e in found]}
        return answer

    def list_associations(self, params: dict[str, Any]) -> dict[str, Any]:
        found = [a for a in self.associations if params.get("SourceArn") in (None, a["SourceArn"])
                 and params.get("DestinationArn") in (None, a["DestinationArn"])]
        return {"AssociationSummaries": found}

    def describe(self, key: str) -> Any:
        """DescribeArtifact (by ``ArtifactArn``) or DescribeContext (by ``ContextName``)."""
        def answer(params: dict[str, Any]) -> dict[str, Any]:
            wanted = lineage_arn(f"context/{params[key]}") if key == "ContextName" else params[key]
            body = self.entities[wanted]
            return {k: v for k, v in body.items() if not k.startswith("_")}
        return answer

    def serve(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Answer every lineage call of clients made from now on."""
        answer_calls(monkeypatch, "sagemaker", "QueryLineage", self.query_lineage)
        answer_calls(monkeypatch, "sagemaker", "ListArtifacts", self.list_by_source("Artifact", "ArtifactSummaries", "ArtifactArn"))
        answer_calls(monkeypatch, "sagemaker", "ListContexts", self.list_by_source("Context", "ContextSummaries", "ContextArn"))
        answer_calls(monkeypatch, "sagemaker", "ListAssociations", self.list_associations)
        answer_calls(monkeypatch, "sagemaker", "DescribeArtifact", self.describe("ArtifactArn"))
        answer_calls(monkeypatch, "sagemaker", "DescribeContext", self.describe("ContextName"))


def training_job_lineage(graph: LineageGraphFake, job: str, data_uri: str, model_package_arn: str) -> dict[str, str]:
    """What SageMaker records for a training job on ``data_uri`` whose model was registered as ``model_package_arn``;
    the job's trial component is created in moto (which implements trial components). Returns the ARNs by role."""
    client = boto3.client("sagemaker", region_name=REGION)
    component = client.create_trial_component(TrialComponentName=f"{job}-aws-training-job")["TrialComponentArn"]
    data = graph.artifact("DataSet", data_uri)
    graph.trial_component(component, "TrainingJob")
    model_data = graph.artifact("Model", f"s3://bucket/output/{job}/output/model.tar.gz")
    package = graph.artifact("Model", model_package_arn, name=model_package_arn.rsplit("/", 2)[-2])
    graph.link(data, component, "ContributedTo")
    graph.link(component, model_data, "Produced")
    graph.link(model_data, package, "DerivedFrom")
    return {"data": data, "job": component, "model_data": model_data, "package": package}


def registered_model_package(group: str) -> str:
    """A versioned model package in moto's Model Registry; its ARN."""
    client = boto3.client("sagemaker", region_name=REGION)
    client.create_model_package_group(ModelPackageGroupName=group)
    return str(client.create_model_package(
        ModelPackageGroupName=group, ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={"Containers": [{"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                                                "ModelDataUrl": "s3://bucket/model.tar.gz"}],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
    )["ModelPackageArn"])


def glue_table(database: str, table: str) -> str:
    """A CSV table in moto's Glue catalog (what a crawler or an import leaves); its S3 location."""
    location = f"s3://workbench-test/tables/{database}/{table}/"
    glue = boto3.client("glue", region_name=REGION)
    glue.create_database(DatabaseInput={"Name": database})
    glue.create_table(DatabaseName=database, TableInput={
        "Name": table, "TableType": "EXTERNAL_TABLE", "Parameters": {"classification": "csv"},
        "StorageDescriptor": {"Location": location, "Columns": [{"Name": "x", "Type": "bigint"}, {"Name": "label", "Type": "string"}]}})
    return location


def refuse_query_lineage(monkeypatch: pytest.MonkeyPatch) -> None:
    fail_calls(monkeypatch, "sagemaker", "QueryLineage", "AccessDeniedException",
               "User is not authorized to perform: sagemaker:QueryLineage")
