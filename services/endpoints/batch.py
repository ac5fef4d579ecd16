"""Batch Transform into a catalog table: ``start_batch_transform`` checks the request and submits a
job of kind "batch" (``services/endpoints/batch_job.py`` does the scoring in a worker process).

The scored rows land as Parquet under ``<lake>/workbench-lake/batch/<database>/<table>/`` and are
catalogued as ``database.table``: the input columns plus ``predicted_label`` and, for classifiers,
``probability`` and ``probability_<class>``. Scoring into a table an earlier batch job wrote replaces
it; any other existing table is left alone.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from services.catalog.base import CatalogPort
from services.embedded.embedded_stack import EmbeddedStack
from services.embedded.workspace import LAKE_BUCKET, Workspace
from services.errors import AlreadyExists, InvalidInput, NotFound
from services.models import DataSource, ModelRecord
from services.names import check_output_table
from services.query.base import QueryPort
from services.training.data import resolve_source

BATCH_PREFIX = "batch"


def batch_folder(home: Path, database: str, table: str) -> Path:
    """Where a batch job's output table lives in the lake."""
    return Workspace(home).lake / LAKE_BUCKET / BATCH_PREFIX / database / table


def start_batch_transform(stack: EmbeddedStack, catalog: CatalogPort, query: QueryPort, model_id: str, source: DataSource,
                          output_table: str, sql: str = "") -> str:
    """Score every row of ``source`` (or of the ``sql`` result) with ``model_id`` into the catalog table
    ``output_table``, as a job; returns the job name."""
    record = stack.models.get(model_id)
    database, table = check_output_table(output_table)
    check_output_free(catalog, stack.settings.home, database, table)
    config: dict[str, Any] = {"model_id": record.model_id, "output_table": f"{database}.{table}", "sql": sql.strip(), "source": None}
    if sql.strip():
        query.estimate(sql)  # refused or unknown tables fail now, not in the job
    else:
        resolved, columns = resolve_source(catalog, stack.settings, source)
        check_columns(record, [c.name for c in columns], resolved.label)
        config["source"] = asdict(resolved)
    return stack.runner.submit("batch", config).name


def check_output_free(catalog: CatalogPort, home: Path, database: str, table: str) -> None:
    """``AlreadyExists`` when ``database.table`` exists and is not an earlier batch job's output."""
    try:
        existing = catalog.get_table(database, table)
    except NotFound:
        return
    ours = Workspace(home).to_uri(batch_folder(home, database, table)) + "/"
    if existing.location != ours:
        raise AlreadyExists(f"Table {database}.{table} exists already and was not written by a batch job.",
                            hint="Pick a new output table name.")


def check_columns(record: ModelRecord, columns: list[str], label: str) -> None:
    missing = [c.name for c in record.input_schema if c.name not in columns]
    if missing:
        raise InvalidInput(f"{label} lacks columns model {record.model_id} needs: {', '.join(missing[:20])}.",
                           hint="Score a table with the columns the model was trained on.")
