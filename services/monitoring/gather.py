"""Building ``MonitorInputs`` on the local stack: an endpoint's captured predictions, its ground truth and its model.

The capture is read with the endpoints' own readers (``services/endpoints/monitoring.py``), bounded: the most recent
``CAPTURE_RECORDS`` records and at most ``CAPTURE_BYTES`` of them; older records are only counted and the notes say
so. One row per scored instance: ``event_id``, ``captured_at`` (UTC), the model's input columns, the other columns the
request sent alongside them (JSON keys of a record instance, e.g. a review's ``product_category``: the facets bias
drift can compare; at most ``MAX_EXTRA_COLUMNS``, in order of first appearance), ``prediction`` and ``probability``
(NaN when the response gave none). The engines' baselines are kept next to the model
(``<artifact_path>/monitoring-baselines.json``) so they are computed once per model.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from services.embedded.embedded_stack import EmbeddedStack
from services.endpoints.baseline import training_source
from services.endpoints.monitoring import (
    capture_events,
    capture_files,
    capture_root,
    event_rows,
    monitored_variant,
    read_endpoint,
    read_recent_capture,
    response_predictions,
)
from services.models import ModelRecord
from services.monitoring.inputs import MonitorInputs
from services.monitoring.models import MonitorConfig
from services.training.algorithms.base import load_in_app_process
from services.training.baseline import sample_rows, write_json
from services.training.data import load_frame

CAPTURE_RECORDS = 200_000  # capture records a monitor reads at most (the most recent)
CAPTURE_BYTES = 128 * 1024 * 1024  # and at most this much of their text (about 200,000 one-review requests)
CACHE_FILE = "monitoring-baselines.json"
MAX_EXTRA_COLUMNS = 20  # request columns kept beside the model's inputs (a hostile request could send thousands)
RESERVED = ("event_id", "captured_at", "prediction", "probability")  # the frame's own columns; a request's are dropped


@dataclass(frozen=True)
class Gathered:
    """The engine's inputs and what the reading says about them (e.g. that only the recent capture was read)."""

    inputs: MonitorInputs
    notes: tuple[str, ...] = ()


def gather(stack: EmbeddedStack, endpoint_name: str, config: MonitorConfig, ground_truth: Callable[[str], dict[str, str]],
           created_at: str) -> Gathered:
    """The endpoint's captured predictions (of the variant serving the monitored model), its ground truth and model.
    ``NotFound`` for an unknown endpoint or model."""
    home = Path(stack.settings.home)
    endpoint = read_endpoint(home, endpoint_name)
    variant, model_id = monitored_variant(endpoint, config.baseline_model_id)
    record = stack.models.get(model_id)
    captured, notes = captured_predictions(capture_files(capture_root(home, endpoint), variant), record)
    inputs = MonitorInputs(endpoint=endpoint_name, model=record, captured=captured, ground_truth=ground_truth(endpoint_name),
                           config=config, training_sample=training_sampler(stack, record),
                           predictor=lambda: load_in_app_process(record), created_at=created_at,
                           cache=load_cache(record))
    return Gathered(inputs, notes)


def captured_predictions(files: list[Path], record: ModelRecord,
                         max_records: int = 0) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """One row per captured prediction (the most recent records within the bounds, or the ``max_records`` most recent
    when given) and a note when older were left out."""
    sample = read_recent_capture(files, max_records or CAPTURE_RECORDS, CAPTURE_BYTES)
    columns = [c.name for c in record.input_schema]
    text_column = columns[0] if record.text_model and columns else ""
    ids: list[str] = []
    times: list[str] = []
    inputs: list[dict[str, Any]] = []
    predictions: list[Any] = []
    probabilities: list[float | None] = []
    for event in capture_events(sample.lines):
        rows, labels, _ = event_rows(event, columns, text_column)
        scored = response_predictions(event["captureData"].get("endpointOutput"))[:len(rows)]
        metadata = event.get("eventMetadata") or {}
        ids += [str(metadata.get("eventId", ""))] * len(rows)
        times += [str(metadata.get("inferenceTime", ""))] * len(rows)
        inputs += rows
        predictions += labels
        probabilities += [p for _, p in scored] + [None] * (len(rows) - len(scored))
    frame = pd.DataFrame.from_records(inputs, columns=request_columns(inputs, columns)) if inputs else pd.DataFrame(columns=columns)
    frame.insert(0, "event_id", pd.Series(ids, dtype=object))
    frame.insert(1, "captured_at", pd.to_datetime(pd.Series(times, dtype=object), utc=True, errors="coerce"))
    frame["prediction"] = pd.Series(predictions, dtype=object)
    frame["probability"] = pd.to_numeric(pd.Series(probabilities, dtype=object), errors="coerce").astype(float)
    return frame, capture_note(len(sample.lines), sample.total)


def request_columns(records: list[dict[str, Any]], columns: list[str]) -> list[str]:
    """The model's input columns, then the other keys the requests sent (first seen first, at most MAX_EXTRA_COLUMNS)."""
    extra: dict[str, None] = {}
    for record in records:
        for name in record:
            if len(extra) >= MAX_EXTRA_COLUMNS:
                return [*columns, *extra]
            if isinstance(name, str) and name not in columns and name not in RESERVED:
                extra.setdefault(name)
    return [*columns, *extra]


def capture_note(read: int, total: int) -> tuple[str, ...]:
    if read >= total:
        return ()
    return (f"Read the most recent {read:,} of {total:,} captured records: a monitor reads at most {CAPTURE_RECORDS:,} "
            f"records and {CAPTURE_BYTES // (1024 * 1024)} MB of capture, so older traffic is left out.",)


def training_sampler(stack: EmbeddedStack, record: ModelRecord) -> Callable[[int], pd.DataFrame]:
    """``training_sample(n)``: at most n seeded rows of the data the model's training job read: its inputs and target
    first, then the table's other columns (the facets bias drift compares with training time)."""

    def sample(n: int) -> pd.DataFrame:
        source, _ = training_source(stack.runner.jobs.get, record.job_name, record.model_id)
        frame = load_frame(stack.settings, source)
        first = [c for c in [*(c.name for c in record.input_schema), record.target] if c in frame.columns]
        keep = list(dict.fromkeys([*first, *frame.columns]))
        return sample_rows(frame[keep].reset_index(drop=True), n)

    return sample


def cache_path(record: ModelRecord) -> Path:
    return Path(record.artifact_path) / CACHE_FILE


def load_cache(record: ModelRecord) -> dict[str, Any]:
    """The engines' kept baselines of this model ({} before the first run, or when the file is not a JSON object)."""
    path = cache_path(record)
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def save_cache(record: ModelRecord, cache: dict[str, Any]) -> None:
    """Write the cache when an engine added to it (atomically: a run reading it meanwhile sees the old one)."""
    if cache != load_cache(record):
        write_json(cache_path(record), cache)
