"""The lineage port: SageMaker's ML lineage (artifacts, actions, contexts, trial components and the associations
between them) around any entity, upstream, downstream or both, as QueryLineage answers it.

Locally every job, table version, registered model version, deploy and monitoring report records its lineage as it
is made (``services/lineage/hooks.py``); on AWS SageMaker records it and the adapter reads it back with
QueryLineage, ListAssociations and the Describe* calls.
"""

from __future__ import annotations

from typing import Protocol

from services.lineage.models import DEFAULT_MAX_VERTICES, Association, Entity, LineageGraph, LineageStart


class LineagePort(Protocol):
    def resolve(self, start: LineageStart) -> list[str]:
        """The lineage ARNs ``start`` names: an ARN as given (``NotFound`` when no such entity), every recorded
        version of a ``database.table``, a model version's model package, an endpoint's context (its current
        incarnation), a job's trial component; ``name`` tries an endpoint, then a job. ``NotFound`` with a hint
        (run a job, register, deploy) when nothing is recorded for it."""
        ...

    def query_lineage(self, start: LineageStart, direction: str = "Both", max_depth: int = 3,
                      max_vertices: int = DEFAULT_MAX_VERTICES) -> LineageGraph:
        """QueryLineage from ``start``: ``direction`` Ascendants (upstream) | Descendants (downstream) | Both (or
        upstream/downstream/both), ``max_depth`` 1–10 hops (``InvalidInput`` otherwise), at most ``max_vertices``
        vertices (``truncated`` says when more were reachable). Vertices carry their names."""
        ...

    def describe_entity(self, arn: str) -> Entity:
        """One entity (DescribeArtifact/DescribeAction/DescribeContext/DescribeTrialComponent); ``NotFound``."""
        ...

    def list_associations(self, arn: str) -> list[Association]:
        """The associations with ``arn`` at either end, oldest first (ListAssociations)."""
        ...
