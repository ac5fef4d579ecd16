"""Athena SQL for a feature group's offline store: the point-in-time dataset, its leakage count, and statistics.

Pure functions from plain data to SQL text (Athena/Trino dialect); the aws adapter runs them through the query
port. Athena has no ``ASOF JOIN``, so the point-in-time join is written the way SageMaker's own DatasetBuilder writes
it: every feature record of the same identifier with an event time at or before the base row's is ranked per base row
(latest event time first, then the latest write), and rank 1 is joined back to the base row.

* A base row with no such record gets nulls; so does one whose latest record at that time is a delete marker
  (``is_deleted``), unless ``include_deleted``, which ranks only the records that are not delete markers.
* ``as_of`` keeps only records written (``write_time``) at or before it; the event-time range filters base rows.
* The leakage count: base rows whose chosen record was written after the row's event time (the record did not
  exist yet when the row's event happened).
* Event times are compared as timestamps: ``String`` features are ISO-8601 (``from_iso8601_timestamp``),
  ``Fractional`` ones epoch seconds (``from_unixtime``); a base column already a timestamp is used as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

ROW = "__row"
RANK = "__rank"
WRITTEN = "__written"


@dataclass(frozen=True)
class GroupSource:
    """One feature group as the SQL sees it: its offline table, identifier, event time and the features to join."""

    name: str
    table: str  # "sagemaker_featurestore.<table>"
    record_identifier: str
    event_time: str
    event_time_type: str  # "String" or "Fractional"
    features: tuple[tuple[str, str], ...]  # (column in the group, output column name)


@dataclass(frozen=True)
class Window:
    """Which records count: written at or before ``as_of``, base rows with event times in [start, end]."""

    as_of: str = ""
    start: str = ""
    end: str = ""
    include_deleted: bool = False


@dataclass(frozen=True)
class BaseSource:
    """The base rows: a table (or a group's offline table), its identifier and event-time columns."""

    table: str  # "database.table"
    record_identifier: str
    event_time: str
    event_time_kind: str  # "String", "Fractional" or "timestamp"
    columns: tuple[str, ...]
    deduplicate: bool = False  # a group as the base: exact duplicate records collapse to one


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_ref(table: str) -> str:
    database, _, name = table.partition(".")
    return f"{quote(database)}.{quote(name)}"


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def as_timestamp(column: str, kind: str) -> str:
    """``column`` as a timestamp expression (see the module docstring)."""
    if kind == "Fractional":
        return f"from_unixtime(CAST({column} AS double))"
    if kind == "String":
        return f"from_iso8601_timestamp({column})"
    return column


def base_cte(base: BaseSource, start: str = "", end: str = "") -> str:
    event = as_timestamp(f"b.{quote(base.event_time)}", base.event_time_kind)
    conditions = []
    if start:
        conditions.append(f"{event} >= from_iso8601_timestamp({literal(start)})")
    if end:
        conditions.append(f"{event} <= from_iso8601_timestamp({literal(end)})")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    columns = ", ".join(f"b.{quote(c)}" for c in base.columns)
    rows = f"SELECT {'DISTINCT ' if base.deduplicate else ''}{columns} FROM {table_ref(base.table)} b{where}"
    return f"base AS (SELECT d.*, row_number() OVER () AS {quote(ROW)} FROM ({rows}) d)"


def group_cte(index: int, group: GroupSource, base: BaseSource, as_of: str, include_deleted: bool) -> str:
    """The ranked candidate records of one group for every base row."""
    base_event = as_timestamp(f"base.{quote(base.event_time)}", base.event_time_kind)
    event = as_timestamp(f"f.{quote(group.event_time)}", group.event_time_type)
    conditions = [f"CAST(f.{quote(group.record_identifier)} AS varchar) = CAST(base.{quote(base.record_identifier)} AS varchar)",
                  f"{event} <= {base_event}"]
    if as_of:
        conditions.append(f"f.write_time <= from_iso8601_timestamp({literal(as_of)})")
    if include_deleted:
        conditions.append("NOT coalesce(f.is_deleted, false)")
    features = "".join(f", f.{quote(column)} AS {quote(output)}" for column, output in group.features)
    return (f"g{index} AS (SELECT base.{quote(ROW)}, f.write_time AS {quote(WRITTEN)}, "
            f"coalesce(f.is_deleted, false) AS {quote('__deleted')}{features}, "
            f"row_number() OVER (PARTITION BY base.{quote(ROW)} ORDER BY {event} DESC, f.api_invocation_time DESC, "
            f"f.write_time DESC) AS {quote(RANK)} "
            f"FROM base JOIN {table_ref(group.table)} f ON {' AND '.join(conditions)})")


def joined_sql(base: BaseSource, groups: tuple[GroupSource, ...], window: Window) -> tuple[str, str]:
    """(the WITH clause, the FROM … joins) shared by the dataset and the leakage count."""
    ctes = [base_cte(base, window.start, window.end)]
    ctes += [group_cte(i, g, base, window.as_of, window.include_deleted) for i, g in enumerate(groups)]
    joins = "".join(f" LEFT JOIN g{i} ON g{i}.{quote(ROW)} = base.{quote(ROW)} AND g{i}.{quote(RANK)} = 1"
                    for i in range(len(groups)))
    return "WITH " + ",\n".join(ctes), f"FROM base{joins}"


def dataset_sql(base: BaseSource, groups: tuple[GroupSource, ...], window: Window = Window()) -> str:
    """The point-in-time dataset: the base columns, then every group's features (nulls under a delete marker)."""
    with_clause, from_clause = joined_sql(base, groups, window)
    columns = [f"base.{quote(c)}" for c in base.columns]
    for i, group in enumerate(groups):
        columns += [f"CASE WHEN g{i}.{quote('__deleted')} THEN NULL ELSE g{i}.{quote(output)} END AS {quote(output)}"
                    for _, output in group.features]
    return f"{with_clause}\nSELECT {', '.join(columns)}\n{from_clause}\nORDER BY base.{quote(ROW)}"


def leakage_sql(base: BaseSource, groups: tuple[GroupSource, ...], window: Window = Window()) -> str:
    """How many base rows use a record written after the row's event time."""
    with_clause, from_clause = joined_sql(base, groups, window)
    base_event = as_timestamp(f"base.{quote(base.event_time)}", base.event_time_kind)
    late = " OR ".join(f"g{i}.{quote(WRITTEN)} > {base_event}" for i in range(len(groups)))
    return f"{with_clause}\nSELECT count(*) AS leaking_rows\n{from_clause}\nWHERE {late}"


STATISTICS = ("non_null", "distinct", "min", "max", "mean")


def statistics_sql(table: str, features: tuple[tuple[str, str, bool], ...]) -> str:
    """One scan, one row, as the local offline store computes it over the rows that are not delete markers: the row
    count, the latest write, then per feature (column, type, is a collection) ``STATISTICS`` — min/max as doubles for
    numbers, as text for strings, mean for numbers only, nothing but the count for collections."""
    parts = ["count(*) AS rows", "CAST(max(write_time) AS varchar) AS last_written"]
    for index, (name, kind, collection) in enumerate(features):
        column = quote(name)
        if collection:
            values = [f"count({column})", "NULL", "NULL", "NULL", "NULL"]
        elif kind in ("Integral", "Fractional"):
            values = [f"count({column})", f"count(DISTINCT {column})", f"CAST(min({column}) AS double)",
                      f"CAST(max({column}) AS double)", f"avg(CAST({column} AS double))"]
        else:
            values = [f"count({column})", f"count(DISTINCT {column})", f"min({column})", f"max({column})", "NULL"]
        parts += [f"{value} AS {quote(f'f{index}_{statistic}')}" for value, statistic in zip(values, STATISTICS)]
    return f"SELECT {', '.join(parts)} FROM {table_ref(table)} WHERE NOT coalesce(is_deleted, false)"
