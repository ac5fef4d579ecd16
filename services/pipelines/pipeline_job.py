"""The orchestrator of one pipeline execution: a light job (kind ``pipeline``) of the runner.

Its config names the execution (``execution_arn``), the executors factory (``executors``: a
``"module:function"`` taking the ``EmbeddedStack`` and returning ``{step type: StepExecutor}``) and the
parallelism limit. Stopping the orchestrator job (a Stop on the Jobs page, its maximum runtime) stops the
execution: it is marked Stopping and its running step jobs are asked to stop; the next describe starts an
orchestrator that sees them end and records Stopped.
A bug in the engine fails the execution with the reason rather than leaving it Executing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from services.embedded.embedded_stack import EmbeddedStack
from services.embedded.job_worker import JobContext, JobStopped
from services.pipelines.engine import DEFAULT_MAX_PARALLEL, Engine
from services.pipelines.steps.base import StepExecutor
from services.pipelines.store import PipelineStore

ExecutorsFactory = Callable[[EmbeddedStack], Mapping[str, StepExecutor]]


def load_factory(path: str) -> ExecutorsFactory:
    """``"module:function"`` → the function (the factory the app was built with)."""
    module_name, _, function_name = path.partition(":")
    factory: ExecutorsFactory = getattr(importlib.import_module(module_name), function_name)
    return factory


def build_engine(stack: EmbeddedStack, config: dict[str, Any], log: Callable[[str], None], owner: str = "") -> Engine:
    store = PipelineStore(stack.store)
    execution = store.execution(config["execution_arn"])
    pipeline = store.find_pipeline(execution.pipeline_name)
    return Engine(store, stack.runner, load_factory(config["executors"])(stack), stack.workspace.lake,
                  stack.settings.home / "pipelines", pipeline_arn=pipeline.arn if pipeline else "",
                  max_parallel=int(config.get("max_parallel_steps", DEFAULT_MAX_PARALLEL)), log=log, owner=owner)


def run(ctx: JobContext) -> None:
    stack = EmbeddedStack.open(ctx.settings)
    arn = ctx.config["execution_arn"]
    try:
        engine = build_engine(stack, ctx.config, ctx.log, owner=ctx.name)
    except Exception as error:  # e.g. the executors cannot be built: failing beats a new orchestrator per describe
        PipelineStore(stack.store).set_status_if(arn, "Failed", ("Executing", "Stopping"),
                                                 f"The pipeline engine could not start: {type(error).__name__}: {error}")
        raise
    try:
        status = engine.run(arn)
    except Exception as error:
        if stop_requested(error):
            stop_execution(engine, arn, ctx)
        else:
            engine.store.set_status_if(arn, "Failed", ("Executing", "Stopping"),
                                       f"The pipeline engine failed: {type(error).__name__}: {error}")
        raise
    ctx.log(f"Execution {arn} ended {status}")
    ctx.finish_with(result={"execution_arn": arn, "status": status})


def stop_requested(error: Exception) -> bool:
    """The worker's SIGTERM handler raised ``JobStopped``. The worker runs as ``__main__``, so its class is
    ``__main__.JobStopped``, not the one this module imports: compare the names."""
    return isinstance(error, JobStopped) or type(error).__name__ == JobStopped.__name__


def stop_execution(engine: Engine, arn: str, ctx: JobContext) -> None:
    if engine.store.orchestrator(arn) == ctx.name:
        engine.store.set_status_if(arn, "Stopping", ("Executing",))
        engine.tick(arn)  # asks the running step jobs to stop; the next describe finishes the stop
    ctx.log("The orchestrator was stopped: the execution stops")
