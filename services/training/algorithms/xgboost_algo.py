"""SageMaker's built-in XGBoost: its hyperparameter names and defaults, on the xgboost library.

``num_round`` is required by SageMaker; here it defaults to 100. The objective follows the problem
type when not given (binary:logistic, multi:softprob, reg:squarederror); ``multi:softmax`` trains
as ``multi:softprob`` so that probabilities are available. The validation metric is reported after
every round (``validation:<eval_metric>``), and ``early_stopping_rounds`` watches it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from sklearn.pipeline import Pipeline

from services.debugger.recording import collections_wanted
from services.errors import InvalidInput
from services.training.algorithms.base import Dataset, FitResult, Reporter
from services.training.algorithms.common import SklearnPredictor
from services.training.algorithms.dataset import class_indices
from services.training.algorithms.featurize import column_importance, column_kinds, model_frame, tabular_featurizer
from services.training.algorithms.hyperparameters import Hyperparameter, hyperparameters_used, parse_hyperparameters
from services.training.algorithms.metrics import evaluate
from services.training.problem_type import BINARY, MULTICLASS, REGRESSION

CLASSIFICATION_OBJECTIVES = {"binary:logistic": BINARY, "multi:softprob": MULTICLASS, "multi:softmax": MULTICLASS}
REGRESSION_OBJECTIVES = ("reg:squarederror", "reg:linear", "reg:absoluteerror", "reg:pseudohubererror",
                         "reg:squaredlogerror", "reg:gamma", "reg:tweedie", "count:poisson")
DEFAULT_OBJECTIVES = {BINARY: "binary:logistic", MULTICLASS: "multi:softprob", REGRESSION: "reg:squarederror"}
SMALL_DATA_ROWS = 20_000
EVAL_METRICS = ("rmse", "rmsle", "mae", "mape", "mphe", "logloss", "error", "merror", "mlogloss", "auc", "aucpr",
                "poisson-nloglik", "gamma-nloglik", "tweedie-nloglik")

HYPERPARAMETERS = {
    "num_round": Hyperparameter("integer", 100, minimum=1),
    "max_depth": Hyperparameter("integer", 6, minimum=0),
    "eta": Hyperparameter("number", 0.3, minimum=0, maximum=1),
    "gamma": Hyperparameter("number", 0.0, minimum=0),
    "min_child_weight": Hyperparameter("number", 1.0, minimum=0),
    "max_delta_step": Hyperparameter("number", 0.0, minimum=0),
    "subsample": Hyperparameter("number", 1.0, minimum=0, maximum=1, above_minimum=True),
    "colsample_bytree": Hyperparameter("number", 1.0, minimum=0, maximum=1, above_minimum=True),
    "colsample_bylevel": Hyperparameter("number", 1.0, minimum=0, maximum=1, above_minimum=True),
    "alpha": Hyperparameter("number", 0.0, minimum=0),
    "lambda": Hyperparameter("number", 1.0, minimum=0),
    "objective": Hyperparameter("choice", None, choices=(*CLASSIFICATION_OBJECTIVES, *REGRESSION_OBJECTIVES)),
    "eval_metric": Hyperparameter("choice", None, choices=EVAL_METRICS),
    "scale_pos_weight": Hyperparameter("number", 1.0, minimum=0, above_minimum=True),
    "early_stopping_rounds": Hyperparameter("integer", None, minimum=1),
    "tree_method": Hyperparameter("choice", "hist", choices=("auto", "exact", "approx", "hist")),
    "max_bin": Hyperparameter("integer", 256, minimum=2),
    "num_class": Hyperparameter("integer", None, minimum=2),
    "seed": Hyperparameter("integer", None, minimum=0),
}


class XGBoostAlgorithm:
    """Gradient-boosted trees on the tabular featuriser (categoricals one-hot, free text TF-IDF)."""

    name = "xgboost"
    framework = "xgboost"

    def parse_hyperparameters(self, raw: Mapping[str, str]) -> dict[str, Any]:
        """Typed values with SageMaker's defaults; ``InvalidInput`` for unknown names or bad values."""
        return parse_hyperparameters(raw, HYPERPARAMETERS, self.name)

    def problem_type_from(self, raw: Mapping[str, str]) -> str:
        """The problem type an explicit objective implies ("" when none was given)."""
        objective = self.parse_hyperparameters(raw)["objective"]
        if objective is None:
            return ""
        return CLASSIFICATION_OBJECTIVES.get(objective, REGRESSION)

    def fit(self, data: Dataset, hyperparameters: dict[str, str], reporter: Reporter) -> FitResult:
        """Train with per-round validation metrics; evaluate on the test split."""
        values = self.parse_hyperparameters(hyperparameters)
        values["objective"] = _objective(values["objective"], data)
        _check_num_class(values["num_class"], data)
        kinds = column_kinds(data.train, data.feature_columns)
        featurizer = tabular_featurizer(kinds, scale_numeric=False, rows=len(data.train))
        x_train = featurizer.fit_transform(model_frame(data.train, kinds))
        x_valid = featurizer.transform(model_frame(data.validation, kinds))
        model = _model(values, data, reporter)
        reporter.log(f"xgboost: {x_train.shape[0]} training rows, {x_train.shape[1]} features, objective {values['objective']}")
        y_train = _labels(data.train, data)
        eval_set = [(x_valid, _labels(data.validation, data))]
        if "losses" in collections_wanted():  # Debugger's loss rules compare training and validation curves
            eval_set.insert(0, (x_train, y_train))  # early stopping still watches the last set: validation
        model.fit(x_train, y_train, eval_set=eval_set, verbose=False)
        model.set_params(callbacks=None)  # the reporter cannot be saved with the model
        predictor = SklearnPredictor(Pipeline([("features", featurizer), ("model", model)]), data.problem_type,
                                     data.classes, kinds, self.framework)
        metrics, per_class, confusion = evaluate(predictor, data)
        if getattr(model, "best_iteration", None) is not None and values["early_stopping_rounds"]:
            metrics["best_iteration"] = float(model.best_iteration)
        return FitResult(predictor=predictor, metrics=metrics, per_class=per_class, confusion_matrix=confusion,
                         feature_importance=column_importance(featurizer, model.feature_importances_),
                         hyperparameters=hyperparameters_used(values))


def _objective(requested: str | None, data: Dataset) -> str:
    if requested is None:
        return DEFAULT_OBJECTIVES[data.problem_type]
    implied = CLASSIFICATION_OBJECTIVES.get(requested, REGRESSION)
    if implied != data.problem_type:
        raise InvalidInput(f"objective {requested} does not fit a {data.problem_type} target ({data.target!r}).",
                           hint=f"Use objective {DEFAULT_OBJECTIVES[data.problem_type]} or leave it out.")
    return requested


def _check_num_class(num_class: int | None, data: Dataset) -> None:
    if num_class is not None and num_class != len(data.classes):
        raise InvalidInput(f"num_class is {num_class} but the target {data.target!r} has {len(data.classes)} classes.",
                           hint="Leave num_class out; it is inferred from the target.")


def _labels(frame: Any, data: Dataset) -> Any:
    if data.problem_type == REGRESSION:
        return frame[data.target].to_numpy(dtype=float)
    return class_indices(frame[data.target], data.classes)


def _model(values: dict[str, Any], data: Dataset, reporter: Reporter) -> Any:
    import xgboost

    objective = "multi:softprob" if values["objective"] == "multi:softmax" else values["objective"]
    objective = "reg:squarederror" if objective == "reg:linear" else objective
    params = {
        "n_estimators": values["num_round"], "max_depth": values["max_depth"], "learning_rate": values["eta"],
        "gamma": values["gamma"], "min_child_weight": values["min_child_weight"], "max_delta_step": values["max_delta_step"],
        "subsample": values["subsample"], "colsample_bytree": values["colsample_bytree"],
        "colsample_bylevel": values["colsample_bylevel"], "reg_alpha": values["alpha"], "reg_lambda": values["lambda"],
        "objective": objective, "eval_metric": values["eval_metric"],
        "early_stopping_rounds": values["early_stopping_rounds"],
        "tree_method": "hist" if values["tree_method"] == "auto" else values["tree_method"], "max_bin": values["max_bin"],
        "random_state": data.seed if values["seed"] is None else values["seed"], "n_jobs": _threads(len(data.train)),
        "callbacks": [_round_reporter(xgboost, reporter, values["num_round"])],
    }
    if data.problem_type == BINARY:
        params["scale_pos_weight"] = values["scale_pos_weight"]
    return xgboost.XGBRegressor(**params) if data.problem_type == REGRESSION else xgboost.XGBClassifier(**params)


def _threads(rows: int) -> int:
    # On small data extra threads cost more in synchronisation than they save, badly so on a busy machine.
    return 1 if rows < SMALL_DATA_ROWS else min(4, os.cpu_count() or 1)


def _round_reporter(xgboost: Any, reporter: Reporter, rounds: int) -> Any:
    """An xgboost callback sending each round's validation metric(s) and the progress to ``reporter``."""

    class RoundReporter(xgboost.callback.TrainingCallback):  # type: ignore[misc,name-defined]
        def after_iteration(self, model: Any, epoch: int, evals_log: dict[str, dict[str, list[float]]]) -> bool:
            for index, curves in enumerate(evals_log.values()):
                split = "train" if index == 0 and len(evals_log) > 1 else "validation"
                for metric, points in curves.items():
                    reporter.metric(f"{split}:{metric}", float(points[-1]), epoch)
            if epoch % 10 == 0 or epoch + 1 == rounds:
                reporter.progress((epoch + 1) / rounds, f"round {epoch + 1} of {rounds}")
            return False

    return RoundReporter()
