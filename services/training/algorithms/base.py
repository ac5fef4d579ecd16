"""The contract between jobs and learning code: prepared data in, a saved predictor and metrics out.

Every algorithm (built-ins, Autopilot candidates) returns a ``Predictor``; the registry stores its
folder; batch transform, the explain page and endpoints load it back with ``load_predictor``.

``predictor.json`` names its loader by name, one of ``LOADERS``: a file never chooses which code runs.
Files written before loaders had names hold a ``module:function``; it is read only when it is one of
ours. Models a user's script produced (``framework="script"``, the ``script-*`` loaders, or a manifest
marked ``"origin": "script"``) are unpickled only in a separate process, a job or an endpoint server:
``load_predictor`` refuses them unless its caller passes ``allow_user_code=True``, which only jobs and the
endpoint server do. Built-in models (written by our own training jobs into the workspace) load in the
app process too: their files hold only what our code wrote there, as trusted as the workspace itself.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from services.errors import InvalidInput
from services.models import ModelRecord
from services.training.algorithms.manifest import LOADERS, PREDICTOR_FILE, loader_name

SCRIPT_LOADERS = frozenset({"script-joblib", "script-unscorable"})
SCRIPT_ORIGIN = "script"
IN_PROCESS_HINT = "Score it through an endpoint (Deploy) or a batch transform job; both load it in a process of its own."


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
    # The predicted class of each validation row, in order, when the fit computed them anyway (text-minilm, for its
    # combination): Debugger's ClassImbalance records these instead of scoring the split again.
    validation_predictions: list[str] | None = None


class Algorithm(Protocol):
    name: str  # xgboost | linear-learner | text-tfidf | text-minilm | …
    framework: str

    def fit(self, data: Dataset, hyperparameters: dict[str, str], reporter: Reporter) -> FitResult: ...


def write_predictor_manifest(folder: Path, loader: str, **extra: Any) -> None:
    """``loader`` is the name of one of ``LOADERS`` (a function taking the folder and returning the Predictor)."""
    loader_name({"loader": loader})
    folder.mkdir(parents=True, exist_ok=True)
    (folder / PREDICTOR_FILE).write_text(json.dumps({"loader": loader, **extra}, indent=2))


def read_manifest(folder: Path) -> dict[str, Any]:
    """``predictor.json`` of a saved model; ``InvalidInput`` when the folder holds none that can be read."""
    path = Path(folder) / PREDICTOR_FILE
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise InvalidInput(f"{folder} holds no saved model ({PREDICTOR_FILE} is missing).",
                           hint="Point at a model version folder, <home>/models/<name>/<version>/.") from exc
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"{path} cannot be read: {exc}.", hint="Register the model again.") from exc
    if not isinstance(manifest, dict):
        raise InvalidInput(f"{path} is not a JSON object.", hint="Register the model again.")
    return manifest


def made_by_a_script(manifest: Mapping[str, Any]) -> bool:
    """Whether the model's files came from a user's script (loading them runs the user's code)."""
    return loader_name(manifest) in SCRIPT_LOADERS or manifest.get("origin") == SCRIPT_ORIGIN


def load_predictor(folder: Path, *, allow_user_code: bool = False) -> Predictor:
    """The Predictor saved in ``folder``, by its manifest's loader. A script's model is refused unless
    ``allow_user_code`` (a job or an endpoint server, never the app process: see the module docstring)."""
    manifest = read_manifest(folder)
    name = loader_name(manifest)
    if not allow_user_code and made_by_a_script(manifest):
        raise refused_in_app(str(folder))
    module_name, function_name = LOADERS[name].split(":")
    return getattr(importlib.import_module(module_name), function_name)(Path(folder))  # type: ignore[no-any-return]


def load_in_app_process(record: ModelRecord) -> Predictor:
    """A registered model, for code running in the app's own process: never one a script produced."""
    if record.framework == SCRIPT_ORIGIN:
        raise refused_in_app(f"Model {record.model_id}")
    return load_predictor(Path(record.artifact_path))


def refused_in_app(what: str) -> InvalidInput:
    return InvalidInput(f"{what} was trained by a script: loading it runs that script's code, so the app does not "
                        "load it in its own process.", hint=IN_PROCESS_HINT)
