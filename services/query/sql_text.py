"""SQL the app writes for the user (previews), in Athena's dialect."""

from __future__ import annotations

from services.models import Partition, Table

PREVIEW_ROWS = 100


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def table_preview_sql(table: Table, limit: int = PREVIEW_ROWS) -> str:
    return f"SELECT *\nFROM {quote_identifier(table.database)}.{quote_identifier(table.name)}\nLIMIT {limit}"


def partition_preview_sql(table: Table, partition: Partition, limit: int = PREVIEW_ROWS) -> str:
    """A preview that filters on every partition key, so only that partition is scanned."""
    conditions = [
        f"{quote_identifier(key.name)} = {quote_string(value)}"
        for key, value in zip(table.partition_keys, partition.values)
    ]
    return (
        f"SELECT *\nFROM {quote_identifier(table.database)}.{quote_identifier(table.name)}\n"
        f"WHERE {' AND '.join(conditions)}\nLIMIT {limit}"
    )
