"""Training on this machine: every job is a worker process (services/embedded/job_worker.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from services.catalog.base import CatalogPort
from services.config import Settings
from services.debugger.rules import check_config as check_debugger
from services.embedded.embedded_stack import EmbeddedStack
from services.errors import InvalidInput, NotFound
from services.models import (
    AutopilotRequest,
    Candidate,
    ModelRecord,
    ScriptJobRequest,
    TrainingRequest,
    TuningRequest,
)
from services.names import check_job_request
from services.training.autopilot.notebooks import bundle_bytes, notebook_bundle
from services.training.autopilot.objectives import check_objective
from services.training.base import TrainingPort
from services.training.data import require_column, resolve_source
from services.training.tuning_job import validate_ranges, validate_script_objective, validate_tuning_settings

ALGORITHMS = ("xgboost", "linear-learner", "text-tfidf", "text-minilm")
AUTOPILOT_MODES = ("AUTO", "ENSEMBLING", "HYPERPARAMETER_TUNING")
PROBLEM_TYPES = ("", "BinaryClassification", "MulticlassClassification", "Regression")


class LocalTraining:
    """The training port on the local stack: jobs on the stack's runner, models in its registry; the catalog
    only to check a source table and pin its version before a job starts."""

    def __init__(self, stack: EmbeddedStack, catalog: CatalogPort,
                 on_approved: Callable[[ModelRecord], object] | None = None) -> None:
        self.on_approved = on_approved  # called with the record after an approval change (deploy on approval)
        self.settings: Settings = stack.settings
        self.catalog = catalog
        self.runner = stack.runner
        self.registry = stack.models

    # -- starting jobs ------------------------------------------------------------------------

    def start_training_job(self, request: TrainingRequest) -> str:
        check_job_request("training", request.name, request.experiment)
        if request.algorithm not in ALGORITHMS:
            raise InvalidInput(f"Unknown algorithm {request.algorithm!r}.", hint=f"Use one of {', '.join(ALGORITHMS)}.")
        from services.training.algorithms.common import validate_hyperparameters  # here: scikit-learn, ~1 s to import

        validate_hyperparameters(request.algorithm, request.hyperparameters)
        check_debugger(request.debugger)
        source, columns = resolve_source(self.catalog, self.settings, request.source)
        require_column(columns, request.target, "target")
        if request.text_column:
            require_column(columns, request.text_column, "text")
        config = asdict(replace(request, source=source))
        return self._submit("training", config, request.name)

    def start_autopilot_job(self, request: AutopilotRequest) -> str:
        check_job_request("autopilot", request.name, request.experiment)
        if request.mode not in AUTOPILOT_MODES:
            raise InvalidInput(f"Unknown mode {request.mode!r}.", hint=f"Use one of {', '.join(AUTOPILOT_MODES)}.")
        if request.problem_type not in PROBLEM_TYPES:
            raise InvalidInput(f"Unknown problem type {request.problem_type!r}.", hint=f"Use one of {', '.join(PROBLEM_TYPES[1:])}.")
        if request.max_runtime_seconds < 30 or request.max_candidates < 1:
            raise InvalidInput("The time limit must be at least 30 s and at least one candidate allowed.",
                               hint="For example --max-runtime 120 --max-candidates 5.")
        check_objective(request.objective, request.problem_type)
        check_debugger(request.debugger)
        source, columns = resolve_source(self.catalog, self.settings, request.source)
        require_column(columns, request.target, "target")
        return self._submit("autopilot", asdict(replace(request, source=source)), request.name)

    def start_script_job(self, request: ScriptJobRequest) -> str:
        check_job_request("script", request.name, request.experiment, request.channels)
        check_debugger(request.debugger)
        source_dir = Path(request.source_dir).expanduser().resolve()
        if not (source_dir / request.entry_point).is_file():
            raise NotFound(f"{request.entry_point} is not in {source_dir}.", hint="Point --source-dir at the folder holding the script.")
        for channel, path in request.channels.items():
            if not Path(path).expanduser().exists():
                raise NotFound(f"Channel {channel!r}: {path} does not exist.", hint="Give NAME=PATH with an existing file or folder.")
        config = asdict(replace(request, source_dir=str(source_dir),
                                channels={k: str(Path(v).expanduser().resolve()) for k, v in request.channels.items()}))
        return self._submit("script", config, request.name)

    def start_tuning_job(self, request: TuningRequest) -> str:
        check_job_request("tuning", request.name, request.base.experiment)
        if not request.ranges:
            raise InvalidInput("A tuning job needs at least one hyperparameter range.", hint="e.g. max_depth integer 3..8.")
        validate_ranges(request.ranges)
        check_debugger(request.base.debugger)
        validate_tuning_settings(request.objective_metric, request.objective_type, request.strategy,
                                 request.max_jobs, request.max_parallel_jobs)
        if isinstance(request.base, ScriptJobRequest):
            validate_script_objective(request.base.metric_definitions, request.objective_metric)
        base: dict[str, Any] = {"kind": "script" if isinstance(request.base, ScriptJobRequest) else "training",
                                **asdict(request.base)}
        if isinstance(request.base, TrainingRequest):
            source, columns = resolve_source(self.catalog, self.settings, request.base.source)
            require_column(columns, request.base.target, "target")
            base["source"] = asdict(source)
        config = {**asdict(request), "base": base}
        return self._submit("tuning", config, request.name)

    def _submit(self, kind: str, config: dict[str, Any], name: str) -> str:
        return self.runner.submit(kind, config, name).name

    # -- results of jobs (watching them: services.jobs) ----------------------------------------

    def list_candidates(self, job_name: str) -> list[Candidate]:
        job = self.runner.jobs.get(job_name)
        if job.kind != "autopilot":
            raise InvalidInput(f"{job_name} is a {job.kind} job, not an Autopilot job.", hint="Pick an Autopilot job.")
        return [Candidate(**c) for c in job.result.get("candidates", [])]

    def autopilot_notebooks(self, job_name: str) -> bytes:
        job = self.runner.jobs.get(job_name)
        notebooks = job.result.get("notebooks") or {}
        if job.kind != "autopilot" or job.status != "Completed" or not notebooks:
            raise InvalidInput(f"{job_name} has no notebooks: a completed Autopilot job writes them.",
                               hint="Pick a completed Autopilot job.")
        return bundle_bytes(notebook_bundle(self.runner.job_dir(job_name), notebooks))

    def job_insights(self, name: str) -> dict[str, Any]:
        reports = self.runner.jobs.get(name).result.get("insights") or {}
        loaded: dict[str, Any] = {}
        for report, path in reports.items():
            file = Path(str(path))
            if file.is_file():
                loaded[report] = json.loads(file.read_text())
        return loaded

    # -- model registry -----------------------------------------------------------------------

    def list_models(self) -> list[ModelRecord]:
        return self.registry.all()

    def get_model(self, model_id: str) -> ModelRecord:
        return self.registry.get(model_id)

    def set_model_approval(self, model_id: str, status: str) -> ModelRecord:
        record = self.registry.set_approval(model_id, status)
        if self.on_approved is not None:
            self.on_approved(record)
        return record


def build_local_training(stack: EmbeddedStack, *, catalog: CatalogPort,
                         on_approved: Callable[[ModelRecord], object] | None = None) -> TrainingPort:
    """The local adapter; ``on_approved`` runs after every approval change (the registry deploys approved versions)."""
    return LocalTraining(stack, catalog, on_approved)
