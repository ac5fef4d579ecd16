"""Data for SageMaker's built-in XGBoost and Linear Learner: CSV with no header and the target first,
numbers only (target → class index, low-cardinality strings → category codes, free text dropped)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from services.aws.encoding import encode_features
from services.errors import InvalidInput
from services.training.problem_type import problem_type_and_classes

ALGORITHMS = ("xgboost", "linear-learner")
LOCAL_ONLY_ALGORITHMS = ("text-tfidf", "text-minilm")
MAX_CATEGORIES = 50  # string features with more distinct values are free text and dropped


@dataclass
class TabularData:
    """A table encoded for SageMaker's built-in algorithms: target first, numbers only."""

    train: pd.DataFrame
    validation: pd.DataFrame
    problem_type: str
    classes: list[str]
    features: list[str]
    categories: dict[str, list[str]] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)


def check_algorithm(algorithm: str) -> None:
    if algorithm in LOCAL_ONLY_ALGORITHMS:
        raise InvalidInput(f"{algorithm} runs locally only: SageMaker's analogue (BlazingText) needs its own text format.",
                           hint="Train it with WORKBENCH_BACKEND=local, or use Autopilot (it handles text columns) on AWS.")
    if algorithm not in ALGORITHMS:
        raise InvalidInput(f"Unknown algorithm {algorithm!r}.", hint=f"Use one of {', '.join(ALGORITHMS)}.")



def encode_table(frame: pd.DataFrame, target: str, seed: int) -> TabularData:
    """Target first (class index or number), numeric features, category codes; split 80/20 with ``seed``."""
    frame = frame[frame[target].notna()]
    problem_type, classes = problem_type_and_classes(frame[target])  # the one rule, as the local backend
    features, categories, dropped = feature_plan(frame.drop(columns=[target]))
    labels = frame[target].map(label_text).map({c: i for i, c in enumerate(classes)}) if classes else frame[target]
    matrix = pd.concat([labels.rename(target), encode_features(frame, features, categories)], axis=1)
    shuffled = matrix.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    cut = max(1, int(len(shuffled) * 0.8))
    if len(shuffled) < 2:
        raise InvalidInput("The table has fewer than two rows with a target.", hint="Train on a table with more data.")
    return TabularData(shuffled.iloc[:cut], shuffled.iloc[cut:], problem_type, classes, features, categories, dropped)


def label_text(value: Any) -> str:
    """Class labels as text; ``4.0`` read from a column with gaps is the label ``4``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def feature_plan(frame: pd.DataFrame) -> tuple[list[str], dict[str, list[str]], list[str]]:
    """Numeric columns as they are, low-cardinality strings as categories, free text dropped."""
    features, categories, dropped = [], {}, []
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            features.append(column)
        elif values.nunique() <= MAX_CATEGORIES:
            features.append(column)
            categories[column] = sorted(values.dropna().astype(str).unique())
        else:
            dropped.append(column)
    if not features:
        raise InvalidInput("No usable feature columns: only free text besides the target.",
                           hint="XGBoost and Linear Learner need numeric or categorical columns; use Autopilot for text.")
    return features, categories, dropped


def default_hyperparameters(algorithm: str, data: TabularData) -> dict[str, str]:
    """What the built-in algorithm must be told about the data; the request's values override."""
    n_classes = len(data.classes)
    if algorithm == "xgboost":
        objective = {"BinaryClassification": "binary:logistic", "MulticlassClassification": "multi:softprob",
                     "Regression": "reg:squarederror"}[data.problem_type]
        metric = {"BinaryClassification": "auc", "MulticlassClassification": "merror", "Regression": "rmse"}[data.problem_type]
        extra = {"num_class": str(n_classes)} if n_classes > 2 else {}
        return {"objective": objective, "eval_metric": metric, "num_round": "100", **extra}
    predictor = {"BinaryClassification": "binary_classifier", "MulticlassClassification": "multiclass_classifier",
                 "Regression": "regressor"}[data.problem_type]
    extra = {"num_classes": str(n_classes)} if n_classes > 2 else {}
    batch = str(max(1, min(1000, len(data.train))))
    return {"predictor_type": predictor, "feature_dim": str(len(data.features)), "mini_batch_size": batch, **extra}
