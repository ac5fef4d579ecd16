"""The pipelines port: SageMaker Pipelines — a definition (SageMaker's JSON), executions, their steps.

The same definition runs on both backends: locally our own engine runs each step as a job of the one job
runner (``services/pipelines/engine.py``), on AWS SageMaker Pipelines runs it unchanged. Bad definitions
are refused at upsert with ``InvalidInput`` naming the step (unknown step type, image, or a reference to a
step or parameter that does not exist).
"""

from __future__ import annotations

from typing import Any, Protocol

from services.pipelines.models import ExecutionStep, Pipeline, PipelineExecution, PipelineTemplate


class PipelinesPort(Protocol):
    def upsert_pipeline(self, name: str, definition: str | dict[str, Any], description: str = "") -> Pipeline:
        """Create the pipeline or replace its definition (CreatePipeline / UpdatePipeline); ``InvalidInput``
        naming the step for a definition the backend cannot run."""
        ...

    def list_pipelines(self) -> list[Pipeline]:
        """Every pipeline, most recently modified first."""
        ...

    def describe_pipeline(self, name: str) -> Pipeline:
        """``NotFound`` for an unknown name."""
        ...

    def start_execution(self, name: str, parameters: dict[str, str] | None = None, display_name: str = "",
                        selected_steps: tuple[str, ...] = (), source_execution_arn: str = "") -> PipelineExecution:
        """StartPipelineExecution: parameters by name (strings, as the API takes them; checked against their
        types); ``selected_steps`` with ``source_execution_arn`` runs only those steps and reuses the source
        execution's outputs for the rest (SelectiveExecutionConfig)."""
        ...

    def describe_execution(self, arn: str) -> PipelineExecution:
        """``NotFound`` for an unknown ARN."""
        ...

    def list_executions(self, name: str, limit: int = 50) -> list[PipelineExecution]:
        """The pipeline's executions, newest first."""
        ...

    def list_steps(self, arn: str) -> list[ExecutionStep]:
        """ListPipelineExecutionSteps: the steps started so far, in the order they started."""
        ...

    def stop_execution(self, arn: str) -> PipelineExecution:
        """StopPipelineExecution: running steps are stopped, nothing new starts; a finished execution is
        returned unchanged."""
        ...

    def retry_execution(self, arn: str) -> PipelineExecution:
        """RetryPipelineExecution: a Failed or Stopped execution runs again from its failed steps, reusing what
        succeeded; ``InvalidInput`` for an execution that is running or succeeded."""
        ...

    def step_logs(self, arn: str, step_name: str, tail_bytes: int = 64_000) -> str:
        """The end of the step's log ("" when it has none yet)."""
        ...

    def wait_for_execution(self, arn: str, timeout_seconds: float = 3600) -> PipelineExecution:
        """Poll until the execution finishes or the timeout passes; return it (finished or not)."""
        ...

    def templates(self) -> list[PipelineTemplate]:
        """The ready-made definitions (review sentiment, tabular Autopilot)."""
        ...

    def install_template(self, key: str, name: str = "") -> Pipeline:
        """Upsert a ready-made pipeline (named after its key unless ``name`` is given), with the code objects its
        definition refers to put where the backend reads them; ``NotFound`` for an unknown key."""
        ...
