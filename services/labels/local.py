"""The labels port on the local stack: labels in the metadata store, ground truth in the endpoint's folder
(Model Monitor's JSON lines, see ``services.labels.ground_truth``) and in the catalog table
``monitoring.ground_truth_<endpoint>``.

Classes offered: for an endpoint, the classes of the model its answering variant serves (any label for a
model without classes, e.g. a regression); for a table, the distinct values of its ``label`` column when it
has one, else the labels given so far (and then any new label is accepted). A label outside the classes a
source defines is refused.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from services.catalog.base import CatalogPort
from services.embedded.embedded_stack import EmbeddedStack
from services.endpoints.monitoring import endpoint_folder
from services.errors import InvalidInput
from services.labels.agreement import latest_votes, majority_labels
from services.labels.base import LabelsPort
from services.labels.ground_truth import (
    FOLDER,
    ground_truth_bytes,
    publishing,
    table_rows,
    write_snapshot,
    write_table_file,
)
from services.labels.items import SourceItems, endpoint_capture, endpoint_items, nothing_captured, table_items
from services.labels.models import GROUND_TRUTH_DATABASE, ImportResult, Label, LabelProgress, LabelQueue, LabelSource
from services.labels.queue import check_order, labeller_queue
from services.labels.sources import checked_source, source_key
from services.labels.store import LABEL, SKIP, LabelStore
from services.labels.summary import file_labels, progress_of
from services.labels.table_append import append_labelled
from services.models import DataSource
from services.names import check_labeller, check_name, glue_name
from services.query.base import QueryPort
from services.storage.base import StoragePort


def build_local_labels(stack: EmbeddedStack, *, catalog: CatalogPort, query: QueryPort, storage: StoragePort) -> LabelsPort:
    return LocalLabels(stack, catalog, query, storage)


class LocalLabels:
    def __init__(self, stack: EmbeddedStack, catalog: CatalogPort, query: QueryPort, storage: StoragePort) -> None:
        self.stack, self.catalog, self.query, self.storage = stack, catalog, query, storage
        self.store = LabelStore(stack.store)
        self.home = Path(stack.settings.home)
        self._cache: dict[str, tuple[object, SourceItems]] = {}

    # -- the items of a source (cached while the capture files or the table version stay the same) --------------

    def items(self, source: LabelSource) -> SourceItems:
        source = checked_source(source)
        key = source_key(source)
        state = self._state(source)
        cached = self._cache.get(key)
        if cached is None or cached[0] != state:
            found = endpoint_items(self.stack, source.endpoint) if source.is_endpoint else table_items(self.catalog, self.query, source)
            self._cache[key] = cached = (state, found)
        return cached[1]

    def _state(self, source: LabelSource) -> object:
        if source.is_endpoint:
            return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in endpoint_capture(self.stack, source.endpoint))
        table = self.catalog.get_table(source.database, source.table)
        return (table.version_id, table.updated_at)

    def classes(self, source: LabelSource, found: SourceItems) -> tuple[str, ...]:
        if found.classes or source.is_endpoint:
            return found.classes
        return tuple(dict.fromkeys(v.label for v in self.store.votes(source_key(source))))

    # -- the port ----------------------------------------------------------------------------------------------------

    def queue(self, source: LabelSource, order: str = "uncertainty", labeller: str = "", limit: int = 50,
              seed: int = 0) -> LabelQueue:
        check_order(order)
        found = self.items(source)
        if source.is_endpoint and not found.items:
            raise nothing_captured(self.stack, source.endpoint)
        key = source_key(checked_source(source))
        waiting = labeller_queue(found.items, order, seed, self.store.done(key, labeller), self.store.taken_back(key, labeller))
        majority = majority_labels(self.store.votes(key))
        given = self._given(key)
        items = tuple(replace(item, labels=given.get(item.item_id, ())) for item in waiting[:max(limit, 0)])
        return LabelQueue(source, order, self.classes(source, found), items, len(found.items),
                          sum(1 for item in found.items if item.item_id in majority), notes=found.notes,
                          open_classes=not found.classes)

    def _given(self, key: str) -> dict[str, tuple[str, ...]]:
        given: dict[str, tuple[str, ...]] = {}
        for vote in latest_votes(self.store.votes(key)).values():
            given[vote.item_id] = given.get(vote.item_id, ()) + (vote.label,)
        return given

    def submit(self, source: LabelSource, item_id: str, label: str, labeller: str) -> Label:
        labeller, found = check_labeller(labeller), self.items(source)
        self._check_item(source, found, item_id)
        classes = self.classes(source, found)
        label = label.strip()
        if not label or (classes and (found.classes or source.is_endpoint) and label not in classes):
            raise InvalidInput(f"{label!r} is not one of the classes of {source.label}: {', '.join(classes)}.",
                               hint="Pick one of the classes shown.")
        given = self.store.add(source_key(checked_source(source)), item_id, labeller, LABEL, label)
        self._publish(source)
        return given

    def skip(self, source: LabelSource, item_id: str, labeller: str) -> None:
        labeller, found = check_labeller(labeller), self.items(source)
        self._check_item(source, found, item_id)
        self.store.add(source_key(checked_source(source)), item_id, labeller, SKIP)

    def undo(self, source: LabelSource, labeller: str) -> Label | None:
        labeller = check_labeller(labeller)
        self.items(source)  # NotFound for an unknown source
        undone = self.store.undo_latest(source_key(checked_source(source)), labeller)
        if undone is not None and undone[0] == LABEL:
            self._publish(source)
        return None if undone is None else undone[1]

    def progress(self, source: LabelSource) -> LabelProgress:
        return progress_of(self.items(source), self.store.votes(source_key(checked_source(source))))

    def import_labels(self, endpoint: str, filename: str, data: bytes, labeller: str = "import") -> ImportResult:
        source, labeller = LabelSource(endpoint=endpoint), check_labeller(labeller)
        found = self.items(source)
        accepted, unknown, problems = file_labels(found, filename, data)
        if accepted:
            self.store.add_many(source_key(checked_source(source)), accepted, labeller)
            self._publish(source)
        return ImportResult(len(accepted), unknown, tuple(problems))

    def export_labels(self, endpoint: str) -> bytes:
        return ground_truth_bytes(self.ground_truth(endpoint))

    def ground_truth(self, endpoint: str) -> dict[str, str]:
        source = checked_source(LabelSource(endpoint=endpoint))
        endpoint_capture(self.stack, endpoint)  # NotFound for an unknown endpoint
        return majority_labels(self.store.votes(source_key(source)))

    def append_to_table(self, source: LabelSource, target: DataSource, text_column: str, label_column: str) -> int:
        majority = majority_labels(self.store.votes(source_key(checked_source(source))))
        return append_labelled(self.catalog, self.storage, self.items(source), majority, source.label, target, text_column,
                               label_column)

    # -- helpers -------------------------------------------------------------------------------------------------------

    def _check_item(self, source: LabelSource, found: SourceItems, item_id: str) -> None:
        if not any(item.item_id == item_id for item in found.items):
            raise InvalidInput(f"{item_id!r} is not an item of {source.label}.",
                               hint="Label the items the queue offers (captured requests or the table's rows).")

    def _publish(self, source: LabelSource) -> None:
        """Rewrite the endpoint's ground-truth snapshot and its catalog table (tables have no ground truth)."""
        if not source.is_endpoint:
            return
        key, root = source_key(checked_source(source)), endpoint_folder(self.home, source.endpoint) / FOLDER
        table = ground_truth_table(source.endpoint)
        folder = self.stack.workspace.table_folder(GROUND_TRUTH_DATABASE, table)
        with publishing(root):  # the labels read here are the latest when written: no older snapshot wins
            votes, labels = self.store.votes(key), self.store.labels(key)
            majority = majority_labels(votes)
            write_snapshot(root, majority)
            write_table_file(table_rows(labels, majority), folder)
        self.storage.register_table(GROUND_TRUTH_DATABASE, table, folder)


def ground_truth_table(endpoint: str) -> str:
    """``ground_truth_<endpoint>`` as a Glue table name (hyphens become underscores, lower case)."""
    return glue_name("table", f"ground_truth_{check_name('endpoint', endpoint)}")
