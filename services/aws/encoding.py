"""Rows encoded as the built-in algorithms were trained on them (category codes, numbers), shared by
training, batch transform, scoring and bias on SageMaker."""

from __future__ import annotations

from typing import Any

import pandas as pd

from services.errors import InvalidInput


def encode_features(frame: pd.DataFrame, features: list[str], categories: dict[str, list[str]]) -> pd.DataFrame:
    """The features as numbers; an unseen or missing category is missing (empty in the CSV)."""
    encoded = {}
    for column in features:
        if column in categories:
            codes = pd.Categorical(frame[column].astype("string"), categories=categories[column]).codes
            encoded[column] = pd.Series(codes, index=frame.index).where(codes >= 0)
        else:
            encoded[column] = pd.to_numeric(frame[column], errors="coerce")
    return pd.DataFrame(encoded, index=frame.index)


def transform_frame(frame: pd.DataFrame, metadata: dict[str, Any]) -> pd.DataFrame:
    """Rows as the model reads them: encoded for built-in models, the input columns for Autopilot's."""
    encoding = metadata.get("encoding") or {}
    if encoding.get("features"):
        missing = [c for c in encoding["features"] if c not in frame.columns]
        if missing:
            raise InvalidInput(f"The data lacks the model's columns {', '.join(missing)}.",
                               hint="Score a table shaped like the training data.")
        return encode_features(frame, encoding["features"], encoding.get("categories", {}))
    columns = [c["Name"] for c in metadata.get("input_schema", []) if c["Name"] in frame.columns]
    return frame[columns] if columns else frame.drop(columns=[metadata.get("target", "")], errors="ignore")


def csv_rows(frame: pd.DataFrame, fill_missing: bool) -> bytes:
    """Rows as the built-in algorithms read CSV: no header, no index; Linear Learner refuses empty values, so
    they become 0 when ``fill_missing`` (as at training time)."""
    return (frame.fillna(0) if fill_missing else frame).to_csv(header=False, index=False).encode()
