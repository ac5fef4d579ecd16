"""Target leakage: how well each feature alone predicts the target. Pure: a sample frame in, scores out.

A feature that predicts the target almost perfectly on its own is usually derived from it (``rating``
→ ``sentiment``), recorded after the outcome, or an encoding of it (``cultivar`` → ``target``); a model
trained with it looks excellent and fails in production. The single-feature model is the simplest that
can see such a relation: every distinct value (or, for a numeric column with many values, each of
``BINS`` quantile bins) predicts the majority class (classification) or the mean (regression) of the
training rows with that value; values never seen in training predict the overall majority / mean.
Scores are out-of-fold over ``FOLDS`` shuffled folds: balanced accuracy for classification, R² for
regression. ``power`` puts the baseline (majority class: 1/k balanced accuracy; mean: R² 0) at 0 and a
perfect predictor at 1; ``power >= FLAG_POWER`` is flagged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from services.quality.models import LeakageScore

FOLDS = 5
BINS = 20
MAX_VALUES_AS_CATEGORIES = 20  # numeric columns with at most this many distinct values are used value by value
FLAG_POWER = 0.95
MIN_ROWS = 10
SEED = 42


def leakage_scores(frame: pd.DataFrame, target: str, features: dict[str, str], classification: bool) -> list[LeakageScore]:
    """One score per feature (``features``: name → "numeric" | "categorical"), strongest first. Rows without
    a target value are left out; fewer than ``MIN_ROWS`` rows give no scores."""
    kept = frame[frame[target].notna()]
    if len(kept) < MIN_ROWS:
        return []
    truth = _target_codes(kept[target]) if classification else \
        pd.to_numeric(kept[target], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    folds = np.random.default_rng(SEED).permutation(len(kept)) % min(FOLDS, len(kept))
    scores = [_score(name, kept[name], kind, truth, folds, classification) for name, kind in features.items()
              if name != target]
    return sorted(scores, key=lambda s: (-s.power, s.feature))


def _target_codes(values: pd.Series) -> np.ndarray:
    """Classes as 0..k-1 in sorted order of their text (so ties go to the class that sorts first)."""
    _, codes = np.unique(values.astype(str).to_numpy(), return_inverse=True)
    return codes.astype(np.int64)


def _score(name: str, values: pd.Series, kind: str, truth: np.ndarray, folds: np.ndarray,
           classification: bool) -> LeakageScore:
    binned = kind == "numeric" and values.nunique(dropna=True) > MAX_VALUES_AS_CATEGORIES
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan) if binned else None
    keys = None if binned else _value_codes(values)
    predicted = np.zeros(len(truth), dtype=truth.dtype)
    for fold in np.unique(folds):
        test = folds == fold
        fold_keys = _bin_codes(numbers, ~test) if numbers is not None else keys
        assert fold_keys is not None
        predicted[test] = _fit_predict(fold_keys[~test], truth[~test], fold_keys[test], classification)
    if classification:
        score, baseline = balanced_accuracy(truth, predicted), 1 / len(np.unique(truth))
        power = (score - baseline) / (1 - baseline) if baseline < 1 else 0.0
        metric = "balanced_accuracy"
    else:
        score, baseline, metric = r_squared(truth, predicted), 0.0, "r2"
        power = score
    power = float(min(1.0, max(0.0, power)))
    return LeakageScore(name, "binned" if binned else "per value", metric, round(float(score), 4), round(baseline, 4),
                        round(power, 4), power >= FLAG_POWER)


def _value_codes(values: pd.Series) -> np.ndarray:
    """Each row's value as a small integer; missing values share one code of their own."""
    codes, uniques = pd.factorize(values.astype(object).where(values.notna(), None), use_na_sentinel=True)
    return np.where(codes < 0, len(uniques), codes).astype(np.int64)


def _bin_codes(numbers: np.ndarray, train: np.ndarray) -> np.ndarray:
    """Each row's quantile bin, the edges from the training rows only; missing values get a bin of their own."""
    present = numbers[train][~np.isnan(numbers[train])]
    edges = np.unique(np.quantile(present, np.linspace(0, 1, BINS + 1)[1:-1])) if len(present) else np.array([])
    return np.where(np.isnan(numbers), len(edges) + 1, np.searchsorted(edges, numbers, side="right")).astype(np.int64)


def _fit_predict(keys_train: np.ndarray, truth_train: np.ndarray, keys_test: np.ndarray, classification: bool) -> np.ndarray:
    """Per key: the majority class (ties: the first class) or the mean of the training rows; unseen keys: overall."""
    size = int(max(keys_train.max(initial=0), keys_test.max(initial=0))) + 1
    seen = np.bincount(keys_train, minlength=size) > 0
    if classification:
        classes = int(truth_train.max(initial=0)) + 1
        counts = np.bincount(keys_train * classes + truth_train, minlength=size * classes).reshape(size, classes)
        per_key, fallback = counts.argmax(axis=1), np.bincount(truth_train).argmax()
    else:
        sums, rows = np.bincount(keys_train, weights=truth_train, minlength=size), np.bincount(keys_train, minlength=size)
        per_key, fallback = sums / np.maximum(rows, 1), truth_train.mean()
    return np.where(seen[keys_test], per_key[keys_test], fallback)


def balanced_accuracy(truth: np.ndarray, predicted: np.ndarray) -> float:
    """The mean of the per-class recalls (classes as they occur in ``truth``)."""
    recalls = [float(np.mean(predicted[truth == label] == label)) for label in np.unique(truth)]
    return float(np.mean(recalls)) if recalls else 0.0


def r_squared(truth: np.ndarray, predicted: np.ndarray) -> float:
    keep = ~np.isnan(truth)
    residual = float(np.sum((truth[keep] - predicted[keep]) ** 2))
    total = float(np.sum((truth[keep] - truth[keep].mean()) ** 2))
    return 1 - residual / total if total else 0.0
