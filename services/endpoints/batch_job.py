"""The worker task of a batch scoring job (kind "batch"): ``run(ctx)``.

Config: ``{"model_id", "output_table", "sql", "source"}``. Reads the table (or the SQL result), scores
it chunk by chunk with progress, writes one Parquet file to a hidden folder, swaps it in as the
output table's folder and catalogues it. Finishes with ``{"table", "rows"}``.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from services.embedded.job_worker import JobContext
from services.endpoints.batch import batch_folder
from services.models import DataSource
from services.query.base import QueryPort
from services.stack import open_local
from services.training.algorithms.base import Predictor, load_predictor
from services.training.data import CHUNK_ROWS, check_inputs, load_frame


def run(ctx: JobContext) -> None:
    """Score the job's input with its model into the output table."""
    _score(ctx)


def _score(ctx: JobContext) -> None:
    core = open_local(ctx.settings)  # a worker process: the workspace's own adapters, not the app's
    record = core.stack.models.get(ctx.config["model_id"])
    ctx.secondary("Downloading", f"Reading {ctx.config['sql'] or ctx.config['source']['table'] or ctx.config['source']['path']}")
    frame = read_input(core.query, ctx)
    check_inputs(frame, record)
    predictor = load_predictor(Path(record.artifact_path), allow_user_code=True)  # a job: its own process
    database, table = ctx.config["output_table"].split(".")
    ctx.secondary("Transforming", f"Scoring {len(frame)} rows with {record.model_id}")
    folder = batch_folder(ctx.settings.home, database, table)
    rows = write_scored_table(ctx, predictor, frame, folder)
    ctx.secondary("Uploading", f"Cataloguing {database}.{table}")
    core.storage.register_table(database, table, folder)
    ctx.log(f"Wrote {rows} rows to {database}.{table}")
    ctx.finish_with(model_id=record.model_id, result={"table": f"{database}.{table}", "rows": rows, "progress": 1.0})


def read_input(query: QueryPort, ctx: JobContext) -> pd.DataFrame:
    """Every row of the source table or file, or of the SQL result (run through the query engine)."""
    sql = ctx.config.get("sql") or ""
    if not sql:
        return load_frame(ctx.settings, DataSource(**ctx.config["source"]))
    query_id = query.start_query(sql)
    query.get_result(query_id, max_rows=1)  # waits, and raises the query's error
    return pd.read_parquet(io.BytesIO(query.export_result(query_id, "parquet")))


def write_scored_table(ctx: JobContext, predictor: Predictor, frame: pd.DataFrame, folder: Path) -> int:
    """Score ``frame`` chunk by chunk into one Parquet file; the folder appears (or is replaced) only when complete."""
    staging = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    writer: pq.ParquetWriter | None = None
    try:
        for start in range(0, len(frame), CHUNK_ROWS):
            chunk = frame.iloc[start:start + CHUNK_ROWS]
            predictions = predictor.predict_frame(chunk)
            if writer is None:
                schema = output_schema(frame, predictions)
                writer = pq.ParquetWriter(staging / "part-00000.parquet", schema)
            scored = input_columns(chunk, predictions).join(predictions)
            writer.write_table(pa.Table.from_pandas(scored, schema=schema, preserve_index=False))
            done = min(start + CHUNK_ROWS, len(frame))
            ctx.progress(done / len(frame), f"{done} of {len(frame)} rows")
    finally:
        if writer is not None:
            writer.close()
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    return len(frame)


def input_columns(frame: pd.DataFrame, predictions: pd.DataFrame) -> pd.DataFrame:
    """The input columns the predictions do not replace (an input may hold an older ``predicted_label``)."""
    return frame.drop(columns=[c for c in predictions.columns if c in frame.columns])


def output_schema(frame: pd.DataFrame, predictions: pd.DataFrame) -> pa.Schema:
    """Input column types from the whole input (so a column empty in the first chunk is typed by the rest),
    then the prediction columns' types from the first chunk's predictions."""
    inputs = pa.Schema.from_pandas(input_columns(frame, predictions), preserve_index=False)
    outputs = pa.Schema.from_pandas(predictions, preserve_index=False)
    return pa.schema(list(inputs) + list(outputs))
