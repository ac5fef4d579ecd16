"""Target transforms for non-negative regression targets (counts, amounts), chosen per job on validation.

AutoGluon fits squared error on the target as given. For a count whose spread grows with its level (bike
rentals per hour: a few at night, hundreds at rush hour), fitting the square root of the target evens out
that spread, and a tree's leaves average like with like. Whether that helps is a property of the data, so each
job decides it on its own validation rows: a quick LightGBM probe is fitted once per transform on the training
rows and scored, back in the target's own units, with the job's objective. The test rows are never used.

Measured on the bike-sharing counts (seeded 70/15/15 split, test RMSE relative to a default
HistGradientBoosting): LightGBM 0.90 as is, 0.88 on the square root, 0.95 on log1p; CatBoost 0.91 as is,
0.86 on the square root, 0.94 on log1p.

Each transform is a pair of NumPy functions: ``forward`` is applied to the label before fitting, ``inverse`` to
every prediction (inside the saved predictor, so it still predicts in the target's units on raw rows).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from services.training.autopilot import objectives
from services.training.autopilot.features import expand_dates
from services.training.autopilot.objectives import Objective

IDENTITY = ""
SQRT = "sqrt"
LOG1P = "log1p"
PROBE_ROWS = 50_000  # training rows the probe fits on at most (a sample beyond that)
PROBE_ROUNDS = 2000
PROBE_STOPPING_ROUNDS = 50
PROBE_MIN_GAIN = 0.005  # a transform must beat the target as is by 0.5 % of the objective on validation


def forward(name: str, values: Any) -> np.ndarray:
    """The label a model is fitted on under transform ``name`` ("" leaves it as is)."""
    array = np.asarray(values, dtype=float)
    if name == SQRT:
        return np.sqrt(array)
    if name == LOG1P:
        return np.log1p(array)
    _check(name)
    return array


def inverse(name: str, values: Any) -> np.ndarray:
    """Predictions back in the target's units (negative square roots, which trees rarely give, become 0)."""
    array = np.asarray(values, dtype=float)
    if name == SQRT:
        return np.square(np.clip(array, 0.0, None))
    if name == LOG1P:
        return np.expm1(array)
    _check(name)
    return array


def _check(name: str) -> None:
    if name != IDENTITY:
        raise ValueError(f"unknown target transform {name!r}")


def choose_target_transform(train: pd.DataFrame, validation: pd.DataFrame, target: str, features: list[str],
                            date_columns: list[str], objective: Objective, seed: int = 0,
                            log: Callable[[str], None] | None = None) -> str:
    """The transform whose probe scores best on the validation rows, or "" (as is) when none wins clearly.

    For regression targets; one with a negative training value keeps the target as is.
    """
    if objectives.REGRESSION not in objective.problem_types or train[target].min() < 0:
        return IDENTITY
    fit_x, valid_x = _probe_features(train, validation, features, date_columns)
    truth = validation[target].to_numpy(dtype=float)
    scores = {name: _probe_score(name, fit_x, train[target], valid_x, truth, objective, seed)
              for name in (IDENTITY, SQRT, LOG1P)}
    if log:
        log("Target transform probe (validation " + objective.name + "): "
            + ", ".join(f"{name or 'as is'} {value:.4g}" for name, value in scores.items()))
    best = min(scores, key=lambda name: objectives.sort_key(objective, scores[name]))
    margin = abs(scores[IDENTITY]) * PROBE_MIN_GAIN
    clearly = scores[best] > scores[IDENTITY] + margin if objective.greater_is_better else \
        scores[best] < scores[IDENTITY] - margin
    return best if clearly else IDENTITY


def _probe_features(train: pd.DataFrame, validation: pd.DataFrame, features: list[str], date_columns: list[str],
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Dates expanded, numbers as they are, every other column a pandas category (LightGBM splits on them)."""
    fit_x = expand_dates(train[features], date_columns)
    valid_x = expand_dates(validation[features], date_columns)
    for column in fit_x.columns:
        if not pd.api.types.is_numeric_dtype(fit_x[column]) or pd.api.types.is_bool_dtype(fit_x[column]):
            categories = pd.CategoricalDtype(fit_x[column].astype(str).unique())
            fit_x[column] = fit_x[column].astype(str).astype(categories)
            valid_x[column] = valid_x[column].astype(str).astype(categories)
    return fit_x, valid_x


def _probe_score(name: str, fit_x: pd.DataFrame, fit_y: pd.Series, valid_x: pd.DataFrame, truth: np.ndarray,
                 objective: Objective, seed: int) -> float:
    """One LightGBM fitted on the transformed label (early stopping on validation), scored in target units."""
    import lightgbm

    rows = fit_x.sample(min(len(fit_x), PROBE_ROWS), random_state=seed).index
    params = {"objective": "regression", "learning_rate": 0.05, "num_leaves": 63, "min_data_in_leaf": 5,
              "verbosity": -1, "num_threads": 1, "seed": seed}
    model = lightgbm.train(params, lightgbm.Dataset(fit_x.loc[rows], forward(name, fit_y.loc[rows])), PROBE_ROUNDS,
                           valid_sets=[lightgbm.Dataset(valid_x, forward(name, truth))],
                           callbacks=[lightgbm.early_stopping(PROBE_STOPPING_ROUNDS, verbose=False)])
    predicted = inverse(name, model.predict(valid_x, num_iteration=model.best_iteration))
    return float(objectives.score(objective, truth, predicted))
