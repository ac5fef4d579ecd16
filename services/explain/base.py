"""The explain port: SHAP for registered models, token attributions for review models, Quick Model.

Locally: the shap library (Tree explainer for tree models, Linear for linear ones, Permutation
otherwise; Partition with a Text masker for review models). On AWS: Clarify SHAP jobs. Heavy
explanations run as jobs and are cached per model, data version and settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from services.models import DataSource, ModelRecord

AGGREGATIONS = ("mean_abs", "mean_sq", "median")


@dataclass(frozen=True)
class ExplainRequest:
    model_id: str
    source: DataSource = field(default_factory=DataSource)  # a catalog table or a file …
    sql: str = ""  # … or the result of this SQL
    rows: int = 500  # rows explained (a seeded sample when the data has more)
    background_rows: int = 100  # background / masker sample
    aggregation: str = "mean_abs"  # Clarify's global aggregation: mean_abs | mean_sq | median
    seed: int = 0
    explained_class: str = ""  # classifiers: the class whose output is explained ("" = the last class for binary,
    # the class predicted most often among the explained rows for multi-class)


@dataclass(frozen=True)
class Explanation:
    """A finished SHAP job. Per-row values are read with ``ExplainPort.shap_frames``."""

    model_id: str
    explainer: str  # Tree | Linear | Permutation | Partition
    explained_output: str  # the class whose probability is explained, or "prediction" for regression
    aggregation: str
    global_importance: dict[str, float]  # feature -> aggregated |SHAP|, largest first
    importances: dict[str, dict[str, float]]  # every aggregation -> feature -> value
    base_value: float
    rows: int
    seconds: float = 0.0
    top_words: dict[str, list[tuple[str, float]]] = field(default_factory=dict)  # text models: class -> words
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TokenAttribution:
    """Which words pushed one review towards each class (SHAP Partition explainer, Text masker)."""

    model_id: str
    text: str
    predicted_label: str
    probabilities: dict[str, float]
    tokens: tuple[str, ...]  # the text split as the masker split it; "".join(tokens) == text
    scores: dict[str, tuple[float, ...]]  # class -> one contribution per token
    base_values: dict[str, float]
    seconds: float = 0.0


@dataclass(frozen=True)
class ExplainPlan:
    """What a SHAP job of a model will run by default: the explainer, why it is the fastest faithful one, and
    the sample sizes that keep it quick (the form's defaults)."""

    explainer: str
    reason: str
    rows: int
    background_rows: int


@dataclass(frozen=True)
class QuickModelResult:
    """Data Wrangler's Quick Model: a fast forest on a seeded 70/30 split."""

    target: str
    problem_type: str
    metric_name: str  # f1 (macro) for classification, mse for regression
    score: float
    importances: dict[str, float]  # feature -> importance, largest first
    train_rows: int
    test_rows: int
    seconds: float = 0.0
    notes: tuple[str, ...] = ()


class ExplainPort(Protocol):
    def start_job(self, request: ExplainRequest) -> str:
        """Start a SHAP job, or return the finished job that already explained this model on this
        data version with these settings. ``InvalidInput`` / ``NotFound`` before a job exists. Watch the
        job (kind ``explain``) with ``JobsPort``."""
        ...

    def plan(self, model: ModelRecord) -> ExplainPlan:
        """The explainer a SHAP job of ``model`` uses by default and its default rows / background rows (within
        ``start_job``'s limits). Decided from the registered model alone: nothing is loaded or started."""
        ...

    def explanation(self, name: str) -> Explanation:
        """A completed job's global results."""
        ...

    def shap_frames(self, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(per-row SHAP values, the explained rows' feature values), same index and columns —
        the values frame is what ``out.csv`` holds."""
        ...

    def explain_text(self, model_id: str, text: str, max_evals: int = 300) -> TokenAttribution:
        """Token attributions for one review, synchronously (a couple of seconds)."""
        ...

    def quick_model(self, source: DataSource, target: str, sql: str = "") -> QuickModelResult:
        """Fit a quick model on a sample of the data and return its score and feature importances."""
        ...
