"""Human labels in Model Monitor's shapes.

Ground truth is what SageMaker Model Monitor merges with captured requests: JSON lines of
``{"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "…"}, "eventVersion": "0"}``
whose ``eventId`` is the ``eventMetadata.eventId`` of a data-capture record. Locally the files live under the
endpoint's folder (``endpoints/<name>/ground-truth/yyyy/mm/dd/hh/<uuid>.jsonl``), on AWS under the configured
ground-truth S3 prefix (``s3://<bucket>/ground-truth/<endpoint>/yyyy/mm/dd/hh/…``), and both are also a catalog
table (``monitoring.ground_truth_<endpoint>``, one row per label).

Several people may label the same item: every label is kept with its labeller; the item's ground truth is the
majority label (ties: the latest), and agreement is shown per pair of labellers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

QUEUE_ORDERS = ("uncertainty", "random")  # uncertainty: the lowest top probability first
GROUND_TRUTH_DATABASE = "monitoring"
EVENT_VERSION = "0"
MAX_IMPORT_BYTES = 50 * 1024 * 1024  # a label file is read up to this size (the page reads an upload no further)


@dataclass(frozen=True)
class LabelSource:
    """What to label: the captured requests of an endpoint, or the rows of any catalog table.

    For a table, ``id_column`` identifies a row (its value is the item's id) and ``text_column`` is shown;
    ``prediction_column`` / ``probability_column`` are optional (uncertainty order needs the probability).
    """

    endpoint: str = ""
    database: str = ""
    table: str = ""
    id_column: str = ""
    text_column: str = ""
    prediction_column: str = ""
    probability_column: str = ""

    @property
    def is_endpoint(self) -> bool:
        return bool(self.endpoint)

    @property
    def label(self) -> str:
        return f"endpoint {self.endpoint}" if self.endpoint else f"{self.database}.{self.table}"


@dataclass(frozen=True)
class LabelItem:
    """One thing to label: a captured request (``item_id`` = its eventId) or a table row (its id)."""

    item_id: str
    text: str  # the review text, or the row's fields as "name: value" lines
    record: dict[str, Any] = field(default_factory=dict)  # the request's features / the row
    prediction: str = ""  # the model's label ("" when unknown)
    probability: float | None = None  # the model's top probability
    captured_at: str = ""  # ISO 8601 UTC (captures) or ""
    labels: tuple[str, ...] = ()  # labels already given by anyone (to show agreement)


@dataclass(frozen=True)
class LabelQueue:
    """The next items for one labeller, in the chosen order, without the ones they labelled or skipped."""

    source: LabelSource
    order: str
    classes: tuple[str, ...]  # the classes to offer (the model's classes, in its order)
    items: tuple[LabelItem, ...]
    total: int  # items in the source
    labelled: int  # items with at least one label
    notes: tuple[str, ...] = ()  # e.g. that only the first rows were read
    open_classes: bool = False  # any label is accepted (a table without a label column, a model without classes)


@dataclass(frozen=True)
class Label:
    item_id: str
    label: str
    labeller: str
    labelled_at: str  # ISO 8601 UTC


@dataclass(frozen=True)
class LabelProgress:
    total: int
    labelled: int  # items with at least one label
    by_labeller: dict[str, int]  # labeller -> labels given
    agreement: tuple[dict[str, Any], ...] = ()  # per pair: {"a", "b", "items" (both labelled), "percent", "kappa"}
    distribution: dict[str, int] = field(default_factory=dict)  # ground-truth label -> items


@dataclass(frozen=True)
class ImportResult:
    """``labels import``: ``{"Imported": n, "UnknownEventIds": m}`` plus which ids were unknown (never dropped
    silently) and how many lines could not be read."""

    imported: int
    unknown_event_ids: tuple[str, ...] = ()
    bad_lines: tuple[str, ...] = ()  # "line 3: not JSON" …

    def as_json(self) -> dict[str, Any]:
        return {"Imported": self.imported, "UnknownEventIds": len(self.unknown_event_ids),
                "UnknownEventIdList": list(self.unknown_event_ids[:100]), "BadLines": list(self.bad_lines[:100])}
