"""The two kinds of Autopilot predictor, both honouring the Predictor contract of algorithms/base.py.

``AutoGluonPredictor`` wraps one model (often the weighted ensemble) of an AutoGluon-Tabular
predictor; ``PipelinePredictor`` wraps a tuned scikit-learn pipeline (XGBoost, linear learner, MLP).
Both expand date columns first, exactly as in training.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from services.errors import InvalidInput
from services.training.algorithms.base import PREDICTOR_FILE, write_predictor_manifest
from services.training.autopilot import transforms
from services.training.autopilot.features import expand_dates
from services.training.autopilot.objectives import REGRESSION

AUTOGLUON_FOLDER = "autogluon"
PIPELINE_FILE = "pipeline.joblib"


class _FramePredictor:
    """What both predictors share: input checks, date expansion and the output frame."""

    def __init__(self, problem_type: str, classes: list[str], feature_columns: list[str], date_columns: list[str],
                 algorithm: str) -> None:
        self.problem_type = problem_type
        self.classes = list(classes)
        self.feature_columns = list(feature_columns)
        self.date_columns = list(date_columns)
        self.algorithm = algorithm

    def features(self, frame: pd.DataFrame) -> pd.DataFrame:
        missing = [c for c in self.feature_columns if c not in frame.columns]
        if missing:
            raise InvalidInput(f"The input lacks the model's columns: {', '.join(missing[:10])}.",
                               hint="Score data with the same columns the model was trained on.")
        return expand_dates(frame[self.feature_columns], self.date_columns)

    def output(self, labels: Any, probabilities: np.ndarray | None) -> pd.DataFrame:
        out = pd.DataFrame({"predicted_label": np.asarray(labels)})
        if probabilities is not None:
            out["probability"] = probabilities.max(axis=1)
            for index, label in enumerate(self.classes):
                out[f"probability_{label}"] = probabilities[:, index]
        return out

    def manifest(self) -> dict[str, Any]:
        return {"problem_type": self.problem_type, "classes": self.classes, "feature_columns": self.feature_columns,
                "date_columns": self.date_columns, "algorithm": self.algorithm}


class PipelinePredictor(_FramePredictor):
    """A fitted scikit-learn pipeline; classifiers were fitted on class indices in ``classes`` order."""

    def __init__(self, pipeline: Any, **fields: Any) -> None:
        super().__init__(**fields)
        self.pipeline = pipeline

    def predict_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        features = self.features(frame)
        if self.problem_type == REGRESSION:
            return self.output(self.pipeline.predict(features), None)
        probabilities = np.asarray(self.pipeline.predict_proba(features), dtype=float)
        labels = np.asarray(self.classes, dtype=object)[probabilities.argmax(axis=1)]
        return self.output(labels, probabilities)

    def save(self, folder: Path) -> None:
        import joblib

        folder.mkdir(parents=True, exist_ok=True)
        joblib.dump(self.pipeline, folder / PIPELINE_FILE)
        write_predictor_manifest(folder, "autopilot-pipeline",
                                 **self.manifest())


class AutoGluonPredictor(_FramePredictor):
    """One model of an AutoGluon-Tabular predictor (``model_name``, e.g. WeightedEnsemble_L2_FULL).

    A regression model fitted on a transformed target (``target_transform``, see autopilot/transforms.py)
    has its predictions turned back into the target's units here, so callers always get those.
    """

    def __init__(self, predictor: Any, model_name: str, target_transform: str = "", **fields: Any) -> None:
        super().__init__(**fields)
        self.predictor = predictor
        self.model_name = model_name
        self.target_transform = target_transform

    def predict_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        features = self.features(frame)
        labels = self.predictor.predict(features, model=self.model_name)
        if self.problem_type == REGRESSION:
            return self.output(transforms.inverse(self.target_transform, labels.to_numpy(dtype=float)), None)
        probabilities = self.predictor.predict_proba(features, model=self.model_name)
        ordered = probabilities[self.classes].to_numpy(dtype=float)
        return self.output(labels.astype(str).to_numpy(), ordered)

    def save(self, folder: Path) -> None:
        """A deployment clone holding only this model (and what it depends on), plus the manifest."""
        folder.mkdir(parents=True, exist_ok=True)
        self.predictor.clone_for_deployment(str(folder / AUTOGLUON_FOLDER), model=self.model_name, dirs_exist_ok=True)
        write_predictor_manifest(folder, "autogluon", model_name=self.model_name,
                                 target_transform=self.target_transform, **self.manifest())


def load_pipeline_predictor(folder: Path) -> PipelinePredictor:
    """Load a saved ``PipelinePredictor``."""
    import joblib

    manifest = _manifest(folder)
    return PipelinePredictor(joblib.load(folder / PIPELINE_FILE), **manifest)


def load_autogluon_predictor(folder: Path) -> AutoGluonPredictor:
    """Load a saved ``AutoGluonPredictor``."""
    from autogluon.tabular import TabularPredictor

    manifest = _manifest(folder)
    model_name = manifest.pop("model_name")
    target_transform = manifest.pop("target_transform", "")  # models saved before transforms had none
    predictor = TabularPredictor.load(str(folder / AUTOGLUON_FOLDER), verbosity=0, require_py_version_match=False)
    return AutoGluonPredictor(predictor, model_name, target_transform, **manifest)


def _manifest(folder: Path) -> dict[str, Any]:
    manifest = json.loads((Path(folder) / PREDICTOR_FILE).read_text())
    manifest.pop("loader")
    manifest.pop("origin", None)  # "script" when a script's predictor.json named this loader
    return dict(manifest)
