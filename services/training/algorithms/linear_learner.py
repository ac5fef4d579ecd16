"""SageMaker's built-in Linear Learner: its hyperparameter names, on scikit-learn's SGD models.

Trained epoch by epoch in shuffled mini-batches (``partial_fit``), reporting
``train:objective_loss``, ``validation:objective_loss`` and the validation accuracy (or
``validation:mse``) after every epoch; like SageMaker it keeps the epoch with the best validation
loss and stops early after ``early_stopping_patience`` epochs without improvement.

Differences from SageMaker, on purpose: scikit-learn's SGD updates the weights once per example
inside a mini-batch (``mini_batch_size`` sets how the data is chunked and shuffled, not the
gradient averaging); ``learning_rate=auto`` uses scikit-learn's "optimal" schedule for classifiers
(when there is regularisation) and an inverse-scaling schedule from 0.01 otherwise; a given
``learning_rate`` is the start of an inverse-scaling schedule. Multiclass is one-vs-rest logistic.
``normalize_data`` standardises the numeric features; ``normalize_label`` (on by default for
regressors) standardises the label and undoes it at prediction time.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import SGDClassifier, SGDRegressor
from sklearn.metrics import accuracy_score, log_loss, mean_absolute_error, mean_squared_error
from sklearn.pipeline import Pipeline

from services.errors import InvalidInput
from services.training.algorithms.base import Dataset, FitResult, Reporter
from services.training.algorithms.common import SklearnPredictor
from services.training.algorithms.dataset import class_indices
from services.training.algorithms.featurize import column_importance, column_kinds, model_frame, tabular_featurizer
from services.training.algorithms.hyperparameters import Hyperparameter, hyperparameters_used, parse_hyperparameters
from services.training.algorithms.metrics import evaluate
from services.training.problem_type import BINARY, MULTICLASS, REGRESSION

PREDICTOR_TYPES = {"binary_classifier": BINARY, "multiclass_classifier": MULTICLASS, "regressor": REGRESSION}
CLASSIFIER_LOSSES = ("auto", "logistic", "softmax_loss")
REGRESSOR_LOSSES = {"auto": "squared_error", "squared_loss": "squared_error", "absolute_loss": "epsilon_insensitive",
                    "huber_loss": "huber"}
DEFAULT_WD = 1e-4

HYPERPARAMETERS = {
    "predictor_type": Hyperparameter("choice", None, choices=tuple(PREDICTOR_TYPES)),
    "epochs": Hyperparameter("integer", 15, minimum=1),
    "mini_batch_size": Hyperparameter("integer", 1000, minimum=1),
    "learning_rate": Hyperparameter("number", None, minimum=0, above_minimum=True, auto=True),
    "l1": Hyperparameter("number", None, minimum=0, auto=True),
    "wd": Hyperparameter("number", None, minimum=0, auto=True),
    "normalize_data": Hyperparameter("boolean", True),
    "normalize_label": Hyperparameter("boolean", None, auto=True),
    "loss": Hyperparameter("choice", "auto", choices=(*CLASSIFIER_LOSSES, *list(REGRESSOR_LOSSES)[1:])),
    "early_stopping_patience": Hyperparameter("integer", 3, minimum=1),
    "early_stopping_tolerance": Hyperparameter("number", 0.001, minimum=0),
    "balance_multiclass_weights": Hyperparameter("boolean", False),
    "positive_example_weight_mult": Hyperparameter("number", 1.0, minimum=0, above_minimum=True, auto=True),
    "num_classes": Hyperparameter("integer", None, minimum=3),
}


class LabelScaledRegressor(RegressorMixin, BaseEstimator):
    """A fitted regressor trained on a standardised label; predictions come back in the label's units."""

    def __init__(self, model: Any = None, mean: float = 0.0, scale: float = 1.0) -> None:
        self.model = model
        self.mean = mean
        self.scale = scale

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def fit(self, features: Any, labels: Any) -> LabelScaledRegressor:
        """Fit the wrapped model on the standardised label (training itself goes through ``partial_fit``)."""
        labels = np.asarray(labels, dtype=float)
        self.mean, self.scale = float(labels.mean()), float(labels.std()) or 1.0
        self.model.fit(features, (labels - self.mean) / self.scale)
        return self

    def predict(self, features: Any) -> np.ndarray:
        """Predictions in the label's units."""
        return np.asarray(self.model.predict(features)) * self.scale + self.mean


class LinearLearnerAlgorithm:
    """Logistic / linear regression by mini-batch SGD with L1 (``l1``) and L2 (``wd``) penalties."""

    name = "linear-learner"
    framework = "linear-learner"

    def parse_hyperparameters(self, raw: Mapping[str, str]) -> dict[str, Any]:
        """Typed values with SageMaker's defaults; ``InvalidInput`` for unknown names or bad values."""
        return parse_hyperparameters(raw, HYPERPARAMETERS, self.name)

    def problem_type_from(self, raw: Mapping[str, str]) -> str:
        """The problem type ``predictor_type`` asks for ("" when absent)."""
        predictor_type = self.parse_hyperparameters(raw)["predictor_type"]
        return PREDICTOR_TYPES[predictor_type] if predictor_type else ""

    def fit(self, data: Dataset, hyperparameters: dict[str, str], reporter: Reporter) -> FitResult:
        """Train epoch by epoch, keep the best epoch, evaluate on the test split."""
        values = _resolved(self.parse_hyperparameters(hyperparameters), data)
        kinds = column_kinds(data.train, data.feature_columns)
        featurizer = tabular_featurizer(kinds, scale_numeric=values["normalize_data"], rows=len(data.train))
        x_train = featurizer.fit_transform(model_frame(data.train, kinds))
        x_valid = featurizer.transform(model_frame(data.validation, kinds))
        y_train, y_valid, label_scale = _labels(data, values["normalize_label"])
        reporter.log(f"linear-learner: {x_train.shape[0]} training rows, {x_train.shape[1]} features")
        values["label_scale"] = label_scale[1] if label_scale else 1.0
        model = _train(_model(values, data), (x_train, y_train), (x_valid, y_valid), values, data, reporter)
        final = LabelScaledRegressor(model, *label_scale) if label_scale else model
        predictor = SklearnPredictor(Pipeline([("features", featurizer), ("model", final)]), data.problem_type,
                                     data.classes, kinds, self.framework)
        metrics, per_class, confusion = evaluate(predictor, data)
        importance = column_importance(featurizer, np.abs(np.atleast_2d(model.coef_)).mean(axis=0))
        used = hyperparameters_used({k: v for k, v in values.items() if k in HYPERPARAMETERS})
        return FitResult(predictor=predictor, metrics=metrics, per_class=per_class, confusion_matrix=confusion,
                         feature_importance=importance, hyperparameters=used)


def _resolved(values: dict[str, Any], data: Dataset) -> dict[str, Any]:
    """Fill the "auto" values and check the ones that must agree with the data."""
    wanted = values["predictor_type"]
    if wanted and PREDICTOR_TYPES[wanted] != data.problem_type:
        raise InvalidInput(f"predictor_type {wanted} does not fit a {data.problem_type} target ({data.target!r}).",
                           hint="Leave predictor_type out to infer it, or pick another target.")
    if values["num_classes"] is not None and values["num_classes"] != len(data.classes):
        raise InvalidInput(f"num_classes is {values['num_classes']} but {data.target!r} has {len(data.classes)} classes.",
                           hint="Leave num_classes out; it is inferred from the target.")
    regression = data.problem_type == REGRESSION
    if values["loss"] != "auto" and (values["loss"] in REGRESSOR_LOSSES) != regression:
        raise InvalidInput(f"loss {values['loss']} does not fit a {data.problem_type} problem.",
                           hint="Leave loss at auto, or use " + ("squared_loss, absolute_loss or huber_loss." if regression
                                                                 else "logistic (binary) or softmax_loss (multiclass)."))
    by_type = {BINARY: "binary_classifier", MULTICLASS: "multiclass_classifier", REGRESSION: "regressor"}
    return {**values, "predictor_type": by_type[data.problem_type], "l1": values["l1"] or 0.0,
            "wd": DEFAULT_WD if values["wd"] is None else values["wd"],
            "normalize_label": regression and values["normalize_label"] is not False}


def _labels(data: Dataset, normalize: bool) -> tuple[np.ndarray, np.ndarray, tuple[float, float] | None]:
    if data.problem_type != REGRESSION:
        return class_indices(data.train[data.target], data.classes), class_indices(data.validation[data.target], data.classes), None
    train, valid = data.train[data.target].to_numpy(float), data.validation[data.target].to_numpy(float)
    if not normalize:
        return train, valid, None
    mean, scale = float(train.mean()), float(train.std()) or 1.0
    return (train - mean) / scale, (valid - mean) / scale, (mean, scale)


def _model(values: dict[str, Any], data: Dataset) -> Any:
    alpha = values["l1"] + values["wd"]
    penalty = {"penalty": "elasticnet", "alpha": alpha, "l1_ratio": values["l1"] / alpha if alpha else 0.0}
    rate = values["learning_rate"]
    if data.problem_type == REGRESSION:
        schedule = {"learning_rate": "invscaling", "eta0": rate or 0.01}
        loss = REGRESSOR_LOSSES[values["loss"] if values["loss"] in REGRESSOR_LOSSES else "auto"]
        return SGDRegressor(loss=loss, epsilon=0.0 if loss == "epsilon_insensitive" else 0.1, random_state=data.seed,
                            **penalty, **schedule)
    schedule = {"learning_rate": "optimal"} if rate is None and alpha > 0 else {"learning_rate": "invscaling", "eta0": rate or 0.01}
    return SGDClassifier(loss="log_loss", random_state=data.seed, **penalty, **schedule)


def _train(model: Any, train: tuple[Any, np.ndarray], valid: tuple[Any, np.ndarray], values: dict[str, Any],
           data: Dataset, reporter: Reporter) -> Any:
    """Mini-batch epochs with per-epoch metrics; returns the model of the best validation epoch."""
    rng = np.random.default_rng(data.seed)
    weights = _sample_weights(train[1], values, data)
    best, best_loss, waited = model, np.inf, 0
    for epoch in range(values["epochs"]):
        for batch in np.array_split(rng.permutation(len(train[1])), max(1, -(-len(train[1]) // values["mini_batch_size"]))):
            _partial_fit(model, train[0][batch], train[1][batch], weights[batch], data)
        loss = _report_epoch(model, train, valid, data, reporter, epoch, values["label_scale"])
        reporter.progress((epoch + 1) / values["epochs"], f"epoch {epoch + 1} of {values['epochs']}")
        if loss < best_loss - values["early_stopping_tolerance"]:
            best, best_loss, waited = copy.deepcopy(model), loss, 0
        else:
            waited += 1
        if waited >= values["early_stopping_patience"]:
            reporter.log(f"Stopping early after epoch {epoch + 1}: no better validation loss for {waited} epochs")
            break
    return best


def _partial_fit(model: Any, features: Any, labels: np.ndarray, weights: np.ndarray, data: Dataset) -> None:
    if data.problem_type == REGRESSION:
        model.partial_fit(features, labels, sample_weight=weights)
    else:
        model.partial_fit(features, labels, classes=np.arange(len(data.classes)), sample_weight=weights)


def _sample_weights(labels: np.ndarray, values: dict[str, Any], data: Dataset) -> np.ndarray:
    weights = np.ones(len(labels))
    if data.problem_type == BINARY:
        weights[labels == 1] *= values["positive_example_weight_mult"] or 1.0
    if values["balance_multiclass_weights"] and data.problem_type != REGRESSION:
        counts = np.bincount(labels, minlength=len(data.classes)).astype(float)
        weights *= (len(labels) / (len(data.classes) * np.maximum(counts, 1)))[labels]
    return weights


def _report_epoch(model: Any, train: tuple[Any, np.ndarray], valid: tuple[Any, np.ndarray], data: Dataset,
                  reporter: Reporter, epoch: int, label_scale: float) -> float:
    """Report the epoch's losses (and validation accuracy, or mse in the label's units); return the validation loss."""
    train_loss, valid_loss = _loss(model, *train, data), _loss(model, *valid, data)
    reporter.metric("train:objective_loss", train_loss, epoch)
    reporter.metric("validation:objective_loss", valid_loss, epoch)
    if data.problem_type == REGRESSION:
        mse = float(mean_squared_error(valid[1], model.predict(valid[0]))) * label_scale**2
        reporter.metric("validation:mse", mse, epoch)
    else:
        name = "binary_classification_accuracy" if data.problem_type == BINARY else "multiclass_accuracy"
        reporter.metric(f"validation:{name}", float(accuracy_score(valid[1], model.predict(valid[0]))), epoch)
    return valid_loss


def _loss(model: Any, features: Any, labels: np.ndarray, data: Dataset) -> float:
    if data.problem_type != REGRESSION:
        return float(log_loss(labels, model.predict_proba(features), labels=np.arange(len(data.classes))))
    predicted = model.predict(features)
    if model.loss == "epsilon_insensitive":
        return float(mean_absolute_error(labels, predicted))
    return float(mean_squared_error(labels, predicted))
