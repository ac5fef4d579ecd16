"""What a target column asks a model to learn: one rule for the built-in algorithms, local Autopilot and
the AWS adapter (which writes it as SageMaker's ``ProblemType``), and the class labels it implies.

The rule is Autopilot's: a target with two distinct values is a binary classification; strings,
booleans and whole numbers with at most ``MAX_CLASSES_FOR_NUMBERS`` distinct values are a multiclass
classification; any other numbers are a regression. Missing values are ignored. Pure: a Series in,
names out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from services.errors import InvalidInput

BINARY = "BinaryClassification"
MULTICLASS = "MulticlassClassification"
REGRESSION = "Regression"
PROBLEM_TYPES = (BINARY, MULTICLASS, REGRESSION)
CLASSIFICATION = (BINARY, MULTICLASS)
MAX_CLASSES_FOR_NUMBERS = 20  # whole numbers with more distinct values than this are a quantity, not labels


def infer_problem_type(target: pd.Series) -> str:
    """The problem type of ``target`` by the rule above; ``InvalidInput`` when it has fewer than two
    distinct values (there is nothing to learn)."""
    values = target.dropna()
    distinct = values.nunique()
    if distinct < 2:
        found = f"a single value ({label_strings(values).iloc[0]!r})" if distinct else "no values"
        raise InvalidInput(f"The target {target.name!r} has {found}, so there is nothing to learn.",
                           hint="Pick a target column with at least two different values.")
    if distinct == 2:
        return BINARY
    if not is_numbers(values):
        return MULTICLASS
    return MULTICLASS if whole_numbers(values) and distinct <= MAX_CLASSES_FOR_NUMBERS else REGRESSION


def problem_type_and_classes(target: pd.Series) -> tuple[str, list[str]]:
    """The inferred problem type and, for a classification, its class labels in order (``[]`` for a regression)."""
    problem_type = infer_problem_type(target)
    if problem_type == REGRESSION:
        return problem_type, []
    return problem_type, sorted_classes(label_strings(target.dropna()))


def is_numbers(values: pd.Series) -> bool:
    """Numeric values that are not booleans."""
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def whole_numbers(values: pd.Series) -> bool:
    """Every value is a whole number (a missing value is not)."""
    numbers = values.to_numpy(dtype=float)
    return bool(np.all(np.mod(numbers, 1) == 0))


def label_strings(series: pd.Series) -> pd.Series:
    """Class labels as strings; integer-valued numbers lose their ".0" (-1.0 becomes "-1")."""
    if is_numbers(series) and whole_numbers(series):
        return series.astype("int64").astype(str)
    return series.astype(str)


def sorted_classes(labels: pd.Series) -> list[str]:
    """Distinct labels in order: numerically when they are all numbers, else alphabetically."""
    distinct = [str(v) for v in labels.unique()]
    try:
        return sorted(distinct, key=float)
    except ValueError:
        return sorted(distinct)
