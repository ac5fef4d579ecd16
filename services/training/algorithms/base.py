"""The contract between jobs and learning code: prepared data in, a saved predictor and metrics out.

Every algorithm (built-ins, Autopilot candidates) returns a ``Predictor``; the registry stores its
folder; batch transform, the explain page and endpoints load it back with ``load_predictor``.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

PREDICTOR_FILE = "predictor.json"


class Reporter(Protocol):
    """Progress from inside training (the job context implements it)."""

    def log(self, message: str) -> None: ...

    def metric(self, name: str, value: float, step: int | None = None) -> None: ...

    def progress(self, fraction: float, message: str = "") -> None: ...


class Predictor(Protocol):
    """A trained model that scores a DataFrame of input columns.

    ``predict_frame`` returns one row per input row with ``predicted_label`` and, for classifiers,
    ``probability`` (of the predicted label) and ``probability_<class>`` for every class.
    """

    problem_type: str
    classes: list[str]

    def predict_frame(self, frame: pd.DataFrame) -> pd.DataFrame: ...

    def save(self, folder: Path) -> None:
        """Write everything needed to load it again, including ``predictor.json`` naming the loader."""
        ...


@dataclass
class Dataset:
    """A seeded train/validation/test split (stratified for classification) ready for an algorithm."""

    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame
    target: str
    problem_type: str  # BinaryClassification | MulticlassClassification | Regression
    classes: list[str]  # string labels in sorted order; [] for regression
    feature_columns: list[str]
    text_column: str = ""
    seed: int = 42


@dataclass
class FitResult:
    predictor: Predictor
    metrics: dict[str, float]  # on the test split: accuracy, f1_macro, ... or rmse, mae, r2
    per_class: dict[str, dict[str, float]] = field(default_factory=dict)  # class -> precision/recall/f1/support
    confusion_matrix: list[list[int]] | None = None  # rows = true class, columns = predicted, order = classes
    feature_importance: dict[str, float] = field(default_factory=dict)
    hyperparameters: dict[str, str] = field(default_factory=dict)  # the values actually used


class Algorithm(Protocol):
    name: str  # xgboost | linear-learner | text-tfidf | text-minilm | …
    framework: str

    def fit(self, data: Dataset, hyperparameters: dict[str, str], reporter: Reporter) -> FitResult: ...


def write_predictor_manifest(folder: Path, loader: str, **extra: Any) -> None:
    """``loader`` is "module:function" taking the folder and returning the Predictor."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / PREDICTOR_FILE).write_text(json.dumps({"loader": loader, **extra}, indent=2))


def load_predictor(folder: Path) -> Predictor:
    manifest = json.loads((Path(folder) / PREDICTOR_FILE).read_text())
    module_name, function_name = manifest["loader"].split(":")
    return getattr(importlib.import_module(module_name), function_name)(Path(folder))  # type: ignore[no-any-return]
