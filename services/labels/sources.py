"""A label source checked once (names through ``services.names``) and the key its labels are stored under."""

from __future__ import annotations

from dataclasses import replace

from services.errors import InvalidInput
from services.labels.models import LabelSource
from services.names import check_name, glue_name


def checked_source(source: LabelSource) -> LabelSource:
    """``source`` with a valid endpoint name, or a sanitised database and table; ``InvalidInput`` otherwise."""
    if source.is_endpoint:
        check_name("endpoint", source.endpoint)
        return source
    if not source.database or not source.table:
        raise InvalidInput("Choose an endpoint or a table to label.", hint="Pick an endpoint, or a database and a table.")
    return replace(source, database=glue_name("database", source.database), table=glue_name("table", source.table))


def source_key(source: LabelSource) -> str:
    """``endpoint:<name>``, or ``table:<db>.<table>:<id column>`` (the same rows under another id are other items)."""
    if source.is_endpoint:
        return f"endpoint:{source.endpoint}"
    return f"table:{source.database}.{source.table}:{source.id_column}"
