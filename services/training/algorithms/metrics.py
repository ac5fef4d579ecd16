"""Scoring a model on a split: classification and regression metrics, and reporting them as
SageMaker names them (``<split>:<metric>``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    mean_absolute_error,
    mean_squared_error,
    precision_recall_fscore_support,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
)

from services.training.algorithms.base import Dataset, Predictor, Reporter
from services.training.problem_type import REGRESSION


def classification_metrics(y_true: Any, y_pred: Any, proba: np.ndarray, classes: list[str]
                           ) -> tuple[dict[str, float], dict[str, dict[str, float]], list[list[int]]]:
    """(metrics, per-class precision/recall/f1/support, confusion matrix with rows = true class)."""
    truth, predicted = np.asarray(y_true).astype(str), np.asarray(y_pred).astype(str)
    clipped = np.clip(np.asarray(proba, dtype=float), 1e-15, 1)
    clipped = clipped / clipped.sum(axis=1, keepdims=True)
    metrics = {
        "accuracy": accuracy_score(truth, predicted),
        "f1_macro": f1_score(truth, predicted, labels=classes, average="macro", zero_division=0),
        "precision_macro": precision_score(truth, predicted, labels=classes, average="macro", zero_division=0),
        "recall_macro": recall_score(truth, predicted, labels=classes, average="macro", zero_division=0),
        "f1_weighted": f1_score(truth, predicted, labels=classes, average="weighted", zero_division=0),
        "log_loss": log_loss(truth, clipped, labels=classes),
    }
    if len(classes) == 2 and len(set(truth)) == 2:
        metrics["roc_auc"] = roc_auc_score(truth == classes[1], proba[:, 1])
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=classes, zero_division=0)
    per_class = {label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": float(s)}
                 for label, p, r, f, s in zip(classes, precision, recall, f1, support)}
    confusion = confusion_matrix(truth, predicted, labels=classes).tolist()
    return {k: round(float(v), 6) for k, v in metrics.items()}, per_class, confusion


def regression_metrics(y_true: Any, y_pred: Any) -> dict[str, float]:
    """rmse, mae and r2."""
    truth, predicted = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    return {"rmse": round(float(np.sqrt(mean_squared_error(truth, predicted))), 6),
            "mae": round(float(mean_absolute_error(truth, predicted)), 6),
            "r2": round(float(r2_score(truth, predicted)), 6)}


def evaluate(predictor: Predictor, data: Dataset, split: str = "test"
             ) -> tuple[dict[str, float], dict[str, dict[str, float]], list[list[int]] | None]:
    """Score a split of ``data`` with ``predictor``: (metrics, per_class, confusion matrix or None)."""
    frame: pd.DataFrame = getattr(data, split)
    scored = predictor.predict_frame(frame)
    if data.problem_type == REGRESSION:
        return regression_metrics(frame[data.target], scored["predicted_label"]), {}, None
    proba = scored[[f"probability_{label}" for label in data.classes]].to_numpy()
    return classification_metrics(frame[data.target], scored["predicted_label"], proba, data.classes)


def report_metrics(reporter: Reporter, metrics: Mapping[str, float], prefix: str, step: int | None = None) -> None:
    """Send ``metrics`` to the reporter as ``<prefix>:<name>`` (SageMaker's metric naming)."""
    for name, value in metrics.items():
        reporter.metric(f"{prefix}:{name}", value, step)
