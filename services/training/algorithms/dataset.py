"""From a frame to a ``Dataset``: the target checked and encoded, a seeded train/validation/test split
(stratified for classification when possible, every class seen in training), and the text column."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from services.errors import InvalidInput
from services.training.algorithms.base import Dataset
from services.training.problem_type import BINARY, PROBLEM_TYPES, REGRESSION, infer_problem_type, label_strings, sorted_classes

MIN_ROWS = 10
MAX_CLASSES = 100


def prepare_dataset(frame: pd.DataFrame, target: str, problem_type: str = "", text_column: str = "", seed: int = 42,
                    validation: float = 0.1, test: float = 0.1) -> Dataset:
    """A seeded train/validation/test split of ``frame`` (stratified for classification when possible).

    Rows without a target are dropped; class labels become strings. Raises ``InvalidInput`` with a
    hint for data that cannot be learned from: too few rows, a single class, too many classes.
    """
    _check_request(frame, target, problem_type, text_column, validation, test)
    frame = frame[frame[target].notna()].reset_index(drop=True)
    _check_rows(len(frame), target)
    problem_type = problem_type or infer_problem_type(frame[target])
    frame[target] = _encoded_target(frame[target], target, problem_type)
    classes = [] if problem_type == REGRESSION else _checked_classes(frame[target], target, problem_type)
    train, valid, holdout = split_frame(frame, target, classes, seed, validation, test)
    features = [c for c in frame.columns if c != target]
    return Dataset(train=train, validation=valid, test=holdout, target=target, problem_type=problem_type,
                   classes=classes, feature_columns=features, text_column=text_column or detect_text_column(frame[features]),
                   seed=seed)


def _check_request(frame: pd.DataFrame, target: str, problem_type: str, text_column: str, validation: float,
                   test: float) -> None:
    names = ", ".join(map(str, frame.columns[:30]))
    if target not in frame.columns:
        raise InvalidInput(f"The target column {target!r} is not in the data.", hint=f"Pick one of: {names}.")
    if text_column and (text_column not in frame.columns or text_column == target):
        raise InvalidInput(f"{text_column!r} cannot be the text column.", hint=f"Pick a column other than the target: {names}.")
    if problem_type and problem_type not in PROBLEM_TYPES:
        raise InvalidInput(f"Unknown problem type {problem_type!r}.", hint=f"Use one of {', '.join(PROBLEM_TYPES)}.")
    if not (0 < validation < 0.5 and 0 < test < 0.5):
        raise InvalidInput("The validation and test shares must each be between 0 and 0.5.", hint="The default is 0.1 each.")
    if len(frame.columns) < 2:
        raise InvalidInput("The data has no column to learn from besides the target.", hint="Add feature columns.")


def _check_rows(rows: int, target: str) -> None:
    if rows < MIN_ROWS:
        raise InvalidInput(f"Only {rows} rows have a value in {target!r}; at least {MIN_ROWS} are needed.",
                           hint="Use more data or a target column with fewer missing values.")


def _encoded_target(values: pd.Series, target: str, problem_type: str) -> pd.Series:
    if problem_type != REGRESSION:
        return label_strings(values)
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.isna().any() or pd.api.types.is_bool_dtype(values):
        raise InvalidInput(f"Regression needs a numeric target; {target!r} holds {values.dtype} values.",
                           hint="Pick a numeric target or a classification problem type.")
    return numbers.astype(float)


def _checked_classes(labels: pd.Series, target: str, problem_type: str) -> list[str]:
    classes = sorted_classes(labels)
    if len(classes) < 2:
        raise InvalidInput(f"The target {target!r} has a single value ({classes[0]!r}), so there is nothing to learn.",
                           hint="Pick a target column with at least two different values.")
    if problem_type == BINARY and len(classes) != 2:
        raise InvalidInput(f"Binary classification needs exactly 2 classes; {target!r} has {len(classes)}.",
                           hint="Leave the problem type to be inferred (no objective or predictor_type) or pick another target.")
    if len(classes) > MAX_CLASSES:
        raise InvalidInput(f"The target {target!r} has {len(classes)} distinct values, too many classes.",
                           hint=f"Classification allows up to {MAX_CLASSES} classes; for a number, use a regression objective.")
    return classes


def split_frame(frame: pd.DataFrame, target: str, classes: list[str], seed: int, validation: float,
                test: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Seeded train/validation/test frames; every class keeps at least one training row."""
    rest, holdout = _split(frame, target, classes, max(1, round(len(frame) * test)), seed)
    train, valid = _split(rest, target, classes, max(1, round(len(frame) * validation)), seed + 1)
    train, valid, holdout = _cover_classes(train, [valid, holdout], target, classes)
    return train.reset_index(drop=True), valid.reset_index(drop=True), holdout.reset_index(drop=True)


def _split(frame: pd.DataFrame, target: str, classes: list[str], held: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    labels = frame[target] if classes else None
    stratify = labels is not None and labels.value_counts().min() >= 2 and min(held, len(frame) - held) >= labels.nunique()
    kept, taken = train_test_split(frame, test_size=held, random_state=seed, stratify=labels if stratify else None)
    return kept, taken


def _cover_classes(train: pd.DataFrame, others: list[pd.DataFrame], target: str,
                   classes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    # A model cannot learn a class it never sees (and xgboost refuses labels missing from training).
    for label in set(classes) - set(train[target]):
        for index, other in enumerate(others):
            rows = other[other[target] == label]
            if len(rows):
                train = pd.concat([train, rows.iloc[:1]])
                others[index] = other.drop(rows.index[:1])
                break
    return train, others[0], others[1]


def detect_text_column(frame: pd.DataFrame) -> str:
    """The string column with the longest average length, or "" when there is none."""
    lengths = {name: frame[name].dropna().astype(str).str.len().mean() for name in frame.columns
               if _is_string(frame[name]) and frame[name].notna().any()}
    return max(lengths, key=lambda name: lengths[name]) if lengths else ""


def _is_string(series: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)


def class_indices(labels: pd.Series, classes: list[str]) -> np.ndarray:
    """Labels as positions in ``classes`` (what scikit-learn and xgboost train on)."""
    positions = {label: index for index, label in enumerate(classes)}
    return labels.map(positions).to_numpy(dtype=np.int64)
