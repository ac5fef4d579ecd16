"""The labels port: a labelling queue over captured requests or table rows, and the ground truth it writes.

Locally labels are kept in the metadata store (every label with its labeller) and written out as Model
Monitor's ground-truth JSON lines under ``endpoints/<name>/ground-truth/…`` plus a catalog table; on AWS the
ground truth goes to S3 where a ModelQuality monitoring schedule reads it (``GroundTruthS3Input``).
"""

from __future__ import annotations

from typing import Protocol

from services.labels.models import ImportResult, Label, LabelProgress, LabelQueue, LabelSource
from services.models import DataSource


class LabelsPort(Protocol):
    def queue(self, source: LabelSource, order: str = "uncertainty", labeller: str = "", limit: int = 50,
              seed: int = 0) -> LabelQueue:
        """The next ``limit`` items ``labeller`` has neither labelled nor skipped, ordered by ``order``
        (``QUEUE_ORDERS``; random is repeatable for a seed). ``NotFound`` for an unknown endpoint or table,
        ``InvalidInput`` for an unknown column or order, or an endpoint that captures nothing."""
        ...

    def submit(self, source: LabelSource, item_id: str, label: str, labeller: str) -> Label:
        """Record a label (``InvalidInput`` for a class the source does not offer or an unknown item); the ground
        truth files and table are updated at once."""
        ...

    def skip(self, source: LabelSource, item_id: str, labeller: str) -> None:
        """Leave the item out of this labeller's queue."""
        ...

    def undo(self, source: LabelSource, labeller: str) -> Label | None:
        """Take back this labeller's latest label or skip; returns the label taken back (None for a skip or
        when there is nothing to undo). The item comes back to the front of the queue."""
        ...

    def progress(self, source: LabelSource) -> LabelProgress:
        """How much is labelled, by whom, and how far labellers agree."""
        ...

    def import_labels(self, endpoint: str, filename: str, data: bytes, labeller: str = "import") -> ImportResult:
        """Labels from Model Monitor's ground-truth JSON lines, a CSV (``eventId`` or ``event_id`` and ``label``
        columns) or a SageMaker Ground Truth output manifest (a ``<job>`` label attribute plus
        ``<job>-metadata.class-name``; the event id from the line's ``eventId``/``event_id``/``id``, else every
        captured request whose text is the line's ``source``). A class may be given by its name ("positive" for 1).
        Unknown event ids are reported, not dropped; unreadable lines and refused labels are listed by line or
        event. ``InvalidInput`` for a file over 50 MB, not UTF-8, or without any line holding a label."""
        ...

    def export_labels(self, endpoint: str) -> bytes:
        """The endpoint's ground truth as Model Monitor's JSON lines (one line per labelled event: its majority label)."""
        ...

    def ground_truth(self, endpoint: str) -> dict[str, str]:
        """eventId -> ground-truth label (majority; ties: the latest) — what the model-quality monitor joins."""
        ...

    def append_to_table(self, source: LabelSource, target: DataSource, text_column: str, label_column: str) -> int:
        """Retrain with the new labels: append the labelled items (text, majority label) the table does not hold yet
        to a catalog table (a new version of it), returning the rows appended. ``InvalidInput`` when the columns do
        not exist or do not fit, nothing is labelled, or every labelled row is in the table already."""
        ...
