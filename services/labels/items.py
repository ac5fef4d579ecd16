"""The items of a label source: an endpoint's captured requests, or a catalog table's rows.

Captured requests are read with the endpoint monitor's own capture readers (``services.endpoints.monitoring``).
One capture record is one item, its id the record's ``eventMetadata.eventId`` (what Model Monitor joins ground
truth on); a record that carried several instances is shown by its first one, as the capture table does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from services.catalog.base import CatalogPort
from services.embedded.embedded_stack import EmbeddedStack
from services.endpoints.monitoring import (
    capture_files,
    capture_root,
    event_rows,
    monitored_variant,
    read_endpoint,
    read_events,
    response_predictions,
)
from services.errors import InvalidInput
from services.labels.models import LabelItem, LabelSource
from services.models import ModelRecord
from services.query.base import QueryPort
from services.training.baseline import label_text

MAX_ITEMS = 50_000  # items read from a capture or a table at most (the oldest captures, the first rows)
LABEL_COLUMN = "label"  # a table column whose distinct values are the classes offered
NO_CAPTURE_HINT = ("Send it a few requests: score reviews on the Score page (or `python -m services score ENDPOINT "
                   "--text …`); every request it answers is captured and appears here.")


@dataclass(frozen=True)
class SourceItems:
    items: tuple[LabelItem, ...]
    classes: tuple[str, ...]  # () when the source names none (a table without a label column)
    notes: tuple[str, ...] = ()


def capped_note(read: int, what: str) -> tuple[str, ...]:
    if read <= MAX_ITEMS:
        return ()
    return (f"Only the first {MAX_ITEMS:,} {what} are offered for labelling (the queue reads at most {MAX_ITEMS:,}).",)


# -- an endpoint's captured requests --------------------------------------------------------------------------


def endpoint_model(stack: EmbeddedStack, name: str) -> tuple[dict[str, Any], str, ModelRecord]:
    """(endpoint.json, the variant whose traffic is labelled, the model it serves); ``NotFound`` if unknown."""
    endpoint = read_endpoint(Path(stack.settings.home), name)
    variant, model_id = monitored_variant(endpoint)
    return endpoint, variant, stack.models.get(model_id)


def nothing_captured(stack: EmbeddedStack, name: str) -> InvalidInput:
    """The error of an endpoint without captured requests: its capture is off, or nobody has sent it requests yet."""
    endpoint, _, _ = endpoint_model(stack, name)
    if not endpoint.get("capture_percent"):
        return InvalidInput(f"Endpoint {name} does not capture its requests (data capture is off), so there is nothing "
                            "to label.", hint="Deploy the model again with data capture on (a capture percentage above 0).")
    return InvalidInput(f"Endpoint {name} has no captured requests to label yet.", hint=NO_CAPTURE_HINT)


def endpoint_capture(stack: EmbeddedStack, name: str) -> list[Path]:
    endpoint, variant, _ = endpoint_model(stack, name)
    return capture_files(capture_root(Path(stack.settings.home), endpoint), variant)


def text_column(record: ModelRecord) -> str:
    """The review text column of a review model, "" for a tabular model."""
    if not record.text_model:
        return ""
    strings = [c.name for c in record.input_schema if c.type == "string"]
    return strings[0] if strings else ""


def endpoint_items(stack: EmbeddedStack, name: str) -> SourceItems:
    """The endpoint's captured requests (oldest first, at most ``MAX_ITEMS``) and its model's classes."""
    endpoint, variant, record = endpoint_model(stack, name)
    files = capture_files(capture_root(Path(stack.settings.home), endpoint), variant)
    columns, text = [c.name for c in record.input_schema], text_column(record)
    read, items = 0, []
    for event in islice(_identified(read_events(files)), MAX_ITEMS + 1):  # streamed: one record in memory at a time
        read += 1
        item = capture_item(event, columns, text) if read <= MAX_ITEMS else None
        if item is not None:
            items.append(item)
    return SourceItems(tuple(items), tuple(record.classes), capped_note(read, "captured requests"))


def _identified(events: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for event in events:
        if (event.get("eventMetadata") or {}).get("eventId"):
            yield event


def capture_item(event: dict[str, Any], columns: list[str], text: str) -> LabelItem | None:
    """One capture record as an item; None when its request does not parse."""
    rows, _, _ = event_rows(event, columns, text)
    if not rows:
        return None
    metadata = event["eventMetadata"]
    predictions = response_predictions(event["captureData"].get("endpointOutput"))
    predicted, probability = predictions[0] if predictions else (None, None)
    record = rows[0]
    shown = str(record.get(text, "")) if text else record_text(record)
    return LabelItem(str(metadata["eventId"]), shown, record, "" if predicted is None else label_text(predicted),
                     probability, str(metadata.get("inferenceTime", "")))


def record_text(record: dict[str, Any]) -> str:
    return "\n".join(f"{name}: {value}" for name, value in record.items())


# -- a catalog table's rows -----------------------------------------------------------------------------------


def table_items(catalog: CatalogPort, query: QueryPort, source: LabelSource) -> SourceItems:
    """The table's first ``MAX_ITEMS`` rows; the classes are the distinct values of its ``label`` column
    when it has one, else () (the caller offers the labels given so far)."""
    table = catalog.get_table(source.database, source.table)
    names = {c.name for c in table.all_columns}
    wanted = [source.id_column, source.text_column, source.prediction_column, source.probability_column]
    missing = [c for c in wanted if c and c not in names]
    if missing or not source.id_column or not source.text_column:
        raise InvalidInput(f"{source.label} has no column {', '.join(missing) or 'chosen for the id or the text'}.",
                           hint=f"Pick the id and text columns among: {', '.join(sorted(names))}.")
    selected = ", ".join(_quoted(c) for c in dict.fromkeys(c for c in wanted if c))
    result = query.run(f"SELECT {selected} FROM {_quoted(source.database)}.{_quoted(source.table)}",
                       max_rows=MAX_ITEMS + 1)
    frame = result.frame
    items = [row_item({str(k): v for k, v in row.items()}, source) for row in frame.head(MAX_ITEMS).to_dict("records")]
    read = len(frame) + (1 if result.truncated else 0)
    return SourceItems(tuple(items), table_classes(query, source) if LABEL_COLUMN in names else (),
                       capped_note(read, "rows"))


def row_item(row: dict[str, Any], source: LabelSource) -> LabelItem:
    prediction = row.get(source.prediction_column) if source.prediction_column else None
    probability = row.get(source.probability_column) if source.probability_column else None
    return LabelItem(str(row[source.id_column]), str(row[source.text_column]), row,
                     "" if prediction is None else str(prediction), _probability(probability))


def _probability(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number  # NaN: no probability


def table_classes(query: QueryPort, source: LabelSource) -> tuple[str, ...]:
    result = query.run(f"SELECT DISTINCT {_quoted(LABEL_COLUMN)} AS value FROM {_quoted(source.database)}."
                       f"{_quoted(source.table)} WHERE {_quoted(LABEL_COLUMN)} IS NOT NULL ORDER BY 1", max_rows=1000)
    return tuple(str(v) for v in result.frame["value"])


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
