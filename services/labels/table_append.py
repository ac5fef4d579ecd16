"""Appending labelled (text, label) rows to a training table: pure over Arrow tables."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq

from services.catalog.base import CatalogPort
from services.errors import InvalidInput
from services.labels.items import SourceItems
from services.models import DataSource, Table
from services.names import check_output_table
from services.storage.base import StoragePort


def appended_table(current: pa.Table, table: Table, rows: list[tuple[str, str]], text_column: str,
                   label_column: str) -> pa.Table:
    """``current`` with one row per (text, label) at the end: the text and label in their columns, every other
    column null. ``InvalidInput`` when a column is missing, the text column is not a string column, or a label
    does not fit the label column's type (e.g. "positive" into an integer column)."""
    missing = [c for c in (text_column, label_column) if c not in current.column_names]
    if missing or text_column == label_column:
        raise InvalidInput(f"{table.qualified_name} has no column {', '.join(missing) or 'pair of different text and label columns'}.",
                           hint=f"Pick two different columns among: {', '.join(current.column_names)}.")
    schema = current.schema
    if not pa.types.is_string(schema.field(text_column).type) and not pa.types.is_large_string(schema.field(text_column).type):
        raise InvalidInput(f"{table.qualified_name}.{text_column} holds {schema.field(text_column).type}, not text.",
                           hint="Pick the table's text (string) column for the reviews.")
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


def append_labelled(catalog: CatalogPort, storage: StoragePort, found: SourceItems, majority: dict[str, str],
                    what: str, target: DataSource, text_column: str, label_column: str) -> int:
    """Both adapters' ``append_to_table``: the target table's rows plus one (text, majority label) row per labelled
    item of ``found`` (``what`` names the source), imported as the table's new version; the rows appended."""
    rows = [(item.text, majority[item.item_id]) for item in found.items if item.item_id in majority]
    if not rows:
        raise InvalidInput(f"Nothing in {what} is labelled yet.", hint="Label a few items first.")
    database, table = check_output_table(target.table)
    current = catalog.get_table(database, table)
    frame = storage.read_table(database, table)
    combined = appended_table(pa.Table.from_pandas(frame, preserve_index=False), current, rows, text_column, label_column)
    buffer = io.BytesIO()
    pq.write_table(combined, buffer)
    buffer.seek(0)
    catalog.import_upload(f"{table}.parquet", buffer, database, table)
    return len(rows)
