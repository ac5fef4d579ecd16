"""Monitoring test helpers: engine inputs built from plain arrays, and captured traffic written in SageMaker's
data-capture format by the capture writer itself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from services.models import Column, ModelRecord
from services.monitoring.inputs import MonitorInputs
from services.monitoring.models import MonitorConfig

CREATED_AT = "2026-03-01T12:00:00.000+00:00"
REVIEW_CLASSES = ("-1", "0", "1")


def model_record(problem_type: str = "MulticlassClassification", classes: Sequence[str] = REVIEW_CLASSES,
                 metrics: dict[str, float] | None = None) -> ModelRecord:
    """A registry entry as a trained review model has it (the engine reads its type, classes and test metrics)."""
    return ModelRecord(model_id="reviews/1", name="reviews", version=1, framework="text-tfidf", problem_type=problem_type,
                       target="sentiment", input_schema=(Column("review_body", "string"),), classes=tuple(classes),
                       metrics=dict(metrics or {}), run_id="", job_name="", artifact_path="")


def captured_frame(predictions: Sequence[Any], probabilities: Sequence[float] | None = None,
                   start: str = "2026-03-01T09:00:00Z", minutes_apart: int = 1) -> pd.DataFrame:
    """Captured rows as the gatherer builds them: event ids e0, e1, …, one a minute from ``start``."""
    n = len(predictions)
    return pd.DataFrame({
        "event_id": [f"e{i}" for i in range(n)],
        "captured_at": pd.date_range(start, periods=n, freq=f"{minutes_apart}min", tz="UTC"),
        "review_body": [f"review {i}" for i in range(n)],
        "prediction": pd.Series(list(predictions), dtype=object),
        "probability": np.asarray(probabilities if probabilities is not None else [np.nan] * n, dtype=float),
    })


def engine_inputs(record: ModelRecord, captured: pd.DataFrame, ground_truth: dict[str, str],
                  config: MonitorConfig | None = None) -> MonitorInputs:
    """What the model-quality engine receives (no training data or predictor: it needs neither)."""
    def no_training_data(_: int) -> pd.DataFrame:
        raise AssertionError("the model-quality engine reads no training data")

    def no_predictor() -> Any:
        raise AssertionError("the model-quality engine loads no model")

    return MonitorInputs(endpoint="reviews-live", model=record, captured=captured, ground_truth=ground_truth,
                         config=config or MonitorConfig(), training_sample=no_training_data, predictor=no_predictor,
                         created_at=CREATED_AT)
