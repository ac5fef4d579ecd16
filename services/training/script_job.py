"""A script-mode job: the user's script as its own process under the SageMaker training contract.

The worker prepares the ``/opt/ml``-style folder (``script_mode.prepare_layout``), starts the script
in it, streams its output line by line into the job log, turns lines matching a metric definition
into metric points (live curve + MLflow step-wise), and registers the model when the script wrote
one. Exit code 0 is Completed; anything else is Failed with SageMaker's failure reason.

Stop: the job runner signals the worker's whole process group, so SIGTERM reaches the script too
(it runs in the worker's group); the worker then makes sure the script is gone before it records Stopped.
"""

from __future__ import annotations

import subprocess
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Protocol

from services.embedded.embedded_stack import EmbeddedStack
from services.embedded.job_worker import JobContext
from services.embedded.model_registry import ModelRegistry
from services.errors import NotFound
from services.models import Column, ModelRecord, ScriptJobRequest
from services.runs.tracking import configure, job_run, job_tags
from services.training import script_mode
from services.training.script_mode import MlLayout, ScriptFailed

TAIL_LINES = 40
STOP_GRACE_SECONDS = 5


class ScriptSink(Protocol):
    """Where a running script's output goes."""

    def log(self, message: str) -> None: ...

    def metric(self, name: str, value: float, step: int) -> None: ...


@dataclass(frozen=True)
class ScriptOutcome:
    """How a script run ended: its folder, exit code, the last value of every metric and its log's tail."""

    layout: MlLayout
    exit_code: int
    metrics: dict[str, float]
    log_tail: str

    @property
    def succeeded(self) -> bool:
        """Exit code 0, SageMaker's only success."""
        return self.exit_code == 0

    def failure_reason(self) -> str:
        """The first 1,024 characters of ``output/failure``, else the log's tail."""
        return script_mode.failure_reason(self.layout, self.exit_code, self.log_tail)


class JobSink:
    """A script job's output: lines into the job log, metric points onto the live curve and into MLflow."""

    def __init__(self, ctx: JobContext, mlflow: Any) -> None:
        self.ctx = ctx
        self.mlflow = mlflow

    def log(self, message: str) -> None:
        self.ctx.log(message)

    def metric(self, name: str, value: float, step: int) -> None:
        self.ctx.metric(name, value, step)
        self.mlflow.log_metric(name, value, step=step)


def request_from_config(config: dict[str, Any]) -> ScriptJobRequest:
    """The request a job was started with (its stored config)."""
    names = {f.name for f in fields(ScriptJobRequest)}
    return ScriptJobRequest(**{k: v for k, v in config.items() if k in names})


def run(ctx: JobContext) -> None:
    """Run the script job described by ``ctx.config`` (a ``ScriptJobRequest``)."""
    request = request_from_config(ctx.config)
    script_mode.compile_metric_definitions(request.metric_definitions)
    tags = job_tags(ctx.name, "script", request.entry_point, "", source_dir=request.source_dir)
    with job_run(ctx.settings, request.experiment, ctx.name, tags) as mlflow_run:
        mlflow = configure(ctx.settings)
        if request.hyperparameters:
            mlflow.log_params(request.hyperparameters)
        outcome = run_script(request, ctx.job_dir / "ml", ctx.name, JobSink(ctx, mlflow), ctx.secondary)
        model_id = ""
        if outcome.succeeded and script_mode.model_written(outcome.layout):
            ctx.secondary("Uploading", "Packaging and registering the model")
            draft = model_draft(f"script-{Path(request.entry_point).stem}", mlflow_run.info.run_id, ctx.name)
            model_id = register_script_model(script_registry(ctx), outcome, draft, ctx.log)
        ctx.finish_with(model_id=model_id, run_id=mlflow_run.info.run_id, metrics=outcome.metrics,
                        result=outcome_result(outcome))
        if not outcome.succeeded:
            raise ScriptFailed(outcome.failure_reason())


def outcome_result(outcome: ScriptOutcome) -> dict[str, Any]:
    """What the page and the CLI show about a finished script run."""
    archive = outcome.layout.output_dir / "model.tar.gz"
    return {"exit_code": outcome.exit_code, "model_dir": str(outcome.layout.model_dir),
            "output_dir": str(outcome.layout.output_dir), "code_dir": str(outcome.layout.code_dir),
            "model_artifact": str(archive) if archive.exists() else ""}


def run_script(request: ScriptJobRequest, root: Path, job_name: str, sink: ScriptSink,
               secondary: Callable[[str, str], None] | None = None) -> ScriptOutcome:
    """Lay out ``root`` like ``/opt/ml``, run the entry point there and wait for it to end."""
    source_dir = Path(request.source_dir)
    if not (source_dir / request.entry_point).is_file():
        raise NotFound(f"{request.entry_point} is not in {source_dir}.", hint="Point the job at the folder holding the script.")
    patterns = script_mode.compile_metric_definitions(request.metric_definitions)
    _announce(secondary, "Downloading", "Copying the code and the channels into the job folder")
    layout = script_mode.prepare_layout(root, source_dir, request.channels, request.hyperparameters)
    env = script_mode.training_env(layout, job_name, request.entry_point, request.channels, request.hyperparameters)
    command = script_mode.script_command(request.entry_point, request.hyperparameters)
    _announce(secondary, "Training", " ".join(command[1:]))
    process = subprocess.Popen(
        command, cwd=layout.code_dir, env=script_mode.process_environment(layout, env, request.hyperparameters),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, encoding="utf-8", errors="replace", bufsize=1,
    )
    try:
        metrics, tail = stream_output(process.stdout or [], patterns, sink)
        exit_code = process.wait()
    finally:
        end_process(process)
    return ScriptOutcome(layout, exit_code, metrics, tail)


def _announce(secondary: Callable[[str, str], None] | None, status: str, message: str) -> None:
    if secondary is not None:
        secondary(status, message)


def stream_output(lines: Iterable[str], patterns: dict[str, Any], sink: ScriptSink) -> tuple[dict[str, float], str]:
    """Send every line to the sink, and every metric match as a point; return the last values and the tail."""
    last: dict[str, float] = {}
    steps: dict[str, int] = {}
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    for raw in lines:
        line = raw.rstrip("\r\n")
        sink.log(line)
        tail.append(line)
        for name, value in script_mode.parse_metrics(patterns, line):
            sink.metric(name, value, steps.get(name, 0))
            steps[name] = steps.get(name, 0) + 1
            last[name] = value
    return last, "\n".join(tail)


def end_process(process: subprocess.Popen[str]) -> None:
    """Make sure the script is gone (it normally is; on Stop it may still be exiting)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


def script_registry(ctx: JobContext) -> ModelRegistry:
    """The workspace's model registry, from inside a job."""
    return EmbeddedStack.open(ctx.settings).models


def register_script_model(registry: ModelRegistry, outcome: ScriptOutcome, draft: ModelRecord,
                          log: Callable[[str], None]) -> str:
    """Tar the model dir like SageMaker, register the folder (framework "script") and return its model id.

    ``draft`` names the model and its run and job; what the model predicts is read from the model dir.
    """
    script_mode.package_model(outcome.layout)
    found = script_mode.inspect_script_model(outcome.layout.model_dir, log)
    schema = tuple(Column(f, "string" if f in found.text_features else "double") for f in found.features)
    draft = replace(draft, framework="script", problem_type=found.problem_type, classes=found.classes,
                    input_schema=schema, metrics=dict(outcome.metrics))
    record = registry.register(draft, outcome.layout.model_dir)
    if found.manifest is not None:
        script_mode.write_manifest(Path(record.artifact_path), found.manifest)
    log(f"Registered model {record.model_id}")
    return record.model_id


def model_draft(name: str, run_id: str, job_name: str) -> ModelRecord:
    """A registry entry to fill in: only its name and where it came from."""
    return ModelRecord(model_id="", name=name, version=0, framework="script", problem_type="", target="",
                       input_schema=(), classes=(), metrics={}, run_id=run_id, job_name=job_name, artifact_path="")
