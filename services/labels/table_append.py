"""Appending labelled (text, label) rows to a training table: pure over Arrow tables."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq

from services.catalog.base import CatalogPort
from services.errors import InvalidInput
from services.label_map import label_text
from services.labels.items import SourceItems
from services.models import DataSource, Table
from services.names import check_output_table
from services.storage.base import StoragePort


def appended_table(current: pa.Table, table: Table, rows: list[tuple[str, str]], text_column: str,
                   label_column: str) -> pa.Table:
    """``current`` with one row per (text, label) at the end: the text and label in their columns, every other
    column null. ``InvalidInput`` when a column is missing, the text column is not a string column, or a label
    does not fit the label column's type (e.g. "positive" into an integer column)."""
    check_columns(current, table, text_column, label_column)
    schema = current.schema
    label_type = schema.field(label_column).type
    try:
        labels = pa.array([label for _, label in rows], type=pa.string()).cast(label_type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise InvalidInput(f"The labels do not fit {table.qualified_name}.{label_column} ({label_type}): {exc}.",
                           hint="Pick a label column whose type holds the classes (e.g. a string column).") from exc
    columns = {name: pa.nulls(len(rows), type=schema.field(name).type) for name in current.column_names}
    columns[text_column] = pa.array([text for text, _ in rows], type=schema.field(text_column).type)
    columns[label_column] = labels
    added = pa.table([columns[name] for name in current.column_names], schema=schema)
    return pa.concat_tables([current, added])


def check_columns(current: pa.Table, table: Table, text_column: str, label_column: str) -> None:
    """``InvalidInput`` unless both columns exist, differ, and the text column holds strings."""
    missing = [c for c in (text_column, label_column) if c not in current.column_names]
    if missing or text_column == label_column:
        raise InvalidInput(f"{table.qualified_name} has no column {', '.join(missing) or 'pair of different text and label columns'}.",
                           hint=f"Pick two different columns among: {', '.join(current.column_names)}.")
    text_type = current.schema.field(text_column).type
    if not pa.types.is_string(text_type) and not pa.types.is_large_string(text_type):
        raise InvalidInput(f"{table.qualified_name}.{text_column} holds {text_type}, not text.",
                           hint="Pick the table's text (string) column for the reviews.")


def unseen_rows(current: pa.Table, rows: list[tuple[str, str]], text_column: str, label_column: str
                ) -> list[tuple[str, str]]:
    """The (text, label) rows the table does not hold yet (labels compared as text: ``1`` in an integer column is
    ``"1"``), so appending again after more labelling adds only the new labels, never the same row twice."""
    texts = current.column(text_column).to_pylist()
    labels = current.column(label_column).to_pylist()
    held = {(text, label_text(label)) for text, label in zip(texts, labels) if text is not None and label is not None}
    return [row for row in dict.fromkeys(rows) if row not in held]


def append_labelled(catalog: CatalogPort, storage: StoragePort, found: SourceItems, majority: dict[str, str],
                    what: str, target: DataSource, text_column: str, label_column: str) -> int:
    """Both adapters' ``append_to_table``: the target table's rows plus one (text, majority label) row per labelled
    item of ``found`` (``what`` names the source) that the table does not hold yet, imported as the table's new
    version; the rows appended. ``InvalidInput`` when nothing is labelled or every labelled row is there already."""
    rows = [(item.text, majority[item.item_id]) for item in found.items if item.item_id in majority]
    if not rows:
        raise InvalidInput(f"Nothing in {what} is labelled yet.", hint="Label a few items first.")
    database, table = check_output_table(target.table)
    current = catalog.get_table(database, table)
    arrow = pa.Table.from_pandas(storage.read_table(database, table), preserve_index=False)
    check_columns(arrow, current, text_column, label_column)
    fresh = unseen_rows(arrow, rows, text_column, label_column)
    if not fresh:
        raise InvalidInput(f"{current.qualified_name} already holds every labelled item of {what} ({len(rows):,}).",
                           hint="Label more items to append them, or train on the table as it is.")
    combined = appended_table(arrow, current, fresh, text_column, label_column)
    buffer = io.BytesIO()
    pq.write_table(combined, buffer)
    buffer.seek(0)
    catalog.import_upload(f"{table}.parquet", buffer, database, table)
    return len(fresh)
