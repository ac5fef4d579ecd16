"""Model Monitor's data-quality files from small frames: exact statistics.json and constraints.json, and each kind of
violation (data type, completeness, drift, missing/extra column, categorical values); below the minimum traffic the
report makes no drift verdict and its tile is neutral."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from services.endpoints.models import MIN_TRAFFIC_ROWS
from services.monitoring import data_quality_files as files
from services.monitoring.data_quality import baseline_of, evaluate
from services.monitoring.models import NOT_ENOUGH_TRAFFIC, tile_status

CREATED_AT = "2026-03-01T12:00:00.000+00:00"


def small_frame() -> pd.DataFrame:
    return pd.DataFrame({"age": [30, 40, None, 50], "price": [1.5, 2.5, 3.0, -1.0], "city": ["Oslo", "Rome", "Oslo", None]})


def test_statistics_of_a_small_frame_are_model_monitors_exactly() -> None:
    statistics = files.dataset_statistics(small_frame(), ["age", "price", "city"])
    assert statistics["version"] == 0.0 and statistics["dataset"] == {"item_count": 4}
    age, price, city = statistics["features"]
    assert (age["name"], age["inferred_type"]) == ("age", "Integral")
    numbers = age["numerical_statistics"]
    assert numbers["common"] == {"num_present": 3, "num_missing": 1}
    assert (numbers["mean"], numbers["sum"], numbers["min"], numbers["max"]) == (40.0, 120.0, 30.0, 50.0)
    assert numbers["std_dev"] == pytest.approx(np.std([30, 40, 50]))
    kll = numbers["distribution"]["kll"]
    assert kll["sketch"] == {"parameters": {"c": 0.64, "k": 2048.0}, "data": [[30.0, 40.0, 50.0]]}
    assert len(kll["buckets"]) == 10 and kll["buckets"][0] == {"lower_bound": 30.0, "upper_bound": 32.0, "count": 1.0}
    assert sum(b["count"] for b in kll["buckets"]) == 3 and kll["buckets"][-1]["upper_bound"] == 50.0
    assert price["inferred_type"] == "Fractional" and price["numerical_statistics"]["min"] == -1.0
    assert city == {"name": "city", "inferred_type": "String", "string_statistics": {
        "common": {"num_present": 3, "num_missing": 1}, "distinct_count": 2.0,
        "distribution": {"categorical": {"buckets": [{"value": "Oslo", "count": 2.0}, {"value": "Rome", "count": 1.0}]}}}}


def test_suggested_constraints_are_model_monitors() -> None:
    constraints = files.suggested_constraints(files.dataset_statistics(small_frame(), ["age", "price", "city"]))
    assert constraints == {"version": 0.0, "features": [
        {"name": "age", "inferred_type": "Integral", "completeness": 0.75, "num_constraints": {"is_non_negative": True}},
        {"name": "price", "inferred_type": "Fractional", "completeness": 1.0, "num_constraints": {"is_non_negative": False}},
        {"name": "city", "inferred_type": "String", "completeness": 0.75, "string_constraints": {"domains": ["Oslo", "Rome"]}},
    ], "monitoring_config": {"evaluate_constraints": "Enabled", "emit_metrics": "Enabled", "datatype_check_threshold": 1.0,
                             "domain_content_threshold": 1.0, "distribution_constraints": {
                                 "perform_comparison": "Enabled", "comparison_threshold": 0.1, "comparison_method": "Robust"}}}


def test_free_text_gets_no_distribution_so_no_domain() -> None:
    reviews = pd.DataFrame({"review_body": [f"review number {i}" for i in range(files.CATEGORICAL_LIMIT + 1)]})
    [feature] = files.dataset_statistics(reviews, ["review_body"])["features"]
    assert feature["string_statistics"] == {"common": {"num_present": 101, "num_missing": 0}, "distinct_count": 101.0}
    assert "string_constraints" not in files.suggested_constraints({"features": [feature]})["features"][0]


def baseline_and_current(current: pd.DataFrame) -> tuple[dict, dict, dict]:  # type: ignore[type-arg]
    rng = np.random.default_rng(0)
    training = pd.DataFrame({"age": rng.integers(20, 60, 500), "city": rng.choice(["Oslo", "Rome"], 500)})
    baseline = baseline_of(training, ["age", "city"])
    return baseline["statistics"], baseline["constraints"], baseline


def test_a_drifted_column_is_a_baseline_drift_check_with_the_robust_distance() -> None:
    rng = np.random.default_rng(1)
    current = pd.DataFrame({"age": rng.integers(60, 90, 200), "city": rng.choice(["Oslo", "Rome"], 200)})
    statistics, constraints, _ = baseline_and_current(current)
    found, violations, distances = files.check(current, statistics, constraints)
    assert [(v.feature_name, v.constraint_check_type) for v in violations] == [("age", "baseline_drift_check")]
    # every current age is above every training age: the CDFs differ by 1 at most, less the two-sample bound
    assert distances["age"] == pytest.approx(1 - 1.8 * math.sqrt((500 + 200) / (500 * 200)))
    assert violations[0].description == f"Baseline drift distance: {distances['age']:.4g} exceeds threshold: 0.1"
    assert distances["city"] < 0.1 and found["dataset"] == {"item_count": 200}


def test_a_column_of_the_wrong_type_is_a_data_type_check_and_new_values_a_categorical_values_check() -> None:
    current = pd.DataFrame({"age": ["thirty"] * 10 + ["41"] * 30, "city": ["Oslo"] * 36 + ["Paris"] * 4})
    statistics, constraints, _ = baseline_and_current(current)
    _, violations, _ = files.check(current, statistics, constraints, drift=False)
    assert [(v.feature_name, v.constraint_check_type, v.description) for v in violations] == [
        ("age", "data_type_check", "Data type match requirement is not met. Expected data type: Integral, "
                                   "Expected match: 100.0%. Observed: Only 75.0% of data is Integral."),
        ("city", "categorical_values_check", "Data domain requirement is not met. Expected: 100.0% of values in the "
                                             "baseline's domain. Observed: only 90.0% (new values e.g. Paris)."),
    ]


def test_missing_extra_and_incomplete_columns() -> None:
    current = pd.DataFrame({"age": [30.0, None, None, 41.0], "colour": ["red"] * 4})
    statistics, constraints, _ = baseline_and_current(current)
    _, violations, _ = files.check(current, statistics, constraints, drift=False)
    assert {(v.feature_name, v.constraint_check_type) for v in violations} == {
        ("city", "missing_column_check"), ("colour", "extra_column_check"), ("age", "completeness_check")}
    assert "Observed: only 50.0%" in next(v.description for v in violations if v.constraint_check_type == "completeness_check")


def captured(ages: list[int]) -> pd.DataFrame:
    n = len(ages)
    return pd.DataFrame({"event_id": [f"e{i}" for i in range(n)],
                         "captured_at": pd.date_range("2026-03-01T09:00:00Z", periods=n, freq="5min", tz="UTC"),
                         "age": ages, "city": ["Oslo", "Rome"] * (n // 2), "prediction": ["1"] * n})


def test_below_the_minimum_traffic_there_is_no_drift_verdict_and_the_tile_is_neutral() -> None:
    _, _, baseline = baseline_and_current(pd.DataFrame())
    few = evaluate("ep", CREATED_AT, captured([90] * 4), baseline)
    assert few.status == "Completed" and few.violations == () and few.details["enough_traffic"] is False
    assert few.details["headline"] == f"not enough traffic yet — 4 of {MIN_TRAFFIC_ROWS} captured rows"
    assert tile_status(few, "OK") == NOT_ENOUGH_TRAFFIC and few.trend == ()
    many = evaluate("ep", CREATED_AT, captured([90] * MIN_TRAFFIC_ROWS), baseline)
    assert [v.constraint_check_type for v in many.violations] == ["baseline_drift_check"]
    assert tile_status(many, "Violations") == "Violations" and many.statistics["features"][0]["name"] == "age"
    assert [row["items"] for row in many.trend] == [12, 12, 6] and "distance_age" in many.trend[0]
