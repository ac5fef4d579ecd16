"""Lineage on AWS: what SageMaker records itself (jobs, model packages, endpoints), read with QueryLineage,
ListAssociations, ListArtifacts/ListContexts (to find an entity by its source URI) and the Describe* calls.

A catalog table is found as the DataSet artifacts whose source URI is the table's S3 location (``table_location``,
from the catalog port) and, since the built-in algorithms train on an encoded copy elsewhere in S3, as the trial
components of the jobs started here that read it (``recent_jobs``, from the jobs port: their configs name it); a
model ``group/version`` as the Model artifact of its package ARN; an endpoint as the Endpoint context of its ARN; a
job as its trial component ``<job>-aws-<training|processing|transform>-job``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
from botocore.exceptions import ClientError

from services.aws.errors import translated
from services.aws.sagemaker import SageMakerClients, is_missing
from services.errors import InvalidInput, NotFound
from services.lineage.base import LineagePort
from services.lineage.graph import lineage_type_of
from services.lineage.models import (
    DEFAULT_MAX_VERTICES,
    START_KINDS,
    Association,
    Edge,
    Entity,
    LineageGraph,
    LineageStart,
    Vertex,
    check_query,
)
from services.models import Job

TableLocation = Callable[[str, str], str]  # (database, table) -> s3://… location
RecentJobs = Callable[[], list[Job]]  # the jobs started here, newest first
PAGE_SIZE = 50  # QueryLineage's MaxResults maximum
JOB_SUFFIXES = ("training-job", "processing-job", "transform-job")
NOTHING_YET = "SageMaker records lineage for jobs, model packages and endpoints; run a job or deploy a model first."


class AwsLineage(SageMakerClients):
    def __init__(self, session: boto3.Session, table_location: TableLocation, recent_jobs: RecentJobs = list) -> None:
        self.session = session
        self.table_location = table_location
        self.recent_jobs = recent_jobs

    @translated
    def resolve(self, start: LineageStart) -> list[str]:
        if start.kind not in START_KINDS:
            raise InvalidInput(f"{start.kind!r} is not something lineage starts from.", hint=f"Use one of {', '.join(START_KINDS)}.")
        found = self._resolve(start.kind, start.value.strip())
        if not found:
            raise NotFound(f"SageMaker has no lineage for {start.label} in {self.region}.", hint=NOTHING_YET)
        return found

    def _resolve(self, kind: str, value: str) -> list[str]:
        if kind == "arn" or value.startswith("arn:"):
            return self._from_arn(value)
        if kind == "table":
            database, _, table = value.partition(".")
            found = self._by_source("artifact", self.table_location(database, table))
            return found + [arn for name in jobs_reading(self.recent_jobs(), value) for arn in self._job(name) if arn not in found]
        if kind == "model":
            return self._by_source("artifact", self._package_arn(value))
        endpoint = self._endpoint_contexts(value) if kind in ("endpoint", "name") else []
        return endpoint or (self._job(value) if kind in ("job", "name") else [])

    def _from_arn(self, arn: str) -> list[str]:
        resource = arn.split(":", 5)[-1].split("/", 1)[0]
        if resource == "model-package":
            return self._by_source("artifact", arn)
        if resource == "endpoint":
            return self._by_source("context", arn)
        if resource in JOB_SUFFIXES:
            return self._job(arn.rsplit("/", 1)[-1])
        self.describe_entity(arn)
        return [arn]

    def _by_source(self, kind: str, uri: str) -> list[str]:
        """Artifacts or contexts whose source URI is ``uri`` (with and without a trailing slash)."""
        operation, key, arn_key = {"artifact": ("list_artifacts", "ArtifactSummaries", "ArtifactArn"),
                                   "context": ("list_contexts", "ContextSummaries", "ContextArn")}[kind]
        found: list[str] = []
        for candidate in dict.fromkeys((uri, uri.rstrip("/"), uri.rstrip("/") + "/")):
            for page in self._sagemaker.get_paginator(operation).paginate(SourceUri=candidate):
                found += [s[arn_key] for s in page.get(key, []) if s[arn_key] not in found]
        return found

    def _endpoint_contexts(self, name: str) -> list[str]:
        try:
            endpoint = self._call("describe_endpoint", EndpointName=name)
        except NotFound:
            return []
        return self._by_source("context", endpoint["EndpointArn"])

    def _job(self, name: str) -> list[str]:
        for suffix in JOB_SUFFIXES:
            try:
                component = self._sagemaker.describe_trial_component(TrialComponentName=f"{name}-aws-{suffix}")
            except ClientError as exc:
                if is_missing(exc):
                    continue
                raise
            return [component["TrialComponentArn"]]
        return []

    @translated
    def query_lineage(self, start: LineageStart, direction: str = "Both", max_depth: int = 3,
                      max_vertices: int = DEFAULT_MAX_VERTICES) -> LineageGraph:
        direction, max_depth = check_query(direction, max_depth, max_vertices)
        arns = self.resolve(start)
        vertices: dict[str, dict[str, Any]] = {}
        edges: dict[tuple[str, str], Edge] = {}
        truncated = False
        for page in self._lineage_pages(arns, direction, max_depth):
            for raw in page.get("Vertices", []):
                if raw["Arn"] not in vertices and len(vertices) >= max_vertices:
                    truncated = True
                    continue
                vertices.setdefault(raw["Arn"], raw)
            for raw in page.get("Edges", []):
                edge = Edge(raw["SourceArn"], raw["DestinationArn"], raw.get("AssociationType", ""))
                edges[(edge.source_arn, edge.destination_arn)] = edge
            if truncated:
                break
        shown = [self._vertex(raw) for raw in vertices.values()]
        missing = [Vertex(arn, "", lineage_type_of(arn), self._name(arn, {})) for arn in arns if arn not in vertices]
        kept = {v.arn for v in [*missing, *shown]}
        return LineageGraph(tuple(arns), direction, max_depth, tuple([*missing, *shown]),
                            tuple(e for e in edges.values() if e.source_arn in kept and e.destination_arn in kept), truncated)

    def _lineage_pages(self, arns: list[str], direction: str, max_depth: int) -> Iterator[dict[str, Any]]:
        request: dict[str, Any] = {"StartArns": arns, "Direction": direction, "IncludeEdges": True,
                                   "MaxDepth": max_depth, "MaxResults": PAGE_SIZE}
        while True:
            page = self._sagemaker.query_lineage(**request)
            yield page
            if not page.get("NextToken"):
                return
            request["NextToken"] = page["NextToken"]

    def _vertex(self, raw: dict[str, Any]) -> Vertex:
        return Vertex(raw["Arn"], raw.get("Type", ""), raw.get("LineageType", ""), self._name(raw["Arn"], raw))

    def _name(self, arn: str, raw: dict[str, Any]) -> str:
        """Contexts, actions and trial components are named in their ARN; an artifact's ARN is an id, so its
        name (or source URI) comes from DescribeArtifact."""
        if lineage_type_of(arn) != "Artifact":
            return arn.rsplit("/", 1)[-1]
        described = self._sagemaker.describe_artifact(ArtifactArn=arn)
        return str(described.get("ArtifactName") or described.get("Source", {}).get("SourceUri") or arn.rsplit("/", 1)[-1])

    @translated
    def describe_entity(self, arn: str) -> Entity:
        kind = lineage_type_of(arn)
        if not kind:
            raise InvalidInput(f"{arn} is not a lineage entity's ARN.", hint="Use an artifact, action, context or trial component ARN.")
        name = arn.rsplit("/", 1)[-1]
        if kind == "Artifact":
            raw = self._call("describe_artifact", ArtifactArn=arn)
            source = raw.get("Source", {})
            return Entity(arn, raw.get("ArtifactName") or source.get("SourceUri", name), kind, raw.get("ArtifactType", ""),
                          source.get("SourceUri", ""), dict(raw.get("Properties", {})), _iso(raw.get("CreationTime")))
        if kind == "Action":
            raw = self._call("describe_action", ActionName=name)
            return Entity(arn, name, kind, raw.get("ActionType", ""), raw.get("Source", {}).get("SourceUri", ""),
                          dict(raw.get("Properties", {})), _iso(raw.get("CreationTime")))
        if kind == "Context":
            raw = self._call("describe_context", ContextName=name)
            return Entity(arn, name, kind, raw.get("ContextType", ""), raw.get("Source", {}).get("SourceUri", ""),
                          dict(raw.get("Properties", {})), _iso(raw.get("CreationTime")))
        raw = self._call("describe_trial_component", TrialComponentName=name)
        return Entity(arn, name, kind, _job_type(raw), raw.get("Source", {}).get("SourceArn", ""), {},
                      _iso(raw.get("CreationTime")))

    @translated
    def list_associations(self, arn: str) -> list[Association]:
        found: dict[tuple[str, str], Association] = {}
        for side in ("SourceArn", "DestinationArn"):
            for page in self._sagemaker.get_paginator("list_associations").paginate(**{side: arn}):
                for raw in page.get("AssociationSummaries", []):
                    found[(raw["SourceArn"], raw["DestinationArn"])] = Association(
                        raw["SourceArn"], raw["DestinationArn"], raw.get("AssociationType", ""), _iso(raw.get("CreationTime")))
        return sorted(found.values(), key=lambda a: a.created_at)


def jobs_reading(jobs: list[Job], table: str) -> list[str]:
    """The names of the finished jobs whose config reads ``table`` (its ``source``, or a tuning job's base source)."""
    def reads(config: dict[str, Any]) -> bool:
        sources = [config.get("source"), (config.get("base") or {}).get("source") if isinstance(config.get("base"), dict) else None]
        return any(isinstance(s, dict) and s.get("table") == table for s in sources)

    return [job.name for job in jobs if job.finished and reads(job.config)]


def _job_type(component: dict[str, Any]) -> str:
    source = str(component.get("Source", {}).get("SourceArn", ""))
    resource = source.split(":", 5)[-1].split("/", 1)[0]
    return {"training-job": "TrainingJob", "processing-job": "ProcessingJob", "transform-job": "TransformJob"}.get(resource, "")


def _iso(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value or "")


def build_aws_lineage(session: boto3.Session, table_location: TableLocation, recent_jobs: RecentJobs = list) -> LineagePort:
    return AwsLineage(session, table_location, recent_jobs)
