"""Decisions the Query page shows, as pure functions over plain data: the quick chart's default axes, the
name of a downloaded result, and what Athena's minimum charge means for an estimate."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

ATHENA_MINIMUM_BYTES = 10 * 1024**2  # Athena bills at least 10 MB for every query that scans data
KEY_NAME = re.compile(r"(^|_)(id|key|code)$|^(year|month|day|date|week|quarter|hour)$", re.IGNORECASE)
FEW_VALUES = 20  # an integer column with at most this many distinct values, close together, is a category
UNSAFE_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME_CHARACTERS = 60


@dataclass(frozen=True)
class ChartDefaults:
    """The quick chart's starting axes: group by ``x``, measure ``y`` (``None``: nothing numeric to measure)."""

    x: str
    y: str | None
    grouping_keys: tuple[str, ...]
    measures: tuple[str, ...]


def is_grouping_key(name: str, values: pd.Series) -> bool:
    """A column to group by rather than to sum: text, dates, booleans, ids and keys (by name), and integer
    columns with few distinct values close together (ratings 1–5, years, 0/1 flags). Counts and totals are
    measures even when a short result has few of them, because they spread far apart."""
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return True
    if KEY_NAME.search(name):
        return True
    if not pd.api.types.is_integer_dtype(values):
        return False
    present = values.dropna()
    distinct = present.nunique()
    if present.empty or distinct > FEW_VALUES:
        return False
    return int(present.max()) - int(present.min()) < 2 * max(distinct, 2)


def chart_defaults(frame: pd.DataFrame) -> ChartDefaults:
    """x is the first grouping key (else the first column); y is the first numeric measure that is not a
    grouping key, so the default bar chart sums reviews per rating, never ratings per category."""
    columns = [str(c) for c in frame.columns]
    keys = tuple(c for c in columns if is_grouping_key(c, frame[c]))
    measures = tuple(c for c in columns if c not in keys and pd.api.types.is_numeric_dtype(frame[c]))
    x = keys[0] if keys else columns[0]
    y = next((m for m in measures if m != x), None)
    return ChartDefaults(x, y, keys, measures)


def minimum_charge_note(bytes_to_scan: int) -> str:
    """Why a small query's Athena price equals every other small query's ("" when it scans more than the minimum)."""
    if bytes_to_scan <= 0 or bytes_to_scan >= ATHENA_MINIMUM_BYTES:
        return ""
    return "Athena bills at least 10 MB per query, so every query scanning less than that costs the same."


def result_file_name(sql: str, submitted_at: str, fmt: str, saved_name: str = "") -> str:
    """A downloaded result's file name: the saved query's name, else the table the query reads (``FROM``,
    found with sqlglot), else "query"; then the submission time (UTC, to the second). Only letters, digits,
    dots, dashes and underscores, so no browser or file system trips on it."""
    stem = saved_name.strip() or _first_table(sql) or "query"
    stamp = re.sub(r"[^0-9]", "", submitted_at)[:14]
    stamp = f"{stamp[:8]}-{stamp[8:]}" if len(stamp) == 14 else stamp
    stem = UNSAFE_NAME_CHARACTERS.sub("_", stem).strip("._-")[:MAX_NAME_CHARACTERS] or "query"
    return f"{stem}_{stamp}.{fmt}" if stamp else f"{stem}.{fmt}"


def _first_table(sql: str) -> str:
    """``database.table`` of the first catalog table the statement reads (CTE names skipped), "" when none or unparsable."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        statement = sqlglot.parse_one(sql, read="athena")
    except SqlglotError:
        return ""
    ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
    for table in statement.find_all(exp.Table):
        if table.name and not isinstance(table.this, exp.Func) and not (not table.db and table.name.lower() in ctes):
            return f"{table.db}.{table.name}" if table.db else table.name
    return ""
