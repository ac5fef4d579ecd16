"""Model Monitor's data-quality files, computed from rows: ``statistics.json``, ``constraints.json`` and the entries of
``constraint_violations.json``. Pure functions over data frames and JSON documents (no files, no clock).

Shapes are SageMaker's (Developer Guide: "Schema for Statistics", "Schema for Constraints", "Schema for Violations"):

- statistics: ``{"version": 0.0, "dataset": {"item_count"}, "features": [{"name", "inferred_type",
  "numerical_statistics": {"common": {"num_present", "num_missing"}, "mean", "sum", "std_dev", "min", "max",
  "distribution": {"kll": {"buckets": [{"lower_bound", "upper_bound", "count"}], "sketch": {"parameters": {"c", "k"},
  "data": [[…]]}}}}`` | ``"string_statistics": {"common", "distinct_count", "distribution": {"categorical":
  {"buckets": [{"value", "count"}]}}}``}]}``; ``inferred_type`` is Integral, Fractional, String or Unknown.
- constraints: ``{"version": 0.0, "features": [{"name", "inferred_type", "completeness", "num_constraints":
  {"is_non_negative"}, "string_constraints": {"domains"}}], "monitoring_config": {…}}`` (``MONITORING_CONFIG``: what a
  baselining job suggests).
- violations: ``{"feature_name", "constraint_check_type", "description"}`` with the check types ``CHECK_TYPES``.

Not a real KLL sketch: ``sketch.data`` is one level of retained values — every present value when there are at most
``SKETCH_K`` of them (what a KLL sketch with k = 2048 holds before its first compaction), else ``SKETCH_K`` evenly
spaced order statistics, each standing for ``num_present / SKETCH_K`` values. The ten ``buckets`` are equal-width
between min and max (Model Monitor materialises ten), counted exactly.

The drift distance is Model Monitor's (Deequ's ``Distance``): ``linf_simple`` is the largest gap between the two
cumulative distributions (over the sketches for numbers, over the category shares for strings); ``comparison_method``
"Robust" subtracts ``1.8 * sqrt((n + m) / (n * m))`` (the two-sample Kolmogorov-Smirnov bound for n baseline and m
current values) and floors at 0. A feature drifts when that distance exceeds ``comparison_threshold``. String columns
with more than ``CATEGORICAL_LIMIT`` distinct values (free text such as reviews) get no categorical distribution, so
neither a drift nor a domain check.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from services.monitoring.models import Violation

VERSION = 0.0
BUCKETS = 10
SKETCH_K = 2048
SKETCH_C = 0.64
CATEGORICAL_LIMIT = 100  # more distinct strings than this: free text, no categorical distribution
ROBUST_FACTOR = 1.8  # Deequ's linf_robust
NUMERIC_TYPES = ("Integral", "Fractional")
CHECK_TYPES = ("data_type_check", "completeness_check", "baseline_drift_check", "missing_column_check",
               "extra_column_check", "categorical_values_check")
MONITORING_CONFIG: dict[str, Any] = {
    "evaluate_constraints": "Enabled", "emit_metrics": "Enabled", "datatype_check_threshold": 1.0,
    "domain_content_threshold": 1.0,
    "distribution_constraints": {"perform_comparison": "Enabled", "comparison_threshold": 0.1, "comparison_method": "Robust"},
}


# -- values and their types ------------------------------------------------------------------------------------------


def present_values(values: pd.Series) -> pd.Series:
    """The non-missing values (None, NaN and blank strings are missing)."""
    kept = values[values.notna()]
    return kept[~kept.astype(str).str.strip().eq("")]


def value_types(values: pd.Series) -> pd.Series:
    """Integral | Fractional | String per present value (a number written as text is a number, as in a CSV body)."""
    numbers = pd.to_numeric(values.map(_as_number), errors="coerce").astype(float)
    finite = np.isfinite(numbers)
    integral = finite & (numbers == np.round(numbers))
    kinds = np.where(integral, "Integral", np.where(numbers.notna(), "Fractional", "String"))
    return pd.Series(kinds, index=values.index, dtype=object)


def _as_number(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    return value.strip() if isinstance(value, str) else value


def inferred_type(kinds: pd.Series) -> str:
    """A column's type from its values' types: String if any is text, else Fractional if any has a fraction."""
    if kinds.empty:
        return "Unknown"
    found = set(kinds)
    return "String" if "String" in found else ("Fractional" if "Fractional" in found else "Integral")


def matches(kinds: pd.Series, expected: str) -> int:
    """How many values are of the ``expected`` type (a whole number is a valid Fractional, anything a String)."""
    if expected == "String" or expected == "Unknown":
        return len(kinds)
    allowed = NUMERIC_TYPES if expected == "Fractional" else (expected,)
    return int(kinds.isin(allowed).sum())


# -- statistics.json -------------------------------------------------------------------------------------------------


def dataset_statistics(frame: pd.DataFrame, columns: list[str], types: dict[str, str] | None = None) -> dict[str, Any]:
    """statistics.json of ``frame``'s ``columns`` (a column absent from the frame is left out). ``types``: the
    baseline's type per column, so current numbers are summarised as numbers even where some values are text."""
    features = [feature_statistics(name, frame[name], (types or {}).get(name)) for name in columns if name in frame.columns]
    return {"version": VERSION, "dataset": {"item_count": len(frame)}, "features": features}


def feature_statistics(name: str, values: pd.Series, baseline_type: str | None = None) -> dict[str, Any]:
    present = present_values(values)
    kinds = value_types(present)
    kind = inferred_type(kinds)
    common = {"num_present": len(present), "num_missing": len(values) - len(present)}
    summarise_as = baseline_type if baseline_type in (*NUMERIC_TYPES, "String") else kind
    if summarise_as in NUMERIC_TYPES:
        numbers = pd.to_numeric(present[kinds.isin(NUMERIC_TYPES)].map(_as_number), errors="coerce").to_numpy(float)
        return {"name": name, "inferred_type": kind, "numerical_statistics": {"common": common} | numeric_summary(numbers)}
    return {"name": name, "inferred_type": kind, "string_statistics": {"common": common} | string_summary(present)}


def numeric_summary(numbers: np.ndarray) -> dict[str, Any]:
    if not len(numbers):
        return {"mean": 0.0, "sum": 0.0, "std_dev": 0.0, "min": 0.0, "max": 0.0}
    low, high = float(numbers.min()), float(numbers.max())
    return {"mean": float(numbers.mean()), "sum": float(numbers.sum()), "std_dev": float(numbers.std()), "min": low,
            "max": high, "distribution": {"kll": {"buckets": buckets(numbers, low, high),
                                                  "sketch": {"parameters": {"c": SKETCH_C, "k": float(SKETCH_K)},
                                                             "data": [sketch_values(numbers)]}}}}


def buckets(numbers: np.ndarray, low: float, high: float) -> list[dict[str, float]]:
    """Ten equal-width buckets from min to max (the last one closed), with exact counts."""
    edges = np.linspace(low, high, BUCKETS + 1) if high > low else np.array([low] * (BUCKETS + 1))
    counts = np.histogram(numbers, bins=BUCKETS, range=(low, high if high > low else low + 1))[0]
    return [{"lower_bound": float(edges[i]), "upper_bound": float(edges[i + 1]), "count": float(counts[i])}
            for i in range(BUCKETS)]


def sketch_values(numbers: np.ndarray) -> list[float]:
    """Every value, sorted, up to SKETCH_K of them; else SKETCH_K evenly spaced order statistics."""
    ordered = np.sort(numbers)
    if len(ordered) > SKETCH_K:
        ordered = ordered[np.linspace(0, len(ordered) - 1, SKETCH_K).round().astype(int)]
    return [float(v) for v in ordered]


def string_summary(present: pd.Series) -> dict[str, Any]:
    counts = present.astype(str).value_counts()
    summary: dict[str, Any] = {"distinct_count": float(len(counts))}
    if len(counts) <= CATEGORICAL_LIMIT:
        summary["distribution"] = {"categorical": {"buckets": [{"value": str(v), "count": float(c)}
                                                               for v, c in sorted(counts.items())]}}
    return summary


# -- constraints.json ------------------------------------------------------------------------------------------------


def suggested_constraints(statistics: dict[str, Any]) -> dict[str, Any]:
    """The constraints a baselining job suggests from baseline statistics: each feature's type, completeness, whether
    its numbers are non-negative, and the observed values of a small-cardinality string column."""
    return {"version": VERSION, "features": [feature_constraints(f) for f in statistics.get("features", [])],
            "monitoring_config": {**MONITORING_CONFIG,
                                  "distribution_constraints": dict(MONITORING_CONFIG["distribution_constraints"])}}


def feature_constraints(feature: dict[str, Any]) -> dict[str, Any]:
    block = feature.get("numerical_statistics") or feature.get("string_statistics") or {}
    common = block.get("common", {})
    total = common.get("num_present", 0) + common.get("num_missing", 0)
    entry: dict[str, Any] = {"name": feature["name"], "inferred_type": feature["inferred_type"],
                             "completeness": common.get("num_present", 0) / total if total else 1.0}
    if "numerical_statistics" in feature:
        entry["num_constraints"] = {"is_non_negative": block.get("min", 0.0) >= 0}
    domain = categorical_counts(feature)
    if domain is not None:
        entry["string_constraints"] = {"domains": sorted(domain)}
    return entry


def categorical_counts(feature: dict[str, Any]) -> dict[str, float] | None:
    """value -> count of a string feature's categorical distribution; None without one."""
    listed = (((feature.get("string_statistics") or {}).get("distribution") or {}).get("categorical") or {}).get("buckets")
    return None if listed is None else {str(b["value"]): float(b["count"]) for b in listed}


# -- checking current rows against the constraints -----------------------------------------------------------------------


def check(frame: pd.DataFrame, baseline: dict[str, Any], constraints: dict[str, Any], *,
          drift: bool = True) -> tuple[dict[str, Any], list[Violation], dict[str, float]]:
    """(statistics.json of the current rows, the violations, the drift distance per feature compared). ``drift=False``
    leaves out the distribution comparison (too few rows for it to mean anything)."""
    expected = {c["name"]: c for c in constraints.get("features", [])}
    types = {name: str(c.get("inferred_type", "Unknown")) for name, c in expected.items()}
    current = dataset_statistics(frame, [n for n in expected if n in frame.columns], types)
    config = constraints.get("monitoring_config") or MONITORING_CONFIG
    found = [*column_violations(expected, frame), *type_and_domain_violations(expected, frame, config)]
    incomplete = (completeness_violation(expected[f["name"]], f) for f in current["features"])
    found += [v for v in incomplete if v is not None]
    distances = drift_distances(baseline, current, config) if drift and _comparing(config) else {}
    limit = float(config.get("distribution_constraints", {}).get("comparison_threshold", 0.1))
    found += [Violation(name, "baseline_drift_check", f"Baseline drift distance: {distance:.4g} exceeds threshold: {limit:g}")
              for name, distance in distances.items() if distance > limit]
    return current, found, distances


def _comparing(config: dict[str, Any]) -> bool:
    return str(config.get("distribution_constraints", {}).get("perform_comparison", "Enabled")) == "Enabled"


def column_violations(expected: dict[str, dict[str, Any]], frame: pd.DataFrame) -> list[Violation]:
    missing = [name for name in expected if name not in frame.columns]
    extra = [name for name in frame.columns if name not in expected]
    found = [Violation(name, "missing_column_check", f"Column {name} is in the baseline constraints but not in the current "
                       f"dataset: {len(frame.columns)} column(s) now, {len(expected)} in the baseline.") for name in missing]
    return found + [Violation(str(name), "extra_column_check", f"Column {name} is in the current dataset but not in the "
                              "baseline constraints.") for name in extra]


def type_and_domain_violations(expected: dict[str, dict[str, Any]], frame: pd.DataFrame,
                               config: dict[str, Any]) -> list[Violation]:
    type_limit = float(config.get("datatype_check_threshold", 1.0))
    domain_limit = float(config.get("domain_content_threshold", 1.0))
    found = []
    for name, constraint in expected.items():
        if name not in frame.columns:
            continue
        present = present_values(frame[name])
        if present.empty:
            continue
        wanted = str(constraint.get("inferred_type", "Unknown"))
        share = matches(value_types(present), wanted) / len(present)
        if share < type_limit:
            found.append(Violation(name, "data_type_check", f"Data type match requirement is not met. Expected data type: "
                                   f"{wanted}, Expected match: {type_limit:.1%}. Observed: Only {share:.1%} of data is {wanted}."))
        domains = (constraint.get("string_constraints") or {}).get("domains")
        if domains is not None:
            known = present.astype(str).isin(set(map(str, domains))).mean()
            if known < domain_limit:
                unseen = ", ".join(sorted(set(present.astype(str)) - set(map(str, domains)))[:3])
                found.append(Violation(name, "categorical_values_check", f"Data domain requirement is not met. Expected: "
                                       f"{domain_limit:.1%} of values in the baseline's domain. Observed: only {known:.1%} "
                                       f"(new values e.g. {unseen})."))
    return found


def completeness_violation(constraint: dict[str, Any], feature: dict[str, Any]) -> Violation | None:
    common = (feature.get("numerical_statistics") or feature.get("string_statistics") or {}).get("common", {})
    total = common.get("num_present", 0) + common.get("num_missing", 0)
    observed = common.get("num_present", 0) / total if total else 1.0
    wanted = float(constraint.get("completeness", 0.0))
    if observed >= wanted:
        return None
    return Violation(feature["name"], "completeness_check", f"Data completeness requirement is not met. Expected: "
                     f"{wanted:.1%} of values present. Observed: only {observed:.1%}.")


# -- distances ---------------------------------------------------------------------------------------------------------


def drift_distances(baseline: dict[str, Any], current: dict[str, Any], config: dict[str, Any]) -> dict[str, float]:
    """The distance of each feature both files can compare (numbers with sketches, strings with distributions)."""
    robust = config.get("distribution_constraints", {}).get("comparison_method", "Robust") == "Robust"
    before = {f["name"]: f for f in baseline.get("features", [])}
    distances = {}
    for feature in current.get("features", []):
        old = before.get(feature["name"])
        distance = feature_distance(old, feature, robust) if old else None
        if distance is not None:
            distances[feature["name"]] = distance
    return distances


def feature_distance(baseline: dict[str, Any], current: dict[str, Any], robust: bool) -> float | None:
    old_sketch, new_sketch = sketch_of(baseline), sketch_of(current)
    if old_sketch is not None and new_sketch is not None:
        return linf(numeric_gap(old_sketch, new_sketch), present(baseline), present(current), robust)
    old_counts, new_counts = categorical_counts(baseline), categorical_counts(current)
    if old_counts and new_counts:
        return linf(categorical_gap(old_counts, new_counts), sum(old_counts.values()), sum(new_counts.values()), robust)
    return None


def sketch_of(feature: dict[str, Any]) -> np.ndarray | None:
    data = (((feature.get("numerical_statistics") or {}).get("distribution") or {}).get("kll") or {}).get("sketch", {}).get("data")
    values = [v for level in data or [] for v in level]
    return np.sort(np.asarray(values, float)) if values else None


def present(feature: dict[str, Any]) -> float:
    block = feature.get("numerical_statistics") or feature.get("string_statistics") or {}
    return float(block.get("common", {}).get("num_present", 0))


def numeric_gap(first: np.ndarray, second: np.ndarray) -> float:
    """The largest gap between the two samples' cumulative distributions, over every value of either."""
    points = np.union1d(first, second)
    cdf_first = np.searchsorted(first, points, side="right") / len(first)
    cdf_second = np.searchsorted(second, points, side="right") / len(second)
    return float(np.max(np.abs(cdf_first - cdf_second)))


def categorical_gap(first: dict[str, float], second: dict[str, float]) -> float:
    total_first, total_second = sum(first.values()), sum(second.values())
    return max(abs(first.get(k, 0.0) / total_first - second.get(k, 0.0) / total_second) for k in {*first, *second})


def linf(simple: float, n: float, m: float, robust: bool) -> float:
    """linf_simple, or linf_robust: minus 1.8 * sqrt((n + m) / (n * m)), floored at 0."""
    if not robust:
        return simple
    return max(0.0, simple - ROBUST_FACTOR * math.sqrt((n + m) / (n * m))) if n and m else 0.0
