"""AnalyzingData: clean the target, infer the problem type, find date columns, split the rows."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from services.errors import InvalidInput
from services.training.algorithms.base import Dataset
from services.training.autopilot import objectives
from services.training.autopilot.features import column_kinds, expand_dates, find_date_columns
from services.training.problem_type import infer_problem_type

MIN_ROWS = 30
MIN_ROWS_PER_CLASS = 3
VALIDATION_FRACTION = 0.15
TEST_FRACTION = 0.15


@dataclass
class PreparedData:
    """The split data plus what every candidate needs to know about its columns."""

    dataset: Dataset
    date_columns: list[str] = field(default_factory=list)
    kinds: dict[str, list[str]] = field(default_factory=dict)  # numeric/categorical/text after date expansion
    size_bytes: int = 0

    @property
    def positive_class(self) -> str:
        return self.dataset.classes[-1] if self.dataset.problem_type == objectives.BINARY else ""


def prepare_data(frame: pd.DataFrame, target: str, problem_type: str = "", seed: int = 42) -> PreparedData:
    """Rows with a target, split 70/15/15 (stratified for classification), with the problem type settled."""
    if target not in frame.columns:
        raise InvalidInput(f"The target column {target!r} is not in the data.", hint="Pick one of the columns.")
    frame = frame[frame[target].notna()].reset_index(drop=True)
    if len(frame) < MIN_ROWS:
        raise InvalidInput(f"Only {len(frame)} rows have a target; Autopilot needs at least {MIN_ROWS}.",
                           hint="Use a larger table or a target with fewer missing values.")
    problem_type = problem_type or infer_problem_type(frame[target])
    frame[target] = _typed_target(frame[target], problem_type)
    classes = _classes(frame[target], problem_type)
    features = [c for c in frame.columns if c != target]
    dates = find_date_columns(frame[features])
    train, validation, test = split_rows(frame, target, problem_type, seed)
    dataset = Dataset(train=train, validation=validation, test=test, target=target, problem_type=problem_type,
                      classes=classes, feature_columns=features, seed=seed)
    kinds = column_kinds(expand_dates(frame[features].head(5000), dates))
    return PreparedData(dataset, dates, kinds, int(frame.memory_usage(deep=True).sum()))


def split_rows(frame: pd.DataFrame, target: str, problem_type: str, seed: int,
               ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Seeded train/validation/test split, stratified on the target for classification where every part
    can hold every class (many classes in few rows are split at random)."""
    from sklearn.model_selection import train_test_split

    classification = problem_type in objectives.CLASSIFICATION
    held_out = VALIDATION_FRACTION + TEST_FRACTION
    train, rest = train_test_split(frame, test_size=held_out, random_state=seed,
                                   stratify=_strata(frame[target], held_out, classification))
    validation, test = train_test_split(rest, test_size=TEST_FRACTION / held_out, random_state=seed,
                                        stratify=_strata(rest[target], TEST_FRACTION / held_out, classification))
    return train.reset_index(drop=True), validation.reset_index(drop=True), test.reset_index(drop=True)


def _strata(labels: pd.Series, share: float, classification: bool) -> pd.Series | None:
    """The labels to stratify a split on, or None when scikit-learn could not: fewer rows on a side than
    classes, or a class with a single row."""
    held = math.ceil(len(labels) * share)
    feasible = labels.value_counts().min() >= 2 and min(held, len(labels) - held) >= labels.nunique()
    return labels if classification and feasible else None


def _typed_target(target: pd.Series, problem_type: str) -> pd.Series:
    """Class labels become strings (so every predictor reports the same labels); regression targets numbers."""
    if problem_type == objectives.REGRESSION:
        numbers = pd.to_numeric(target, errors="coerce")
        if numbers.isna().any():
            raise InvalidInput(f"The target {target.name!r} is not numeric, so it cannot be a regression target.",
                               hint="Pick BinaryClassification or MulticlassClassification, or leave it to inference.")
        return numbers.astype("float64")
    if pd.api.types.is_float_dtype(target) and (target % 1 == 0).all():
        target = target.astype("int64")
    return target.astype(str)


def _classes(target: pd.Series, problem_type: str) -> list[str]:
    if problem_type == objectives.REGRESSION:
        return []
    counts = target.value_counts()
    if problem_type == objectives.BINARY and len(counts) != 2:
        raise InvalidInput(f"BinaryClassification needs exactly two target values; {target.name!r} has {len(counts)}.",
                           hint="Use MulticlassClassification, or leave the problem type empty.")
    rare = counts[counts < MIN_ROWS_PER_CLASS]
    if not rare.empty:
        raise InvalidInput(f"The class {rare.index[0]!r} has only {int(rare.iloc[0])} rows.",
                           hint=f"Every class needs at least {MIN_ROWS_PER_CLASS} rows; filter rare classes out first.")
    return sorted(counts.index, key=_natural)


def _natural(label: str) -> tuple[int, float, str]:
    """Numeric labels in numeric order (-1 < 0 < 2 < 10), then text labels alphabetically."""
    try:
        return (0, float(label), label)
    except ValueError:
        return (1, 0.0, label)
