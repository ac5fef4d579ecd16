"""The Feature Store's pure checks: CreateFeatureGroup's rules and each row's cast, counted per cause."""

from __future__ import annotations

from dataclasses import replace

import pyarrow as pa
import pytest

from services.errors import InvalidInput
from services.features.models import FeatureDefinition, FeatureGroupSpec
from services.features.validation import check_rows, check_spec, failure_lines, iso_seconds, offline_schema

FEATURES = (FeatureDefinition("review_id", "String"), FeatureDefinition("event_time", "String"),
            FeatureDefinition("rating", "Integral"), FeatureDefinition("score", "Fractional"),
            FeatureDefinition("text", "String"), FeatureDefinition("tags", "String", "List"),
            FeatureDefinition("embedding", "Fractional", "Vector", 2))
SPEC = FeatureGroupSpec("reviews", "review_id", "event_time", FEATURES)


@pytest.mark.parametrize("change, words", [
    ({"features": ()}, "at least one feature definition"),
    ({"event_time": "tags"}, "is a List; it must be a single value"),
    ({"record_identifier": "event_time"}, "must be different features"),
    ({"features": (*FEATURES, FeatureDefinition("bad name", "String"))}, "not a valid feature name"),
    ({"features": (*FEATURES, FeatureDefinition("IS_DELETED", "String"))}, "reserved feature name"),
    ({"features": (*FEATURES, FeatureDefinition("x", "Boolean"))}, "has type 'Boolean'"),
    ({"features": (*FEATURES, FeatureDefinition("v", "Fractional", "Vector", 0))}, "needs a dimension"),
    ({"ttl_seconds": 0}, "at least 1 second"),
    ({"ttl_seconds": 60, "online": False}, "applies to the online store"),
    ({"description": "x" * 129}, "at most 128"),
    ({"name": "a" * 65}, "not a valid feature group name"),
    ({"name": "-reviews"}, "not a valid feature group name"),
])
def test_create_feature_groups_rules(change: dict[str, object], words: str) -> None:
    with pytest.raises(InvalidInput, match=words):
        check_spec(replace(SPEC, **change))  # type: ignore[arg-type]


def test_a_good_spec_passes_and_its_offline_schema_adds_sagemakers_columns() -> None:
    check_spec(SPEC)
    schema = offline_schema(SPEC)
    assert schema.names[-3:] == ["write_time", "api_invocation_time", "is_deleted"]
    assert [str(schema.field(n).type) for n in ("rating", "score", "text", "tags", "embedding", "write_time")] == [
        "int64", "double", "string", "list<item: string>", "list<item: double>", "timestamp[us]"]


def batch(**columns: list[object]) -> pa.Table:
    return pa.table({name: pa.array(values) for name, values in columns.items()})


def test_rows_that_do_not_cast_are_dropped_and_counted_per_cause() -> None:
    rows = batch(review_id=["a", "b", None, "d", "e", ""],
                 event_time=["2024-01-01T00:00:00Z", "yesterday", "2024-01-01T00:00:00Z", "2024-01-02T10:00:00+02:00",
                             "2024-01-01T00:00:00", "2024-01-01T00:00:00Z"],
                 rating=["5", "4", "3", "4.5", " 2 ", "1"], score=[0.5, None, 1.0, 2.0, float("nan"), 3.0])
    checked = check_rows(SPEC, rows)
    assert checked.record_ids == ("a", "e")
    assert checked.table.column("rating").to_pylist() == [5, 2]
    assert checked.table.column("score").to_pylist() == [0.5, None]  # NaN is no value
    assert list(checked.event_seconds) == [1704067200.0, 1704067200.0]  # no zone: UTC
    assert checked.failed == 4
    assert failure_lines(checked.failures) == (
        "2 rows: review_id has no value (it is the record identifier)",
        "1 row: event_time is not an ISO-8601 time", "1 row: rating is not a whole number")


def test_numbers_from_floats_and_strings_and_nothing_else() -> None:
    rows = batch(review_id=["a", "b", "c", "d"], event_time=["2024-01-01T00:00:00Z"] * 4,
                 rating=[1.0, 2.5, None, 1e19], score=["1e3", "x", None, "inf"])
    checked = check_rows(SPEC, rows)
    assert checked.record_ids == ("a", "c")
    assert checked.table.column("rating").to_pylist() == [1, None]
    assert checked.table.column("score").to_pylist() == [1000.0, None]
    assert checked.failures == {"rating is not a whole number": 2, "score is not a number": 2}


def test_booleans_are_no_numbers_but_numbers_and_times_become_strings() -> None:
    rows = pa.table({"review_id": pa.array([7, 8]), "event_time": pa.array([1, 2], type=pa.timestamp("s")),
                     "rating": pa.array([True, None]), "text": pa.array([1.5, 2.0])})
    checked = check_rows(SPEC, rows)
    assert checked.record_ids == ("8",)
    assert checked.table.column("event_time").to_pylist() == ["1970-01-01T00:00:02"]
    assert checked.table.column("text").to_pylist() == ["2.0"]
    assert checked.failures == {"rating is not a whole number": 1}


def test_collections_from_lists_or_json_text() -> None:
    rows = batch(review_id=["a", "b", "c", "d"], event_time=["2024-01-01T00:00:00Z"] * 4,
                 tags=['["x", "y"]', "not json", None, '["z"]'],
                 embedding=['[0.1, 0.2]', "[1, 2]", "[1, 2, 3]", '["a", 1]'])
    checked = check_rows(SPEC, rows)
    assert checked.record_ids == ("a",)
    assert checked.table.column("tags").to_pylist() == [["x", "y"]]
    assert checked.table.column("embedding").to_pylist() == [[0.1, 0.2]]
    assert checked.failures == {"tags is not a list of String values": 1, "embedding is not a list of 2 numbers": 2}


def test_fractional_event_times_are_seconds_and_missing_ones_fail() -> None:
    spec = replace(SPEC, features=(FeatureDefinition("review_id", "Integral"), FeatureDefinition("event_time", "Fractional")))
    checked = check_rows(spec, batch(review_id=[1, 2, 3], event_time=["1.5", None, "x"]))
    assert (checked.record_ids, list(checked.event_seconds)) == (("1",), [1.5])
    assert checked.failures == {"event_time has no value (it is the event time)": 1, "event_time is not a number": 1}


def test_missing_feature_columns_are_null_and_iso_seconds_refuses_non_times() -> None:
    checked = check_rows(SPEC, batch(review_id=["a"], event_time=["2024-01-01T00:00:00.500Z"]))
    assert checked.table.column("rating").to_pylist() == [None] and list(checked.event_seconds) == [1704067200.5]
    with pytest.raises(InvalidInput, match="not an ISO-8601 time"):
        iso_seconds("1700000000")


def test_lists_of_numbers_are_checked_column_wise() -> None:
    vectors = pa.array([[0.1, 0.2], None, [1.0], [1.0, float("nan")], [3, 4]], type=pa.list_(pa.float64()))
    rows = pa.table({"review_id": pa.array(list("abcde")), "event_time": pa.array(["2024-01-01T00:00:00Z"] * 5),
                     "embedding": vectors})
    checked = check_rows(SPEC, rows)
    assert checked.record_ids == ("a", "b", "e")
    assert checked.table.column("embedding").to_pylist() == [[0.1, 0.2], None, [3.0, 4.0]]
    assert checked.failures == {"embedding is not a list of 2 numbers": 2}
    counts = replace(SPEC, features=(*FEATURES[:2], FeatureDefinition("counts", "Integral", "List")))
    lists = pa.table({"review_id": ["a", "b"], "event_time": ["2024-01-01T00:00:00Z"] * 2,
                      "counts": pa.array([[1.0, 2.0], [2.5]])})
    checked = check_rows(counts, lists)
    assert (checked.table.column("counts").to_pylist(), checked.failed) == ([[1, 2]], 1)
