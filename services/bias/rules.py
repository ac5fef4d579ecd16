"""How a bias configuration becomes row masks: facet d, positive label y, positive prediction ŷ.

A ``Rule`` is either a set of values (equality, NaN never matches) or a strict ``> threshold``
(NaN is never above it). The same rule is written as SQL for the aggregation query and applied
to pandas columns for in-memory data and for FlipTest's sample, so both paths agree.

Departure from Clarify, on purpose: Clarify guesses "values or threshold" from the column's dtype
and number of distinct values (a single value on a small integer column silently becomes a
threshold). Here the mode is explicit — values or threshold — and values typed as text are
converted to the column's type.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from services.errors import InvalidInput

VALUES, THRESHOLD, EACH = "values", "threshold", "each"
INTEGER_TYPES = ("tinyint", "smallint", "int", "integer", "bigint", "hugeint")
FLOAT_TYPES = ("double", "float", "real", "decimal")
TEXT_TYPES = ("string", "varchar", "char")


def type_kind(type_name: str) -> str:
    """integer | float | boolean | string | other, from an Athena/Glue type name."""
    base = type_name.lower().split("(")[0].strip()
    if base in INTEGER_TYPES:
        return "integer"
    if base in FLOAT_TYPES:
        return "float"
    if base == "boolean":
        return "boolean"
    return "string" if base in TEXT_TYPES else "other"


def series_kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        return "float"
    return "string" if pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series) else "other"


def convert_value(text: Any, kind: str, role: str, column: str) -> Any:
    """A value given as text, as the column's type (``InvalidInput`` when it cannot be)."""
    if not isinstance(text, str):
        return text
    try:
        if kind == "integer":
            number = float(text)
            return int(number) if number.is_integer() else number
        if kind == "float":
            return float(text)
    except ValueError:
        raise InvalidInput(f"The {role} value {text!r} is not a number, but {column!r} holds numbers.",
                           hint=f"Give a number that occurs in {column!r}.") from None
    if kind == "boolean":
        lowered = text.strip().lower()
        if lowered not in ("true", "false", "1", "0"):
            raise InvalidInput(f"The {role} value {text!r} is not true or false.", hint=f"{column!r} is a boolean column.")
        return lowered in ("true", "1")
    return text


@dataclass(frozen=True)
class Rule:
    column: str
    mode: str  # values | threshold | each (one-vs-all: every distinct value in turn)
    values: tuple[Any, ...] = ()
    threshold: float | int | None = None
    truncate: bool = False  # predictions compared with an integer label's threshold are truncated first

    def sql(self) -> str:
        """1 where the rule holds, else 0 (NULL never holds)."""
        column = quote(self.column)
        if self.mode == VALUES:
            condition = f"{column} IN ({', '.join(literal(v) for v in self.values)})"
        else:
            value = f"(CASE WHEN {column} >= 0 THEN floor({column}) ELSE ceil({column}) END)" if self.truncate else column
            condition = f"{value} > {literal(self.threshold)}"
        return f"(CASE WHEN {condition} THEN 1 ELSE 0 END)"

    def mask(self, series: pd.Series) -> np.ndarray:
        if self.mode == VALUES:
            return np.asarray(series.isin(list(self.values)), dtype=bool)
        numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        if self.truncate:
            numbers = np.trunc(numbers)
        with np.errstate(invalid="ignore"):
            return np.asarray(numbers > float(self.threshold or 0), dtype=bool)

    def describe(self, maximum: Any = None) -> str:
        """Clarify's ``value_or_threshold`` text: "A,B" or the interval "(t, max]"."""
        if self.mode == VALUES:
            return ",".join(str(v) for v in self.values)
        return interval_text(self.threshold, maximum)


def interval_text(threshold: Any, maximum: Any) -> str:
    """pandas' interval text for breaks [t, max] as Clarify builds it: "" when t equals |max|."""
    if maximum is None or (isinstance(maximum, float) and math.isnan(maximum)):
        return ""
    breaks = sorted({threshold, maximum} if abs(maximum) != threshold else {threshold})
    if len(breaks) < 2:
        return ""
    return str(pd.IntervalIndex.from_breaks(breaks)[0])


def make_rule(column: str, kind: str, values: tuple[str, ...], threshold: float | None, role: str) -> Rule:
    """A values rule, a threshold rule, or (no values, no threshold) one-vs-all."""
    if values and threshold is not None:
        raise InvalidInput(f"Give either {role} values or a {role} threshold, not both.", hint="Pick one mode.")
    if threshold is not None:
        return Rule(column, THRESHOLD, threshold=typed_threshold(threshold, kind, role, column))
    if values:
        return Rule(column, VALUES, values=tuple(convert_value(v, kind, role, column) for v in values))
    return Rule(column, EACH)


def typed_threshold(threshold: float, kind: str, role: str, column: str) -> float | int:
    if kind not in ("integer", "float"):
        raise InvalidInput(f"The {role} {column!r} is not numeric, so it cannot take a threshold.",
                           hint=f"Give {role} values instead (the rows whose {column} equals them).")
    if isinstance(threshold, float) and math.isnan(threshold):
        raise InvalidInput(f"The {role} threshold is not a number.", hint="Give a number, e.g. 40.")
    if kind == "integer" and float(threshold).is_integer():
        return int(threshold)
    return float(threshold)


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return repr(float(value))
    return "'" + str(value).replace("'", "''") + "'"
