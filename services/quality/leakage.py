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

from typing import Any

import numpy as np
import pandas as pd

from services.quality.models import LeakageScore

FOLDS = 5
BINS = 20
MAX_VALUES_AS_CATEGORIES = 20  # numeric columns with at most this many distinct values are used value by value
FLAG_POWER = 0.95
MIN_ROWS = 10
SEED = 42
MISSING = "\x00missing"


def leakage_scores(frame: pd.DataFrame, target: str, features: dict[str, str], classification: bool) -> list[LeakageScore]:
    """One score per feature (``features``: name → "numeric" | "categorical"), strongest first. Rows without
    a target value are left out; fewer than ``MIN_ROWS`` rows give no scores."""
    kept = frame[frame[target].notna()]
    if len(kept) < MIN_ROWS:
        return []
    truth = _target_values(kept[target], classification)
    folds = np.random.default_rng(SEED).permutation(len(kept)) % min(FOLDS, len(kept))
    scores = [_score(name, kept[name], kind, truth, folds, classification) for name, kind in features.items()
              if name != target]
    return sorted(scores, key=lambda s: (-s.power, s.feature))


def _target_values(values: pd.Series, classification: bool) -> np.ndarray:
    if classification:
        return values.astype(str).to_numpy()
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _score(name: str, values: pd.Series, kind: str, truth: np.ndarray, folds: np.ndarray,
           classification: bool) -> LeakageScore:
    binned = kind == "numeric" and values.nunique(dropna=True) > MAX_VALUES_AS_CATEGORIES
    predicted = np.empty(len(truth), dtype=truth.dtype)
    for fold in np.unique(folds):
        test = folds == fold
        keys_train, keys_test = _keys(values, ~test, test, binned)
        predicted[test] = _fit_predict(keys_train, truth[~test], keys_test, classification)
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


def _keys(values: pd.Series, train: np.ndarray, test: np.ndarray, binned: bool) -> tuple[np.ndarray, np.ndarray]:
    """Each row's group: its value as text, or its quantile bin (edges from the training rows only)."""
    if not binned:
        text = values.astype(object).where(values.notna(), MISSING).astype(str).to_numpy()
        return text[train], text[test]
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    present = numbers[train][~np.isnan(numbers[train])]
    edges = np.unique(np.quantile(present, np.linspace(0, 1, BINS + 1)[1:-1])) if len(present) else np.array([])
    codes = np.where(np.isnan(numbers), -1, np.searchsorted(edges, numbers, side="right"))
    return codes[train], codes[test]


def _fit_predict(keys_train: np.ndarray, truth_train: np.ndarray, keys_test: np.ndarray, classification: bool) -> np.ndarray:
    train = pd.DataFrame({"key": keys_train, "y": truth_train})
    fallback: Any
    if classification:
        counts = train.groupby(["key", "y"]).size().reset_index(name="n").sort_values(["n", "y"], ascending=[False, True])
        per_key = counts.drop_duplicates("key").set_index("key")["y"]
        fallback = train["y"].value_counts().sort_index().idxmax()
    else:
        per_key = train.groupby("key")["y"].mean()
        fallback = train["y"].mean()
    return pd.Series(keys_test).map(per_key).fillna(fallback).to_numpy(dtype=truth_train.dtype)


def balanced_accuracy(truth: np.ndarray, predicted: np.ndarray) -> float:
    """The mean of the per-class recalls (classes as they occur in ``truth``)."""
    recalls = [float(np.mean(predicted[truth == label] == label)) for label in np.unique(truth)]
    return float(np.mean(recalls)) if recalls else 0.0


def r_squared(truth: np.ndarray, predicted: np.ndarray) -> float:
    keep = ~np.isnan(truth)
    residual = float(np.sum((truth[keep] - predicted[keep]) ** 2))
    total = float(np.sum((truth[keep] - truth[keep].mean()) ** 2))
    return 1 - residual / total if total else 0.0
