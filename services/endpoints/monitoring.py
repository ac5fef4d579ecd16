"""Model monitoring on the local stack: drift reports of an endpoint's captured traffic against its
model's training baseline, a round of reports for new traffic (``run_round``: the app's monitoring runner,
``services/monitoring/schedules.ScheduleRunner``, calls it every ``WORKBENCH_MONITOR_INTERVAL_SECONDS``), and the
captured traffic as a catalog table.

The inference server writes data capture in SageMaker's JSON-lines format under
``<home>/endpoints/<name>/capture/<variant>/YYYY/MM/DD/HH/*.jsonl``; the endpoint itself is
described by ``<home>/endpoints/<name>/endpoint.json``. Both are read here as files, so this module
needs nothing from the server's code.

A drift report reads a bounded sample of the capture: the most recent ``CAPTURE_SAMPLE_RECORDS``
records, and no more than ``CAPTURE_SAMPLE_BYTES`` of them (``read_recent_capture``), so its memory
does not grow with the capture; older records are only counted, and the report's notes say how many
of how many were compared.
"""

from __future__ import annotations

import base64
import binascii
import csv
import json
import logging
import os
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from services.catalog.base import CatalogPort
from services.catalog.files import sanitize_table_name
from services.config import Settings
from services.embedded.embedded_stack import EmbeddedStack
from services.embedded.metadata import utc_now
from services.endpoints.baseline import column_psi, compare_embedding, compare_feature, compare_prediction, ensure_baseline
from services.endpoints.models import CapturedInvocation, DriftReport, FeatureDrift
from services.errors import InvalidInput, NotFound, ServiceError
from services.lineage.hooks import record_monitoring_report
from services.models import DataSource, ModelRecord
from services.storage.base import StoragePort
from services.training.algorithms.base import load_in_app_process
from services.training.baseline import EMBEDDING_ROWS, Baseline, column_texts, label_text, sample_rows, text_embedder
from services.training.data import load_frame, resolve_source

CAPTURE_DATABASE = "endpoints"
SOURCE_ROWS = 10_000  # rows of a source table compared (a seeded sample of larger ones)
CAPTURE_SAMPLE_RECORDS = 10_000  # capture records a drift report reads at most (the most recent)
CAPTURE_SAMPLE_BYTES = 32 * 1024 * 1024  # and at most this much of their text
RECENT_CAPTURE_BYTES = 8 * 1024 * 1024  # what recent_invocations reads at most
REPORTS_FOLDER = "monitoring"
CAPTURE_SCHEMA = pa.schema([
    ("event_id", pa.string()), ("inference_time", pa.timestamp("ms")), ("variant", pa.string()),
    ("input_content_type", pa.string()), ("input_data", pa.string()), ("output_content_type", pa.string()),
    ("output_data", pa.string()), ("predicted_label", pa.string()), ("probability", pa.float64()),
    ("prediction_count", pa.int64()),
])

log = logging.getLogger(__name__)


# -- the endpoint's files ------------------------------------------------------------------------------


def endpoint_folder(home: Path, name: str) -> Path:
    return Path(home) / "endpoints" / name


def read_endpoint(home: Path, name: str) -> dict[str, Any]:
    """The endpoint's ``endpoint.json``; ``NotFound`` when there is no such endpoint."""
    path = endpoint_folder(home, name) / "endpoint.json"
    if not path.is_file():
        raise NotFound(f"No endpoint named {name!r}.", hint="Pick an endpoint from the endpoints list, or deploy one.")
    return dict(json.loads(path.read_text()))


def monitored_variant(endpoint: dict[str, Any], baseline_model_id: str = "") -> tuple[str, str]:
    """(variant, model id): the variant serving ``baseline_model_id``, else the first one that answers
    (not a shadow); with a ``baseline_model_id`` no variant serves, that variant's traffic against it."""
    variants = endpoint.get("variants") or []
    live = [v for v in variants if not v.get("shadow")] or variants
    if not live:
        raise InvalidInput(f"Endpoint {endpoint.get('name')!r} has no variants.", hint="Deploy a model to it first.")
    serving = [v for v in variants if baseline_model_id and v.get("model_id") == baseline_model_id]
    chosen = (serving or live)[0]
    return str(chosen["name"]), baseline_model_id or str(chosen["model_id"])


def capture_root(home: Path, endpoint: dict[str, Any]) -> Path:
    return Path(endpoint.get("capture_dir") or endpoint_folder(home, str(endpoint["name"])) / "capture")


def capture_files(root: Path, variant: str = "") -> list[Path]:
    """The capture files of one variant (all variants when ``variant`` is empty), oldest hour first."""
    return sorted((root / variant if variant else root).rglob("*.jsonl"))


def read_events(files: list[Path]) -> Iterator[dict[str, Any]]:
    """Every capture record; lines that are not JSON (a file being written) are skipped."""
    for path in files:
        with path.open(encoding="utf-8", errors="replace") as handle:
            yield from capture_events(handle)


def capture_events(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The capture records among ``lines``; lines that are not JSON (a file being written) are skipped."""
    for line in lines:
        try:
            event = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(event, dict) and isinstance(event.get("captureData"), dict):
            yield event


@dataclass(frozen=True)
class CaptureSample:
    """The most recent capture lines (oldest first) and how many lines the capture holds in all."""

    lines: list[str]
    total: int

    def note(self) -> tuple[str, ...]:
        """What a report says when it compared only part of the capture."""
        if len(self.lines) >= self.total:
            return ()
        return (f"Compared the most recent {len(self.lines):,} of {self.total:,} captured records: a drift report reads at most "
                f"{CAPTURE_SAMPLE_RECORDS:,} records and {CAPTURE_SAMPLE_BYTES // (1024 * 1024)} MB of capture, "
                "so older traffic is left out.",)


def read_recent_capture(files: list[Path], max_records: int, max_bytes: int) -> CaptureSample:
    """The last ``max_records`` non-blank lines of ``files`` (oldest file first) holding at most ``max_bytes``,
    read newest file first; files older than the sample are only counted. A line over the byte budget is skipped."""
    kept: deque[str] = deque()
    size = total = 0
    for path in reversed(files):
        if len(kept) >= max_records or size >= max_bytes:
            total += count_lines(path)
            continue
        lines, part_size, part_total = tail_lines(path, max_records - len(kept), max_bytes - size)
        kept.extendleft(reversed(lines))
        size, total = size + part_size, total + part_total
    return CaptureSample(list(kept), total)


def tail_lines(path: Path, max_lines: int, max_bytes: int) -> tuple[list[str], int, int]:
    """(the last lines of ``path`` within both budgets, their size in bytes, how many lines it has)."""
    lines: deque[bytes] = deque()
    size = total = 0
    with path.open("rb") as handle:
        for raw in handle:
            if not raw.strip():
                continue
            total += 1
            lines.append(raw)
            size += len(raw)
            while lines and (len(lines) > max_lines or size > max_bytes):
                size -= len(lines.popleft())
    return [raw.decode("utf-8", errors="replace") for raw in lines], size, total


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for raw in handle if raw.strip())


# -- parsing captured requests and responses ---------------------------------------------------------------


def decoded_data(part: dict[str, Any] | None) -> str:
    """A captured input or output as text (BASE64 decoded)."""
    if not part:
        return ""
    data = part.get("data", "")
    if not isinstance(data, str):
        return json.dumps(data)
    if str(part.get("encoding", "")).upper() == "BASE64":
        try:
            return base64.b64decode(data).decode("utf-8", errors="replace")
        except (binascii.Error, ValueError):
            return ""
    return data


def parse_instances(text: str, content_type: str, columns: list[str]) -> list[Any]:
    """The instances of a request body: JSON (``instances``/``inputs``, a list or one record), JSON lines or CSV."""
    kind = content_type.lower()
    if not text.strip():
        return []
    if "csv" in kind:
        return [row if len(columns) > 1 else ",".join(row) for row in csv.reader(text.splitlines()) if row]
    if "jsonlines" in kind or "ndjson" in kind:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    try:
        body = json.loads(text)
    except ValueError:
        if "json" in kind:
            raise
        return [text]  # text/plain: the review itself
    return json_instances(body, columns)


def json_instances(body: Any, columns: list[str]) -> list[Any]:
    if isinstance(body, dict) and "instances" in body:
        body = body["instances"]
    elif isinstance(body, dict) and "inputs" in body:
        body = body["inputs"]
    if not isinstance(body, list):
        return [body]
    one_row = len(columns) > 1 and len(body) == len(columns) and all(not isinstance(v, dict | list) for v in body)
    return [body] if one_row else body


def instance_record(instance: Any, columns: list[str], text_column: str) -> dict[str, Any]:
    """One instance as {column: value}: a record as is, an array by the model's column order, a string as the review."""
    if isinstance(instance, dict):
        features = instance.get("features")
        return dict(zip(columns, features)) if isinstance(features, list) else instance
    if isinstance(instance, list | tuple):
        return dict(zip(columns, instance))
    return {text_column or (columns[0] if columns else "text"): instance}


def response_predictions(response: dict[str, Any] | None) -> list[tuple[Any, float | None]]:
    """The predictions of a captured response; none when it is missing or does not parse (an error body)."""
    text = decoded_data(response)
    if not response or not text.strip():
        return []
    try:
        return parse_predictions(text, str(response.get("observedContentType", "")))
    except ValueError:
        return []


def parse_predictions(text: str, content_type: str) -> list[tuple[Any, float | None]]:
    """(predicted label, probability) per instance of a response: JSON ``predictions``, JSON lines or CSV lines."""
    kind = content_type.lower()
    if "csv" in kind:
        return [_csv_prediction(row) for row in csv.reader(text.splitlines()) if row]
    if "jsonlines" in kind or "ndjson" in kind:
        return [_json_prediction(json.loads(line)) for line in text.splitlines() if line.strip()]
    body = json.loads(text)
    if isinstance(body, dict) and "predictions" in body:
        body = body["predictions"]
    return [_json_prediction(item) for item in (body if isinstance(body, list) else [body])]


def _csv_prediction(row: list[str]) -> tuple[Any, float | None]:
    return row[0], _number(row[1]) if len(row) > 1 else None


def _json_prediction(item: Any) -> tuple[Any, float | None]:
    if isinstance(item, dict):
        return item.get("predicted_label", item.get("label")), _number(item.get("probability"))
    return item, None


def _number(value: Any) -> float | None:
    try:
        return None if value is None or value == "" else float(value)
    except (TypeError, ValueError):
        return None


# -- captured traffic as rows ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Traffic:
    """One row per scored instance: its input columns, the label the endpoint answered and its hour."""

    features: pd.DataFrame
    predicted: pd.Series
    hours: pd.Series


def event_rows(event: dict[str, Any], columns: list[str], text_column: str) -> tuple[list[dict[str, Any]], list[Any], str]:
    """(input records, predicted labels, hour) of one capture record; a body that does not parse gives no rows."""
    data = event["captureData"]
    request, response = data.get("endpointInput") or {}, data.get("endpointOutput")
    try:
        instances = parse_instances(decoded_data(request), str(request.get("observedContentType", "")), columns)
    except ValueError:
        return [], [], ""
    labels = [label for label, _ in response_predictions(response)][:len(instances)]
    labels += [None] * (len(instances) - len(labels))
    hour = str((event.get("eventMetadata") or {}).get("inferenceTime", ""))[:13]
    return [instance_record(i, columns, text_column) for i in instances], labels, hour


def captured_traffic(events: Iterator[dict[str, Any]], columns: list[str], text_column: str) -> Traffic:
    records: list[dict[str, Any]] = []
    labels: list[Any] = []
    hours: list[str] = []
    for event in events:
        rows, predicted, hour = event_rows(event, columns, text_column)
        records += rows
        labels += predicted
        hours += [hour] * len(rows)
    features = pd.DataFrame.from_records(records, columns=columns) if records else pd.DataFrame(columns=columns)
    return Traffic(features, pd.Series(labels, dtype=object), pd.Series(hours, dtype=object))


def source_traffic(catalog: CatalogPort, settings: Settings, source: DataSource, record: ModelRecord) -> Traffic:
    """A table's or file's rows (a sample of large ones), with predictions made here when it has none."""
    resolved, _ = resolve_source(catalog, settings, source)
    frame = sample_rows(load_frame(settings, resolved), SOURCE_ROWS).reset_index(drop=True)
    if frame.empty:
        raise InvalidInput(f"{source.label} has no rows to compare.", hint="Pick a table or file with rows.")
    if "predicted_label" in frame.columns:
        predicted = frame["predicted_label"]
    else:
        predicted = load_in_app_process(record).predict_frame(frame)["predicted_label"]
    return Traffic(frame, predicted.astype(object).reset_index(drop=True), pd.Series([""] * len(frame), dtype=object))


# -- drift reports ----------------------------------------------------------------------------------------------


def drift_from_traffic(endpoint_name: str, model_id: str, baseline: Baseline, traffic: Traffic, variant: str = "", *,
                       embedding: FeatureDrift | None = None, notes: tuple[str, ...] = ()) -> DriftReport:
    """``traffic`` against ``baseline``, whichever backend read the rows (capture files here, S3 and
    Athena on AWS); ``InvalidInput`` when there are none. ``embedding``: the row ``embedding_drift`` made;
    ``notes``: what the reader says about the rows (e.g. that they are a sample)."""
    if traffic.features.empty:
        raise InvalidInput(f"Endpoint {endpoint_name} has no captured traffic yet (variant {variant}).",
                           hint="Send it some requests with data capture on, or compare a table instead.")
    return build_report(endpoint_name, model_id, baseline, traffic, embedding, notes)


@dataclass(frozen=True)
class EmbeddingCheck:
    """The embedding row of a drift report (None when there is none) and what the report says about it."""

    drift: FeatureDrift | None = None
    notes: tuple[str, ...] = ()


# What embedding the texts may fail with, short of a bug: the model's files (unreadable, refused in the app
# process) and the engine running out of memory or failing on the texts (torch raises RuntimeError).
EMBEDDING_FAILURES = (ServiceError, OSError, MemoryError, RuntimeError)


def embedding_drift(baseline: Baseline, record: ModelRecord, traffic: Traffic) -> EmbeddingCheck:
    """The traffic's texts (a seeded sample of at most ``EMBEDDING_ROWS``) embedded by the model and compared
    with the baseline's centroid. No row without an embedding baseline or texts; a note instead when the model
    cannot embed or embedding fails in an expected way (anything else is a bug and propagates)."""
    stats = baseline.embedding
    if not stats:
        return EmbeddingCheck()
    texts = column_texts(sample_rows(traffic.features, EMBEDDING_ROWS), list(stats["columns"]))
    if not texts:
        return EmbeddingCheck()
    skipped = f"The embedding check of {' + '.join(stats['columns'])} was skipped: "
    try:
        embed = text_embedder(load_in_app_process(record))
        if embed is None:
            return EmbeddingCheck(notes=(f"{skipped}model {record.model_id} has an embedding baseline but cannot embed texts.",))
        vectors = embed(texts)
    except EMBEDDING_FAILURES as exc:
        log.warning("Could not embed the texts of model %s for its drift report: %s", record.model_id, exc, exc_info=True)
        return EmbeddingCheck(notes=(f"{skipped}embedding the captured texts with model {record.model_id} failed "
                                     f"({type(exc).__name__}: {exc}).",))
    return EmbeddingCheck(compare_embedding(stats, baseline.constraints.get("embedding"), vectors))


FEW_ROWS = 100


def build_report(endpoint_name: str, model_id: str, baseline: Baseline, traffic: Traffic,
                 embedding: FeatureDrift | None = None, notes: tuple[str, ...] = ()) -> DriftReport:
    """Every input column (and the texts' embedding, when given) and the predictions against the baseline."""
    thresholds = baseline.thresholds
    constraints = baseline.constraints.get("features", {})
    features = tuple(compare_feature(name, stats, constraints.get(name, {}), column_values(traffic.features, name), thresholds)
                     for name, stats in baseline.features.items()) + ((embedding,) if embedding else ())
    prediction = compare_prediction(baseline.prediction, traffic.predicted, thresholds) if baseline.prediction else None
    found = [d for d in (*features, prediction) if d is not None and d.violation]
    rows = len(traffic.features)
    notes += (f"Only {rows} row(s) compared: distances on fewer than {FEW_ROWS} rows say little; "
              "look again when more traffic has been captured.",) if rows < FEW_ROWS else ()
    return DriftReport(endpoint=endpoint_name, baseline_model_id=model_id, rows=rows, features=features,
                       prediction_drift=prediction, violations=tuple(v for d in found for v in d.violation.split("; ")),
                       over_time=over_time(baseline, traffic), created_at=utc_now(), notes=notes)


def column_values(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column of the traffic; all missing when no request sent it."""
    return frame[name] if name in frame.columns else pd.Series([None] * len(frame), dtype=object)


def over_time(baseline: Baseline, traffic: Traffic) -> tuple[dict[str, object], ...]:
    """Per hour of capture: rows and each column's PSI (and the predictions'), for plotting."""
    rows = []
    for hour, index in sorted(traffic.hours.groupby(traffic.hours).groups.items()):
        if not hour:
            continue
        part = traffic.features.loc[index]
        row: dict[str, object] = {"hour": hour, "rows": len(index)}
        for name, stats in baseline.features.items():
            row[f"psi_{name}"] = column_psi(stats, column_values(part, name))
        if baseline.prediction:
            row["psi_prediction"] = column_psi(baseline.prediction, prediction_values(baseline.prediction, traffic.predicted[index]))
        rows.append(row)
    return tuple(rows)


def prediction_values(stats: dict[str, Any], labels: pd.Series) -> pd.Series:
    labels = labels.dropna()
    return labels.map(label_text) if stats["kind"] == "categorical" else labels


def report_from_json(data: dict[str, Any]) -> DriftReport:
    prediction = data.get("prediction_drift")
    return DriftReport(**{**data, "features": tuple(FeatureDrift(**f) for f in data["features"]),
                          "prediction_drift": FeatureDrift(**prediction) if prediction else None,
                          "violations": tuple(data["violations"]), "over_time": tuple(data["over_time"]),
                          "notes": tuple(data.get("notes", ()))})


# -- the capture as a catalog table ---------------------------------------------------------------------------------


def capture_row(event: dict[str, Any]) -> dict[str, Any]:
    """One capture record as a flat row; the label and probability are the first instance's."""
    data, metadata = event["captureData"], event.get("eventMetadata") or {}
    request, response = data.get("endpointInput") or {}, data.get("endpointOutput") or {}
    predictions = response_predictions(response)
    label, probability = predictions[0] if predictions else (None, None)
    return {"event_id": str(metadata.get("eventId", "")), "inference_time": _timestamp(metadata.get("inferenceTime")),
            "variant": str(metadata.get("variant", "")), "input_content_type": str(request.get("observedContentType", "")),
            "input_data": decoded_data(request), "output_content_type": str(response.get("observedContentType", "")),
            "output_data": decoded_data(response), "predicted_label": None if label is None else label_text(label),
            "probability": probability, "prediction_count": len(predictions)}


def _iso_z(stamp: datetime | None) -> str:
    return stamp.isoformat(timespec="milliseconds") + "Z" if stamp else ""


def _timestamp(text: Any) -> datetime | None:
    """An ISO time as naive UTC to the millisecond (what the table's timestamp column holds)."""
    stamp = pd.to_datetime(text, utc=True, errors="coerce") if text else pd.NaT
    return None if pd.isna(stamp) else stamp.tz_convert(None).floor("ms").to_pydatetime()


def write_capture_parquet(rows: list[dict[str, Any]], folder: Path) -> None:
    """Replace the table's one file (written under a hidden name first, so readers never see half of it)."""
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / ".part-00000.parquet.partial"
    pq.write_table(pa.Table.from_pylist(rows, schema=CAPTURE_SCHEMA), partial)
    os.replace(partial, folder / "part-00000.parquet")


def recent_invocations(home: Path, name: str, max_records: int) -> list[CapturedInvocation]:
    """The endpoint's newest ``max_records`` capture records (read from the newest files, at most
    ``RECENT_CAPTURE_BYTES`` of them), newest first; ``NotFound`` for an unknown endpoint."""
    files = sorted(capture_files(capture_root(home, read_endpoint(home, name))), key=lambda p: p.stat().st_mtime)
    sample = read_recent_capture(files, max(0, max_records), RECENT_CAPTURE_BYTES)
    rows = [capture_row(event) for event in capture_events(sample.lines)]
    invocations = [CapturedInvocation(
        event_id=row["event_id"], inference_time=_iso_z(row["inference_time"]),
        variant=row["variant"], input_content_type=row["input_content_type"], input_data=row["input_data"],
        output_content_type=row["output_content_type"], output_data=row["output_data"]) for row in rows]
    return sorted(invocations, key=lambda i: i.inference_time, reverse=True)


# -- monitoring this workspace's endpoints ---------------------------------------------------------------------------


class LocalMonitoring:
    """Drift reports (on demand and on a schedule) and capture tables of this workspace's endpoints."""

    def __init__(self, stack: EmbeddedStack, catalog: CatalogPort, storage: StoragePort) -> None:
        self.stack = stack
        self.catalog = catalog
        self.storage = storage
        self.home = Path(stack.settings.home)

    def drift_report(self, endpoint_name: str, baseline_model_id: str = "", source: DataSource | None = None) -> DriftReport:
        """The endpoint's captured traffic (or ``source``'s rows) against its model's training baseline.

        ``baseline_model_id`` picks another model's baseline (e.g. a candidate's); by default the first
        variant that answers requests. ``NotFound`` for an unknown endpoint, ``InvalidInput`` with no traffic.
        """
        endpoint = read_endpoint(self.home, endpoint_name)
        variant, model_id = monitored_variant(endpoint, baseline_model_id)
        record = self.stack.models.get(model_id)
        baseline = ensure_baseline(record, self.stack.runner.jobs.get, self.stack.settings)
        notes: tuple[str, ...] = ()
        if source is not None:
            traffic = source_traffic(self.catalog, self.stack.settings, source, record)
        else:
            columns = [c.name for c in record.input_schema] or baseline.feature_columns
            sample = read_recent_capture(capture_files(capture_root(self.home, endpoint), variant), CAPTURE_SAMPLE_RECORDS,
                                         CAPTURE_SAMPLE_BYTES)
            traffic = captured_traffic(capture_events(sample.lines), columns, str(baseline.statistics.get("text_column", "")))
            notes = sample.note()
        embedding = embedding_drift(baseline, record, traffic)
        return drift_from_traffic(endpoint_name, model_id, baseline, traffic, variant, embedding=embedding.drift,
                                  notes=notes + embedding.notes)

    # -- reports on a schedule -------------------------------------------------------------------------------------

    def reports_folder(self, name: str) -> Path:
        return endpoint_folder(self.home, name) / REPORTS_FOLDER

    def write_report(self, report: DriftReport) -> Path:
        """Save a report as ``<home>/endpoints/<name>/monitoring/<timestamp>.json``."""
        folder = self.reports_folder(report.endpoint)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = "".join(ch for ch in report.created_at[:23] if ch.isdigit())
        path = folder / f"{stamp[:8]}T{stamp[8:]}Z.json"
        path.write_text(json.dumps(asdict(report), indent=2))
        record_monitoring_report(self.stack.store, report.endpoint, str(path), report.created_at)
        return path

    def list_reports(self, name: str) -> list[DriftReport]:
        """The endpoint's saved reports, oldest first (for plotting drift over days)."""
        if not endpoint_folder(self.home, name).is_dir():
            raise NotFound(f"No endpoint named {name!r}.", hint="Pick an endpoint from the endpoints list.")
        return [report_from_json(json.loads(p.read_text())) for p in sorted(self.reports_folder(name).glob("*.json"))]

    def run_round(self) -> list[Path]:
        """One report per endpoint that captured traffic since its last report; returns the files written."""
        written = []
        for path in sorted((self.home / "endpoints").glob("*/endpoint.json")):
            name = path.parent.name
            if not self.has_new_traffic(name):
                continue
            try:
                written.append(self.write_report(self.drift_report(name)))
            except ServiceError as exc:  # one endpoint's problem (no baseline source, no rows) must not stop the others
                log.warning("No drift report for endpoint %s: %s", name, exc)
        return written

    def has_new_traffic(self, name: str) -> bool:
        """True when a capture file changed after the newest saved report."""
        endpoint = read_endpoint(self.home, name)
        captured = [p.stat().st_mtime for p in capture_files(capture_root(self.home, endpoint))]
        reports = [p.stat().st_mtime for p in self.reports_folder(name).glob("*.json")]
        return bool(captured) and (not reports or max(captured) > max(reports))

    # -- the capture as a catalog table ------------------------------------------------------------------------------

    def register_capture_table(self, name: str) -> str:
        """Flatten the endpoint's capture files into Parquet in the lake and catalog them as
        ``endpoints.<name>_capture`` (one row per request); refreshed on every call."""
        endpoint = read_endpoint(self.home, name)
        rows = [capture_row(event) for event in read_events(capture_files(capture_root(self.home, endpoint)))]
        table = sanitize_table_name(f"{name}_capture")
        folder = self.stack.workspace.table_folder(CAPTURE_DATABASE, table)
        write_capture_parquet(rows, folder)
        self.storage.register_table(CAPTURE_DATABASE, table, folder)
        return f"{CAPTURE_DATABASE}.{table}"
