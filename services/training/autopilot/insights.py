"""The reports of the best candidate, as plain JSON a page can plot.

Model insights (on the test split): metrics, confusion matrix and per-class scores, ROC and
precision-recall curves for binary problems, residuals for regression. Explainability:
permutation importance of each input column on the objective, within a time cap.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from services.training.algorithms.base import Dataset, Predictor
from services.training.autopilot import objectives
from services.training.autopilot.objectives import Objective

MAX_CURVE_POINTS = 200
MAX_RESIDUAL_POINTS = 1000
IMPORTANCE_ROWS = 1000


def model_insights(predictor: Predictor, data: Dataset) -> dict[str, Any]:
    """Metrics and plots' data for the best candidate on the held-out test rows."""
    scored = predictor.predict_frame(data.test)
    truth = data.test[data.target].to_numpy()
    base: dict[str, Any] = {"problem_type": data.problem_type, "split": "test", "rows": int(len(truth))}
    if data.problem_type == objectives.REGRESSION:
        return base | regression_insights(truth.astype(float), scored["predicted_label"].to_numpy(dtype=float))
    probabilities = scored[[f"probability_{c}" for c in data.classes]].to_numpy(dtype=float)
    insights = base | classification_insights(truth, scored["predicted_label"].astype(str).to_numpy(), probabilities,
                                              data.classes, data.problem_type)
    if data.problem_type == objectives.BINARY:
        insights |= binary_curves(truth == data.classes[-1], probabilities[:, -1])
    return insights


def classification_insights(truth: np.ndarray, predicted: np.ndarray, probabilities: np.ndarray, classes: list[str],
                            problem_type: str) -> dict[str, Any]:
    """Every classification objective, the confusion matrix (rows: true, columns: predicted) and per-class scores."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    matrix = confusion_matrix(truth, predicted, labels=classes)
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=classes, zero_division=0)
    per_class = {label: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
                         "support": int(support[i])} for i, label in enumerate(classes)}
    metrics = objectives.all_scores(problem_type, truth, predicted, probabilities, classes)
    return {"metrics": _finite(metrics), "classes": list(classes), "positive_class": classes[-1] if len(classes) == 2 else "",
            "confusion_matrix": {"labels": list(classes), "matrix": matrix.tolist()}, "per_class": per_class}


def binary_curves(is_positive: np.ndarray, scores: np.ndarray) -> dict[str, Any]:
    """ROC and precision-recall curves of the positive class (thinned to at most 200 points each)."""
    from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

    if is_positive.all() or not is_positive.any():
        return {"roc_curve": None, "precision_recall_curve": None}
    fpr, tpr, roc_thresholds = roc_curve(is_positive, scores)
    precision, recall, pr_thresholds = precision_recall_curve(is_positive, scores)
    roc = _thin({"fpr": fpr, "tpr": tpr, "thresholds": np.clip(roc_thresholds, 0.0, 1.0)})
    pr = _thin({"precision": precision[:-1], "recall": recall[:-1], "thresholds": pr_thresholds})
    return {"roc_curve": roc | {"auc": float(roc_auc_score(is_positive, scores))},
            "precision_recall_curve": pr | {"average_precision": float(average_precision_score(is_positive, scores))}}


def regression_insights(truth: np.ndarray, predicted: np.ndarray, seed: int = 0) -> dict[str, Any]:
    """Every regression objective, a sample of (actual, predicted, residual) and a residual histogram."""
    residuals = truth - predicted
    rows = np.random.default_rng(seed).permutation(len(truth))[:MAX_RESIDUAL_POINTS]
    counts, edges = np.histogram(residuals, bins=30)
    metrics = objectives.all_scores(objectives.REGRESSION, truth, predicted)
    return {"metrics": _finite(metrics),
            "residuals": {"actual": truth[rows].tolist(), "predicted": predicted[rows].tolist(),
                          "residual": residuals[rows].tolist()},
            "residual_histogram": {"counts": counts.tolist(), "edges": edges.tolist()},
            "residual_summary": {"mean": float(residuals.mean()), "std": float(residuals.std())}}


def permutation_importance(predictor: Predictor, data: Dataset, objective: Objective, time_limit: float,
                           seed: int = 0) -> dict[str, Any]:
    """How much the objective worsens when each input column is shuffled (test rows, one shuffle each)."""
    rows = data.test.sample(min(len(data.test), IMPORTANCE_ROWS), random_state=seed).reset_index(drop=True)
    baseline = _objective_on(predictor, rows, data, objective)
    deadline = time.monotonic() + time_limit
    rng = np.random.default_rng(seed)
    importance: dict[str, float] = {}
    for column in data.feature_columns:
        if time.monotonic() > deadline:
            break
        shuffled = rows.assign(**{column: rng.permutation(rows[column].to_numpy())})
        value = _objective_on(predictor, shuffled, data, objective)
        drop = baseline - value if objective.greater_is_better else value - baseline
        importance[column] = float(drop) if np.isfinite(drop) else 0.0
    ranked = dict(sorted(importance.items(), key=lambda item: -item[1]))
    return {"method": "permutation", "objective": objective.name, "baseline": _finite({"value": baseline})["value"],
            "rows": int(len(rows)), "importance": ranked,
            "complete": len(importance) == len(data.feature_columns)}


def _objective_on(predictor: Predictor, rows: pd.DataFrame, data: Dataset, objective: Objective) -> float:
    scored = predictor.predict_frame(rows)
    truth = rows[data.target].to_numpy()
    if data.problem_type == objectives.REGRESSION:
        return objectives.score(objective, truth.astype(float), scored["predicted_label"].to_numpy(dtype=float))
    probabilities = scored[[f"probability_{c}" for c in data.classes]].to_numpy(dtype=float)
    predicted = scored["predicted_label"].astype(str).to_numpy()
    return objectives.score(objective, truth, predicted, probabilities, data.classes)


def _thin(curve: dict[str, np.ndarray]) -> dict[str, list[float]]:
    length = len(next(iter(curve.values())))
    keep = np.unique(np.linspace(0, length - 1, min(length, MAX_CURVE_POINTS)).round().astype(int))
    return {name: [float(v) for v in values[keep]] for name, values in curve.items()}


def _finite(values: dict[str, float]) -> dict[str, float | None]:
    return {name: (float(v) if v is not None and np.isfinite(v) else None) for name, v in values.items()}
