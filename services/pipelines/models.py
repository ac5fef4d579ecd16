"""Plain data crossing the pipelines port, in SageMaker Pipelines' own terms.

A pipeline is SageMaker's pipeline definition JSON (Version ``2020-12-01``) exactly as the sagemaker SDK's
``Pipeline.definition()`` writes it; executions and their steps carry the statuses and fields of
``DescribePipelineExecution`` and ``ListPipelineExecutionSteps``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

DEFINITION_VERSION = "2020-12-01"
PARAMETER_TYPES = ("String", "Integer", "Float", "Boolean")
EXECUTION_STATUSES = ("Executing", "Stopping", "Stopped", "Failed", "Succeeded")
FINISHED_EXECUTION_STATUSES = ("Stopped", "Failed", "Succeeded")
STEP_STATUSES = ("Starting", "Executing", "Stopping", "Stopped", "Failed", "Succeeded")
# What the local engine runs; an unknown type is refused at upsert, naming the step.
STEP_TYPES = ("Processing", "Training", "Tuning", "Transform", "Condition", "Fail", "RegisterModel", "Model",
              "AutoML", "Endpoint", "EndpointConfig")
# What SageMaker Pipelines itself accepts (the sagemaker SDK's StepTypeEnum): the aws adapter checks against these.
SAGEMAKER_STEP_TYPES = (*STEP_TYPES, "Callback", "Lambda", "QualityCheck", "ClarifyCheck", "EMR", "EMRServerless",
                        "InferenceComponent", "Lineage", "Job", "Cleanup", "ForEach")


@dataclass(frozen=True)
class PipelineParameter:
    """One entry of the definition's ``Parameters``: ``{"Name", "Type", "DefaultValue"}``."""

    name: str
    type: str  # String | Integer | Float | Boolean
    default: Any = None  # None: the parameter must be given at start

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True)
class Pipeline:
    """DescribePipeline: the name, ARN and the definition JSON (as a parsed dict)."""

    name: str
    arn: str
    definition: dict[str, Any]
    created_at: str
    last_modified_at: str
    description: str = ""

    @property
    def parameters(self) -> list[PipelineParameter]:
        return [PipelineParameter(p["Name"], p.get("Type", "String"), p.get("DefaultValue"))
                for p in self.definition.get("Parameters", [])]

    def find_step(self, name: str) -> dict[str, Any] | None:
        """The step of that name anywhere in the definition (inside Condition branches too)."""
        pending = list(self.definition.get("Steps", []))
        while pending:
            step = pending.pop()
            if step.get("Name") == name:
                return dict(step)
            if step.get("Type") == "Condition":
                arguments = step.get("Arguments") or {}
                pending += list(arguments.get("IfSteps", [])) + list(arguments.get("ElseSteps", []))
        return None

    def as_api(self) -> dict[str, Any]:
        """The pipeline as DescribePipeline returns it (the definition as a JSON string)."""
        return {"PipelineArn": self.arn, "PipelineName": self.name, "PipelineDescription": self.description,
                "PipelineDefinition": json.dumps(self.definition), "CreationTime": self.created_at,
                "LastModifiedTime": self.last_modified_at}


@dataclass(frozen=True)
class PipelineExecution:
    """DescribePipelineExecution."""

    arn: str  # PipelineExecutionArn
    pipeline_name: str
    status: str  # PipelineExecutionStatus: Executing | Stopping | Stopped | Failed | Succeeded
    created_at: str
    last_modified_at: str
    display_name: str = ""
    failure_reason: str = ""
    parameters: dict[str, str] = field(default_factory=dict)  # PipelineParameters as started (Name -> Value)
    selected_steps: tuple[str, ...] = ()  # SelectiveExecutionConfig.SelectedSteps; () = every step
    source_execution_arn: str = ""  # SelectiveExecutionConfig.SourcePipelineExecutionArn, or the retried run

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_EXECUTION_STATUSES

    def as_api(self) -> dict[str, Any]:
        """The execution as DescribePipelineExecution returns it, with its parameters as ListPipelineParametersForExecution."""
        entry: dict[str, Any] = {
            "PipelineExecutionArn": self.arn, "PipelineName": self.pipeline_name,
            "PipelineExecutionDisplayName": self.display_name, "PipelineExecutionStatus": self.status,
            "CreationTime": self.created_at, "LastModifiedTime": self.last_modified_at,
            "PipelineParameters": [{"Name": k, "Value": v} for k, v in self.parameters.items()],
        }
        if self.failure_reason:
            entry["FailureReason"] = self.failure_reason
        if self.selected_steps:
            entry["SelectiveExecutionConfig"] = {
                "SourcePipelineExecutionArn": self.source_execution_arn,
                "SelectedSteps": [{"StepName": name} for name in self.selected_steps]}
        return entry


@dataclass(frozen=True)
class ExecutionStep:
    """One entry of ListPipelineExecutionSteps (``PipelineExecutionSteps``)."""

    name: str  # StepName
    type: str  # the definition's step Type
    status: str  # StepStatus: Starting | Executing | Stopping | Stopped | Failed | Succeeded
    started_at: str = ""
    ended_at: str = ""
    failure_reason: str = ""
    attempt: int = 1  # AttemptCount
    metadata: dict[str, Any] = field(default_factory=dict)  # SageMaker's Metadata: {"TrainingJob": {"Arn": …}}, …
    cache_hit_source: str = ""  # CacheHitResult.SourcePipelineExecutionArn; "" when not a cache hit
    cache_miss_reason: str = ""  # which part of the cache key changed (local engine only; "" when not cached)
    job_name: str = ""  # the job that ran the step, when a job did

    def as_api(self) -> dict[str, Any]:
        """The step as ListPipelineExecutionSteps returns it."""
        entry: dict[str, Any] = {"StepName": self.name, "StepStatus": self.status, "AttemptCount": self.attempt,
                                 "Metadata": self.metadata}
        if self.started_at:
            entry["StartTime"] = self.started_at
        if self.ended_at:
            entry["EndTime"] = self.ended_at
        if self.failure_reason:
            entry["FailureReason"] = self.failure_reason
        if self.cache_hit_source:
            entry["CacheHitResult"] = {"SourcePipelineExecutionArn": self.cache_hit_source}
        return entry


@dataclass(frozen=True)
class PipelineTemplate:
    """A ready-made definition shipped with the workbench (written with the sagemaker SDK in the repo)."""

    key: str  # review-sentiment | tabular-autopilot
    title: str
    description: str
    definition: dict[str, Any]


@dataclass(frozen=True)
class GraphNode:
    """A step as the DAG shows it: its status in the execution ("NotStarted" when it has not run)."""

    name: str
    type: str
    status: str = "NotStarted"
    branch: str = ""  # "" at the top level; "<condition> if" / "<condition> else" inside a Condition's branch
    cache_hit: bool = False


@dataclass(frozen=True)
class GraphEdge:
    source: str
    target: str
    label: str = ""  # "if" / "else" from a Condition to its branch steps


@dataclass(frozen=True)
class PipelineGraph:
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]


def pipeline_graph(definition: dict[str, Any], steps: list[ExecutionStep]) -> PipelineGraph:
    """The DAG of a definition with each step's status in one execution (``steps`` as listed so far): an edge
    per dependency (DependsOn and references), a labelled if/else edge from a Condition to its branch steps."""
    from services.pipelines.definition import all_steps
    from services.pipelines.graph import step_dependencies

    listed = {step.name: step for step in steps}
    entries = list(all_steps(definition))
    nodes = tuple(_graph_node(entry.name, entry.type, listed.get(entry.name),
                              f"{entry.condition} {entry.branch}" if entry.condition else "") for entry in entries)
    branch_of = {entry.name: (entry.condition, entry.branch) for entry in entries if entry.condition}
    edges = []
    for target, sources in step_dependencies(definition).items():
        for source in sorted(sources):
            condition, branch = branch_of.get(target, ("", ""))
            edges.append(GraphEdge(source, target, branch if source == condition else ""))
    return PipelineGraph(nodes, tuple(edges))


def _graph_node(name: str, step_type: str, step: ExecutionStep | None, branch: str) -> GraphNode:
    if step is None:
        return GraphNode(name, step_type, branch=branch)
    return GraphNode(name, step_type, step.status, branch, cache_hit=bool(step.cache_hit_source))
