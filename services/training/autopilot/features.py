"""Feature engineering shared by the candidates, the saved predictors and the generated notebooks.

Each function imports what it needs inside itself: the notebooks copy their source text verbatim
(``inspect.getsource``), so the notebooks run without this package installed.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

DATE_PARTS = ("year", "month", "day", "dayofweek", "hour", "days", "weekend_hour")  # <date column>_<part>


def expand_dates(frame: Any, date_columns: list[str]) -> Any:
    """Replace each date column by numbers trees can split: its year, month, day, day of week and hour,
    the days since 1970 (a trend), and the hour on weekdays (0-23) or at weekends (24-47), so one split
    separates weekday rush hours from weekend afternoons."""
    import pandas as pd

    frame = frame.copy()
    for column in date_columns:
        stamps = pd.to_datetime(frame[column], errors="coerce", format="mixed")
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_localize(None)
        for part in ("year", "month", "day", "dayofweek", "hour"):
            frame[f"{column}_{part}"] = getattr(stamps.dt, part).astype("float64")
        frame[f"{column}_days"] = (stamps - pd.Timestamp("1970-01-01")).dt.total_seconds() / 86400.0
        weekend = (stamps.dt.dayofweek >= 5).astype("float64").where(stamps.notna())
        frame[f"{column}_weekend_hour"] = weekend * 24 + stamps.dt.hour.astype("float64")
        frame = frame.drop(columns=[column])
    return frame  # the parts added are DATE_PARTS, in that order


def as_text(values: Any) -> Any:
    """A column of strings for TF-IDF (missing values become empty strings)."""
    import numpy as np
    import pandas as pd

    return pd.Series(np.asarray(values, dtype=object).ravel()).fillna("").astype(str).to_numpy()


def build_featuriser(numeric: list[str], categorical: list[str], text: list[str]) -> Any:
    """Impute and scale numbers, one-hot encode categories, TF-IDF each long text column."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    parts: list[Any] = []
    if numeric:
        parts.append(("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric))
    if categorical:
        encoder = OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=30, sparse_output=True)
        parts.append(("categorical", make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"), encoder),
                      categorical))
    for column in text:
        tfidf = TfidfVectorizer(max_features=3000, ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        parts.append((f"text_{column}", make_pipeline(FunctionTransformer(as_text), tfidf), column))
    return ColumnTransformer(parts, sparse_threshold=0.3)


def build_estimator(algorithm: str, params: dict[str, Any], classification: bool, seed: int) -> Any:
    """The model of a tuning candidate: xgboost, linear-learner or mlp with the trial's hyperparameters."""
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.preprocessing import StandardScaler
    from xgboost import XGBClassifier, XGBRegressor

    if algorithm == "xgboost":
        model_class = XGBClassifier if classification else XGBRegressor
        return model_class(**params, tree_method="hist", n_jobs=2, random_state=seed)
    if algorithm == "linear-learner":
        if classification:
            return LogisticRegression(C=params["C"], max_iter=500)
        return TransformedTargetRegressor(Ridge(alpha=1.0 / params["C"]), transformer=StandardScaler())
    mlp = dict(hidden_layer_sizes=tuple(params["hidden_layer_sizes"]), alpha=params["alpha"],
               learning_rate_init=params["learning_rate_init"], early_stopping=True, max_iter=200, random_state=seed)
    if classification:
        return MLPClassifier(**mlp)
    return TransformedTargetRegressor(MLPRegressor(**mlp), transformer=StandardScaler())


def build_pipeline(algorithm: str, params: dict[str, Any], columns: dict[str, list[str]], classification: bool,
                   seed: int) -> Any:
    """Featuriser plus model, as one scikit-learn pipeline."""
    from sklearn.pipeline import Pipeline

    featuriser = build_featuriser(columns["numeric"], columns["categorical"], columns["text"])
    return Pipeline([("features", featuriser), ("model", build_estimator(algorithm, params, classification, seed))])


def column_kinds(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Split feature columns (dates already expanded) into numeric, categorical and long-text columns."""
    kinds: dict[str, list[str]] = {"numeric": [], "categorical": [], "text": []}
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            kinds["numeric"].append(column)
        elif looks_like_text(series):
            kinds["text"].append(column)
        else:
            kinds["categorical"].append(column)
    return kinds


def looks_like_text(series: pd.Series) -> bool:
    """Free text rather than a category: several words per value on average and many distinct values."""
    sample = series.dropna().astype(str).head(2000)
    if sample.empty:
        return False
    words = sample.str.count(r"\S+").mean()
    return bool(words >= 4 and sample.nunique() > 0.3 * len(sample))


def find_date_columns(frame: pd.DataFrame) -> list[str]:
    """Columns holding dates or timestamps (datetime types, or strings that nearly all parse as dates)."""
    found = []
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_datetime64_any_dtype(series) or series.dtype == object and _strings_are_dates(series):
            found.append(column)
    return found


def _strings_are_dates(series: pd.Series) -> bool:
    sample = series.dropna().head(200)
    if sample.empty or not all(isinstance(v, str) for v in sample):
        return False
    text = sample.astype(str)
    if not text.str.len().between(8, 35).all() or not text.str.contains(r"\d{1,4}[-/.]\d{1,2}").all():
        return False
    parsed = pd.to_datetime(text, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= 0.95)
