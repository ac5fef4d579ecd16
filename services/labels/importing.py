"""Reading labels from files: Model Monitor's ground-truth JSON lines, a CSV, or a SageMaker Ground Truth
output manifest. Pure: bytes in, (event id, label) pairs and the lines that could not be read out.

* Ground-truth JSON lines: ``groundTruthData.data`` and ``eventMetadata.eventId``.
* CSV (a header row): the event id from an ``eventId`` or ``event_id`` column, the label from a ``label`` or
  ``groundTruth`` column.
* Ground Truth output manifest (one JSON object a line, with ``source`` or ``source-ref``): the label is the
  ``class-name`` of the ``<job>-metadata`` object next to the ``<job>`` label attribute (e.g. ``"sentiment": 2,
  "sentiment-metadata": {"class-name": "positive", …}``); the event id is the line's ``eventId``, ``event_id`` or
  ``id`` field, in that order (a manifest made for this workbench carries one of them next to the source).
  The shape is the one "Output Data" of the SageMaker Developer Guide (sms-data-output) shows: the input line
  unchanged plus the label attribute (the class index) and ``<attribute>-metadata`` with ``class-name``,
  ``confidence``, ``type``, ``job-name``, ``human-annotated`` and ``creation-date``.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from services.errors import InvalidInput

MAX_IMPORT_BYTES = 50 * 1024 * 1024
ID_FIELDS = ("eventId", "event_id", "id")
CSV_ID_COLUMNS = ("eventId", "event_id")
CSV_LABEL_COLUMNS = ("label", "groundTruth")


def parse_labels(filename: str, data: bytes) -> tuple[list[tuple[str, str]], list[str]]:
    """((event id, label) pairs in file order, "line N: why" for lines that could not be read)."""
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput(f"{filename} is {len(data) / 1e6:.1f} MB; label files are read up to {MAX_IMPORT_BYTES // 2**20} MB.",
                           hint="Split the file and import the parts one by one.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{filename} is not UTF-8 text.", hint="Save the file as UTF-8 and import it again.") from exc
    if filename.lower().endswith(".csv") or not text.lstrip().startswith("{"):
        return parse_csv(filename, text)
    return parse_json_lines(text)


def parse_csv(filename: str, text: str) -> tuple[list[tuple[str, str]], list[str]]:
    reader = csv.DictReader(io.StringIO(text))
    headers = reader.fieldnames or []
    id_column = next((c for c in CSV_ID_COLUMNS if c in headers), "")
    label_column = next((c for c in CSV_LABEL_COLUMNS if c in headers), "")
    if not id_column or not label_column:
        raise InvalidInput(f"{filename} has no {' or '.join(CSV_ID_COLUMNS)} column and {' or '.join(CSV_LABEL_COLUMNS)} "
                           f"column (columns: {', '.join(headers) or 'none'}).",
                           hint="Import a CSV with a header row such as eventId,label, Model Monitor's ground-truth "
                                "JSON lines or a Ground Truth output manifest.")
    pairs, bad = [], []
    for number, row in enumerate(reader, start=2):
        event_id, label = (row.get(id_column) or "").strip(), (row.get(label_column) or "").strip()
        if event_id and label:
            pairs.append((event_id, label))
        else:
            bad.append(f"line {number}: no {'event id' if not event_id else 'label'}")
    return pairs, bad


def parse_json_lines(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    pairs, bad = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            bad.append(f"line {number}: not JSON")
            continue
        pair = json_line_label(record)
        if isinstance(pair, str):
            bad.append(f"line {number}: {pair}")
        else:
            pairs.append(pair)
    return pairs, bad


def json_line_label(record: Any) -> tuple[str, str] | str:
    """(event id, label) of a ground-truth line or a manifest line, or why there is none."""
    if not isinstance(record, dict):
        return "not a JSON object"
    if "groundTruthData" in record:
        return ground_truth_label(record)
    if "source" in record or "source-ref" in record:
        return manifest_label(record)
    return "neither a ground-truth line (groundTruthData) nor a manifest line (source or source-ref)"


def ground_truth_label(record: dict[str, Any]) -> tuple[str, str] | str:
    data, metadata = record.get("groundTruthData"), record.get("eventMetadata")
    event_id = metadata.get("eventId") if isinstance(metadata, dict) else None
    label = data.get("data") if isinstance(data, dict) else None
    if event_id in (None, "") or label in (None, ""):
        return "no eventMetadata.eventId or groundTruthData.data"
    return str(event_id), str(label)


def manifest_label(record: dict[str, Any]) -> tuple[str, str] | str:
    event_id = next((record[f] for f in ID_FIELDS if record.get(f) not in (None, "")), None)
    if event_id is None:
        return f"no event id ({', '.join(ID_FIELDS)})"
    for key, value in record.items():
        attribute = key.endswith("-metadata") and key.removesuffix("-metadata") in record
        if attribute and isinstance(value, dict) and value.get("class-name") not in (None, ""):
            return str(event_id), str(value["class-name"])
    return "no label attribute with a <job>-metadata class-name"
