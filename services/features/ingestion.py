"""Ingestion: a source's rows, chunk by chunk, checked and handed to a writer that commits each chunk whole.

The loop itself knows nothing of files or stores: ``ingest_rows`` matches the source's columns to the group's
features, checks each chunk (``validation.check_rows``), gives the rows that pass to ``write`` and adds up
what failed and why. Progress is reported after every chunk as (rows done, total).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyarrow as pa

from services.errors import InvalidInput
from services.features.models import FeatureDefinition, FeatureGroupSpec, IngestResult
from services.features.sources import SourceRows
from services.features.validation import CheckedRows, check_rows, failure_lines, offline_column

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ColumnMatch:
    """Which source column feeds which feature (features with no column get nulls)."""

    sources: tuple[str, ...]
    features: tuple[str, ...]


def match_columns(spec: FeatureGroupSpec, columns: Iterable[str], label: str) -> ColumnMatch:
    """Each feature's column: the same name, else the same Glue column name (``Star-Rating`` ↔ ``star_rating``).
    ``InvalidInput`` when the record identifier or the event time has none."""
    available = list(columns)
    by_glue_name = {offline_column(c): c for c in available}
    pairs = [(available_column(f, available, by_glue_name), f.name) for f in spec.features]
    found = [(source, feature) for source, feature in pairs if source]
    for role, name in (("record identifier", spec.record_identifier), ("event time", spec.event_time)):
        if name not in [feature for _, feature in found]:
            shown = ", ".join(available[:30])
            raise InvalidInput(f"{label} has no column {name!r} for the {role} feature.",
                               hint=f"Its columns: {shown}. Ingest a source with that column, or rename it in SQL.")
    return ColumnMatch(tuple(s for s, _ in found), tuple(f for _, f in found))


def available_column(feature: FeatureDefinition, available: list[str], by_glue_name: dict[str, str]) -> str:
    if feature.name in available:
        return feature.name
    return by_glue_name.get(offline_column(feature.name), "")


def ingest_rows(spec: FeatureGroupSpec, rows: SourceRows, write: Callable[[CheckedRows], None],
                progress: Progress | None = None) -> IngestResult:
    """Every chunk of ``rows`` checked and written; the rows written, failed, and the causes."""
    match = match_columns(spec, rows.columns, rows.label)
    ingested = failed = done = 0
    failures: Counter[str] = Counter()
    for chunk in rows.chunks:
        checked = check_rows(spec, _features_of(chunk, match))
        if checked.rows:
            write(checked)
        ingested += checked.rows
        failed += checked.failed
        failures.update(checked.failures)
        done += chunk.num_rows
        if progress is not None:
            progress(done, max(rows.total, done))
    return IngestResult(ingested, failed, failure_lines(dict(failures)))


def _features_of(chunk: pa.Table, match: ColumnMatch) -> pa.Table:
    return chunk.select(list(match.sources)).rename_columns(list(match.features))
