"""The built-in algorithm registry and the saved scikit-learn predictor.

Model files written by built-in jobs name this module: older ``predictor.json`` files hold
``services.training.algorithms.common:load_sklearn_predictor`` as their loader, and pickled pipelines
with a text column refer to ``services.training.algorithms.common.fill_text``; both must keep loading.
The rest of what algorithms share is by topic: ``hyperparameters``, ``dataset`` (the split),
``featurize`` and ``metrics``; the problem type is ``services.training.problem_type``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from services.errors import BackendUnavailable, InvalidInput
from services.training.algorithms.base import Algorithm, write_predictor_manifest
from services.training.algorithms.featurize import fill_text, model_frame
from services.training.problem_type import REGRESSION

ALGORITHMS = {
    "xgboost": "services.training.algorithms.xgboost_algo:XGBoostAlgorithm",
    "linear-learner": "services.training.algorithms.linear_learner:LinearLearnerAlgorithm",
    "text-tfidf": "services.training.algorithms.text_tfidf:TextTfidfAlgorithm",
    "text-minilm": "services.training.algorithms.text_minilm:MiniLMAlgorithm",
}

SKLEARN_LOADER = "sklearn"  # in manifest.LOADERS
MODEL_FILE = "model.joblib"
PICKLED_NAMES = (fill_text,)  # pipelines pickled before the split look fill_text up here


# -- the algorithm registry -------------------------------------------------------------------


def get_algorithm(name: str) -> Algorithm:
    """A fresh instance of the built-in algorithm ``name`` (its module is imported only now)."""
    if name not in ALGORITHMS:
        raise InvalidInput(f"Unknown algorithm {name!r}.", hint=f"Use one of {', '.join(ALGORITHMS)}.")
    module_name, class_name = ALGORITHMS[name].split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise BackendUnavailable(f"The {name} algorithm is not available: {exc.name} is missing.",
                                 hint="Install the requirements with `make run`, or pick another algorithm.") from exc
    return getattr(module, class_name)()  # type: ignore[no-any-return]


def validate_hyperparameters(name: str, hyperparameters: Mapping[str, str]) -> dict[str, Any]:
    """Parse ``hyperparameters`` for algorithm ``name``; ``InvalidInput`` on unknown names or bad values.

    Algorithms that do not declare their hyperparameters (no ``parse_hyperparameters``) accept anything.
    """
    algorithm = get_algorithm(name)
    parse = getattr(algorithm, "parse_hyperparameters", None)
    return dict(parse(hyperparameters)) if parse is not None else dict(hyperparameters)


def check_hyperparameter_values(name: str, hyperparameters: Mapping[str, str]) -> None:
    """``InvalidInput`` for a value the built-in algorithm ``name`` declares but does not allow (max_depth=-1).
    Names it does not declare are left alone: SageMaker's containers accept more than the local algorithms."""
    get_algorithm(name)  # unknown names refused, the module imported
    specs = getattr(importlib.import_module(ALGORITHMS[name].split(":")[0]), "HYPERPARAMETERS", {})
    for key, raw in hyperparameters.items():
        if key in specs:
            specs[key].parse(key, raw)


def requested_problem_type(algorithm: Algorithm, hyperparameters: Mapping[str, str]) -> str:
    """The problem type the hyperparameters ask for (xgboost's objective, linear learner's
    predictor_type), or "" to infer it from the target."""
    from_hyperparameters = getattr(algorithm, "problem_type_from", None)
    return str(from_hyperparameters(hyperparameters)) if from_hyperparameters is not None else ""


# -- a saved scikit-learn pipeline as a Predictor -----------------------------------------------------


def prediction_frame(proba: np.ndarray, classes: list[str], index: pd.Index) -> pd.DataFrame:
    """``predicted_label``, ``probability`` and ``probability_<class>`` from class probabilities."""
    best = proba.argmax(axis=1)
    columns: dict[str, Any] = {"predicted_label": np.asarray(classes, dtype=object)[best],
                               "probability": proba[np.arange(len(best)), best]}
    columns |= {f"probability_{label}": proba[:, i] for i, label in enumerate(classes)}
    return pd.DataFrame(columns, index=index)


class SklearnPredictor:
    """A fitted pipeline (``model_frame`` columns in, class indices or numbers out) plus its labels.

    Classifiers are trained on positions in ``classes``, so ``predict_proba``'s columns follow it.
    """

    def __init__(self, pipeline: Any, problem_type: str, classes: list[str], kinds: Mapping[str, str],
                 framework: str) -> None:
        self.pipeline = pipeline
        self.problem_type = problem_type
        self.classes = list(classes)
        self.kinds = dict(kinds)
        self.framework = framework

    @property
    def feature_columns(self) -> list[str]:
        """The input columns the model reads."""
        return list(self.kinds)

    def predict_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """One row per input row: ``predicted_label`` (and probabilities for classifiers)."""
        inputs = model_frame(frame, self.kinds)
        if self.problem_type == REGRESSION:
            return pd.DataFrame({"predicted_label": np.asarray(self.pipeline.predict(inputs), dtype=float)}, index=frame.index)
        proba = np.asarray(self.pipeline.predict_proba(inputs), dtype=float)
        return prediction_frame(proba, self.classes, frame.index)

    def save(self, folder: Path) -> None:
        """``model.joblib`` plus ``predictor.json`` naming ``load_sklearn_predictor``."""
        folder.mkdir(parents=True, exist_ok=True)
        joblib.dump(self.pipeline, folder / MODEL_FILE)
        write_predictor_manifest(folder, SKLEARN_LOADER, problem_type=self.problem_type, classes=self.classes,
                                 columns=self.kinds, framework=self.framework)


def load_sklearn_predictor(folder: Path) -> SklearnPredictor:
    """Load what ``SklearnPredictor.save`` wrote."""
    import json

    from services.training.algorithms.base import PREDICTOR_FILE

    manifest = json.loads((folder / PREDICTOR_FILE).read_text())
    return SklearnPredictor(joblib.load(folder / MODEL_FILE), manifest["problem_type"], manifest["classes"],
                            manifest["columns"], manifest.get("framework", "sklearn"))
