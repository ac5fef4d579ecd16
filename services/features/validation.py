"""Checks of feature groups and of the rows written to them: pure functions over plain data (no files, no clock).

``check_spec`` holds CreateFeatureGroup's rules. ``check_rows`` takes a batch of rows whose columns carry
feature names and returns the rows that can be written — cast to the offline store's types, with their record
identifiers and event times in epoch seconds — and, for the others, how many failed for each cause, in words
("12 rows: event_time is not an ISO-8601 time"). A row failing several checks counts once in ``failed`` and
once under each cause.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from services.catalog.files import sanitize_column_name
from services.errors import InvalidInput
from services.features.models import (
    COLLECTION_TYPES,
    EXTRA_OFFLINE_COLUMNS,
    FEATURE_TYPES,
    FeatureDefinition,
    FeatureGroupSpec,
)
from services.names import check_name

MAX_FEATURES = 2500  # SageMaker's FeatureDefinitions limit
MAX_DESCRIPTION = 128  # CreateFeatureGroup.Description
MAX_VECTOR_DIMENSION = 8192
SCALAR_TYPES = {"Integral": pa.int64(), "Fractional": pa.float64(), "String": pa.string()}
EVENT_TIME_TYPES = ("String", "Fractional")
INTEGRAL_LIMIT = 2.0 ** 63
ISO_START = r"^\d{4}-\d\d"  # what pandas' ISO-8601 parser is given at all (it reads bare numbers as years)
ZONE_SUFFIX = r"\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?(?:[Zz]|[+-]\d\d(?::?\d\d)?)$"  # a time of day with its zone


def check_spec(spec: FeatureGroupSpec) -> None:
    """CreateFeatureGroup's rules; ``InvalidInput`` naming the first problem."""
    check_name("feature-group", spec.name)
    if not spec.features:
        raise InvalidInput("A feature group needs at least one feature definition.",
                           hint="Give the features, or infer them from a table or file.")
    if len(spec.features) > MAX_FEATURES:
        raise InvalidInput(f"A feature group has at most {MAX_FEATURES} features; got {len(spec.features)}.")
    _check_definitions(spec.features)
    names = [f.name for f in spec.features]
    _check_role(spec, spec.record_identifier, "record identifier", names)
    _check_role(spec, spec.event_time, "event time", names)
    if spec.event_time == spec.record_identifier:
        raise InvalidInput("The record identifier and the event time must be different features.")
    _check_stores(spec)


def _check_definitions(features: tuple[FeatureDefinition, ...]) -> None:
    seen: dict[str, str] = {}
    for feature in features:
        check_name("feature", feature.name)
        if feature.name.lower() in EXTRA_OFFLINE_COLUMNS:
            raise InvalidInput(f"{feature.name!r} is a reserved feature name.",
                               hint=f"The offline store adds {', '.join(EXTRA_OFFLINE_COLUMNS)} itself; rename it.")
        column = offline_column(feature.name)
        if column in seen:
            raise InvalidInput(f"Features {seen[column]!r} and {feature.name!r} have the same column name in the "
                               f"offline store ({column}).", hint="Feature names must differ in more than case, - and _.")
        seen[column] = feature.name
        _check_type(feature)


def _check_type(feature: FeatureDefinition) -> None:
    if feature.type not in FEATURE_TYPES:
        raise InvalidInput(f"Feature {feature.name!r} has type {feature.type!r}.", hint=f"Use one of {', '.join(FEATURE_TYPES)}.")
    if feature.collection_type not in COLLECTION_TYPES:
        raise InvalidInput(f"Feature {feature.name!r} has collection type {feature.collection_type!r}.",
                           hint="Use List, Set or Vector, or none for a single value.")
    if feature.collection_type == "Vector" and not 1 <= feature.dimension <= MAX_VECTOR_DIMENSION:
        raise InvalidInput(f"Vector feature {feature.name!r} needs a dimension from 1 to {MAX_VECTOR_DIMENSION}.")


def _check_role(spec: FeatureGroupSpec, name: str, role: str, names: list[str]) -> None:
    feature = next((f for f in spec.features if f.name == name), None)
    if feature is None:
        shown = ", ".join(names[:20])
        raise InvalidInput(f"The {role} feature {name!r} is not among the feature definitions.",
                           hint=f"Pick one of: {shown}.")
    if feature.collection_type:
        raise InvalidInput(f"The {role} feature {name!r} is a {feature.collection_type}; it must be a single value.")
    if role == "event time" and feature.type not in EVENT_TIME_TYPES:
        raise InvalidInput(f"The event time feature {name!r} is {feature.type}; it must be String (an ISO-8601 time) "
                           "or Fractional (seconds since 1970).", hint="Pick another feature or change its type.")


def _check_stores(spec: FeatureGroupSpec) -> None:
    if not spec.online and not spec.offline:
        raise InvalidInput("A feature group needs an online store, an offline store or both.",
                           hint="Leave at least one store enabled.")
    if spec.ttl_seconds is not None and (spec.ttl_seconds < 1 or not spec.online):
        raise InvalidInput("A TTL applies to the online store and is at least 1 second.",
                           hint="Give a positive TTL with the online store enabled, or none.")
    if len(spec.description) > MAX_DESCRIPTION:
        raise InvalidInput(f"The description has {len(spec.description)} characters; at most {MAX_DESCRIPTION}.")
    for key, value in spec.tags.items():
        if not 1 <= len(key) <= 128 or len(value) > 256:
            raise InvalidInput(f"Tag {key!r} is not valid: keys are 1–128 characters, values at most 256.")


def offline_column(feature_name: str) -> str:
    """The feature's column in the offline store's Glue table (lower case, - → _)."""
    return sanitize_column_name(feature_name)


def arrow_type(feature: FeatureDefinition) -> pa.DataType:
    """The Parquet type of a feature in the offline store (collections are lists of the element type)."""
    scalar = SCALAR_TYPES[feature.type]
    return pa.list_(scalar) if feature.collection_type else scalar


def offline_schema(spec: FeatureGroupSpec) -> pa.Schema:
    """Features (in definition order) then write_time, api_invocation_time and is_deleted."""
    fields = [pa.field(f.name, arrow_type(f)) for f in spec.features]
    fields += [pa.field("write_time", pa.timestamp("us")), pa.field("api_invocation_time", pa.timestamp("us")),
               pa.field("is_deleted", pa.bool_())]
    return pa.schema(fields)


# -- rows ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedRows:
    """The rows of a batch that can be written, and why the others cannot."""

    table: pa.Table  # one column per feature, in definition order, in the offline store's types
    record_ids: tuple[str, ...]  # RecordIdentifierValueAsString of each row
    event_seconds: np.ndarray  # each row's event time in seconds since 1970
    failed: int
    failures: dict[str, int]  # cause -> rows

    @property
    def rows(self) -> int:
        return self.table.num_rows


def check_rows(spec: FeatureGroupSpec, batch: pa.Table) -> CheckedRows:
    """Cast every feature column of ``batch`` (missing ones are null) and drop the rows that fail."""
    bad = np.zeros(batch.num_rows, dtype=bool)
    failures: Counter[str] = Counter()
    columns = []
    for feature in spec.features:
        given = batch.column(feature.name) if feature.name in batch.column_names else pa.nulls(batch.num_rows)
        values, failed, cause = cast_feature(feature, given)
        _count(failures, failed, cause, feature.name)
        if feature.name in (spec.record_identifier, spec.event_time):
            missing = _missing(values, feature) & ~failed
            role = "record identifier" if feature.name == spec.record_identifier else "event time"
            _count(failures, missing, f"has no value (it is the {role})", feature.name)
            failed = failed | missing
        bad |= failed
        columns.append(values)
    seconds, failed = event_seconds(_feature(spec, spec.event_time), columns[_index(spec, spec.event_time)])
    _count(failures, failed & ~bad, "is not an ISO-8601 time", spec.event_time)
    bad |= failed
    keep = pa.array(~bad)
    table = pa.Table.from_arrays(columns, names=[f.name for f in spec.features]).filter(keep)
    record_ids = _record_ids(table.column(spec.record_identifier))
    return CheckedRows(table, record_ids, seconds[~bad], int(bad.sum()), dict(failures))


def failure_lines(failures: dict[str, int]) -> tuple[str, ...]:
    """``{"event_time is not …": 12}`` → ``("12 rows: event_time is not …",)``, the most frequent first."""
    ordered = sorted(failures.items(), key=lambda item: (-item[1], item[0]))
    return tuple(f"{count:,} {'row' if count == 1 else 'rows'}: {cause}" for cause, count in ordered)


def _feature(spec: FeatureGroupSpec, name: str) -> FeatureDefinition:
    return spec.features[_index(spec, name)]


def _index(spec: FeatureGroupSpec, name: str) -> int:
    return next(i for i, f in enumerate(spec.features) if f.name == name)


def _missing(values: pa.Array, feature: FeatureDefinition) -> np.ndarray:
    """Null values, and empty texts (an empty identifier or event time is no value)."""
    missing = _null_mask(values)
    if feature.type == "String":
        missing |= np.asarray(values.to_numpy(zero_copy_only=False) == "", dtype=np.bool_)
    return missing


def _count(failures: Counter[str], failed: np.ndarray, cause: str, feature: str) -> None:
    count = int(failed.sum())
    if count:
        failures[f"{feature} {cause}"] += count


def _record_ids(column: pa.ChunkedArray) -> tuple[str, ...]:
    if pa.types.is_floating(column.type):
        return tuple(repr(float(v)) for v in column.to_pylist())
    return tuple(pc.cast(column, pa.string()).to_pylist())


def _null_mask(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(values.is_null(), dtype=bool)


# -- casting one feature column ---------------------------------------------------------------------------


def cast_feature(feature: FeatureDefinition, given: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, np.ndarray, str]:
    """(values in the feature's Parquet type with failed rows null, failed-row mask, the cause in words)."""
    if isinstance(given, pa.ChunkedArray):
        given = given.combine_chunks()
    if pa.types.is_null(given.type):
        return pa.nulls(len(given), arrow_type(feature)), np.zeros(len(given), dtype=bool), ""
    if feature.collection_type:
        return _cast_collection(feature, given)
    if feature.type == "String":
        return _cast_string(given)
    return _cast_number(feature.type, given)


def _cast_number(feature_type: str, given: pa.Array) -> tuple[pa.Array, np.ndarray, str]:
    integral = feature_type == "Integral"
    cause = "is not a whole number" if integral else "is not a number"
    present = ~_null_mask(given)
    if pa.types.is_integer(given.type):
        return pc.cast(given, SCALAR_TYPES[feature_type]), np.zeros(len(given), dtype=bool), cause
    if pa.types.is_floating(given.type) or pa.types.is_decimal(given.type):
        numbers = pc.cast(given, pa.float64()).to_numpy(zero_copy_only=False)
        present &= ~np.isnan(numbers)  # pandas' missing value: no value, not a bad one
    elif pa.types.is_string(given.type) or pa.types.is_large_string(given.type):
        numbers = _parse_numbers(given)
    else:  # booleans, times, nested values: not numbers
        return pa.nulls(len(given), SCALAR_TYPES[feature_type]), present, cause
    valid = np.isfinite(numbers)
    if integral:
        valid &= (np.floor(numbers) == numbers) & (np.abs(numbers) < INTEGRAL_LIMIT)
    failed = present & ~valid
    mask = ~valid
    if integral:
        out = pa.array(np.where(valid, numbers, 0).astype("int64"), mask=mask)
    else:
        out = pa.array(np.where(valid, numbers, 0.0), type=pa.float64(), mask=mask)
    return out, failed, cause


def _parse_numbers(texts: pa.Array) -> np.ndarray:
    """Numbers in text (NaN where a text is none): Arrow's cast when every text is one, else pandas, value by value."""
    trimmed = pc.call_function("utf8_trim_whitespace", [texts])
    try:
        return np.asarray(pc.cast(trimmed, pa.float64()).to_numpy(zero_copy_only=False), dtype="float64")
    except pa.ArrowInvalid:
        text = pd.Series(trimmed.to_numpy(zero_copy_only=False), dtype=object)
        return pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64")


def _cast_string(given: pa.Array) -> tuple[pa.Array, np.ndarray, str]:
    if pa.types.is_string(given.type):
        return given, np.zeros(len(given), dtype=bool), ""
    if pa.types.is_large_string(given.type) or pa.types.is_dictionary(given.type):
        return pc.cast(given, pa.string()), np.zeros(len(given), dtype=bool), ""
    if pa.types.is_timestamp(given.type) or pa.types.is_date(given.type):
        texts = [None if v is None else v.isoformat() for v in given.to_pylist()]
        return pa.array(texts, type=pa.string()), np.zeros(len(given), dtype=bool), ""
    if pa.types.is_floating(given.type):
        texts = [None if v is None or math.isnan(v) else repr(v) for v in given.to_pylist()]
        return pa.array(texts, type=pa.string()), np.zeros(len(given), dtype=bool), ""
    if pa.types.is_integer(given.type) or pa.types.is_boolean(given.type) or pa.types.is_decimal(given.type):
        return pc.cast(given, pa.string()), np.zeros(len(given), dtype=bool), ""
    present = ~_null_mask(given)
    return pa.nulls(len(given), pa.string()), present, "is not a single value (the feature is a String)"


def _cast_collection(feature: FeatureDefinition, given: pa.Array) -> tuple[pa.Array, np.ndarray, str]:
    """Lists (or JSON arrays in text, as a CSV holds them), each element cast to the feature's type."""
    cause = {"Vector": f"is not a list of {feature.dimension} numbers", "Set": "is not a list of distinct values"}
    cause_text = cause.get(feature.collection_type, f"is not a list of {feature.type} values")
    if _numeric_lists(feature, given):
        values, failed = _cast_number_lists(feature, given)
        return values, failed, cause_text
    items = [_collection_items(feature, value) for value in given.to_pylist()]
    failed = ~_null_mask(given) & np.array([item is None for item in items], dtype=bool)
    return pa.array(items, type=arrow_type(feature)), failed, cause_text


def _numeric_lists(feature: FeatureDefinition, given: pa.Array) -> bool:
    """Lists of numbers for a List or Vector of numbers: checked column-wise (embeddings are long)."""
    nested = pa.types.is_list(given.type) or pa.types.is_large_list(given.type) or pa.types.is_fixed_size_list(given.type)
    element = given.type.value_type if nested else None
    return (nested and feature.type != "String" and feature.collection_type != "Set"
            and (pa.types.is_integer(element) or pa.types.is_floating(element)))


def _cast_number_lists(feature: FeatureDefinition, given: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """(the lists in the feature's type, rows with a missing, non-finite or (Integral) fractional element, or
    (Vector) another length). Failed rows' values are dropped by the caller, so the cast need not be exact."""
    lists = pc.cast(given, pa.list_(pa.float64()))
    numbers = pc.call_function("list_flatten", [lists]).to_numpy(zero_copy_only=False)  # null lists give nothing
    bad_element = ~np.isfinite(numbers)
    if feature.type == "Integral":
        bad_element |= np.floor(numbers) != numbers
    rows = np.asarray(pc.call_function("list_parent_indices", [lists]), dtype=np.int64)  # nor here
    failed = np.zeros(len(given), dtype=bool)
    failed[rows[bad_element]] = True
    if feature.collection_type == "Vector":
        lengths = np.asarray(pc.fill_null(pc.call_function("list_value_length", [lists]), feature.dimension), dtype=np.int64)
        failed |= lengths != feature.dimension
    failed &= ~_null_mask(given)
    return pc.cast(lists, arrow_type(feature), safe=False), failed


def _collection_items(feature: FeatureDefinition, value: Any) -> list[Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, list):
        return None
    items = [_element(feature.type, item) for item in value]
    if any(item is None for item in items):
        return None
    if feature.collection_type == "Vector" and len(items) != feature.dimension:
        return None
    if feature.collection_type == "Set" and len(set(items)) != len(items):
        return None
    return items


def _element(feature_type: str, item: Any) -> Any:
    if feature_type == "String":
        return item if isinstance(item, str) else (None if isinstance(item, (list, dict)) or item is None else str(item))
    if isinstance(item, bool) or item is None:
        return None
    try:
        number = float(item)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    if feature_type == "Integral":
        return int(number) if number.is_integer() and abs(number) < INTEGRAL_LIMIT else None
    return number


# -- event times ------------------------------------------------------------------------------------------------


def event_seconds(feature: FeatureDefinition, values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(seconds since 1970, rows whose present value is not a time). Strings are ISO-8601 (UTC when no zone
    is given); Fractional values are seconds already."""
    present = ~_null_mask(values)
    if feature.type == "Fractional":
        seconds = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
        return np.nan_to_num(seconds), np.zeros(len(values), dtype=bool)
    times = parse_iso_times(values)
    parsed = ~np.isnat(times)
    return np.where(parsed, times.astype("int64") / 1e9, 0.0), present & ~parsed


def parse_iso_times(texts: pa.Array) -> np.ndarray:
    """ISO-8601 texts as UTC times, ``datetime64[ns]`` (NaT where a text is not one: ``yesterday``,
    ``1700000000``). Texts with a zone and without one are parsed apart: parsed together, pandas gives a
    zone-less text the zone of the text before it."""
    looks = _matches(texts, ISO_START)
    zoned = _matches(texts, ZONE_SUFFIX) & looks
    times = np.full(len(texts), np.datetime64("NaT"), dtype="datetime64[ns]")
    for part in (zoned, looks & ~zoned):
        if part.any():
            chosen = pd.Series(texts.filter(pa.array(part)).to_numpy(zero_copy_only=False), dtype=object)
            parsed = pd.to_datetime(chosen, format="ISO8601", utc=True, errors="coerce")
            times[part] = parsed.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    return times


def _matches(texts: pa.Array, pattern: str) -> np.ndarray:
    found = pc.call_function("match_substring_regex", [texts], pc.MatchSubstringOptions(pattern))
    return np.asarray(pc.fill_null(found, False), dtype=np.bool_)


def iso_seconds(text: str) -> float:
    """One ISO-8601 time (an event time given to DeleteRecord, an ``as of``) in seconds; ``InvalidInput`` otherwise."""
    parsed = parse_iso_times(pa.array([text], type=pa.string()))[0]
    if np.isnat(parsed):
        raise InvalidInput(f"{text!r} is not an ISO-8601 time.", hint="Write it like 2024-05-01T12:00:00Z.")
    return float(parsed.astype("int64")) / 1e9


def event_time_seconds(feature: FeatureDefinition, value: Any) -> float:
    """One event-time value (a String feature's ISO text, a Fractional feature's seconds) in seconds."""
    if feature.type == "Fractional":
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            seconds = math.nan
        if not math.isfinite(seconds):
            raise InvalidInput(f"{value!r} is not a time in seconds since 1970.", hint="Give a number such as 1714564800.0.")
        return seconds
    return iso_seconds(str(value))
