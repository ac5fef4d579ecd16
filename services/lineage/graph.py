"""QueryLineage's walk as a pure function: from the start ARNs, breadth first along associations (backwards for
Ascendants, forwards for Descendants; Both is the union of the two, as in SageMaker, not a walk that turns back)
up to ``max_depth`` hops, stopping at ``max_vertices``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from services.lineage.models import Association, Edge, Entity, LineageGraph, Vertex

Neighbours = Callable[[str], Sequence[Association]]  # every association touching an ARN


def walk(start_arns: Sequence[str], direction: str, max_depth: int, max_vertices: int, associations_of: Neighbours,
         describe: Callable[[str], Entity | None]) -> LineageGraph:
    """The lineage graph around ``start_arns``; ``truncated`` when more vertices were reachable than ``max_vertices``."""
    seen = list(dict.fromkeys(start_arns))
    edges: dict[tuple[str, str], Edge] = {}
    truncated = False
    for way in (("Ascendants", "Descendants") if direction == "Both" else (direction,)):
        truncated |= _walk_one_way(list(dict.fromkeys(start_arns)), seen, edges, way, max_depth, max_vertices, associations_of)
    vertices = tuple(_vertex(arn, describe(arn)) for arn in seen)
    return LineageGraph(tuple(dict.fromkeys(start_arns)), direction, max_depth, vertices, tuple(edges.values()), truncated)


def _walk_one_way(start: list[str], seen: list[str], edges: dict[tuple[str, str], Edge], direction: str, max_depth: int,
                  max_vertices: int, associations_of: Neighbours) -> bool:
    """Add what lies ``direction`` of ``start`` to ``seen`` and ``edges``; True when ``max_vertices`` left some out."""
    frontier, truncated = start, False
    for _ in range(max_depth):
        following: list[str] = []
        for arn in frontier:
            for link in associations_of(arn):
                other = _follow(link, arn, direction)
                if other is None:
                    continue
                if other not in seen:
                    if len(seen) >= max_vertices:
                        truncated = True
                        continue
                    seen.append(other)
                    following.append(other)
                edges[(link.source_arn, link.destination_arn)] = Edge(link.source_arn, link.destination_arn,
                                                                      link.association_type)
        frontier = following
        if not frontier:
            break
    return truncated


def _follow(link: Association, arn: str, direction: str) -> str | None:
    """The entity at the other end of ``link`` when the walk goes that way."""
    if link.destination_arn == arn and direction == "Ascendants":
        return link.source_arn
    if link.source_arn == arn and direction == "Descendants":
        return link.destination_arn
    return None


def _vertex(arn: str, entity: Entity | None) -> Vertex:
    if entity is None:
        return Vertex(arn, "", lineage_type_of(arn), arn.rsplit("/", 1)[-1])
    return Vertex(arn, entity.type, entity.lineage_type, entity.name)


def lineage_type_of(arn: str) -> str:
    """The LineageType an ARN's resource type stands for."""
    resource = arn.split(":", 5)[-1].split("/", 1)[0]
    return {"artifact": "Artifact", "action": "Action", "context": "Context",
            "experiment-trial-component": "TrialComponent"}.get(resource, "")
