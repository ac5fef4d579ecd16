"""The worker task of a batch transform job (kind "transform"): ``run(ctx)``.

Config: ``{"model_id", "source", "output"}``. Scores every row of the source with the registered
model, in chunks, into a CSV holding the input columns plus ``predicted_label`` (and, for
classifiers, ``probability`` and ``probability_<class>``). The CSV appears only when complete.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from services.embedded.embedded_stack import EmbeddedStack
from services.embedded.job_worker import JobContext
from services.errors import InvalidInput
from services.models import DataSource, ModelRecord
from services.paths import publish_file
from services.training.algorithms.base import Predictor, load_predictor
from services.training.data import load_frame

CHUNK_ROWS = 10_000


def run(ctx: JobContext) -> None:
    """Score the source in ``ctx.config`` with its model and write the CSV."""
    _transform(ctx)


def _transform(ctx: JobContext) -> None:
    record = EmbeddedStack.open(ctx.settings).models.get(ctx.config["model_id"])
    source = DataSource(**ctx.config["source"])
    ctx.secondary("Downloading", f"Reading {source.label} and model {record.model_id}")
    predictor = load_predictor(Path(record.artifact_path), allow_user_code=True)  # a job: its own process
    frame = load_frame(ctx.settings, source)
    check_inputs(frame, record)
    ctx.secondary("Transforming", f"Scoring {len(frame)} rows with {record.model_id}")
    output = Path(ctx.config["output"])
    rows = write_predictions(ctx, predictor, frame, output, bool(ctx.config.get("overwrite", True)))
    ctx.log(f"Wrote {rows} rows to {output}")
    ctx.finish_with(model_id=record.model_id, result={"output": str(output), "rows": rows, "progress": 1.0})


def check_inputs(frame: pd.DataFrame, record: ModelRecord) -> None:
    """``InvalidInput`` when the data is empty or lacks columns the model reads."""
    missing = [c.name for c in record.input_schema if c.name not in frame.columns]
    if missing:
        raise InvalidInput(f"The data lacks columns model {record.model_id} needs: {', '.join(missing[:20])}.",
                           hint="Score a table or file with the columns the model was trained on.")
    if frame.empty:
        raise InvalidInput("The data has no rows to score.", hint="Pick a table or file with rows.")


def write_predictions(ctx: JobContext, predictor: Predictor, frame: pd.DataFrame, output: Path,
                      overwrite: bool = True) -> int:
    """Score ``frame`` chunk by chunk into ``output`` (written to a temporary name first); returns the rows.
    Without ``overwrite`` a file that appeared at ``output`` meanwhile is kept and the job fails."""
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    with partial.open("w", encoding="utf-8", newline="") as handle:
        for start in range(0, len(frame), CHUNK_ROWS):
            chunk = frame.iloc[start:start + CHUNK_ROWS]
            scored = predictor.predict_frame(chunk)
            chunk.drop(columns=[c for c in scored.columns if c in chunk.columns]).join(scored).to_csv(
                handle, header=start == 0, index=False)
            done = min(start + CHUNK_ROWS, len(frame))
            ctx.progress(done / len(frame), f"{done} of {len(frame)} rows")
    publish_file(partial, output, overwrite)
    return len(frame)
