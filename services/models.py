"""Plain data that crosses the port boundary. No engine objects in here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from services.debugger.models import DebuggerConfig

FORMATS = ("csv", "tsv", "json", "parquet")
PREVIEW_ROWS = 100


@dataclass(frozen=True)
class Database:
    name: str
    description: str = ""
    location: str = ""


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    comment: str = ""


@dataclass(frozen=True)
class Table:
    """A table as Glue models it. ``format`` is Glue's ``classification``."""

    database: str
    name: str
    location: str
    format: str
    columns: tuple[Column, ...]
    partition_keys: tuple[Column, ...] = ()
    parameters: dict[str, str] = field(default_factory=dict)
    version_id: str = "1"
    table_type: str = "EXTERNAL_TABLE"
    created_at: str = ""
    updated_at: str = ""

    @property
    def qualified_name(self) -> str:
        return f"{self.database}.{self.name}"

    @property
    def all_columns(self) -> tuple[Column, ...]:
        return self.columns + self.partition_keys

    def preview_sql(self, partition: Partition | None = None, limit: int = PREVIEW_ROWS) -> str:
        """Athena SQL for the first rows; with ``partition``, filtered on every partition key so only
        that partition is scanned."""
        sql = f"SELECT *\nFROM {_quoted_name(self.database)}.{_quoted_name(self.name)}\n"
        if partition is not None:
            conditions = [f"{_quoted_name(key.name)} = {_quoted_text(value)}"
                          for key, value in zip(self.partition_keys, partition.values)]
            sql += f"WHERE {' AND '.join(conditions)}\n"
        return sql + f"LIMIT {limit}"

    def to_glue(self) -> dict[str, Any]:
        """The table as Glue's ``GetTable`` returns it in ``Table``."""
        return {
            "Name": self.name,
            "DatabaseName": self.database,
            "TableType": self.table_type,
            "Parameters": dict(self.parameters),
            "PartitionKeys": [{"Name": c.name, "Type": c.type, "Comment": c.comment} for c in self.partition_keys],
            "StorageDescriptor": {
                "Location": self.location,
                "Columns": [{"Name": c.name, "Type": c.type, "Comment": c.comment} for c in self.columns],
            },
            "VersionId": self.version_id,
            "CreateTime": self.created_at,
            "UpdateTime": self.updated_at,
        }


def _quoted_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quoted_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class Partition:
    values: tuple[str, ...]
    location: str
    file_count: int
    size_bytes: int


@dataclass(frozen=True)
class CrawlResult:
    """What a crawl did: tables created, updated (new version) and left unchanged."""

    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResultColumn:
    name: str
    type: str


@dataclass(frozen=True)
class QueryStatistics:
    rows: int
    elapsed_ms: float
    bytes_scanned: int


@dataclass(frozen=True)
class QueryResult:
    """A finished query: the first rows for display plus where the full result can be fetched."""

    query_id: str
    columns: tuple[ResultColumn, ...]
    frame: pd.DataFrame
    statistics: QueryStatistics
    truncated: bool = False
    notices: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        rows = self.frame.astype(object).where(self.frame.notna(), None).values.tolist()
        return {
            "columns": [{"name": c.name, "type": c.type} for c in self.columns],
            "rows": rows,
            "statistics": {
                "rows": self.statistics.rows,
                "elapsed_ms": round(self.statistics.elapsed_ms, 3),
                "bytes_scanned": self.statistics.bytes_scanned,
            },
        }


@dataclass(frozen=True)
class ScanEstimate:
    """What a query would read before it runs, and what Athena would charge for it."""

    bytes_to_scan: int
    tables: tuple[str, ...]
    unfiltered_partitioned_tables: tuple[str, ...] = ()

    @property
    def athena_cost_usd(self) -> float:
        return athena_cost_usd(self.bytes_to_scan)

    def unfiltered_warning(self) -> str:
        """The warning shown when a partitioned table is read without a partition filter ("" when none is)."""
        if not self.unfiltered_partitioned_tables:
            return ""
        tables = ", ".join(self.unfiltered_partitioned_tables)
        return (
            f"{tables} is partitioned but the query has no filter on its partition keys, "
            "so every partition is scanned. Add a WHERE clause on a partition key to scan less."
        )


def athena_cost_usd(bytes_scanned: int) -> float:
    """What Athena charges: $5 per TB scanned, at least 10 MB per query that scans anything."""
    billed = max(bytes_scanned, 10 * 1024**2) if bytes_scanned else 0
    return billed / 1024**4 * 5.0


@dataclass(frozen=True)
class HistoryEntry:
    query_id: str
    sql: str
    database: str
    status: str  # SUCCEEDED, FAILED, CANCELLED (Athena's names)
    submitted_at: str
    elapsed_ms: float | None = None
    rows: int | None = None
    bytes_scanned: int | None = None
    error: str = ""
    result_expired_at: str = ""  # when retention deleted the stored result (local backend); "" while it is kept


@dataclass(frozen=True)
class SavedQuery:
    name: str
    sql: str
    database: str = ""
    description: str = ""
    updated_at: str = ""


# -- training, jobs, models, runs ---------------------------------------------------------------

JOB_STATUSES = ("InProgress", "Completed", "Failed", "Stopping", "Stopped")
FINISHED_JOB_STATUSES = ("Completed", "Failed", "Stopped")


@dataclass(frozen=True)
class DataSource:
    """Where a job's data comes from: a catalog table (with its version) or a file."""

    table: str = ""  # "database.table"
    path: str = ""
    table_version: str = ""

    @property
    def label(self) -> str:
        return self.table or self.path


@dataclass(frozen=True)
class Job:
    """A training, tuning, AutoML or script job, with SageMaker's statuses."""

    name: str
    kind: str  # training | autopilot | script | tuning | transform
    status: str
    secondary_status: str
    created_at: str
    config: dict[str, Any] = field(default_factory=dict)
    started_at: str = ""
    ended_at: str = ""
    failure_reason: str = ""
    model_id: str = ""
    run_id: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_JOB_STATUSES


TEXT_FRAMEWORKS = ("text-tfidf", "text-minilm", "pytorch")


@dataclass(frozen=True)
class ModelRecord:
    """An entry of the model registry: what predictions and deployments refer to."""

    model_id: str  # "<name>/<version>"
    name: str
    version: int
    framework: str  # xgboost | linear-learner | text-tfidf | text-minilm | autogluon | sklearn | script
    problem_type: str  # BinaryClassification | MulticlassClassification | Regression
    target: str
    input_schema: tuple[Column, ...]
    classes: tuple[str, ...]
    metrics: dict[str, float]
    run_id: str
    job_name: str
    artifact_path: str
    approval_status: str = "PendingManualApproval"
    created_at: str = ""
    package_arn: str = ""  # the model package's ARN in SageMaker's Model Registry; "" in the local registry

    @property
    def text_model(self) -> bool:
        """A review model (text-tfidf, text-minilm — registered as pytorch — or one text input column)."""
        schema = self.input_schema
        return self.framework in TEXT_FRAMEWORKS or (len(schema) == 1 and schema[0].type == "string")


@dataclass(frozen=True)
class Candidate:
    """One Autopilot candidate on the leaderboard."""

    name: str
    algorithm: str
    objective_name: str
    objective_value: float | None
    training_seconds: float
    model_id: str = ""
    status: str = "Completed"


@dataclass(frozen=True)
class RunSummary:
    """An MLflow run as the compare page needs it."""

    run_id: str
    experiment: str
    name: str
    status: str
    start_time: str
    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]
    end_time: str = ""  # ISO-8601 UTC; "" while the run is still going


@dataclass(frozen=True)
class TrainingRequest:
    """A training job with a built-in algorithm (SageMaker's names and hyperparameters)."""

    algorithm: str  # xgboost | linear-learner | text-tfidf | text-minilm
    source: DataSource
    target: str
    hyperparameters: dict[str, str] = field(default_factory=dict)
    text_column: str = ""
    name: str = ""
    experiment: str = ""
    seed: int = 42
    max_runtime_in_seconds: int = 0  # StoppingCondition.MaxRuntimeInSeconds; 0: WORKBENCH_JOB_MAX_RUNTIME_SECONDS
    debugger: DebuggerConfig | None = None  # Debugger rules and profiler; None = none


@dataclass(frozen=True)
class AutopilotRequest:
    """An AutoML job: only the target is required."""

    source: DataSource
    target: str
    problem_type: str = ""  # inferred when empty
    objective: str = ""  # Autopilot's default for the problem type when empty
    mode: str = "AUTO"  # ENSEMBLING | HYPERPARAMETER_TUNING | AUTO
    max_runtime_seconds: int = 300
    max_candidates: int = 10
    name: str = ""
    experiment: str = ""
    seed: int = 42
    debugger: DebuggerConfig | None = None  # rules evaluated on every candidate's training


@dataclass(frozen=True)
class ScriptJobRequest:
    """Bring your own script under the SageMaker training contract."""

    entry_point: str
    source_dir: str
    channels: dict[str, str]  # channel name -> local path (file or folder)
    hyperparameters: dict[str, str] = field(default_factory=dict)
    metric_definitions: dict[str, str] = field(default_factory=dict)  # name -> regex (first group is the value)
    name: str = ""
    experiment: str = ""
    max_runtime_in_seconds: int = 0  # StoppingCondition.MaxRuntimeInSeconds; 0: WORKBENCH_JOB_MAX_RUNTIME_SECONDS
    debugger: DebuggerConfig | None = None  # rules read the metric series its metric_definitions define


@dataclass(frozen=True)
class TuningRequest:
    """A hyperparameter tuning job over a built-in algorithm or a script."""

    base: TrainingRequest | ScriptJobRequest
    ranges: dict[str, dict[str, Any]]  # name -> {"type": integer|continuous|categorical, "min", "max", "scale", "values"}
    objective_metric: str
    objective_type: str = "Maximize"  # Maximize | Minimize
    strategy: str = "Bayesian"  # Bayesian | Random
    max_jobs: int = 10
    max_parallel_jobs: int = 1
    name: str = ""


@dataclass(frozen=True)
class DownloadTicket:
    """A one-time link to a full result on this process's download server: the browser fetches
    ``http://<host>:<port><path>`` once (a wildcard ``host`` means "where the browser reached the app")."""

    host: str
    port: int
    path: str
