"""The local pipeline engine: one execution, driven from the metadata store, one step job at a time or many.

The orchestrator job (kind ``pipeline``, see ``pipeline_job.py``) calls ``Engine.run``, which loops over
``tick``: every tick reads the execution and its steps from the store, settles steps whose jobs ended,
starts the steps that are ready (up to ``max_parallel`` running at once, SageMaker's
``ParallelismConfiguration.MaxParallelExecutionSteps``) and ends the execution when nothing is left. All
state lives in the store, so a new orchestrator picks up an execution whose orchestrator died: running step
jobs are watched, not restarted.

Decisions SageMaker documents, kept here:

* A Condition step Succeeds with ``Metadata.Condition.Outcome`` "True"/"False"; the branch not taken is
  neither run nor listed (nor anything that waits on it).
* A Fail step ends the execution Failed with its ``ErrorMessage`` as FailureReason (step Metadata
  ``{"Fail": {"ErrorMessage": …}}``).
* A failed step fails the execution with "Step X failed: <reason>"; nothing new starts, running siblings
  finish.
* Stop: running step jobs are stopped through the runner; steps and execution go Stopping → Stopped.
* RetryPolicies: ``MaxAttempts`` retries after the first attempt, waiting ``IntervalSeconds *
  BackoffRate**(n-1)``, none once ``ExpireAfterMin`` minutes have passed since the first attempt. Local
  failures map to SageMaker's exception types so:
  - ``Step.SERVICE_FAULT``: the executor could not start the step because something it needs is not
    available (``BackendUnavailable``).
  - ``SageMaker.JOB_INTERNAL_ERROR``: the step's job failed without a ``ServiceError`` of its own (its
    process vanished, or an unexpected error — the job's result has no ``failure_type``, or ``InternalError``).
  - ``Step.THROTTLING``, ``SageMaker.CAPACITY_ERROR``, ``SageMaker.RESOURCE_LIMIT``: never raised locally —
    the runner queues heavy jobs for a free slot instead of refusing them.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from services.embedded.jobs import JobRunner
from services.embedded.metadata import utc_now
from services.errors import BackendUnavailable, InternalError, ServiceError
from services.models import Job
from services.pipelines import cache
from services.pipelines.definition import StepEntry, all_steps, cache_expiry, execution_parameters
from services.pipelines.expressions import Scope, as_text, evaluate_conditions, property_path, resolve
from services.pipelines.graph import downstream, step_dependencies, topological_order
from services.pipelines.models import PipelineExecution
from services.pipelines.steps.base import StepExecutor, StepOutcome, StepRun
from services.pipelines.store import PipelineStore, execution_id

POLL_SECONDS = 0.1  # a step job's end is noticed within this; a tick is a few SQLite reads
DEFAULT_MAX_PARALLEL = 50  # SageMaker's default MaxParallelExecutionSteps
ACTIVE = ("Starting", "Executing", "Stopping")
MAX_PROPERTY_FILE_BYTES = 10 * 1024 * 1024
SERVICE_FAULT = "Step.SERVICE_FAULT"
JOB_INTERNAL_ERROR = "SageMaker.JOB_INTERNAL_ERROR"


@dataclass
class Snapshot:
    """One tick's view of an execution."""

    execution: PipelineExecution
    entries: dict[str, StepEntry]
    dependencies: dict[str, set[str]]
    order: list[str]
    rows: dict[str, dict[str, Any]]
    source_rows: dict[str, dict[str, Any]]
    parameters: dict[str, Any]


class Engine:
    def __init__(self, store: PipelineStore, runner: JobRunner, executors: Mapping[str, StepExecutor], lake: Path,
                 folder: Path, *, pipeline_arn: str = "", max_parallel: int = DEFAULT_MAX_PARALLEL,
                 poll_seconds: float = POLL_SECONDS, log: Callable[[str], None] = lambda message: None,
                 owner: str = "") -> None:
        self.store = store
        self.runner = runner
        self.executors = executors
        self.lake = lake
        self.folder = folder  # <home>/pipelines: one sub-folder per execution
        self.pipeline_arn = pipeline_arn
        self.max_parallel = max(1, max_parallel)
        self.poll_seconds = poll_seconds
        self.log = log
        self.progressed = False  # set when a tick finished a step
        self.owner = owner  # the orchestrator job this engine runs in; "" in-process (tests, benchmarks)
        self._fixed: dict[str, tuple[dict[str, StepEntry], dict[str, set[str]], list[str], dict[str, dict[str, Any]],
                                     dict[str, Any]]] = {}

    def run(self, arn: str) -> str:
        """Drive the execution until it ends; its final status."""
        while not self.tick(arn):
            if not self.progressed:  # a step that finished at once frees the next one: no wait then
                time.sleep(self.poll_seconds)
        return self.store.execution(arn).status

    def tick(self, arn: str) -> bool:
        """One round of work; True once the execution has ended."""
        self.progressed = False
        if self.store.execution(arn).finished:
            return True
        if self.owner and self.store.orchestrator(arn) != self.owner:
            self.log(f"Another orchestrator ({self.store.orchestrator(arn)}) drives this execution now")
            return True
        self.runner.dispatch()
        snapshot = self.snapshot(arn)
        self._settle_running(snapshot)
        snapshot = self.snapshot(arn)
        if snapshot.execution.status == "Stopping":
            return self._stop(snapshot)
        if any(row["status"] == "Failed" for row in snapshot.rows.values()):
            return self._fail(snapshot)
        self._start_ready(snapshot)
        snapshot = self.snapshot(arn)
        return self._maybe_finished(snapshot)

    def snapshot(self, arn: str) -> Snapshot:
        execution = self.store.execution(arn)
        if arn not in self._fixed:  # what cannot change during a run is parsed once (definitions reach 1 MB)
            definition = self.store.execution_definition(arn)
            dependencies = step_dependencies(definition)
            source = self.store.step_rows(execution.source_execution_arn) if execution.source_execution_arn else {}
            self._fixed[arn] = ({e.name: e for e in all_steps(definition)}, dependencies, topological_order(dependencies),
                                source, execution_parameters(definition, execution.parameters))
        entries, dependencies, order, source, parameters = self._fixed[arn]
        return Snapshot(execution, entries, dependencies, order, self.store.step_rows(arn), source, parameters)

    # Which steps run

    def runnable(self, snapshot: Snapshot) -> list[str]:
        """Steps of this execution, in order: the selected ones, or every step not cut off by a Condition."""
        selected = snapshot.execution.selected_steps
        if selected:
            return [name for name in snapshot.order if name in selected]
        excluded = _untaken(snapshot)
        return [name for name in snapshot.order if name not in excluded]

    def ready(self, snapshot: Snapshot) -> list[str]:
        runnable = self.runnable(snapshot)
        done = {name for name, row in snapshot.rows.items() if row["status"] == "Succeeded"}
        done |= set(snapshot.order) - set(runnable) if snapshot.execution.selected_steps else set()
        return [name for name in runnable if name not in snapshot.rows and snapshot.dependencies[name] <= done]

    # Ticks

    def _start_ready(self, snapshot: Snapshot) -> None:
        active = [name for name, row in snapshot.rows.items() if row["status"] in ACTIVE]
        for name, row in snapshot.rows.items():
            if row["status"] == "Starting" and not row["job_name"] and row["retry_at"] <= utc_now():
                self._start(snapshot, name, row["attempt"], row["first_started"])
        for name in self.ready(snapshot)[: max(0, self.max_parallel - len(active))]:
            self._start(snapshot, name, 1, "")

    def _maybe_finished(self, snapshot: Snapshot) -> bool:
        if any(row["status"] in ACTIVE for row in snapshot.rows.values()) or self.ready(snapshot):
            return False
        if any(row["status"] == "Failed" for row in snapshot.rows.values()):
            return self._fail(snapshot)
        self.store.set_status_if(snapshot.execution.arn, "Succeeded", ("Executing",))
        self.log("Execution succeeded")
        return True

    def _fail(self, snapshot: Snapshot) -> bool:
        """A step failed: nothing new starts; once the running siblings end, the execution is Failed."""
        if any(row["status"] in ("Executing", "Stopping") for row in snapshot.rows.values()):
            return False
        failed = sorted((row for row in snapshot.rows.values() if row["status"] == "Failed"),
                        key=lambda row: row["ended_at"])[0]
        own_reason = failed["type"] == "Fail"  # a Fail step's ErrorMessage is the execution's reason as it is
        reason = failed["failure_reason"] if own_reason else f"Step {failed['name']} failed: {failed['failure_reason']}"
        for name, row in snapshot.rows.items():
            if row["status"] == "Starting":  # a retry waiting for its turn
                self.store.put_step(snapshot.execution.arn, name, status="Failed", ended_at=utc_now())
        self.store.set_status_if(snapshot.execution.arn, "Failed", ("Executing",), reason)
        self.log(f"Execution failed: {reason}")
        return True

    def _stop(self, snapshot: Snapshot) -> bool:
        arn = snapshot.execution.arn
        running = False
        for name, row in snapshot.rows.items():
            if row["status"] not in ACTIVE:
                continue
            job = self.runner.jobs.find(row["job_name"]) if row["job_name"] else None
            if job is not None and not job.finished:
                job = job if row["status"] == "Stopping" else self.runner.stop(job.name)
                if not job.finished:
                    running = True
                    self.store.put_step(arn, name, status="Stopping")
                    continue
            self.store.put_step(arn, name, status="Stopped", ended_at=utc_now(), failure_reason="Stopped on request.")
        if running:
            return False
        self.store.set_status_if(arn, "Stopped", ("Stopping",))
        self.log("Execution stopped")
        return True

    # One step

    def _start(self, snapshot: Snapshot, name: str, attempt: int, first_started: str) -> None:
        entry = snapshot.entries[name]
        arn = snapshot.execution.arn
        now = utc_now()
        self.store.put_step(arn, name, type=entry.type, status="Starting", attempt=attempt, started_at=now,
                            first_started=first_started or now, retry_at="", job_name="", failure_reason="")
        self.log(f"Step {name} ({entry.type}) attempt {attempt}")
        try:
            if entry.type == "Condition":
                self._condition(snapshot, entry)
            elif entry.type == "Fail":
                self._fail_step(snapshot, entry)
            else:
                self._start_job_step(snapshot, entry, attempt)
        except ServiceError as error:
            self._attempt_failed(snapshot, name, str(error), SERVICE_FAULT if isinstance(error, BackendUnavailable) else "")

    def _condition(self, snapshot: Snapshot, entry: StepEntry) -> None:
        conditions = (entry.step.get("Arguments") or {}).get("Conditions") or []
        outcome = evaluate_conditions(conditions, self.scope(snapshot))
        self._step_log(snapshot, entry.name, f"Condition evaluated to {outcome}: "
                       f"{'IfSteps' if outcome else 'ElseSteps'} run.")
        self.progressed = True
        self.store.put_step(snapshot.execution.arn, entry.name, status="Succeeded", ended_at=utc_now(),
                            metadata={"Condition": {"Outcome": "True" if outcome else "False"}})

    def _fail_step(self, snapshot: Snapshot, entry: StepEntry) -> None:
        message = as_text(resolve((entry.step.get("Arguments") or {}).get("ErrorMessage", ""), self.scope(snapshot)))
        self._step_log(snapshot, entry.name, f"Fail step reached: {message}")
        self.store.put_step(snapshot.execution.arn, entry.name, status="Failed", ended_at=utc_now(),
                            failure_reason=message[:1024], metadata={"Fail": {"ErrorMessage": message}})

    def _start_job_step(self, snapshot: Snapshot, entry: StepEntry, attempt: int) -> None:
        executor = self.executors.get(entry.type)
        if executor is None:
            raise InternalError(f"No executor runs {entry.type} steps here.", hint="Upsert refuses such steps.")
        arguments = resolve(entry.step.get("Arguments") or {}, self.scope(snapshot))
        if self._cached(snapshot, entry, arguments):
            return
        run = self.step_run(snapshot, entry, arguments, attempt)
        run.folder.mkdir(parents=True, exist_ok=True)
        self.store.put_step(snapshot.execution.arn, entry.name, job_name=run.job_name)
        job_name = executor.start(run)
        if job_name:
            self.store.put_step(snapshot.execution.arn, entry.name, status="Executing", job_name=job_name)
        else:
            self.store.put_step(snapshot.execution.arn, entry.name, job_name="")
            self._succeeded(snapshot.execution.arn, entry.name, executor.outcome(run))

    def _cached(self, snapshot: Snapshot, entry: StepEntry, arguments: dict[str, Any]) -> bool:
        expire_after = cache_expiry(entry.step, entry.name)
        if expire_after is None or not cache.cacheable(entry.type):
            return False
        arn = snapshot.execution.arn
        key = cache.cache_key(entry.type, arguments, self.lake)
        runs = self.store.cached_runs(snapshot.execution.pipeline_name, entry.name, arn)
        hit = cache.find_hit(key, runs, expire_after, datetime.now(UTC))
        if hit is None:
            previous = self.store.latest_run(snapshot.execution.pipeline_name, entry.name, arn)
            reason = cache.miss_reason(key, previous["cache_key"] if previous else None)
            self.store.put_step(arn, entry.name, cache_key=key, cache_miss_reason=reason)
            return False
        source = hit["cache_hit_source"] or hit["execution"]
        self._step_log(snapshot, entry.name, f"Cache hit: the step's result comes from {source}.")
        self.progressed = True
        self.store.put_step(arn, entry.name, status="Succeeded", ended_at=utc_now(), cache_key=key,
                            cache_hit_source=source, properties=hit["properties"], metadata=hit["metadata"],
                            job_name=hit["job_name"])
        return True

    def step_run(self, snapshot: Snapshot, entry: StepEntry, arguments: dict[str, Any], attempt: int) -> StepRun:
        arn = snapshot.execution.arn
        safe = _safe_name(entry.name)
        return StepRun(execution_arn=arn, execution_id=execution_id(arn), pipeline_name=snapshot.execution.pipeline_name,
                       step_name=entry.name, step_type=entry.type, arguments=arguments,
                       folder=self.folder / execution_id(arn) / safe / f"attempt-{attempt}",
                       job_name=f"{safe[:34]}-{execution_id(arn)}-{attempt}", attempt=attempt)

    def _settle_running(self, snapshot: Snapshot) -> None:
        for name, row in snapshot.rows.items():
            if row["status"] not in ACTIVE or not row["job_name"]:
                continue
            job = self.runner.jobs.find(row["job_name"])
            if job is None:  # the orchestrator died between recording the name and starting the job
                self.store.put_step(snapshot.execution.arn, name, job_name="")
            elif row["status"] == "Starting":
                self.store.put_step(snapshot.execution.arn, name, status="Executing")
            elif job.finished:
                self._settle(snapshot, name, row, job)

    def _settle(self, snapshot: Snapshot, name: str, row: dict[str, Any], job: Job) -> None:
        arn = snapshot.execution.arn
        if job.status == "Completed":
            entry = snapshot.entries[name]
            try:
                arguments = resolve(entry.step.get("Arguments") or {}, self.scope(snapshot))
                outcome = self.executors[entry.type].outcome(self.step_run(snapshot, entry, arguments, row["attempt"]))
            except ServiceError as error:
                self._attempt_failed(snapshot, name, str(error), "")
                return
            self._succeeded(arn, name, outcome)
        elif job.status == "Stopped" and snapshot.execution.status == "Stopping":
            self.store.put_step(arn, name, status="Stopped", ended_at=utc_now(), failure_reason=job.failure_reason)
        elif job.status == "Stopped":
            self._attempt_failed(snapshot, name, f"Its job {job.name} was stopped: {job.failure_reason}", "")
        else:
            self._attempt_failed(snapshot, name, job.failure_reason or "The step's job failed.", job_exception(job))

    def _succeeded(self, arn: str, name: str, outcome: StepOutcome) -> None:
        self.progressed = True
        self.store.put_step(arn, name, status="Succeeded", ended_at=utc_now(), properties=outcome.properties,
                            metadata=outcome.metadata)
        self.log(f"Step {name} succeeded")

    def _attempt_failed(self, snapshot: Snapshot, name: str, reason: str, exception_type: str) -> None:
        arn = snapshot.execution.arn
        row = self.store.step_rows(arn)[name]
        delay = retry_delay(snapshot.entries[name].step.get("RetryPolicies") or [], exception_type, row["attempt"],
                            row["first_started"], datetime.now(UTC))
        if delay is None or snapshot.execution.status != "Executing":
            self.store.put_step(arn, name, status="Failed", ended_at=utc_now(), failure_reason=reason[:1024])
            self.log(f"Step {name} failed: {reason}")
            return
        retry_at = (datetime.now(UTC) + timedelta(seconds=delay)).isoformat(timespec="milliseconds")
        self.store.put_step(arn, name, status="Starting", attempt=row["attempt"] + 1, retry_at=retry_at, job_name="",
                            failure_reason=reason[:1024])
        self.log(f"Step {name} attempt {row['attempt']} failed ({exception_type}); retrying in {delay:g} s")

    # Expressions

    def scope(self, snapshot: Snapshot) -> Scope:
        execution = snapshot.execution
        properties = {name: row["properties"] for name, row in snapshot.source_rows.items()
                      if row["status"] == "Succeeded" and name not in execution.selected_steps}
        properties |= {name: row["properties"] for name, row in snapshot.rows.items() if row["status"] == "Succeeded"}
        variables = {"PipelineExecutionId": execution_id(execution.arn), "PipelineExecutionArn": execution.arn,
                     "PipelineName": execution.pipeline_name, "StartDateTime": execution.created_at,
                     "CurrentDateTime": utc_now(), "PipelineArn": self.pipeline_arn}
        return Scope(snapshot.parameters, variables, properties,
                     lambda step, file_name: self.read_property_file(snapshot, properties, step, file_name))

    def read_property_file(self, snapshot: Snapshot, properties: dict[str, dict[str, Any]], step: str,
                           file_name: str) -> Any:
        """The JSON file a Processing step declared in PropertyFiles: its output's S3Uri in the lake + FilePath."""
        owner, declared = _declaration(snapshot.entries, step, file_name)
        if owner not in properties:
            raise ServiceError(f"Step {owner!r} has not succeeded, so its property file {file_name!r} cannot be read.")
        uri = property_path(properties[owner], f"ProcessingOutputConfig.Outputs['{declared['OutputName']}'].S3Output.S3Uri",
                            f"Steps.{owner}")
        path = cache.lake_path(self.lake, str(uri).rstrip("/") + "/" + declared["FilePath"].lstrip("/"))
        if not path.is_file():
            raise ServiceError(f"Property file {file_name!r} of step {owner!r} was not written ({uri}/{declared['FilePath']}).")
        if path.stat().st_size > MAX_PROPERTY_FILE_BYTES:
            raise ServiceError(f"Property file {file_name!r} is over {MAX_PROPERTY_FILE_BYTES // 2**20} MB.")
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ServiceError(f"Property file {file_name!r} of step {owner!r} is not JSON: {exc}") from exc

    def _step_log(self, snapshot: Snapshot, name: str, line: str) -> None:
        folder = self.folder / execution_id(snapshot.execution.arn) / _safe_name(name)
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "step.log").open("a", encoding="utf-8") as handle:
            handle.write(f"[{utc_now()[11:19]}] {line}\n")
        self.log(f"Step {name}: {line}")


def step_log_path(folder: Path, arn: str, name: str) -> Path:
    """Where the engine writes a Condition or Fail step's decision (and cache hits)."""
    return folder / execution_id(arn) / _safe_name(name) / "step.log"


def _declaration(entries: dict[str, StepEntry], step: str, file_name: str) -> tuple[str, dict[str, Any]]:
    for entry in entries.values():
        if step and entry.name != step:
            continue
        for item in entry.step.get("PropertyFiles") or []:
            if item.get("PropertyFileName") == file_name:
                return entry.name, item
    raise ServiceError(f"No step declares the property file {file_name!r}.")


def _untaken(snapshot: Snapshot) -> set[str]:
    """Steps in the branch a Condition did not take, and everything that waits on them."""
    skipped = set()
    for name, row in snapshot.rows.items():
        outcome = (row["metadata"].get("Condition") or {}).get("Outcome")
        if row["type"] == "Condition" and outcome in ("True", "False"):
            untaken = "else" if outcome == "True" else "if"
            skipped |= {e.name for e in snapshot.entries.values() if e.condition == name and e.branch == untaken}
    return skipped | downstream(snapshot.dependencies, skipped)


def _safe_name(step_name: str) -> str:
    """A step name as a job-name part: letters, digits and single hyphens, plus a short hash (A_b ≠ A-b)."""
    cleaned = re.sub(r"-+", "-", re.sub(r"[^A-Za-z0-9]", "-", step_name)).strip("-") or "step"
    return f"{cleaned[:28].strip('-')}-{hashlib.sha256(step_name.encode()).hexdigest()[:4]}"


def job_exception(job: Job) -> str:
    """The SageMaker exception type a failed step job stands for (see the module docstring)."""
    failure_type = str(job.result.get("failure_type", ""))
    return JOB_INTERNAL_ERROR if failure_type in ("", "InternalError") else ""


def retry_delay(policies: list[dict[str, Any]], exception_type: str, attempt: int, first_started: str,
                now: datetime) -> float | None:
    """Seconds until the next attempt under the first policy covering ``exception_type``; None: no retry."""
    for policy in policies:
        if not exception_type or exception_type not in policy.get("ExceptionType", []):
            continue
        if attempt > int(policy.get("MaxAttempts", 1)):
            return None
        expire_minutes = policy.get("ExpireAfterMin")
        if expire_minutes and first_started and now - datetime.fromisoformat(first_started) > timedelta(minutes=expire_minutes):
            return None
        return float(policy.get("IntervalSeconds", 1)) * float(policy.get("BackoffRate", 2.0)) ** (attempt - 1)
    return None
