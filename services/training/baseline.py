"""A model's training baseline, like Model Monitor's ``statistics.json`` and ``constraints.json``.

Written into the model's artifact folder (``baseline/``) at training time. Per input column:

- numeric: count, missing, mean, std, min, max, percentiles (0..100) and decile bins;
- categorical: the top categories with their shares (the rest as ``other``);
- dates (date types, or strings that parse as dates): the numeric statistics of days since 1970;
- text (reviews): the same numeric statistics of the word count.

Plus the predicted-label distribution on the training data (numeric statistics for regression).
``constraints.json`` holds each column's type, completeness, known categories and the thresholds
a drift report flags as violations.

Models that can embed their texts (text-minilm; see ``TEXT_EMBEDDERS``) also get an ``embedding``
section: the L2-normalised centroid of the unit-length sentence embeddings of at most 512 training
texts (a seeded sample), and the spread of those texts around it: the mean and the 5th percentile
of their cosine similarity to the centroid, each text compared with the centroid of the *other*
texts (leave one out), so the figures are what a new text from the training distribution would
score. The rule in ``constraints.json``: captured texts break the baseline when their mean cosine
similarity to the training centroid falls below that 5th percentile, i.e. when the typical new text
is as far from the training texts' centre as only the 5% least typical training texts are. The mean
of new texts from the training distribution stays near the training mean (its standard error
shrinks with their number), so the rule hardly ever fires on them, and it does not fire more often
as traffic grows; it fires on texts about something else (log lines, another language, spam). As
the mean cosine equals the length of the captured texts' (unnormalised) centroid times the cosine
similarity of the two centroids, it also fires whenever the centroids' cosine similarity alone
falls below the 5th percentile. The drift report shows the cosine distance of the two centroids
(1 - cosine similarity). Embedding 512 reviews of up to 128 tokens takes about 20 s on two CPU
cores, at training and again in each drift report; when it fails, or the model cannot embed, the
baseline has no embedding section (and the training log says why).

Training writes the baseline (``baseline_at_training``); drift reports read it and compare new data
with it (``services/endpoints/baseline.py``), computing it first for a model trained without one.
"""

from __future__ import annotations

import importlib
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from services.embedded.metadata import utc_now
from services.errors import NotFound
from services.training.algorithms.base import Dataset, Predictor
from services.training.autopilot.features import find_date_columns
from services.training.problem_type import label_strings

BASELINE_FOLDER = "baseline"
STATISTICS_FILE = "statistics.json"
CONSTRAINTS_FILE = "constraints.json"
THRESHOLDS = {"psi": 0.2, "completeness_drop": 0.05, "unseen_share": 0.05}
BINS = 10
TOP_CATEGORIES = 20
MAX_KNOWN_VALUES = 1000  # more distinct values than this: not checked for unseen categories
UNIQUE_SHARE = 0.5  # categorical columns with more distinct values than this share of rows are not checked for unseen values
MAX_ROWS = 50_000  # rows summarised (a seeded sample of larger data)
PREDICTION_ROWS = 2_000  # rows scored for the predicted-label distribution (scoring is the costly part)
EMBEDDING_ROWS = 512  # texts embedded for the centroid (a seeded sample), at training and in a drift report
MIN_EMBEDDING_ROWS = 20  # fewer texts than this give no 5th percentile worth the name
# Predictor classes that can embed their texts, and the function that does (imported only for such a model).
TEXT_EMBEDDERS = {"services.training.algorithms.text_minilm.MiniLMPredictor": "services.training.algorithms.text_minilm:embed_texts"}


@dataclass(frozen=True)
class Baseline:
    """The two documents of a baseline."""

    statistics: dict[str, Any]
    constraints: dict[str, Any]

    @property
    def feature_columns(self) -> list[str]:
        return list(self.statistics["feature_columns"])

    @property
    def features(self) -> dict[str, dict[str, Any]]:
        return dict(self.statistics["features"])

    @property
    def prediction(self) -> dict[str, Any] | None:
        return self.statistics.get("prediction")

    @property
    def thresholds(self) -> dict[str, float]:
        return {**THRESHOLDS, **self.constraints.get("thresholds", {})}

    @property
    def embedding(self) -> dict[str, Any] | None:
        """The text embedding centroid and its spread (text-minilm models), or None."""
        return self.statistics.get("embedding")


# -- writing and reading ---------------------------------------------------------------------------


def write_baseline(frame: pd.DataFrame, feature_columns: list[str], text_column: str, predictions_frame: pd.DataFrame | None,
                   folder: Path, embedding: dict[str, Any] | None = None) -> Baseline:
    """Summarise ``frame``'s feature columns (and the predictions made on it, and the ``embedding``
    section of ``text_embedding_statistics``) into ``folder``."""
    kinds = feature_kinds(frame, feature_columns, text_column)
    features = {name: column_statistics(frame[name], kind) for name, kind in kinds.items()}
    prediction = prediction_statistics(predictions_frame)
    statistics = {"version": 1, "created_at": utc_now(), "dataset": {"item_count": len(frame)},
                  "feature_columns": [c for c in feature_columns if c in frame.columns], "text_column": text_column,
                  "features": features, "prediction": prediction, "embedding": embedding}
    baseline = Baseline(statistics, constraints_for(features, prediction, embedding))
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / CONSTRAINTS_FILE, baseline.constraints)
    write_json(folder / STATISTICS_FILE, statistics)
    return baseline


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Written under another name first: a drift report running meanwhile never reads half a file."""
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
    partial.write_text(json.dumps(data, indent=2))
    os.replace(partial, path)


def has_baseline(artifact_path: str | Path) -> bool:
    folder = Path(artifact_path) / BASELINE_FOLDER
    return (folder / STATISTICS_FILE).is_file() and (folder / CONSTRAINTS_FILE).is_file()


def load_baseline(artifact_path: str | Path) -> Baseline:
    """The baseline in a model's artifact folder; ``NotFound`` when it has none."""
    folder = Path(artifact_path) / BASELINE_FOLDER
    if not has_baseline(artifact_path):
        raise NotFound(f"The model at {artifact_path} has no baseline.", hint="A drift report computes it when first needed.")
    return Baseline(json.loads((folder / STATISTICS_FILE).read_text()), json.loads((folder / CONSTRAINTS_FILE).read_text()))


def baseline_at_training(log: Callable[[str], None], data: Dataset, predictor: Predictor, folder: Path) -> None:
    """Write the baseline of a model being trained; a failure is logged, never fatal to the job."""
    try:
        columns = list(getattr(predictor, "feature_columns", data.feature_columns))
        sample = sample_rows(data.train, MAX_ROWS)
        embedding = text_embedding_statistics(log, predictor, sample)
        write_baseline(sample, columns, data.text_column, predict_sample(predictor, sample), folder, embedding)
        log(f"Wrote the monitoring baseline of {len(sample)} training rows")
    except Exception as exc:  # noqa: BLE001 - the model is still good without a baseline; drift reports compute one later
        log(f"Could not write the monitoring baseline ({type(exc).__name__}: {exc}); it will be computed when first needed")


def sample_rows(frame: pd.DataFrame, rows: int) -> pd.DataFrame:
    """At most ``rows`` rows: a seeded sample of larger frames."""
    return frame if len(frame) <= rows else frame.sample(rows, random_state=0)


def predict_sample(predictor: Predictor, frame: pd.DataFrame) -> pd.DataFrame:
    return predictor.predict_frame(sample_rows(frame, PREDICTION_ROWS))


# -- the text embedding centroid ---------------------------------------------------------------------


def text_embedder(predictor: Predictor) -> Callable[[list[str]], np.ndarray] | None:
    """A function embedding texts with ``predictor`` (one row per text), or None when it cannot embed."""
    kind = type(predictor)
    target = TEXT_EMBEDDERS.get(f"{kind.__module__}.{kind.__qualname__}")
    if target is None:
        return None
    module_name, function_name = target.split(":")
    embed = getattr(importlib.import_module(module_name), function_name)
    return lambda texts: np.asarray(embed(predictor, texts), dtype=float)


def column_texts(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    """Each row's text (several text columns joined with a space, as the model reads them); empty ones left out."""
    present = [c for c in columns if c in frame.columns]
    if not present or frame.empty:
        return []
    parts = frame[present].astype(object).where(frame[present].notna(), "").astype(str)
    return [text for text in parts.agg(" ".join, axis=1).str.strip() if text]


def text_embedding_statistics(log: Callable[[str], None], predictor: Predictor, frame: pd.DataFrame) -> dict[str, Any] | None:
    """The ``embedding`` section of the baseline of ``frame``; None (and a line in ``log``) when the model
    cannot embed texts, there are too few of them, or embedding fails."""
    embed = text_embedder(predictor)
    if embed is None:
        log(f"No embedding centroid in the baseline: {type(predictor).__name__} does not embed texts")
        return None
    columns = list(getattr(predictor, "feature_columns", []))
    texts = column_texts(sample_rows(frame, EMBEDDING_ROWS), columns)
    if len(texts) < MIN_EMBEDDING_ROWS:
        log(f"No embedding centroid in the baseline: {len(texts)} training texts, fewer than {MIN_EMBEDDING_ROWS}")
        return None
    try:
        section = {"columns": columns} | embedding_statistics(embed(texts))
    except Exception as exc:  # noqa: BLE001 - the centroid is optional; the rest of the baseline is still worth writing
        log(f"No embedding centroid in the baseline ({type(exc).__name__}: {exc})")
        return None
    log(f"Embedding centroid of {len(texts)} training texts: cosine to it {section['mean_cosine_to_centroid']:.3f} on average, "
        f"{section['p05_cosine_to_centroid']:.3f} at the 5th percentile")
    return section


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (an all-zero row stays zero)."""
    vectors = np.asarray(vectors, float)
    return vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)


def unit_vector(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def embedding_statistics(vectors: np.ndarray) -> dict[str, Any]:
    """Centroid of the unit-length embeddings (normalised) and each text's leave-one-out cosine to it."""
    units = unit_rows(vectors)
    total = units.sum(axis=0)
    others = total - units  # the sum of every other text's vector, per text
    cosines = np.einsum("ij,ij->i", units, others) / np.clip(np.linalg.norm(others, axis=1), 1e-12, None)
    return {"centroid": [round(float(v), 7) for v in unit_vector(total)], "rows": len(units),
            "mean_cosine_to_centroid": float(cosines.mean()), "p05_cosine_to_centroid": float(np.percentile(cosines, 5))}


# -- statistics ---------------------------------------------------------------------------------------


def feature_kinds(frame: pd.DataFrame, feature_columns: list[str], text_column: str) -> dict[str, str]:
    """numeric | categorical | date | text per column (the text column is text whatever its lengths)."""
    from services.training.algorithms.featurize import column_kinds  # here: scikit-learn takes ~1 s to import

    kinds = column_kinds(frame, [c for c in feature_columns if c in frame.columns])
    for name in find_date_columns(frame[list(kinds)]):
        kinds[name] = "date"
    if text_column in kinds:
        kinds[text_column] = "text"
    return kinds


def column_statistics(values: pd.Series, kind: str) -> dict[str, Any]:
    common = {"kind": kind, "count": int(values.notna().sum()), "missing": int(values.isna().sum())}
    if kind in ("numeric", "date"):
        return common | numeric_statistics(kind_values(values, kind))
    if kind == "text":
        return common | {"word_count": numeric_statistics(word_counts(values))}
    return common | categorical_statistics(values.dropna().map(label_text))


def numeric_values(values: pd.Series) -> np.ndarray:
    """The non-missing values as floats (dates as days since 1970; what does not parse is missing)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        values = (values - pd.Timestamp("1970-01-01", tz=getattr(values.dt, "tz", None))).dt.total_seconds() / 86400
    numbers = pd.to_numeric(values.astype(object).where(values.notna(), None), errors="coerce").astype(float)
    return numbers.dropna().to_numpy()


def date_values(values: pd.Series) -> np.ndarray:
    """Dates (or date strings) as days since 1970; what does not parse is missing."""
    stamps = pd.to_datetime(values, errors="coerce", utc=True, format="mixed").dropna()
    return ((stamps - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds() / 86400).to_numpy(dtype=float)


def kind_values(values: pd.Series, kind: str) -> np.ndarray:
    """The numbers a numeric, date or text column is compared on (a text column: its word counts)."""
    if kind == "date":
        return date_values(values)
    return word_counts(values) if kind == "text" else numeric_values(values)


def word_counts(values: pd.Series) -> np.ndarray:
    """Words per text (split on white space)."""
    return np.array([len(text.split()) for text in values.dropna().astype(str)], dtype=float)


def numeric_statistics(numbers: np.ndarray) -> dict[str, Any]:
    if not len(numbers):
        return {"mean": None, "std": None, "min": None, "max": None, "percentiles": [], "bin_edges": [], "bin_fractions": [1.0]}
    edges = bin_edges(numbers)
    return {"mean": float(numbers.mean()), "std": float(numbers.std()), "min": float(numbers.min()), "max": float(numbers.max()),
            "percentiles": [float(q) for q in np.percentile(numbers, np.arange(101))],
            "bin_edges": edges, "bin_fractions": bin_fractions(numbers, edges).tolist()}


def bin_edges(numbers: np.ndarray, bins: int = BINS) -> list[float]:
    """The distinct inner decile cut points; the outer bins are open (anything below or above falls in)."""
    return [float(q) for q in np.unique(np.percentile(numbers, np.arange(1, bins) * 100 / bins))]


def bin_fractions(numbers: np.ndarray, edges: list[float]) -> np.ndarray:
    """The share of ``numbers`` in each of the ``len(edges) + 1`` bins (a value on an edge goes up)."""
    counts = np.bincount(np.searchsorted(edges, numbers, side="right"), minlength=len(edges) + 1).astype(float)
    return counts / max(counts.sum(), 1.0)


def categorical_statistics(values: pd.Series) -> dict[str, Any]:
    shares = values.value_counts(normalize=True)
    top = {str(k): float(v) for k, v in shares.head(TOP_CATEGORIES).items()}
    # Identifiers and other mostly-unique values: every new one is unseen, so they are not checked.
    checked = len(shares) <= MAX_KNOWN_VALUES and len(shares) <= UNIQUE_SHARE * len(values)
    return {"distinct": int(len(shares)), "categories": top, "other": float(max(0.0, 1.0 - sum(top.values()))),
            "known_values": [str(k) for k in shares.index] if checked else None}


def prediction_statistics(predictions: pd.DataFrame | None) -> dict[str, Any] | None:
    """The distribution of ``predicted_label``: every class's share for classifiers, numeric statistics for regression."""
    if predictions is None or "predicted_label" not in predictions.columns or predictions.empty:
        return None
    labels = predictions["predicted_label"].dropna()
    if "probability" not in predictions.columns and pd.api.types.is_numeric_dtype(labels):
        return {"kind": "numeric", "count": len(labels)} | numeric_statistics(numeric_values(labels))
    shares = label_strings(labels).value_counts(normalize=True)
    classes = [c[len("probability_"):] for c in predictions.columns if c.startswith("probability_")]
    categories = {c: float(shares.get(c, 0.0)) for c in classes} | {str(k): float(v) for k, v in shares.items()}
    return {"kind": "categorical", "count": len(labels), "distinct": len(categories), "categories": categories,
            "other": 0.0, "known_values": list(categories)}


def constraints_for(features: dict[str, dict[str, Any]], prediction: dict[str, Any] | None,
                    embedding: dict[str, Any] | None = None) -> dict[str, Any]:
    """Model Monitor-style constraints: type, completeness and known values per column, the lowest mean
    cosine similarity of new texts to the training centroid (with an embedding section), plus the thresholds."""
    columns = {}
    for name, stats in features.items():
        total = stats["count"] + stats["missing"]
        columns[name] = {"kind": stats["kind"], "inferred_type": INFERRED_TYPES[stats["kind"]],
                         "completeness": stats["count"] / total if total else 1.0}
        if stats["kind"] == "categorical":
            columns[name]["known_values"] = stats["known_values"]
    predicted = {"kind": prediction["kind"], "known_values": prediction.get("known_values")} if prediction else None
    embedded = {"columns": embedding["columns"], "min_mean_cosine_to_centroid": embedding["p05_cosine_to_centroid"]} if embedding else None
    return {"version": 1, "features": columns, "prediction": predicted, "embedding": embedded, "thresholds": dict(THRESHOLDS)}


INFERRED_TYPES = {"numeric": "Fractional", "categorical": "String", "date": "Date", "text": "Text"}


def label_text(value: Any) -> str:
    """A label as the model's classes spell it: 1.0 and "1" are both "1"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
