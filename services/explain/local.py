"""The explain port on this machine: SHAP jobs as worker processes, word attributions and Quick Model in process.

SHAP jobs share the training jobs' metadata store and queue (kind "explain"), so the jobs page lists
them and the heavy-job limit covers them. A job is cached per model, data version and settings: the
table's catalog version, a file's names, sizes and modification times, or for SQL the query text plus
the versions of the tables it reads. ``start_job`` hands back the completed job when all of them match.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pandas as pd

from services.catalog.base import CatalogPort
from services.embedded.embedded_stack import EmbeddedStack
from services.errors import InvalidInput, NotFound
from services.explain.base import (
    AGGREGATIONS,
    ExplainPlan,
    ExplainPort,
    ExplainRequest,
    Explanation,
    QuickModelResult,
    TokenAttribution,
)
from services.explain.choice import local_plan
from services.models import DataSource, Job, ModelRecord
from services.query.base import QueryPort
from services.storage.base import StoragePort
from services.training.algorithms.base import Predictor, load_in_app_process
from services.training.data import require_column, resolve_source, split_table_name

KIND = "explain"
MAX_ROWS = 100_000
MAX_BACKGROUND_ROWS = 1_000
LOADED_MODELS = 2  # predictors kept in memory for word attributions (MiniLM takes seconds to load)


class LocalExplain:
    """The explain port on the local stack."""

    def __init__(self, stack: EmbeddedStack, query: QueryPort, catalog: CatalogPort, storage: StoragePort) -> None:
        self.settings = stack.settings
        self.runner = stack.runner
        self.registry = stack.models
        self.query = query
        self.catalog = catalog
        self.storage = storage
        self._loaded: OrderedDict[str, tuple[ModelRecord, Predictor]] = OrderedDict()

    # -- SHAP jobs ---------------------------------------------------------------------------------

    def start_job(self, request: ExplainRequest) -> str:
        check_request(request)
        record = self.registry.get(request.model_id)
        check_class(record, request.explained_class)
        source, version = self._data_version(request, record)
        config: dict[str, Any] = {
            "model_id": record.model_id, "source": {"table": source.table, "path": source.path,
                                                    "table_version": source.table_version},
            "sql": request.sql.strip(), "rows": request.rows, "background_rows": request.background_rows,
            "aggregation": request.aggregation, "seed": request.seed, "explained_class": request.explained_class,
            "data_version": version,
        }
        config["cache_key"] = cache_key(config, record)
        cached = self._completed_job(config["cache_key"])
        return cached or self.runner.submit(KIND, config, "").name

    def _data_version(self, request: ExplainRequest, record: ModelRecord) -> tuple[DataSource, str]:
        """The source with its version pinned, and a string naming that version."""
        if request.sql.strip():
            return DataSource(), self._sql_version(request.sql.strip())
        source, columns = resolve_source(self.catalog, self.settings, request.source)
        for column in record.input_schema:
            require_column(columns, column.name, f"model {record.model_id}'s input")
        return source, source.table_version if source.table else file_version(Path(source.path))

    def _sql_version(self, sql: str) -> str:
        """The SQL text plus the versions of the tables it reads (planning raises for bad SQL)."""
        tables = self.query.estimate(sql).tables
        versions = [f"{name}@{self.catalog.get_table(*split_table_name(name)).version_id}" for name in sorted(tables)]
        return "sql-" + _digest("\n".join([sql, *versions]))

    def _completed_job(self, key: str) -> str | None:
        for job in self.runner.jobs.recent(KIND, 1000):
            folder = self.runner.job_dir(job.name)
            if job.status == "Completed" and job.config.get("cache_key") == key and (folder / "explanation.json").is_file():
                return job.name
        return None

    def plan(self, model: ModelRecord) -> ExplainPlan:
        return local_plan(model)

    def explanation(self, name: str) -> Explanation:
        from services.explain.explain_job import read_explanation

        return read_explanation(self._completed_folder(name))

    def shap_frames(self, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        from services.explain.explain_job import read_frames

        return read_frames(self._completed_folder(name))

    def _job(self, name: str) -> Job:
        job = self.runner.jobs.get(name)
        if job.kind != KIND:
            raise NotFound(f"{name} is a {job.kind} job, not a SHAP job.", hint="Pick a job from the explain jobs list.")
        return job

    def _completed_folder(self, name: str) -> Path:
        job = self._job(name)
        if job.status != "Completed":
            reason = f": {job.failure_reason}" if job.failure_reason else ""
            raise InvalidInput(f"SHAP job {name} is {job.status}{reason}, so it has no results.",
                               hint="Wait for it to complete, or start a new explanation.")
        folder = self.runner.job_dir(name)
        if not (folder / "explanation.json").is_file():
            raise NotFound(f"The results of SHAP job {name} are gone from {folder}.", hint="Start the explanation again.")
        return folder

    # -- in process --------------------------------------------------------------------------------

    def explain_text(self, model_id: str, text: str, max_evals: int = 300) -> TokenAttribution:
        from services.explain.shap_text import explain_one

        record, predictor = self._model(model_id)
        scores, seconds = explain_one(predictor, record, text, max_evals)
        predicted = max(scores.probabilities, key=lambda label: scores.probabilities[label])
        return TokenAttribution(model_id=record.model_id, text=text, predicted_label=predicted,
                                probabilities=scores.probabilities, tokens=scores.tokens, scores=scores.scores,
                                base_values=scores.base_values, seconds=round(seconds, 3))

    def _model(self, model_id: str) -> tuple[ModelRecord, Predictor]:
        """The registered model and its loaded predictor (the last few are kept loaded)."""
        record = self.registry.get(model_id)
        key = f"{record.model_id}@{record.artifact_path}"
        if key not in self._loaded:
            self._loaded[key] = (record, load_in_app_process(record))  # the app process: no script models
            while len(self._loaded) > LOADED_MODELS:
                self._loaded.popitem(last=False)
        self._loaded.move_to_end(key)
        return self._loaded[key]

    def quick_model(self, source: DataSource, target: str, sql: str = "") -> QuickModelResult:
        from services.explain.quick_model import DataAccess, quick_model

        return quick_model(DataAccess(self.query, self.storage, self.settings), source, target, sql)


def check_request(request: ExplainRequest) -> None:
    """``InvalidInput`` for settings no job could use."""
    if request.aggregation not in AGGREGATIONS:
        raise InvalidInput(f"Unknown aggregation {request.aggregation!r}.", hint=f"Use one of {', '.join(AGGREGATIONS)}.")
    if not 1 <= request.rows <= MAX_ROWS:
        raise InvalidInput(f"rows must be between 1 and {MAX_ROWS:,}, got {request.rows}.",
                           hint="Explain a sample, e.g. 500 rows; SHAP values of a sample show the same picture.")
    if not 0 <= request.background_rows <= MAX_BACKGROUND_ROWS:
        raise InvalidInput(f"background_rows must be between 0 and {MAX_BACKGROUND_ROWS:,}, got {request.background_rows}.",
                           hint="100 is usual; 0 uses the trees' own statistics (tree models only).")
    if not request.sql.strip() and not (request.source.table or request.source.path):
        raise InvalidInput("Give a catalog table, a data file or a SQL query to explain the model on.",
                           hint="Pick the table the model was trained on, for example.")


def check_class(record: ModelRecord, explained_class: str) -> None:
    if explained_class and record.problem_type == "Regression":
        raise InvalidInput(f"Model {record.model_id} predicts a number, so there is no class {explained_class!r} to explain.",
                           hint="Leave the explained class empty for a regression model.")
    if explained_class and record.classes and explained_class not in record.classes:
        raise InvalidInput(f"{explained_class!r} is not one of model {record.model_id}'s classes.",
                           hint=f"Pick one of: {', '.join(record.classes)}.")


def cache_key(config: dict[str, Any], record: ModelRecord) -> str:
    """Everything the results depend on: the model version, the data version and the settings."""
    settings = {k: config[k] for k in ("model_id", "sql", "rows", "background_rows", "aggregation", "seed",
                                       "explained_class", "data_version")}
    settings["source"] = config["source"]["table"] or config["source"]["path"]
    settings["model_created_at"] = record.created_at
    return _digest(json.dumps(settings, sort_keys=True))


def file_version(path: Path) -> str:
    """A file's (or folder's) version: a digest of its files' names, sizes and modification times."""
    files = sorted(p for p in ([path] if path.is_file() else path.rglob("*")) if p.is_file())
    lines = [f"{file}:{file.stat().st_size}:{file.stat().st_mtime_ns}" for file in files]
    return "file-" + _digest("\n".join(lines))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def build_local_explain(stack: EmbeddedStack, *, query: QueryPort, catalog: CatalogPort, storage: StoragePort) -> ExplainPort:
    return LocalExplain(stack, query, catalog, storage)
