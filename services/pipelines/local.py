"""The pipelines port on this machine: SageMaker's definition JSON run by our own engine over the job runner.

Each execution is orchestrated by a light job of the runner (kind ``pipeline``, ``pipeline_job.py``); its
steps are jobs of their own. ``s3://BUCKET/KEY`` in a definition means ``WORKBENCH_HOME/lake/BUCKET/KEY``.
When an orchestrator dies while its execution is Executing or Stopping (a killed app, a machine restart),
the next ``describe_execution``/``list_executions`` (and the app's start, through ``resume_executions``)
starts a new orchestrator that carries on from the store; running step jobs are watched, not restarted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any

from services.config import Settings
from services.embedded.embedded_stack import EmbeddedStack
from services.embedded.jobs import MAX_RUNTIME_LIMIT, RUNTIME_KEY
from services.errors import InvalidInput, NotFound
from services.names import check_name
from services.pipelines.base import PipelinesPort
from services.pipelines.definition import check_selection, execution_parameters, parameter_text, parse_definition, validate_definition
from services.pipelines.engine import DEFAULT_MAX_PARALLEL, step_log_path
from services.pipelines.graph import step_dependencies
from services.pipelines.models import ExecutionStep, Pipeline, PipelineExecution, PipelineTemplate
from services.pipelines.pipeline_job import load_factory
from services.pipelines.steps.base import StepExecutor
from services.pipelines.store import PipelineStore, execution_id, new_execution_arn, pipeline_arn

POLL_SECONDS = 0.5


class LocalPipelines:
    def __init__(self, stack: EmbeddedStack, executors_factory: str, settings: Settings | None = None, *,
                 executors: Callable[[], Mapping[str, StepExecutor]] | None = None,
                 max_parallel_steps: int = DEFAULT_MAX_PARALLEL,
                 table_location: Callable[[str, str], str] | None = None) -> None:
        """``executors_factory`` is ``"module:function"`` (``function(stack) -> {type: StepExecutor}``), built
        again in each orchestrator process; ``executors`` gives this process's own (for checks at upsert);
        ``table_location(database, table)`` the catalog's current Location of a table (template inputs)."""
        self.stack = stack
        self.settings = settings or stack.settings
        self.store = PipelineStore(stack.store)
        self.executors_factory = executors_factory
        self._make_executors = executors or (lambda: load_factory(executors_factory)(stack))
        self.max_parallel_steps = max_parallel_steps
        self.table_location = table_location

    @cached_property
    def executors(self) -> Mapping[str, StepExecutor]:
        return self._make_executors()

    # Pipelines

    def upsert_pipeline(self, name: str, definition: str | dict[str, Any], description: str = "") -> Pipeline:
        check_name("pipeline", name)
        parsed = parse_definition(definition)
        validate_definition(parsed, self.executors)
        return self.store.save_pipeline(name, pipeline_arn(self.settings.aws_region or "", name), parsed, description)

    def list_pipelines(self) -> list[Pipeline]:
        return self.store.pipelines()

    def describe_pipeline(self, name: str) -> Pipeline:
        return self.store.pipeline(name)

    # Executions

    def start_execution(self, name: str, parameters: dict[str, str] | None = None, display_name: str = "",
                        selected_steps: tuple[str, ...] = (), source_execution_arn: str = "") -> PipelineExecution:
        pipeline = self.store.pipeline(name)
        values = execution_parameters(pipeline.definition, parameters)
        if display_name:
            check_name("pipeline-execution", display_name)
        self._check_selection(pipeline, tuple(selected_steps), source_execution_arn)
        arn = new_execution_arn(pipeline.arn)
        self.store.create_execution(arn, name, pipeline.definition, {k: parameter_text(v) for k, v in values.items()},
                                    display_name, tuple(selected_steps), source_execution_arn)
        self._launch(arn, "")
        return self.store.execution(arn)

    def _check_selection(self, pipeline: Pipeline, selected: tuple[str, ...], source_arn: str) -> None:
        """SelectiveExecutionConfig: known steps, a source execution of this pipeline, and every step the
        selected ones need that is not selected itself must have succeeded in the source."""
        if not check_selection(pipeline, selected, source_arn):
            return
        source = self.store.execution(source_arn)
        if source.pipeline_name != pipeline.name:
            raise InvalidInput(f"Execution {source_arn} belongs to pipeline {source.pipeline_name!r}.",
                               hint="Reuse an execution of the same pipeline.")
        succeeded = {step.name for step in self.store.steps(source_arn) if step.status == "Succeeded"}
        dependencies = step_dependencies(pipeline.definition)
        missing = sorted({need for step in selected for need in dependencies.get(step, set())} - set(selected) - succeeded)
        if missing:
            raise InvalidInput(f"Step(s) {', '.join(missing)} did not succeed in the source execution, and the selected "
                               "steps need their outputs.", hint="Select those steps too, or pick another source execution.")

    def describe_execution(self, arn: str) -> PipelineExecution:
        self.store.execution(arn)
        self.resume_executions()
        return self.store.execution(arn)

    def list_executions(self, name: str, limit: int = 50) -> list[PipelineExecution]:
        self.store.pipeline(name)
        if limit < 1:
            raise InvalidInput(f"limit must be at least 1, got {limit}.", hint="Ask for 50, say.")
        self.resume_executions()
        return self.store.executions(name, limit)

    def list_steps(self, arn: str) -> list[ExecutionStep]:
        self.store.execution(arn)
        return self.store.steps(arn)

    def stop_execution(self, arn: str) -> PipelineExecution:
        execution = self.store.execution(arn)
        if execution.finished:
            return execution
        self.store.set_status_if(arn, "Stopping", ("Executing",))
        self.resume_executions()
        return self.store.execution(arn)

    def retry_execution(self, arn: str) -> PipelineExecution:
        execution = self.store.execution(arn)
        if execution.status not in ("Failed", "Stopped"):
            raise InvalidInput(f"Execution {execution_id(arn)} is {execution.status}; only a Failed or Stopped "
                               "execution can be retried.", hint="Wait for it to end, or stop it first.")
        rows = self.store.step_rows(arn)
        self.store.delete_steps(arn, [name for name, row in rows.items() if row["status"] != "Succeeded"])
        previous = self.store.orchestrator(arn)
        self.store.update_execution(arn, status="Executing", failure_reason="")
        self._launch(arn, previous)
        return self.store.execution(arn)

    def step_logs(self, arn: str, step_name: str, tail_bytes: int = 64_000) -> str:
        self.store.execution(arn)
        row = self.store.step_rows(arn).get(step_name)
        if row is None:
            raise NotFound(f"Step {step_name!r} has not run in execution {execution_id(arn)}.",
                           hint="Pick a step from the execution's step list.")
        parts = []
        decision = step_log_path(self.settings.home / "pipelines", arn, step_name)
        if decision.exists():
            parts.append(decision.read_text(encoding="utf-8", errors="replace")[-tail_bytes:])
        if row["job_name"] and self.stack.runner.jobs.find(row["job_name"]) is not None:
            parts.append(self.stack.runner.logs(row["job_name"], tail_bytes))
        return "\n".join(part for part in parts if part)

    def wait_for_execution(self, arn: str, timeout_seconds: float = 3600) -> PipelineExecution:
        deadline = time.monotonic() + timeout_seconds
        execution = self.describe_execution(arn)
        while not execution.finished and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            execution = self.describe_execution(arn)
        return execution

    # Templates

    def templates(self) -> list[PipelineTemplate]:
        from services.pipelines.templates import load_templates

        return load_templates()

    def install_template(self, key: str, name: str = "") -> Pipeline:
        template = next((t for t in self.templates() if t.key == key), None)
        if template is None:
            raise NotFound(f"No ready-made pipeline {key!r}.", hint="Pick one of the templates listed.")
        from services.pipelines.templates import install_template_objects

        install_template_objects(key, self.stack.workspace.lake)
        return self.upsert_pipeline(name or key, self._input_defaults(key, template.definition), template.description)

    def _input_defaults(self, key: str, definition: dict[str, Any]) -> dict[str, Any]:
        """A template's input parameters default to their catalog table's current Location (an import moves a
        table's files to a new version folder; the whole table prefix would read every version)."""
        from services.pipelines.templates import INPUT_TABLES, with_parameter_defaults

        if self.table_location is None:
            return definition
        defaults = {}
        for parameter, (database, table) in INPUT_TABLES.get(key, {}).items():
            try:
                defaults[parameter] = self.table_location(database, table)
            except NotFound:
                continue  # no such table here: the template's own default stays
        return dict(with_parameter_defaults(definition, defaults))

    # Orchestrators

    def resume_executions(self) -> list[str]:
        """Start a new orchestrator for every unfinished execution whose orchestrator job is gone; their ARNs."""
        self.stack.runner.dispatch()
        resumed = []
        for arn, job_name in self.store.unfinished_executions():
            job = self.stack.runner.jobs.find(job_name) if job_name else None
            if (job is None or job.finished) and self._launch(arn, job_name):
                resumed.append(arn)
        return resumed

    def _launch(self, arn: str, previous: str) -> bool:
        """Start an orchestrator job for the execution unless another process just did. Between the claim and
        the submit another process may see no job and claim again: the orchestrator that is no longer the
        execution's own stops driving it (``Engine.owner``)."""
        count = len(self.stack.runner.jobs.recent("pipeline", 1000, name_contains=execution_id(arn)))
        job_name = f"pipeline-{execution_id(arn)}-{count + 1}"
        if not self.store.claim_orchestrator(arn, previous, job_name):
            return False
        # An execution outlives any one step: its orchestrator may run SageMaker's longest job time (28 days),
        # not WORKBENCH_JOB_MAX_RUNTIME_SECONDS; each step's job keeps its own limit.
        config = {"execution_arn": arn, "executors": self.executors_factory,
                  "max_parallel_steps": self.max_parallel_steps, RUNTIME_KEY: MAX_RUNTIME_LIMIT}
        self.stack.runner.submit("pipeline", config, name=job_name, heavy=False)
        return True


def build_local_pipelines(stack: EmbeddedStack, executors_factory: str, settings: Settings | None = None, *,
                          executors: Callable[[], Mapping[str, StepExecutor]] | None = None,
                          max_parallel_steps: int = DEFAULT_MAX_PARALLEL,
                          table_location: Callable[[str, str], str] | None = None) -> PipelinesPort:
    return LocalPipelines(stack, executors_factory, settings, executors=executors, max_parallel_steps=max_parallel_steps,
                          table_location=table_location)
