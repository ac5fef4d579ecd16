"""Autopilot's objective metrics by their Autopilot names and its defaults (the problem type a target
poses is ``services.training.problem_type``'s one rule).

Binary metrics (F1, AUC, Precision, Recall) score the positive class, which is the last class in
sorted order (``1`` over ``0``, ``yes`` over ``no``, ``>50K`` over ``<=50K``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.errors import InvalidInput
from services.training.problem_type import BINARY, CLASSIFICATION, MULTICLASS, REGRESSION

DEFAULT_OBJECTIVES = {BINARY: "F1", MULTICLASS: "Accuracy", REGRESSION: "MSE"}


@dataclass(frozen=True)
class Objective:
    """One objective metric: where it applies, its direction, and AutoGluon's name for it."""

    name: str
    problem_types: tuple[str, ...]
    greater_is_better: bool
    autogluon_metric: str
    needs_probabilities: bool = False


OBJECTIVES = {o.name: o for o in (
    Objective("Accuracy", CLASSIFICATION, True, "accuracy"),
    Objective("BalancedAccuracy", CLASSIFICATION, True, "balanced_accuracy"),
    Objective("F1", (BINARY,), True, "f1"),
    Objective("F1macro", CLASSIFICATION, True, "f1_macro"),
    Objective("AUC", (BINARY,), True, "roc_auc", needs_probabilities=True),
    Objective("Precision", (BINARY,), True, "precision"),
    Objective("Recall", (BINARY,), True, "recall"),
    Objective("MSE", (REGRESSION,), False, "mean_squared_error"),
    Objective("RMSE", (REGRESSION,), False, "root_mean_squared_error"),
    Objective("MAE", (REGRESSION,), False, "mean_absolute_error"),
    Objective("R2", (REGRESSION,), True, "r2"),
)}


def check_objective(name: str, problem_type: str = "") -> None:
    """Raise ``InvalidInput`` for an unknown objective or one that does not fit the problem type."""
    if not name:
        return
    if name not in OBJECTIVES:
        raise InvalidInput(f"Unknown objective {name!r}.", hint=f"Use one of {', '.join(OBJECTIVES)}.")
    if problem_type and problem_type not in OBJECTIVES[name].problem_types:
        fitting = [o.name for o in OBJECTIVES.values() if problem_type in o.problem_types]
        raise InvalidInput(f"The objective {name} does not apply to {problem_type}.", hint=f"Use one of {', '.join(fitting)}.")


def resolve_objective(name: str, problem_type: str) -> Objective:
    """The requested objective, or Autopilot's default for the problem type."""
    check_objective(name, problem_type)
    return OBJECTIVES[name or DEFAULT_OBJECTIVES[problem_type]]


def score(objective: Objective, y_true: np.ndarray, y_pred: np.ndarray, probabilities: np.ndarray | None = None,
          classes: list[str] | None = None) -> float:
    """The objective's value for predictions (labels, or numbers for regression; probabilities in class order)."""
    return float(_METRICS[objective.name](y_true, y_pred, probabilities, classes or []))


def all_scores(problem_type: str, y_true: np.ndarray, y_pred: np.ndarray, probabilities: np.ndarray | None = None,
               classes: list[str] | None = None) -> dict[str, float]:
    """Every objective that applies to the problem type (AUC only when probabilities are given)."""
    scores = {}
    for objective in OBJECTIVES.values():
        if problem_type in objective.problem_types and (probabilities is not None or not objective.needs_probabilities):
            scores[objective.name] = score(objective, y_true, y_pred, probabilities, classes)
    return scores


def is_better(objective: Objective, value: float, other: float) -> bool:
    return value > other if objective.greater_is_better else value < other


def sort_key(objective: Objective, value: float | None) -> float:
    """A key that sorts values best first (missing values last)."""
    if value is None or not np.isfinite(value):
        return float("inf")
    return -value if objective.greater_is_better else value


def _positive(classes: list[str]) -> str:
    return classes[-1]


def _f1(y, p, proba, classes):  # type: ignore[no-untyped-def]
    from sklearn.metrics import f1_score

    return f1_score(y, p, pos_label=_positive(classes), zero_division=0)


def _precision(y, p, proba, classes):  # type: ignore[no-untyped-def]
    from sklearn.metrics import precision_score

    return precision_score(y, p, pos_label=_positive(classes), zero_division=0)


def _recall(y, p, proba, classes):  # type: ignore[no-untyped-def]
    from sklearn.metrics import recall_score

    return recall_score(y, p, pos_label=_positive(classes), zero_division=0)


def _auc(y, p, proba, classes):  # type: ignore[no-untyped-def]
    from sklearn.metrics import roc_auc_score

    positives = np.asarray(y) == _positive(classes)
    if positives.all() or not positives.any():
        return float("nan")
    return roc_auc_score(positives, np.asarray(proba)[:, -1])


def _sk(name: str, **kwargs: object):  # type: ignore[no-untyped-def]
    def metric(y, p, proba, classes):  # type: ignore[no-untyped-def]
        import sklearn.metrics

        return getattr(sklearn.metrics, name)(y, p, **kwargs)

    return metric


_METRICS = {
    "Accuracy": _sk("accuracy_score"),
    "BalancedAccuracy": _sk("balanced_accuracy_score"),
    "F1": _f1,
    "F1macro": _sk("f1_score", average="macro", zero_division=0),
    "AUC": _auc,
    "Precision": _precision,
    "Recall": _recall,
    "MSE": _sk("mean_squared_error"),
    "RMSE": _sk("root_mean_squared_error"),
    "MAE": _sk("mean_absolute_error"),
    "R2": _sk("r2_score"),
}
