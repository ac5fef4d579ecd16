"""The labels port on AWS: the queue over an endpoint's data capture in S3, ground truth for Model Monitor in S3.

* Items: the capture files SageMaker writes under the endpoint's ``DataCaptureConfig.DestinationS3Uri``
  (``<destination>/<endpoint>/<variant>/yyyy/mm/dd/hh/*.jsonl``), the newest ``MAX_CAPTURE_FILES`` of them and
  at most ``MAX_CAPTURE_BYTES``, of the variant serving the endpoint's registered model; one item per capture
  record (its ``eventMetadata.eventId``). Table sources are the rows of a catalog table through the query port
  (Athena), as the local adapter reads them (``services.labels.items.table_items``).
* Every label and skip: ``services.aws.label_history`` (one JSON-lines object, compare-and-swap writes) at
  ``s3://<bucket>/ground-truth/_history/<source>.jsonl`` — beside the ground truth, outside the endpoint's
  ``GroundTruthS3Input`` prefix so Model Monitor never reads it.
* Ground truth: after every change the endpoint's whole current ground truth (each event's majority label) is
  written as one new snapshot ``s3://<bucket>/ground-truth/<endpoint>/yyyy/mm/dd/hh/ground-truth-<stamp>.jsonl`` in
  Model Monitor's JSON lines, then the older snapshots are deleted — the same rule as the local adapter's
  (``services.labels.ground_truth``): a PUT is atomic, so S3 never holds a half-written file, and an undone label
  disappears. The label rows (one per label) are a Parquet file under ``s3://<bucket>/ground-truth/_table/
  <endpoint>/`` catalogued in Glue as ``monitoring.ground_truth_<endpoint>`` through the storage port.

Items, queue order, majority, agreement, the import formats, the ground-truth lines and the appended table are the
local adapter's pure functions (``services.labels.items|queue|agreement|importing|ground_truth|table_append``), so
both adapters behave alike; only where things are kept differs.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq

from services.aws.errors import translated
from services.aws.label_history import LABEL, SKIP, History, S3History, utc_now
from services.aws.model_packages import model_from_package
from services.aws.s3 import split_s3_uri
from services.aws.sagemaker import BUCKET_HINT, SageMakerClients
from services.catalog.base import CatalogPort
from services.config import Settings
from services.endpoints.aws.common import MODEL_TAG
from services.endpoints.monitoring import capture_events
from services.errors import BackendUnavailable, InvalidInput, NotFound
from services.labels.agreement import latest_votes, majority_labels
from services.labels.base import LabelsPort
from services.labels.ground_truth import SNAPSHOT_PREFIX, TABLE_SCHEMA, ground_truth_bytes, table_rows
from services.labels.items import (
    MAX_ITEMS,
    NO_CAPTURE_HINT,
    SourceItems,
    capped_note,
    capture_item,
    table_items,
    text_column,
)
from services.labels.local import ground_truth_table
from services.labels.models import GROUND_TRUTH_DATABASE, ImportResult, Label, LabelProgress, LabelQueue, LabelSource
from services.labels.queue import check_order, labeller_queue
from services.labels.sources import checked_source, source_key
from services.labels.summary import file_labels, progress_of
from services.labels.table_append import append_labelled
from services.models import DataSource, ModelRecord
from services.names import check_labeller
from services.query.base import QueryPort
from services.storage.base import StoragePort

MAX_CAPTURE_FILES = 500
MAX_CAPTURE_BYTES = 64 * 1024 * 1024
GROUND_TRUTH_PREFIX = "ground-truth"


def ground_truth_prefix(endpoint: str) -> str:
    """The endpoint's ``GroundTruthS3Input`` prefix in the bucket (the monitoring adapter points its jobs here)."""
    return f"{GROUND_TRUTH_PREFIX}/{endpoint}/"


def history_key(source: LabelSource) -> str:
    """Beside the ground truth, outside every endpoint's ``GroundTruthS3Input`` prefix."""
    return f"{GROUND_TRUTH_PREFIX}/_history/{source_key(source)}.jsonl"


def snapshot_key(endpoint: str, now: datetime) -> str:
    return f"{ground_truth_prefix(endpoint)}{now:%Y/%m/%d/%H}/{SNAPSHOT_PREFIX}{now:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.jsonl"


class AwsLabels(SageMakerClients):
    """Labels for SageMaker endpoints and Glue tables, kept in the configured bucket."""

    def __init__(self, session: boto3.Session, settings: Settings, *, catalog: CatalogPort, query: QueryPort,
                 storage: StoragePort) -> None:
        self.session = session
        self.settings = settings
        self.catalog = catalog
        self.query = query
        self.storage = storage

    # -- the queue ------------------------------------------------------------------------------------------

    @translated
    def queue(self, source: LabelSource, order: str = "uncertainty", labeller: str = "", limit: int = 50,
              seed: int = 0) -> LabelQueue:
        check_order(order)
        found, history = self._items(source), self._history(source).read()
        if source.is_endpoint and not found.items:
            raise InvalidInput(f"Endpoint {source.endpoint} has no captured requests to label yet.", hint=NO_CAPTURE_HINT)
        waiting = labeller_queue(found.items, order, seed, history.done(labeller), history.taken_back(labeller))
        given = _given(history)
        majority = majority_labels(history.votes())
        items = tuple(replace(item, labels=given.get(item.item_id, ())) for item in waiting[:max(limit, 0)])
        return LabelQueue(source, order, self._classes(source, found, history), items, len(found.items),
                          sum(1 for item in found.items if item.item_id in majority), notes=found.notes,
                          open_classes=not found.classes)

    @translated
    def submit(self, source: LabelSource, item_id: str, label: str, labeller: str) -> Label:
        labeller, found = check_labeller(labeller), self._items(source)
        _check_item(source, found, item_id)
        history_store = self._history(source)
        classes = self._classes(source, found, history_store.read())
        label = label.strip()
        if not label or (classes and (found.classes or source.is_endpoint) and label not in classes):
            raise InvalidInput(f"{label!r} is not one of the classes of {source.label}: {', '.join(classes)}.",
                               hint="Pick one of the classes shown.")
        given: Label = self._change(source, lambda history: history.add(item_id, labeller, LABEL, label))
        return given

    @translated
    def skip(self, source: LabelSource, item_id: str, labeller: str) -> None:
        labeller, found = check_labeller(labeller), self._items(source)
        _check_item(source, found, item_id)
        self._history(source).change(lambda history: history.add(item_id, labeller, SKIP))

    @translated
    def undo(self, source: LabelSource, labeller: str) -> Label | None:
        labeller = check_labeller(labeller)
        self._items(source)  # NotFound for an unknown source
        undone = self._history(source).change(lambda history: history.undo_latest(labeller))
        if undone is not None and undone[0] == LABEL and source.is_endpoint:
            self._publish(source.endpoint)
        return None if undone is None else undone[1]

    @translated
    def progress(self, source: LabelSource) -> LabelProgress:
        return progress_of(self._items(source), self._history(source).read().votes())

    # -- ground truth ---------------------------------------------------------------------------------------

    @translated
    def ground_truth(self, endpoint: str) -> dict[str, str]:
        """eventId -> majority label, from the labellers' history (what the snapshot in S3 holds)."""
        source = checked_source(LabelSource(endpoint=endpoint))
        self._endpoint(endpoint)  # NotFound for an unknown endpoint
        return majority_labels(self._history(source).read().votes())

    @translated
    def export_labels(self, endpoint: str) -> bytes:
        return ground_truth_bytes(self.ground_truth(endpoint))

    @translated
    def import_labels(self, endpoint: str, filename: str, data: bytes, labeller: str = "import") -> ImportResult:
        """Known event ids are labelled in one history write; unknown ones and unreadable lines are reported."""
        source, labeller = LabelSource(endpoint=endpoint), check_labeller(labeller)
        found = self._items(source)
        accepted, unknown, problems = file_labels(found, filename, data)
        if accepted:
            at = utc_now()
            self._change(source, lambda history: [history.add(e, labeller, LABEL, label, at) for e, label in accepted])
        return ImportResult(len(accepted), unknown, tuple(problems))

    @translated
    def append_to_table(self, source: LabelSource, target: DataSource, text_column: str, label_column: str) -> int:
        """The table's rows plus one (text, majority label) row per labelled item, imported as its new version."""
        majority = majority_labels(self._history(source).read().votes())
        return append_labelled(self.catalog, self.storage, self._items(source), majority, source.label, target, text_column,
                               label_column)

    # -- the history and the ground truth in S3 ---------------------------------------------------------------

    def _history(self, source: LabelSource) -> S3History:
        return S3History(self._s3, self._require_bucket(), history_key(checked_source(source)))

    def _change(self, source: LabelSource, apply: Any) -> Any:
        """Change the history, then (endpoints) rewrite the ground-truth snapshot and its table from the new one."""
        result = self._history(source).change(apply)
        if source.is_endpoint:
            self._publish(source.endpoint)
        return result

    def _publish(self, endpoint: str) -> None:
        """A new snapshot of the whole ground truth, then the older snapshots deleted; then the label table."""
        bucket = self._require_bucket()
        history = self._history(LabelSource(endpoint=endpoint)).read()
        majority = majority_labels(history.votes())
        new_key = snapshot_key(endpoint, datetime.now(UTC))
        self._s3.put_object(Bucket=bucket, Key=new_key, Body=ground_truth_bytes(majority), ContentType="application/jsonl")
        pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=ground_truth_prefix(endpoint))
        old = [o["Key"] for page in pages for o in page.get("Contents", [])
               if o["Key"] != new_key and o["Key"].rsplit("/", 1)[-1].startswith(SNAPSHOT_PREFIX)]
        for start in range(0, len(old), 1000):  # DeleteObjects takes 1,000 keys a call
            self._s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in old[start:start + 1000]]})
        buffer = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(table_rows(history.labels(), majority), schema=TABLE_SCHEMA), buffer)
        folder = f"{GROUND_TRUTH_PREFIX}/_table/{endpoint}/"
        self._s3.put_object(Bucket=bucket, Key=f"{folder}part-00000.parquet", Body=buffer.getvalue())
        self.storage.register_table(GROUND_TRUTH_DATABASE, ground_truth_table(endpoint), f"s3://{bucket}/{folder}")

    # -- items ------------------------------------------------------------------------------------------------

    def _items(self, source: LabelSource) -> SourceItems:
        source = checked_source(source)
        if source.is_endpoint:
            return self._capture_items(source.endpoint)
        return table_items(self.catalog, self.query, source)

    def _classes(self, source: LabelSource, found: SourceItems, history: History) -> tuple[str, ...]:
        """The source's classes; for a table without a label column, the labels given so far."""
        if found.classes or source.is_endpoint:
            return found.classes
        return tuple(dict.fromkeys(v.label for v in history.votes()))

    def _capture_items(self, endpoint: str) -> SourceItems:
        raw = self._endpoint(endpoint)
        variant, model = self._model(raw)
        destination = raw.get("DataCaptureConfig", {}).get("DestinationS3Uri", "")
        if not destination:
            raise InvalidInput(f"Endpoint {endpoint} captures no requests, so there is nothing to label.",
                               hint="Deploy it again with data capture on.")
        columns, text = [c.name for c in model.input_schema], text_column(model)
        events, capped = self._capture_events(destination.rstrip("/") + f"/{endpoint}/{variant}/")
        items = [item for item in (capture_item(e, columns, text) for e in events) if item is not None]
        notes = (f"Only the newest {MAX_CAPTURE_FILES} capture files (at most {MAX_CAPTURE_BYTES // 2**20} MiB) "
                 "are offered for labelling.",) if capped else ()
        return SourceItems(tuple(items[:MAX_ITEMS]), tuple(model.classes), notes + capped_note(len(items), "captured requests"))

    def _capture_events(self, prefix_uri: str) -> tuple[list[dict[str, Any]], bool]:
        """The capture records (with an eventId) of the newest files, oldest first, within the file and byte caps;
        and whether files were left out."""
        bucket, prefix = split_s3_uri(prefix_uri)
        pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        objects = sorted((o for page in pages for o in page.get("Contents", []) if o["Key"].endswith(".jsonl")),
                         key=lambda o: (o["LastModified"], o["Key"]), reverse=True)
        chosen, size = [], 0
        for obj in objects[:MAX_CAPTURE_FILES]:
            if size + int(obj["Size"]) > MAX_CAPTURE_BYTES:
                break
            chosen.append(obj)
            size += int(obj["Size"])
        events: list[dict[str, Any]] = []
        for obj in reversed(chosen):
            body = self._s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode("utf-8", errors="replace")
            events.extend(e for e in capture_events(body.splitlines()) if (e.get("eventMetadata") or {}).get("eventId"))
        return events, len(chosen) < len(objects)

    def _endpoint(self, name: str) -> dict[str, Any]:
        try:
            return self._call("describe_endpoint", EndpointName=name)  # type: ignore[no-any-return]
        except NotFound as exc:
            raise NotFound(f"No SageMaker endpoint named {name!r} in {self.region}.",
                           hint="Pick an endpoint from the endpoints list; it may be in another region.") from exc

    def _model(self, endpoint: dict[str, Any]) -> tuple[str, ModelRecord]:
        """(variant, model): the first production variant whose registered model the deploy's tags name."""
        tags = self._sagemaker.list_tags(ResourceArn=endpoint["EndpointArn"]).get("Tags", [])
        model_ids = {t["Key"][len(MODEL_TAG):]: t["Value"] for t in tags if t["Key"].startswith(MODEL_TAG)}
        variant = next((v["VariantName"] for v in endpoint.get("ProductionVariants", []) if v["VariantName"] in model_ids), "")
        if not variant:
            raise InvalidInput(f"Endpoint {endpoint['EndpointName']} does not say which registered model it serves.",
                               hint="Deploy it from the workbench so that its classes are known.")
        return variant, model_from_package(self._package(model_ids[variant]))

    def _require_bucket(self) -> str:
        if not self.settings.s3_bucket:
            raise BackendUnavailable("No S3 bucket is configured for labels and ground truth.", hint=BUCKET_HINT)
        return self.settings.s3_bucket


def _given(history: History) -> dict[str, tuple[str, ...]]:
    """item -> each labeller's latest label of it."""
    given: dict[str, tuple[str, ...]] = {}
    for vote in latest_votes(history.votes()).values():
        given[vote.item_id] = given.get(vote.item_id, ()) + (vote.label,)
    return given


def _check_item(source: LabelSource, found: SourceItems, item_id: str) -> None:
    if not any(item.item_id == item_id for item in found.items):
        raise InvalidInput(f"{item_id!r} is not an item of {source.label}.",
                           hint="Label the items the queue offers (captured requests or the table's rows).")


def build_aws_labels(session: boto3.Session, settings: Settings, stack: object, *, catalog: CatalogPort,
                     query: QueryPort, storage: StoragePort) -> LabelsPort:
    """Called by the registry; the workspace stack is not needed: the labels live in S3."""
    del stack
    return AwsLabels(session, settings, catalog=catalog, query=query, storage=storage)
