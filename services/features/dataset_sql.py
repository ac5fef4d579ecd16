"""The point-in-time join planner: plain descriptions of the base and the feature groups in, DuckDB SQL out.

Pure (no files, no engine, no clock), so every rule of SageMaker's DatasetBuilder is pinned by tests on the SQL's
answers. For each base row and each group the planner picks the group's latest record with the same record
identifier and an event time at or before the row's (an ``ASOF LEFT JOIN``):

* ``as_of`` keeps only records written (``write_time``) at or before it;
* records sharing an identifier and event time collapse to the last one written (``api_invocation_time``, then
  ``write_time``), unless ``include_duplicates``: then the row repeats once per such record;
* a delete marker (``is_deleted``) that is the latest record at the row's time gives nulls, unless
  ``include_deleted``: then markers are left out and the latest record before them is used;
* the event-time range filters the base rows.

Event times may be ISO-8601 text, epoch seconds or timestamps; all are compared as UTC timestamps. The SQL also
yields one ``__pit_leak_<i>`` flag per group: the joined record was written after the row's event time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from services.errors import InvalidInput
from services.features.models import EXTRA_OFFLINE_COLUMNS

EVENT_TIME = "__pit_event_time"
RECORD_ID = "__pit_record_id"
WRITE_TIME = "__pit_write_time"
ORDER = "__pit_order"
LEAK_PREFIX = "__pit_leak_"
NUMBER_TYPES = re.compile(r"^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|FLOAT|DOUBLE|REAL|DECIMAL.*)$")
TIMESTAMP_TYPES = re.compile(r"^(TIMESTAMP.*|DATE)$")


@dataclass(frozen=True)
class Relation:
    """A table-valued SQL expression and its columns (name → DuckDB type, in order)."""

    sql: str
    columns: tuple[tuple[str, str], ...]

    def type_of(self, column: str) -> str | None:
        return next((type_ for name, type_ in self.columns if name == column), None)


@dataclass(frozen=True)
class GroupRelation:
    """A feature group's offline store: every record written, with SageMaker's extra columns."""

    name: str
    record_identifier: str
    event_time: str
    features: tuple[str, ...]  # every feature of the group, identifier and event time included
    records: Relation


@dataclass(frozen=True)
class JoinOptions:
    as_of: datetime | None = None  # UTC, naive
    event_time_start: datetime | None = None
    event_time_end: datetime | None = None
    include_deleted: bool = False
    include_duplicates: bool = False


@dataclass(frozen=True)
class DatasetPlan:
    """The join's SQL, the dataset's columns, and the leak flag columns the SQL adds after them."""

    sql: str
    columns: tuple[str, ...]
    leak_columns: tuple[str, ...]


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def timestamp_literal(moment: datetime) -> str:
    return f"TIMESTAMP '{moment.isoformat(sep=' ')}'"


def type_class(duckdb_type: str) -> str:
    """``number``, ``text``, ``timestamp`` or the type itself (lists, structs, …)."""
    upper = duckdb_type.upper()
    if NUMBER_TYPES.match(upper):
        return "number"
    if upper == "VARCHAR":
        return "text"
    return "timestamp" if TIMESTAMP_TYPES.match(upper) else upper


def as_timestamp(expression: str, duckdb_type: str, what: str) -> str:
    """SQL turning an event-time value into a naive UTC timestamp (the session's time zone is UTC)."""
    kind = type_class(duckdb_type)
    if kind == "number":  # epoch seconds, microsecond precision
        return f"make_timestamp(CAST(round(CAST({expression} AS DOUBLE) * 1000000) AS BIGINT))"
    if kind == "text":
        return f"CAST(CAST({expression} AS TIMESTAMPTZ) AS TIMESTAMP)"
    if kind == "timestamp":
        return f"CAST({expression} AS TIMESTAMP)"
    raise InvalidInput(f"{what} is of type {duckdb_type}, not a time.",
                       hint="Event times must be ISO-8601 text (2024-05-01T12:00:00Z), epoch seconds or timestamps.")


# -- checks ------------------------------------------------------------------------------------------


def require_column(relation: Relation, column: str, where: str, role: str) -> str:
    """The column's type; ``InvalidInput`` naming the columns there are when it is missing."""
    type_ = relation.type_of(column)
    if type_ is None:
        names = ", ".join(name for name, _ in relation.columns)
        raise InvalidInput(f"The {role} column {column!r} is not in {where}.", hint=f"Its columns are: {names}.")
    return type_


def check_identifiers(base: Relation, base_identifier: str, group: GroupRelation) -> None:
    """The base's identifier and the group's must both be numbers or both be text."""
    base_type = require_column(base, base_identifier, "the base", "record identifier")
    group_type = require_column(group.records, group.record_identifier, f"feature group {group.name}", "record identifier")
    if type_class(base_type) != type_class(group_type):
        raise InvalidInput(
            f"The base's record identifier {base_identifier!r} is {base_type} but feature group {group.name}'s "
            f"{group.record_identifier!r} is {group_type}; they cannot be matched.",
            hint="Give the base an identifier column of the group's type (cast it in SQL and save the result as a table).",
        )


# -- output names ------------------------------------------------------------------------------------


def joined_features(group: GroupRelation) -> tuple[str, ...]:
    """The group's features a dataset gets: all but its identifier, event time and the offline extras."""
    skip = {group.record_identifier, group.event_time, *EXTRA_OFFLINE_COLUMNS}
    return tuple(f for f in group.features if f not in skip)


def output_names(base_columns: tuple[str, ...], groups: tuple[GroupRelation, ...]) -> list[list[tuple[str, str]]]:
    """Per group: (feature, output column); a name already taken becomes ``<group>__<feature>``."""
    taken = {name.lower() for name in base_columns}
    names = []
    for group in groups:
        pairs = []
        for feature in joined_features(group):
            name = f"{group.name}__{feature}" if feature.lower() in taken else feature
            taken.add(name.lower())
            pairs.append((feature, name))
        names.append(pairs)
    return names


# -- the SQL -----------------------------------------------------------------------------------------


def base_cte(base: Relation, event_time: str, options: JoinOptions) -> str:
    event = as_timestamp(quote(event_time), require_column(base, event_time, "the base", "event time"),
                         f"The base's event time column {event_time!r}")
    conditions = []
    if options.event_time_start:
        conditions.append(f"{quote(EVENT_TIME)} >= {timestamp_literal(options.event_time_start)}")
    if options.event_time_end:
        conditions.append(f"{quote(EVENT_TIME)} <= {timestamp_literal(options.event_time_end)}")
    where = f"\n  WHERE {' AND '.join(conditions)}" if conditions else ""
    latest_possible = (f"CASE WHEN {quote(EVENT_TIME)} IS NOT NULL THEN struct_pack(t := {quote(EVENT_TIME)}, "
                       "a := 'infinity'::TIMESTAMP, w := 'infinity'::TIMESTAMP) END")
    return (f"base AS (\n  SELECT *, {latest_possible} AS {quote(ORDER)}\n  FROM (SELECT *, {event} AS {quote(EVENT_TIME)} "
            f"FROM {base.sql}) AS base_rows{where}\n)")


def records_cte(index: int, group: GroupRelation, options: JoinOptions) -> str:
    """The group's records the join may use: written by ``as_of``, delete markers dropped if included."""
    records = group.records
    event_type = require_column(records, group.event_time, f"feature group {group.name}", "event time")
    write_type = require_column(records, "write_time", f"feature group {group.name}'s offline store", "write time")
    write = as_timestamp(quote("write_time"), write_type, f"{group.name}'s write_time")
    picked = ", ".join(quote(f) for f in joined_features(group))
    columns = [f"{quote(group.record_identifier)} AS {quote(RECORD_ID)}",
               f"{as_timestamp(quote(group.event_time), event_type, f'{group.name} event time')} AS {quote(EVENT_TIME)}",
               *([picked] if picked else []), f"{write} AS {quote(WRITE_TIME)}",
               "api_invocation_time", "coalesce(is_deleted, false) AS is_deleted"]
    conditions = [f"{quote(group.record_identifier)} IS NOT NULL"]
    if options.as_of:
        conditions.append(f"{write} <= {timestamp_literal(options.as_of)}")
    if options.include_deleted:
        conditions.append("NOT coalesce(is_deleted, false)")
    return (f"records_{index} AS (\n  SELECT {', '.join(columns)}\n  FROM {records.sql} AS offline_{index}\n"
            f"  WHERE {' AND '.join(conditions)}\n)")


def latest_cte(index: int) -> str:
    """The records ordered by event time, then by when they were written: the ASOF join's key. The base row's key
    (its event time, then infinity) picks the last-written record at the latest event time at or before it, which
    collapses duplicates without a window over the whole offline store (half the time of a row_number())."""
    return (f"latest_{index} AS (\n  SELECT *, struct_pack(t := {quote(EVENT_TIME)}, "
            "a := coalesce(CAST(api_invocation_time AS TIMESTAMP), '-infinity'::TIMESTAMP), "
            f"w := coalesce({quote(WRITE_TIME)}, '-infinity'::TIMESTAMP)) AS {quote(ORDER)}\n"
            f"  FROM records_{index} WHERE {quote(EVENT_TIME)} IS NOT NULL\n)")


def moments_cte(index: int) -> str:
    """Each identifier's distinct event times (the ASOF side when duplicates are kept)."""
    return (f"moments_{index} AS (\n  SELECT DISTINCT {quote(RECORD_ID)}, {quote(EVENT_TIME)} "
            f"FROM records_{index} WHERE {quote(EVENT_TIME)} IS NOT NULL\n)")


def join_clause(index: int, base_identifier: str, options: JoinOptions) -> str:
    alias = f"g{index}"
    asof = (f"ASOF LEFT JOIN {{side}} AS {{alias}} ON base.{quote(base_identifier)} = {{alias}}.{quote(RECORD_ID)} "
            f"AND base.{{key}} >= {{alias}}.{{key}}")
    if not options.include_duplicates:
        return asof.format(side=f"latest_{index}", alias=alias, key=quote(ORDER))
    moment = f"m{index}"
    return (asof.format(side=f"moments_{index}", alias=moment, key=quote(EVENT_TIME)) +
            f"\nLEFT JOIN records_{index} AS {alias} ON {alias}.{quote(RECORD_ID)} = {moment}.{quote(RECORD_ID)} "
            f"AND {alias}.{quote(EVENT_TIME)} = {moment}.{quote(EVENT_TIME)}")


def selected_features(index: int, pairs: list[tuple[str, str]]) -> list[str]:
    """The group's features, null where the record found is a delete marker."""
    alias = f"g{index}"
    return [f"CASE WHEN {alias}.is_deleted THEN NULL ELSE {alias}.{quote(feature)} END AS {quote(name)}"
            for feature, name in pairs]


def leak_flag(index: int) -> str:
    alias = f"g{index}"
    return (f"coalesce(NOT {alias}.is_deleted AND {alias}.{quote(WRITE_TIME)} > base.{quote(EVENT_TIME)}, false) "
            f"AS {quote(LEAK_PREFIX + str(index))}")


def plan_dataset(base: Relation, record_identifier: str, event_time: str, groups: tuple[GroupRelation, ...],
                 options: JoinOptions) -> DatasetPlan:
    """The point-in-time join of ``base`` with ``groups`` (see the module's docstring)."""
    if not groups:
        raise InvalidInput("A dataset needs at least one feature group to join.", hint="Name a group with --group.")
    for group in groups:
        check_identifiers(base, record_identifier, group)
    base_columns = tuple(name for name, _ in base.columns)
    names = output_names(base_columns, groups)
    ctes = [base_cte(base, event_time, options)]
    for index, group in enumerate(groups):
        ctes.append(records_cte(index, group, options))
        ctes.append(moments_cte(index) if options.include_duplicates else latest_cte(index))
    selected = [f"base.{quote(c)}" for c in base_columns]
    for index, pairs in enumerate(names):
        selected += selected_features(index, pairs)
    leaks = tuple(LEAK_PREFIX + str(index) for index in range(len(groups)))
    joins = "\n".join(join_clause(index, record_identifier, options) for index in range(len(groups)))
    flags = ", ".join([leak_flag(i) for i in range(len(groups))] + [f"base.{quote(EVENT_TIME)}"])
    sql = "WITH " + ",\n".join(ctes) + f"\nSELECT {', '.join(selected)},\n  {flags}\nFROM base\n{joins}"
    columns = base_columns + tuple(name for pairs in names for _, name in pairs)
    return DatasetPlan(sql, columns, leaks)


def group_as_base(group: GroupRelation, options: JoinOptions) -> str:
    """A feature group as the base, as SageMaker reads one: its records written by ``as_of``, one per identifier
    and event time (the last written) unless duplicates are kept, and — unless deleted records are included —
    neither delete markers nor the records at or before an identifier's latest delete marker."""
    records = group.records
    event = as_timestamp(quote(group.event_time), require_column(records, group.event_time, f"feature group {group.name}",
                                                                  "event time"), f"{group.name} event time")
    write = as_timestamp(quote("write_time"), require_column(records, "write_time", f"feature group {group.name}'s "
                                                              "offline store", "write time"), "write_time")
    written = f"WHERE {write} <= {timestamp_literal(options.as_of)}" if options.as_of else ""
    deleted = f"max(CASE WHEN coalesce(is_deleted, false) THEN {event} END) OVER (PARTITION BY {quote(group.record_identifier)})"
    kept = ["NOT coalesce(is_deleted, false)"]
    if not options.include_deleted:
        kept.append(f"(last_deleted IS NULL OR {event} > last_deleted)")
    dedup = "" if options.include_duplicates else (
        f"\n  QUALIFY row_number() OVER (PARTITION BY {quote(group.record_identifier)}, {quote(group.event_time)} "
        "ORDER BY api_invocation_time DESC NULLS LAST, write_time DESC NULLS LAST) = 1")
    features = ", ".join(quote(f) for f in group.features)
    return (f"(SELECT {features} FROM (SELECT *, {deleted} AS last_deleted FROM {records.sql} AS base_group {written})"
            f" AS base_records\n  WHERE {' AND '.join(kept)}{dedup})")
