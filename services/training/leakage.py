"""Target leakage before training: features that alone predict the target (near) perfectly.

A feature that predicts the target on its own with balanced accuracy ≥ 0.99 (classification) or R² ≥ 0.99
(regression), or that is a one-to-one relabelling of the target's classes (``cultivar`` 1/2/3 for ``target``
0/1/2), is almost always the target in disguise or recorded after the outcome: every model picks it, scores
1.0 and fails in production. The check is a purity test of one-feature lookups, pure over a bounded sample:

- each distinct value of the feature (a numeric feature with more than ``MAX_VALUES`` distinct values: its
  ``BINS`` quantile bins) predicts the majority class / the mean of the *other* sample rows with that value
  (leave-one-out, so a unique id column predicts nothing: its values are never seen twice);
- a numeric feature of a numeric target also counts its squared correlation (a linear copy in other units);
- balanced accuracy (mean per-class recall), not accuracy: a constant feature is 99 % accurate on a target
  that is 99 % one class, and predicts nothing.

``leakage_check`` reads the sample through the query port (the table's first ``SAMPLE_ROWS`` rows, not
recorded in the query history) on either backend, and checks the first ``MAX_FEATURES`` columns (it says so).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from services.errors import InvalidInput
from services.models import DataSource
from services.query.base import QueryPort
from services.training.data import split_table_name
from services.training.models import LeakageCheck, LeakyFeature
from services.training.problem_type import REGRESSION, infer_problem_type

SAMPLE_ROWS = 5_000
MAX_FEATURES = 300  # columns checked (the first ones): bounds the work on a very wide table
FLAG_SCORE = 0.99
MAX_VALUES = 20  # numeric features with more distinct values are binned
BINS = 20
MIN_ROWS = 10


def leakage_check(query: QueryPort, source: DataSource, target: str, sample_rows: int = SAMPLE_ROWS) -> LeakageCheck:
    """Flag the table's features that alone predict ``target`` (see the module docstring). ``NotFound`` for an
    unknown table, ``InvalidInput`` for a target that is not one of its columns."""
    database, table = split_table_name(source.table)
    frame = query.sample_rows(database, table, limit=sample_rows + 1).frame
    if target not in frame.columns:
        raise InvalidInput(f"{target!r} is not a column of {source.table}.", hint="Pick the target among its columns.")
    features = [c for c in frame.columns if c != target]
    sample = frame.head(sample_rows)[[*features[:MAX_FEATURES], target]]
    return LeakageCheck(target, len(sample), len(frame) > sample_rows, tuple(leaky_features(sample, target)),
                        checked=min(len(features), MAX_FEATURES), features=len(features))


def leaky_features(frame: pd.DataFrame, target: str) -> list[LeakyFeature]:
    """The features of ``frame`` that alone predict ``target``, strongest first. Rows without a target are left
    out; fewer than ``MIN_ROWS`` rows, or a target with one value, flag nothing."""
    kept = frame[frame[target].notna()]
    if len(kept) < MIN_ROWS:
        return []
    try:
        classification = infer_problem_type(kept[target]) != REGRESSION
    except InvalidInput:  # a single value: nothing to learn, nothing to leak
        return []
    found = [_flag(kept[name], kept[target], classification) for name in kept.columns if name != target]
    flagged = [f for f in found if f is not None]
    return sorted(flagged, key=lambda f: (f.metric != "relabelling", -f.score, f.feature))


def _flag(values: pd.Series, truth: pd.Series, classification: bool) -> LeakyFeature | None:
    name = str(values.name)
    if classification and relabels(values, truth):
        return LeakyFeature(name, "relabelling", 1.0)
    keys = value_keys(values)
    if classification:
        codes = pd.factorize(truth.astype(str))[0]
        score, metric = balanced_accuracy(codes, loo_majority(keys, codes)), "balanced_accuracy"
    else:
        numbers = pd.to_numeric(truth, errors="coerce").to_numpy(dtype=float)
        score, metric = max(r_squared(numbers, loo_means(keys, numbers)), squared_correlation(values, numbers)), "r2"
    return LeakyFeature(name, metric, round(score, 4)) if score >= FLAG_SCORE else None


def relabels(values: pd.Series, truth: pd.Series) -> bool:
    """Every value of the feature goes with one class and every class with one value (both present, 2+ classes)."""
    both = pd.DataFrame({"v": values.astype(str), "t": truth.astype(str)})[values.notna().to_numpy()]
    classes = both["t"].nunique()
    return classes >= 2 and both["v"].nunique() == classes and len(both.drop_duplicates()) == classes


def value_keys(values: pd.Series) -> np.ndarray:
    """Each row's value (or quantile bin, for a numeric feature with many values) as a small integer; missing
    values share a key of their own."""
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if numeric and values.nunique(dropna=True) > MAX_VALUES:
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        present = numbers[~np.isnan(numbers)]
        edges = np.unique(np.quantile(present, np.linspace(0, 1, BINS + 1)[1:-1]))
        return np.where(np.isnan(numbers), len(edges) + 1, np.searchsorted(edges, numbers, side="right")).astype(np.int64)
    codes = pd.factorize(values.astype(object).where(values.notna(), None), use_na_sentinel=True)[0]
    return np.where(codes < 0, codes.max(initial=-1) + 1, codes).astype(np.int64)


def loo_majority(keys: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Each row's prediction: the majority class of the other rows with its key (ties: the lower class); a key
    seen only once predicts the overall majority."""
    classes = int(codes.max()) + 1
    counts = np.zeros((int(keys.max()) + 1, classes), dtype=np.int64)
    np.add.at(counts, (keys, codes), 1)
    others = counts[keys]
    others[np.arange(len(codes)), codes] -= 1
    fallback = np.bincount(codes, minlength=classes).argmax()
    return np.where(others.sum(axis=1) > 0, others.argmax(axis=1), fallback)


def loo_means(keys: np.ndarray, numbers: np.ndarray) -> np.ndarray:
    """Each row's prediction: the mean target of the other rows with its key, else the overall mean."""
    present = ~np.isnan(numbers)
    values = np.where(present, numbers, 0.0)
    sums = np.bincount(keys, weights=values)
    rows = np.bincount(keys, weights=present.astype(float))
    other_rows = rows[keys] - present
    own = np.where(other_rows > 0, (sums[keys] - values) / np.maximum(other_rows, 1), np.nan)
    return np.where(np.isnan(own), np.nanmean(numbers), own)


def balanced_accuracy(truth: np.ndarray, predicted: np.ndarray) -> float:
    """The mean of the per-class recalls."""
    return float(np.mean([np.mean(predicted[truth == label] == label) for label in np.unique(truth)]))


def r_squared(truth: np.ndarray, predicted: np.ndarray) -> float:
    keep = ~np.isnan(truth)
    total = float(np.sum((truth[keep] - truth[keep].mean()) ** 2))
    return 1 - float(np.sum((truth[keep] - predicted[keep]) ** 2)) / total if total else 0.0


def squared_correlation(values: pd.Series, numbers: np.ndarray) -> float:
    """Pearson's r² of a numeric feature with the target (0 for a non-numeric or constant feature)."""
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return 0.0
    feature = values.to_numpy(dtype=float, na_value=np.nan)
    keep = ~np.isnan(feature) & ~np.isnan(numbers)
    if keep.sum() < MIN_ROWS or np.std(feature[keep]) == 0 or np.std(numbers[keep]) == 0:
        return 0.0
    return float(np.corrcoef(feature[keep], numbers[keep])[0, 1] ** 2)
