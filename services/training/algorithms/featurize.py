"""Featurising a table for the built-in tabular models.

``tabular_featurizer``: numeric columns are imputed with the median and standardised; short string
columns are categorical (a constant "missing" category, then one-hot with at most ``MAX_CATEGORIES``
levels, unseen or rare values falling into an "infrequent" level or into zeros); long free-text string
columns (reviews) are TF-IDF'd into at most ``TEXT_FEATURES`` word uni- and bigrams rather than dropped,
so a tabular model can still use them; columns with no values at all are dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from services.errors import InvalidInput

MAX_CATEGORIES = 50
TEXT_FEATURES = 2000
TEXT_MIN_AVERAGE_LENGTH = 30  # string columns longer than this on average (and varied) are free text
TEXT_MIN_DISTINCT = 20
MISSING_CATEGORY = "__missing__"


def column_kinds(frame: pd.DataFrame, columns: list[str]) -> dict[str, str]:
    """Each usable column's kind (numeric | categorical | text); columns without values are left out."""
    kinds = {}
    for name in columns:
        series = frame[name]
        if series.notna().any():
            kinds[name] = _kind(series)
    return kinds


def _kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return "numeric"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "numeric"
    values = series.dropna().astype(str)
    is_text = values.str.len().mean() >= TEXT_MIN_AVERAGE_LENGTH and values.nunique() >= TEXT_MIN_DISTINCT
    return "text" if is_text else "categorical"


def model_frame(frame: pd.DataFrame, kinds: Mapping[str, str]) -> pd.DataFrame:
    """The model's input columns with the types the featuriser expects; ``InvalidInput`` when some are missing."""
    missing = [name for name in kinds if name not in frame.columns]
    if missing:
        raise InvalidInput(f"The data lacks the model's input columns: {', '.join(missing[:20])}.",
                           hint="Score data with the same columns the model was trained on.")
    return pd.DataFrame({name: _typed_column(frame[name], kind) for name, kind in kinds.items()}, index=frame.index)


def _typed_column(series: pd.Series, kind: str) -> pd.Series:
    if kind != "numeric":
        return series.astype(object).where(series.notna(), None).map(lambda v: None if v is None else str(v))
    if pd.api.types.is_datetime64_any_dtype(series):
        return (series - pd.Timestamp("1970-01-01", tz=getattr(series.dt, "tz", None))).dt.total_seconds() / 86400
    return pd.to_numeric(series.astype(object).where(series.notna(), None), errors="coerce").astype(float)


def tabular_featurizer(kinds: Mapping[str, str], scale_numeric: bool = True, rows: int = 1000) -> ColumnTransformer:
    """An unfitted ColumnTransformer for ``model_frame`` output (see the module docstring)."""
    numeric = [name for name, kind in kinds.items() if kind == "numeric"]
    steps: list[tuple[str, Any, Any]] = []
    if numeric:
        scaler = [("scale", StandardScaler())] if scale_numeric else []
        steps.append(("numeric", Pipeline([("impute", SimpleImputer(strategy="median", keep_empty_features=True)), *scaler]), numeric))
    for index, (name, kind) in enumerate(kinds.items()):
        if kind == "categorical":
            steps.append((f"categorical_{index}", _categorical_pipeline(), [name]))
        elif kind == "text":
            steps.append((f"text_{index}", text_pipeline(TfidfVectorizer(
                max_features=TEXT_FEATURES, ngram_range=(1, 2), min_df=2 if rows >= 100 else 1, sublinear_tf=True)), name))
    return ColumnTransformer(steps, sparse_threshold=0.3)


def _categorical_pipeline() -> Pipeline:
    return Pipeline([
        ("impute", SimpleImputer(strategy="constant", fill_value=MISSING_CATEGORY)),
        ("one_hot", OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=MAX_CATEGORIES)),
    ])


def text_pipeline(vectorizer: Any) -> Pipeline:
    """A vectorizer that accepts a text column with missing values."""
    return Pipeline([("fill", FunctionTransformer(fill_text)), ("vectorize", vectorizer)])


def fill_text(values: Any) -> list[str]:
    """Texts as strings, missing ones empty (module level so saved pipelines can be loaded)."""
    return ["" if value is None or value != value else str(value) for value in np.asarray(values).ravel()]


def column_importance(featurizer: ColumnTransformer, importances: np.ndarray) -> dict[str, float]:
    """Per-feature importances (absolute values) summed back onto the input columns, normalised to sum to 1."""
    totals: dict[str, float] = {}
    for name, _, columns in featurizer.transformers_:
        if name == "remainder":
            continue
        values = np.abs(np.asarray(importances)[featurizer.output_indices_[name]])
        # The numeric block has one output per column; the other blocks read a single column each.
        sources = list(columns) if name == "numeric" else [columns if isinstance(columns, str) else columns[0]] * len(values)
        for source, value in zip(sources, values):
            totals[source] = totals.get(source, 0.0) + float(value)
    total = sum(totals.values()) or 1.0
    return dict(sorted(((k, round(v / total, 6)) for k, v in totals.items()), key=lambda item: -item[1]))
