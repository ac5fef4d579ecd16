"""The report's Quick Model: a small random forest on the sample, its test score and feature importances.

As Data Wrangler's Quick Model: the other columns are featurised with the built-in algorithms' tabular
featuriser (numbers imputed, categories one-hot, long text TF-IDF), a forest of ``TREES`` trees is fitted
on ``1 - TEST_SHARE`` of at most ``MAX_ROWS`` sampled rows (seeded, stratified when possible) and scored
on the rest: macro F1 for classification, R² for regression. Importances (impurity-based) are summed
back onto the input columns. Pure apart from scikit-learn: a frame in, a summary out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from services.quality.models import QuickModelSummary

MAX_ROWS = 5_000
MIN_ROWS = 20
TREES = 30
TEST_SHARE = 0.3
SEED = 42
REGRESSION = "Regression"


def quick_model(frame: pd.DataFrame, target: str, features: list[str], problem_type: str) -> QuickModelSummary | None:
    """The summary, or ``None`` when fewer than ``MIN_ROWS`` rows have a target or no feature has values."""
    from services.training.algorithms.featurize import column_importance, column_kinds, model_frame, tabular_featurizer

    rows = frame[frame[target].notna()]
    if len(rows) > MAX_ROWS:
        rows = rows.sample(n=MAX_ROWS, random_state=SEED)
    kinds = column_kinds(rows, [f for f in features if f != target])
    if len(rows) < MIN_ROWS or not kinds:
        return None
    labels = _labels(rows[target], problem_type)
    train, test = _split(len(rows), labels, problem_type)
    featurizer = tabular_featurizer(kinds, scale_numeric=False, rows=len(train))
    x_train = featurizer.fit_transform(model_frame(rows.iloc[train], kinds))
    forest = _forest(problem_type).fit(x_train, labels[train])
    predicted = forest.predict(featurizer.transform(model_frame(rows.iloc[test], kinds)))
    metric, score = _score(labels[test], predicted, problem_type)
    importances = column_importance(featurizer, forest.feature_importances_)
    return QuickModelSummary(problem_type, metric, round(score, 4), tuple(importances.items()), len(train), len(test))


def _labels(values: pd.Series, problem_type: str) -> np.ndarray:
    if problem_type == REGRESSION:
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return values.astype(str).to_numpy()


def _split(rows: int, labels: np.ndarray, problem_type: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    positions = np.arange(rows)
    stratify = None
    if problem_type != REGRESSION:
        counts = pd.Series(labels).value_counts()
        if counts.min() >= 2 and rows * TEST_SHARE >= len(counts):
            stratify = labels
    train, test = train_test_split(positions, test_size=TEST_SHARE, random_state=SEED, stratify=stratify)
    return np.sort(train), np.sort(test)


def _forest(problem_type: str) -> Any:
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    settings = {"n_estimators": TREES, "min_samples_leaf": 2, "max_features": "sqrt", "n_jobs": 1, "random_state": SEED}
    return RandomForestRegressor(**settings) if problem_type == REGRESSION else RandomForestClassifier(**settings)


def _score(truth: np.ndarray, predicted: np.ndarray, problem_type: str) -> tuple[str, float]:
    from sklearn.metrics import f1_score, r2_score

    if problem_type == REGRESSION:
        return "r2", float(r2_score(truth, predicted))
    return "f1", float(f1_score(truth, predicted, average="macro", zero_division=0))
