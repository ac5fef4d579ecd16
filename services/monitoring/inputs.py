"""What every monitor engine receives, whatever the backend gathered it from.

The local adapter builds ``MonitorInputs`` from the endpoint's data capture, the labels port's ground truth and
the model registry; an engine (``ENGINES``) turns it into a ``MonitorReport``. Engines are pure computations over
these inputs (plus the model's predictor for attributions): no file or port access of their own.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from services.models import ModelRecord
from services.monitoring.models import MonitorConfig, MonitorReport

if TYPE_CHECKING:
    import pandas as pd

# monitor type -> "module:function(inputs) -> MonitorReport"; data quality is the endpoints port's drift report.
ENGINES = {
    "model-quality": "services.monitoring.model_quality:run",
    "bias-drift": "services.monitoring.bias_drift:run",
    "feature-attribution-drift": "services.monitoring.attribution_drift:run",
}


@dataclass(frozen=True)
class MonitorInputs:
    """One endpoint's captured traffic with its ground truth, and the model's training-time references.

    ``captured`` has one row per captured prediction: ``event_id`` (the capture's eventMetadata.eventId),
    ``captured_at`` (UTC timestamp), the request's input columns (the model's input schema; a review model's
    text column), ``prediction`` (label or number) and ``probability`` (the top probability, NaN when the
    model gives none). ``ground_truth`` maps eventId -> label. ``training_sample(n)`` returns at most n rows
    of the model's training data (input columns plus the target column ``model.target``), seeded, for the
    baselines an engine computes the first time (bias values, baseline attributions); ``predictor()`` loads
    the model (``services.training.algorithms.base.Predictor``: ``predict(frame)``, ``predict_proba(frame)``).
    """

    endpoint: str
    model: ModelRecord
    captured: pd.DataFrame
    ground_truth: dict[str, str]
    config: MonitorConfig
    training_sample: Callable[[int], pd.DataFrame]
    predictor: Callable[[], Any]
    created_at: str  # the execution's time (ISO 8601 UTC)
    cache: dict[str, Any] = field(default_factory=dict)  # baseline values an engine may keep between runs

    @property
    def problem_type(self) -> str:
        return self.model.problem_type

    @property
    def input_columns(self) -> list[str]:
        return [column.name for column in self.model.input_schema]


def engine(monitor_type: str) -> Callable[[MonitorInputs], MonitorReport]:
    """The engine function of a monitor type (imported on first use)."""
    module_name, function_name = ENGINES[monitor_type].split(":")
    return getattr(importlib.import_module(module_name), function_name)  # type: ignore[no-any-return]
