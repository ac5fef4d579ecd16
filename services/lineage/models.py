"""Lineage in SageMaker's model: entities (artifacts, actions, contexts, trial components), associations between
them, and the answer of a lineage query in QueryLineage's shape (``Vertices``, ``Edges``).

An association runs from the entity that contributed to the one it went into: a table version ``ContributedTo`` a
training job, the job ``Produced`` its model data, a model package ``DerivedFrom`` that model data (the package is
the destination), a deployment ``AssociatedWith`` its endpoint. "Upstream" (Ascendants) follows edges backwards,
"downstream" (Descendants) forwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.errors import InvalidInput

LOCAL_ACCOUNT = "000000000000"
LOCAL_REGION = "us-east-1"
LINEAGE_TYPES = ("Artifact", "Action", "Context", "TrialComponent")
ASSOCIATION_TYPES = ("ContributedTo", "Produced", "DerivedFrom", "AssociatedWith")
DIRECTIONS = ("Ascendants", "Descendants", "Both")  # QueryLineage's Direction
DIRECTION_NAMES = {"upstream": "Ascendants", "downstream": "Descendants", "both": "Both"}
MAX_DEPTH = 10  # QueryLineage's MaxDepth maximum
DEFAULT_MAX_VERTICES = 200
START_KINDS = ("arn", "table", "model", "endpoint", "job", "name")  # name: an endpoint, else a job

# Entity types (Vertex.Type): SageMaker's names (LineageSourceEnum) where they exist.
DATASET, MODEL, MODEL_DATA, IMAGE, CODE, REPORT = "DataSet", "Model", "ModelData", "Image", "Code", "Report"
ENDPOINT, MODEL_GROUP, PIPELINE_EXECUTION, MODEL_DEPLOYMENT = "Endpoint", "ModelPackageGroup", "PipelineExecution", "ModelDeployment"
APPROVAL = "Approval"
TRAINING_JOB, PROCESSING_JOB, TRANSFORM_JOB = "TrainingJob", "ProcessingJob", "TransformJob"

# One colour per entity type on the graph (anything else is grey).
TYPE_COLOURS = {
    DATASET: "#8ecae6", MODEL_DATA: "#ffd166", MODEL: "#f4a261", IMAGE: "#d9d9d9", CODE: "#cdb4db",
    REPORT: "#b7e4c7", ENDPOINT: "#e76f51", MODEL_GROUP: "#fcd5ce", PIPELINE_EXECUTION: "#bde0fe",
    MODEL_DEPLOYMENT: "#ffafcc", APPROVAL: "#ffe5ec", TRAINING_JOB: "#95d5b2", PROCESSING_JOB: "#a8dadc", TRANSFORM_JOB: "#caf0f8",
}


@dataclass(frozen=True)
class Entity:
    """An artifact, action, context or trial component, with what Describe* says of it."""

    arn: str
    name: str
    lineage_type: str  # Artifact | Action | Context | TrialComponent
    type: str  # ArtifactType / ActionType / ContextType, or the job type of a trial component
    source_uri: str = ""
    properties: dict[str, str] = field(default_factory=dict)
    created_at: str = ""


@dataclass(frozen=True)
class Association:
    """AddAssociation's triple (ListAssociations' AssociationSummary without the names)."""

    source_arn: str
    destination_arn: str
    association_type: str  # ContributedTo | Produced | DerivedFrom | AssociatedWith
    created_at: str = ""


@dataclass(frozen=True)
class LineageRecord:
    """What one event (a finished job, a registration, a deploy, a table version) adds to the graph."""

    entities: tuple[Entity, ...] = ()
    associations: tuple[Association, ...] = ()


@dataclass(frozen=True)
class LineageStart:
    """Where a query starts: an ARN, a ``database.table`` (every version), a model id or model package ARN,
    an endpoint name or a job name."""

    kind: str  # one of START_KINDS
    value: str

    @property
    def label(self) -> str:
        return self.value if self.kind == "arn" else f"{self.kind} {self.value}"


@dataclass(frozen=True)
class Vertex:
    arn: str
    type: str
    lineage_type: str
    name: str = ""


@dataclass(frozen=True)
class Edge:
    source_arn: str
    destination_arn: str
    association_type: str


@dataclass(frozen=True)
class LineageGraph:
    """A QueryLineage answer: the start entities, what is connected to them within ``max_depth`` hops, and whether
    ``max_vertices`` cut it short."""

    start_arns: tuple[str, ...]
    direction: str
    max_depth: int
    vertices: tuple[Vertex, ...] = ()
    edges: tuple[Edge, ...] = ()
    truncated: bool = False

    @property
    def empty(self) -> bool:
        """Nothing but the start itself."""
        return not self.edges

    def as_api(self) -> dict[str, Any]:
        """QueryLineage's response shape (``Vertices``, ``Edges``)."""
        return {
            "Vertices": [{"Arn": v.arn, "Type": v.type, "LineageType": v.lineage_type} for v in self.vertices],
            "Edges": [{"SourceArn": e.source_arn, "DestinationArn": e.destination_arn,
                       "AssociationType": e.association_type} for e in self.edges],
        }

    def vertex(self, arn: str) -> Vertex | None:
        return next((v for v in self.vertices if v.arn == arn), None)

    def of_type(self, *types: str) -> list[Vertex]:
        """The vertices of these types, start entities excluded."""
        return [v for v in self.vertices if v.type in types and v.arn not in self.start_arns]

    def vertex_rows(self) -> list[dict[str, str]]:
        """One row per vertex for a table view."""
        return [{"Name": v.name, "Type": v.type, "LineageType": v.lineage_type, "Arn": v.arn,
                 "Start": "yes" if v.arn in self.start_arns else ""} for v in self.vertices]

    def edge_rows(self) -> list[dict[str, str]]:
        names = {v.arn: v.name or v.arn for v in self.vertices}
        return [{"Source": names.get(e.source_arn, e.source_arn), "AssociationType": e.association_type,
                 "Destination": names.get(e.destination_arn, e.destination_arn)} for e in self.edges]

    def to_dot(self) -> str:
        """Graphviz DOT source: left to right, one filled colour per entity type, start entities outlined."""
        lines = ["digraph lineage {", '  rankdir="LR";', '  node [shape=box, style="rounded,filled", fontsize=10];']
        ids = {v.arn: f"n{index}" for index, v in enumerate(self.vertices)}
        for v in self.vertices:
            colour = TYPE_COLOURS.get(v.type, "#eeeeee")
            width = ", penwidth=3" if v.arn in self.start_arns else ""
            lines.append(f'  {ids[v.arn]} [label="{_dot_text(v.name or v.arn)}\\n({_dot_text(v.type)})", '
                         f'fillcolor="{colour}"{width}];')
        for e in self.edges:
            if e.source_arn in ids and e.destination_arn in ids:
                lines.append(f'  {ids[e.source_arn]} -> {ids[e.destination_arn]} '
                             f'[label="{e.association_type}", fontsize=8];')
        return "\n".join([*lines, "}"])


def _dot_text(text: str) -> str:
    clean = text.replace("\\", "\\\\").replace('"', '\\"')
    return clean if len(clean) <= 48 else clean[:45] + "..."


def direction_name(text: str) -> str:
    """QueryLineage's Direction for ``upstream``/``downstream``/``both`` (or the API's own names)."""
    direction = DIRECTION_NAMES.get(text.lower(), text)
    if direction not in DIRECTIONS:
        raise InvalidInput(f"{text!r} is not a lineage direction.", hint="Use upstream, downstream or both.")
    return direction


def check_depth(depth: int) -> int:
    if isinstance(depth, bool) or not 1 <= depth <= MAX_DEPTH:
        raise InvalidInput(f"The depth must be 1 to {MAX_DEPTH}, not {depth}.", hint="QueryLineage's MaxDepth is at most 10.")
    return depth


def check_query(direction: str, max_depth: int, max_vertices: int) -> tuple[str, int]:
    """QueryLineage's Direction and MaxDepth for what was asked; ``InvalidInput`` for a bad one or a vertex bound below 1."""
    if max_vertices < 1:
        raise InvalidInput("max_vertices must be at least 1.", hint="e.g. 200.")
    return direction_name(direction), check_depth(max_depth)


def guess_start(text: str) -> LineageStart:
    """What a typed entity names: an ARN, a model id (``name/version``), a ``database.table``, else an endpoint
    or job name (``name``: the adapters try an endpoint first)."""
    text = text.strip()
    if text.startswith("arn:"):
        return LineageStart("arn", text)
    if "/" in text:
        return LineageStart("model", text)
    if "." in text:
        return LineageStart("table", text)
    return LineageStart("name", text)
