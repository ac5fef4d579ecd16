"""Reading labels from files: Model Monitor's ground-truth JSON lines, a CSV, or a SageMaker Ground Truth
output manifest. Pure: bytes in, (event id, label) pairs and the lines that could not be read out.

* Ground-truth JSON lines: ``groundTruthData.data`` and ``eventMetadata.eventId``.
* CSV (a header row): the event id from an ``eventId`` or ``event_id`` column, the label from a ``label`` or
  ``groundTruth`` column.
* Ground Truth output manifest (one JSON object a line, with ``source`` or ``source-ref``): the label is the
  ``class-name`` of the ``<job>-metadata`` object next to the ``<job>`` label attribute (e.g. ``"sentiment": 2,
  "sentiment-metadata": {"class-name": "positive", …}``); the event id is the line's ``eventId``, ``event_id`` or
  ``id`` field, in that order (Ground Truth keeps the input line's own fields, so a manifest made from the capture
  can carry one). A line without one — what Ground Truth writes for a manifest of review texts alone — is matched
  by its ``source`` text: it labels every captured request whose text is exactly that (``texts``); a text no
  captured request has is reported with its line number. The shape is the one "Output Data" of the SageMaker
  Developer Guide (sms-data-output) shows: the input line unchanged plus the label attribute (the class index, a
  number or a string) and ``<attribute>-metadata`` with ``class-name``, ``confidence``, ``type``
  (``groundtruth/text-classification``), ``job-name``, ``human-annotated`` and ``creation-date``.

A file in which no line holds a label (empty, or every line unreadable) is refused as a whole (``InvalidInput``
naming the first unreadable lines), so an import never "succeeds" with nothing in it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from services.errors import InvalidInput
from services.labels.models import MAX_IMPORT_BYTES

ID_FIELDS = ("eventId", "event_id", "id")
CSV_ID_COLUMNS = ("eventId", "event_id")
CSV_LABEL_COLUMNS = ("label", "groundTruth")
JSON_SUFFIXES = (".jsonl", ".json", ".manifest")
SHOWN_BAD_LINES = 3  # unreadable lines named in the error of a file without any label
FORMATS_HINT = ("Import Model Monitor's ground-truth JSON lines, a CSV with a header row such as eventId,label, or a "
                "Ground Truth output manifest.")


def parse_labels(filename: str, data: bytes, texts: Mapping[str, Sequence[str]] | None = None
                 ) -> tuple[list[tuple[str, str]], list[str]]:
    """((event id, label) pairs in file order, "line N: why" for lines that could not be read). ``texts`` maps a
    captured request's text to its event ids, for manifest lines that carry no event id. ``InvalidInput`` for a
    file over the cap, not UTF-8, a CSV without the columns, or without any line holding a label."""
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput(f"{filename} is {len(data) / 1e6:.1f} MB; label files are read up to {MAX_IMPORT_BYTES // 2**20} MB.",
                           hint="Split the file and import the parts one by one.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{filename} is not UTF-8 text.", hint="Save the file as UTF-8 and import it again.") from exc
    if not text.strip():
        raise InvalidInput(f"{filename} is empty: it holds no labels.", hint=FORMATS_HINT)
    json_lines = filename.lower().endswith(JSON_SUFFIXES) or text.lstrip().startswith("{")
    if filename.lower().endswith(".csv") or not json_lines:
        pairs, bad = parse_csv(filename, text)
    else:
        pairs, bad = parse_json_lines(text, texts or {})
    if not pairs:
        shown = "; ".join(bad[:SHOWN_BAD_LINES]) + ("; …" if len(bad) > SHOWN_BAD_LINES else "")
        why = f"({shown})" if shown else "(only a header row)"
        raise InvalidInput(f"No line of {filename} holds a label {why}.", hint=FORMATS_HINT)
    return pairs, bad


def parse_csv(filename: str, text: str) -> tuple[list[tuple[str, str]], list[str]]:
    reader = csv.DictReader(io.StringIO(text))
    headers = reader.fieldnames or []
    id_column = next((c for c in CSV_ID_COLUMNS if c in headers), "")
    label_column = next((c for c in CSV_LABEL_COLUMNS if c in headers), "")
    if not id_column or not label_column:
        raise InvalidInput(f"{filename} has no {' or '.join(CSV_ID_COLUMNS)} column and {' or '.join(CSV_LABEL_COLUMNS)} "
                           f"column (columns: {', '.join(headers) or 'none'}).", hint=FORMATS_HINT)
    pairs, bad = [], []
    for number, row in enumerate(reader, start=2):
        event_id, label = (row.get(id_column) or "").strip(), (row.get(label_column) or "").strip()
        if event_id and label:
            pairs.append((event_id, label))
        else:
            bad.append(f"line {number}: no {'event id' if not event_id else 'label'}")
    return pairs, bad


def parse_json_lines(text: str, texts: Mapping[str, Sequence[str]]) -> tuple[list[tuple[str, str]], list[str]]:
    pairs: list[tuple[str, str]] = []
    bad: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            bad.append(f"line {number}: not JSON")
            continue
        found = json_line_labels(record, texts)
        if isinstance(found, str):
            bad.append(f"line {number}: {found}")
        else:
            pairs.extend(found)
    return pairs, bad


def json_line_labels(record: Any, texts: Mapping[str, Sequence[str]]) -> list[tuple[str, str]] | str:
    """The (event id, label) pairs of a ground-truth line or a manifest line (several when a manifest line's source
    text is several captured requests'), or why there is none."""
    if not isinstance(record, dict):
        return "not a JSON object"
    if "groundTruthData" in record:
        pair = ground_truth_label(record)
        return pair if isinstance(pair, str) else [pair]
    if "source" in record or "source-ref" in record:
        return manifest_labels(record, texts)
    return "neither a ground-truth line (groundTruthData) nor a manifest line (source or source-ref)"


def ground_truth_label(record: dict[str, Any]) -> tuple[str, str] | str:
    data, metadata = record.get("groundTruthData"), record.get("eventMetadata")
    event_id = metadata.get("eventId") if isinstance(metadata, dict) else None
    label = data.get("data") if isinstance(data, dict) else None
    if event_id in (None, "") or label in (None, ""):
        return "no eventMetadata.eventId or groundTruthData.data"
    return str(event_id), str(label)


def manifest_labels(record: dict[str, Any], texts: Mapping[str, Sequence[str]]) -> list[tuple[str, str]] | str:
    label = manifest_class(record)
    if label is None:
        return "no label attribute with a <job>-metadata class-name"
    event_id = next((record[f] for f in ID_FIELDS if record.get(f) not in (None, "")), None)
    if event_id is not None:
        return [(str(event_id), label)]
    source = record.get("source")
    if not isinstance(source, str):
        return f"no event id ({', '.join(ID_FIELDS)}), and no source text to match (a source-ref is not read)"
    events = texts.get(source.strip(), ())
    if not events:
        return f"no event id ({', '.join(ID_FIELDS)}), and no captured request's text is its source"
    return [(event, label) for event in events]


def manifest_class(record: dict[str, Any]) -> str | None:
    """The ``class-name`` of the ``<job>-metadata`` object beside a ``<job>`` label attribute."""
    for key, value in record.items():
        attribute = key.endswith("-metadata") and key.removesuffix("-metadata") in record
        if attribute and isinstance(value, dict) and value.get("class-name") not in (None, ""):
            return str(value["class-name"])
    return None
