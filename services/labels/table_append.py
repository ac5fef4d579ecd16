"""Appending labelled (text, label) rows to a training table: pure over Arrow tables."""

from __future__ import annotations

import pyarrow as pa

from services.errors import InvalidInput
from services.models import Table


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
