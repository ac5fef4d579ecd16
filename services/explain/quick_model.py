"""Data Wrangler's Quick Model: how predictable is a target, and from which columns? In seconds.

Reads a table, a file or a SQL result through the query port (so the aws adapter can reuse it), keeps
at most ``SAMPLE_ROWS`` rows (a seeded sample), featurises the other columns with the built-in
algorithms' tabular featuriser (numbers imputed, categories one-hot, long text TF-IDF) and fits a
random forest — a classifier when the target looks categorical (``infer_problem_type``), else a
regressor — on a seeded 70/30 split. Scores the 30 %: macro F1 for classification, MSE for
regression. Feature importances (impurity-based) are summed back onto the input columns and
normalised to sum to 1. Nothing is registered.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from services.config import Settings
from services.errors import InvalidInput
from services.explain.base import QuickModelResult
from services.models import DataSource
from services.paths import readable_path
from services.query.base import QueryPort
from services.storage.base import StoragePort
from services.training.algorithms.featurize import column_importance, column_kinds, model_frame, tabular_featurizer
from services.training.data import read_file, split_table_name
from services.training.problem_type import REGRESSION, infer_problem_type, label_strings

SAMPLE_ROWS = 50_000
SQL_READ_ROWS = 1_000_000  # a SQL result is read up to this many rows, then sampled
MIN_ROWS = 20
TREES = 50
TEST_SHARE = 0.3
SEED = 42


@dataclass(frozen=True)
class DataAccess:
    """Where Quick Model reads rows: SQL through the query port, tables through the storage port, files
    under the settings' import roots."""

    query: QueryPort
    storage: StoragePort
    settings: Settings


def quick_model(data: DataAccess, source: DataSource, target: str, sql: str = "") -> QuickModelResult:
    """Fit a quick random forest for ``target`` and report its test score and feature importances."""
    started = time.perf_counter()
    frame, notes = read_sample(data, source, sql)
    frame, problem_type, dropped = _checked(frame, target)
    if dropped:
        notes.append(f"Left out {dropped:,} rows without a {target!r} value.")
    features = [c for c in frame.columns if c != target]
    kinds = column_kinds(frame, features)
    if not kinds:
        raise InvalidInput("No column besides the target has values to learn from.", hint="Pick data with feature columns.")
    train, test = _split(frame, target, problem_type)
    featurizer = tabular_featurizer(kinds, scale_numeric=False, rows=len(train))
    x_train = featurizer.fit_transform(model_frame(train, kinds))
    forest = _forest(problem_type).fit(x_train, _labels(train[target], problem_type))
    predicted = forest.predict(featurizer.transform(model_frame(test, kinds)))
    metric_name, score = _score(test[target], predicted, problem_type)
    importances = column_importance(featurizer, forest.feature_importances_)
    return QuickModelResult(target=target, problem_type=problem_type, metric_name=metric_name, score=score,
                            importances=importances, train_rows=len(train), test_rows=len(test),
                            seconds=round(time.perf_counter() - started, 3), notes=tuple(notes))


def read_sample(data: DataAccess, source: DataSource, sql: str = "") -> tuple[pd.DataFrame, list[str]]:
    """At most ``SAMPLE_ROWS`` rows of the table, file or SQL result (a seeded sample), and notes."""
    frame, notes = _read(data, source, sql)
    if len(frame) > SAMPLE_ROWS:
        notes.append(f"Used a seeded sample of {SAMPLE_ROWS:,} of the {len(frame):,} rows.")
        frame = frame.sample(n=SAMPLE_ROWS, random_state=SEED).sort_index()
    return frame.reset_index(drop=True), notes


def _read(data: DataAccess, source: DataSource, sql: str) -> tuple[pd.DataFrame, list[str]]:
    if sql.strip():
        result = data.query.run(sql, None, SQL_READ_ROWS)
        notes = [f"The query returned more than {SQL_READ_ROWS:,} rows; the first {SQL_READ_ROWS:,} were sampled."] \
            if result.truncated else []
        return result.frame, notes
    if bool(source.table) == bool(source.path):
        raise InvalidInput("Give a catalog table, a data file or a SQL query.", hint="Pick a table or write a query.")
    if source.table:
        # every row, through the storage port (DuckDB locally, Athena on AWS); NotFound for an unknown table
        return data.storage.read_table(*split_table_name(source.table)), []
    return read_file(readable_path(source.path, data.settings)), []


def _checked(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, str, int]:
    """Rows with a target value, the problem type and how many rows were left out; ``InvalidInput`` for a bad target."""
    if target not in frame.columns:
        raise InvalidInput(f"The target column {target!r} is not in the data.",
                           hint=f"Pick one of: {', '.join(map(str, frame.columns[:30]))}.")
    kept = frame[frame[target].notna()].reset_index(drop=True)
    if len(kept) < MIN_ROWS:
        raise InvalidInput(f"Only {len(kept)} rows have a {target!r} value; a quick model needs at least {MIN_ROWS}.",
                           hint="Use more data or a target with fewer missing values.")
    distinct = kept[target].nunique()
    if distinct < 2:
        raise InvalidInput(f"The target {target!r} has a single value ({str(kept[target].iloc[0])!r}), so there is nothing to predict.",
                           hint="Pick a target column with at least two different values.")
    return kept, infer_problem_type(kept[target]), len(frame) - len(kept)


def _split(frame: pd.DataFrame, target: str, problem_type: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    from sklearn.model_selection import train_test_split

    labels = None if problem_type == REGRESSION else label_strings(frame[target])
    stratify = labels is not None and labels.value_counts().min() >= 2 and \
        min(len(frame) * TEST_SHARE, len(frame) * (1 - TEST_SHARE)) >= labels.nunique()
    train, test = train_test_split(frame, test_size=TEST_SHARE, random_state=SEED, stratify=labels if stratify else None)
    return train, test


def _forest(problem_type: str) -> Any:
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    settings = {"n_estimators": TREES, "min_samples_leaf": 2, "max_features": "sqrt", "n_jobs": 2, "random_state": SEED}
    return RandomForestRegressor(**settings) if problem_type == REGRESSION else RandomForestClassifier(**settings)


def _labels(values: pd.Series, problem_type: str) -> np.ndarray:
    if problem_type == REGRESSION:
        return pd.to_numeric(values, errors="raise").to_numpy(dtype=float)
    return label_strings(values).to_numpy()


def _score(truth: pd.Series, predicted: np.ndarray, problem_type: str) -> tuple[str, float]:
    from sklearn.metrics import f1_score, mean_squared_error

    if problem_type == REGRESSION:
        return "mse", round(float(mean_squared_error(truth.to_numpy(dtype=float), predicted)), 6)
    return "f1", round(float(f1_score(label_strings(truth).to_numpy(), predicted, average="macro", zero_division=0)), 6)
