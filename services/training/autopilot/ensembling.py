"""ENSEMBLING mode: AutoGluon-Tabular (the engine of Autopilot's ensembling mode) with LightGBM,
CatBoost and XGBoost, stacked by its weighted ensemble. Each model AutoGluon trains is a candidate.

Presets by budget: measured on this machine (2 cores, 120 s), ``medium_quality`` beat
``best_quality`` clearly because bagging does not fit in the time; bagging pays from ~10 minutes.
Under that, the best candidate is refit on training + validation rows when the time left allows it, and a
regression target may be fitted transformed (``transforms``, chosen on validation).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from services.training.algorithms.base import Reporter
from services.training.autopilot import objectives, transforms
from services.training.autopilot.features import expand_dates
from services.training.autopilot.leaderboard import CandidateResult, SearchResult, best_first
from services.training.autopilot.logs import forwarded_logs
from services.training.autopilot.objectives import Objective
from services.training.autopilot.predictors import AutoGluonPredictor
from services.training.autopilot.prepare import PreparedData

BAGGING_FROM_SECONDS = 600
AUTOGLUON_PROBLEM_TYPES = {objectives.BINARY: "binary", objectives.MULTICLASS: "multiclass",
                           objectives.REGRESSION: "regression"}
MODEL_NAMES = {"GBM": "LightGBM", "CAT": "CatBoost", "XGB": "XGBoost"}
# Base models in the order they are added as max_candidates grows (the weighted ensemble is one more).
BASE_MODELS: list[tuple[str, dict[str, Any]]] = [
    ("GBM", {}),
    ("CAT", {}),
    ("XGB", {}),
    # Slower learning on row and column samples: on the bike-sharing counts the best LightGBM alone (0.87 of a
    # default HistGradientBoosting's test RMSE on the square root of the target, 0.83 refit on train+validation)
    ("GBM", {"learning_rate": 0.02, "num_leaves": 63, "min_data_in_leaf": 5, "bagging_fraction": 0.8,
             "bagging_freq": 1, "feature_fraction": 0.8, "ag_args": {"name_suffix": "Bag"}}),
    ("GBM", {"extra_trees": True, "ag_args": {"name_suffix": "XT"}}),
    ("GBM", {"learning_rate": 0.03, "num_leaves": 128, "feature_fraction": 0.9, "min_data_in_leaf": 3,
             "ag_args": {"name_suffix": "Large"}}),
    ("CAT", {"depth": 8, "l2_leaf_reg": 5, "ag_args": {"name_suffix": "Deep"}}),
    ("XGB", {"max_depth": 8, "learning_rate": 0.05, "colsample_bytree": 0.7, "ag_args": {"name_suffix": "Deep"}}),
]
# For a non-negative regression target (counts, amounts): LightGBM with a Poisson loss, second in line, a
# different view for the weighted ensemble (predictions stay non-negative, errors grow with the level). On the
# bike-sharing counts alone it scored about like squared-error LightGBM (0.91 vs 0.90-0.92 of a default
# HistGradientBoosting's test RMSE). Whether the target itself is better fitted transformed (square root, log1p) is
# decided per job on validation (transforms.py).
NON_NEGATIVE_MODELS: list[tuple[str, dict[str, Any]]] = [
    ("GBM", {"objective": "poisson", "ag_args": {"name_suffix": "Poisson"}}),
]
FIT_SHARE = 0.9
REFIT_SHARE = 0.4  # of the search's seconds kept for refitting the best candidate on training + validation rows
REFIT_MARGIN = 1.2  # refit time estimate: the original fit time x (training + validation rows) / training rows
MODEL_SHARE = 2.0  # a model's time cap: this many times a fair share of the fit's time limit


def preset_for(time_limit: float) -> str:
    """AutoGluon's preset for the budget: bagging and stacking only when there is time for them."""
    return "best_quality" if time_limit >= BAGGING_FROM_SECONDS else "medium_quality"


def model_configs(max_candidates: int, non_negative_target: bool = False) -> list[tuple[str, dict[str, Any]]]:
    """The base models to train: one slot per candidate, one slot kept for the weighted ensemble. A
    non-negative regression target adds the Poisson LightGBM right after the default one."""
    models = BASE_MODELS[:1] + NON_NEGATIVE_MODELS + BASE_MODELS[1:] if non_negative_target else BASE_MODELS
    return models[: max(1, min(len(models), max_candidates - 1))]


def non_negative_target(prepared: PreparedData) -> bool:
    """A regression target with no negative value in the training rows (counts, amounts, durations)."""
    data = prepared.dataset
    return data.problem_type == objectives.REGRESSION and bool((data.train[data.target] >= 0).all())


def hyperparameters_for(configs: list[tuple[str, dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """AutoGluon's ``hyperparameters`` argument for a list of (model type, settings)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for key, settings in configs:
        grouped.setdefault(key, []).append(settings)
    return grouped


def run_ensembling(prepared: PreparedData, objective: Objective, time_limit: float, max_candidates: int,
                   folder: Path, reporter: Reporter, preset: str = "") -> SearchResult:
    """Fit AutoGluon within ``time_limit`` seconds; candidates are its models scored on the validation split.

    A regression target may be fitted transformed (chosen on validation, see transforms.py). For regression
    without bagging, the best candidate is then refit on training + validation rows when the time left allows
    it (AutoGluon's refit_full, the same models and iterations on 15 percentage points more rows); that refit
    is the model saved, its candidate keeps the validation score of the model it was refit from.
    Classifiers are not refit: AutoGluon calibrates their decision threshold (F1 and the like) on the
    validation rows for the models as fitted there.
    """
    started = time.monotonic()
    data = prepared.dataset
    transform = _target_transform(prepared, objective, reporter)
    configs = model_configs(max_candidates, non_negative_target(prepared))
    preset = preset or preset_for(time_limit)
    refits = refit_planned(data.problem_type, preset)
    fit_seconds = time_limit - (time.monotonic() - started)
    fit_seconds *= 1.0 - REFIT_SHARE if refits else 1.0
    fit_args = _fit_arguments(configs, max_candidates, fit_seconds, preset)
    reporter.log(f"AutoGluon: preset {fit_args['presets']}, models {[name_of(k, s) for k, s in configs]}, "
                 f"time limit {fit_args['time_limit']:.0f} s of {time_limit:.0f} s")
    predictor = _new_predictor(prepared, objective, folder)
    train = _frame(prepared, data.train, transform)
    validation = _frame(prepared, data.validation, transform)
    with forwarded_logs(reporter, "autogluon"):
        predictor.fit(train, tuning_data=validation, feature_generator=feature_generator(time_limit), **fit_args)
    reporter.log(f"AutoGluon: fit in {time.monotonic() - started:.1f} s")
    candidates = _candidates(predictor, prepared, objective, validation, configs, transform)
    candidates = best_first(candidates, objective)[:max_candidates]
    for step, candidate in enumerate(candidates):
        if candidate.objective_value is not None:
            reporter.metric(objective.name, candidate.objective_value, step)
    deployed = candidates[0].name
    if refits:
        deployed = _refit(predictor, deployed, time_limit - (time.monotonic() - started), reporter)
    for candidate in candidates if data.problem_type == objectives.REGRESSION else []:  # in the leaderboard, MLflow
        candidate.params["target_transform"] = transform or "none"
    candidates[0].params["saved_as"] = deployed
    best = AutoGluonPredictor(predictor, deployed, transform, problem_type=data.problem_type, classes=data.classes,
                              feature_columns=data.feature_columns, date_columns=prepared.date_columns,
                              algorithm="autogluon")
    definition = _definition(candidates[0].name, configs, fit_args, objective, prepared, transform,
                             refit=deployed != candidates[0].name)
    return SearchResult("ENSEMBLING", candidates, best, definition)


def refit_planned(problem_type: str, preset: str) -> bool:
    """Whether the best candidate is to be refit on training + validation rows (REFIT_SHARE kept for it): for
    regression without bagging (bagged models already trained on every row but their fold's)."""
    return problem_type == objectives.REGRESSION and preset != "best_quality"


def _target_transform(prepared: PreparedData, objective: Objective, reporter: Reporter) -> str:
    """The regression target's transform chosen on validation ("" for classification or when none helps)."""
    data = prepared.dataset
    if data.problem_type != objectives.REGRESSION:
        return transforms.IDENTITY
    chosen = transforms.choose_target_transform(data.train, data.validation, data.target, data.feature_columns,
                                                prepared.date_columns, objective, data.seed, reporter.log)
    reporter.log(f"Target transform: {chosen or 'none'}")
    return chosen


def _refit(predictor: Any, best: str, seconds_left: float, reporter: Reporter) -> str:
    """Refit ``best`` (and its ensemble's members) on training + validation rows when the time left holds the
    estimate (their fit time x REFIT_MARGIN); the name of the model to deploy."""
    board = predictor.leaderboard(silent=True).set_index("model")
    estimate = float(board.loc[best, "fit_time"] or 0.0) * REFIT_MARGIN
    if estimate > max(seconds_left, 0.0):
        reporter.log(f"AutoGluon: no refit of {best} on training + validation rows (about {estimate:.0f} s, "
                     f"{seconds_left:.0f} s left)")
        return best
    started = time.monotonic()
    with forwarded_logs(reporter, "autogluon"):
        # AutoGluon's best becomes the refit: clone_for_deployment keeps only it and fails to pick another best
        # among models that all lack a validation score
        refit = predictor.refit_full(model=best, set_best_to_refit_full=best)
    reporter.log(f"AutoGluon: {best} refit on training + validation rows as {refit[best]} "
                 f"in {time.monotonic() - started:.1f} s")
    return str(refit[best])


def feature_generator(time_limit: float) -> Any:
    """AutoGluon's feature pipeline; under the bagging budget with a lighter text vectorizer.

    Its default (1-3-grams, 10,000 terms) took 26 s of a 60 s budget on 13,000 reviews here and left
    LightGBM a single boosting round; unigrams (2,000 terms) take 2 s and keep most of the signal.
    """
    from autogluon.features.generators import AutoMLPipelineFeatureGenerator

    if time_limit >= BAGGING_FROM_SECONDS:
        return AutoMLPipelineFeatureGenerator(verbosity=0)
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(min_df=30, ngram_range=(1, 1), max_features=2000, dtype=np.uint8)
    return AutoMLPipelineFeatureGenerator(vectorizer=vectorizer, verbosity=0)


def name_of(key: str, settings: dict[str, Any]) -> str:
    """The model name AutoGluon gives a base model configuration (e.g. LightGBMXT)."""
    return MODEL_NAMES[key] + settings.get("ag_args", {}).get("name_suffix", "")


def _fit_arguments(configs: list[tuple[str, dict[str, Any]]], max_candidates: int, time_limit: float,
                   preset: str) -> dict[str, Any]:
    """AutoGluon's fit arguments. Its own overhead (validation data, saving) runs past its clock, so it gets
    90 % of our limit; each model gets at most MODEL_SHARE times a fair share, so one slow model cannot starve the
    rest, while the slow learners that profit from it (CatBoost) can use what the quick ones left."""
    limit = max(5.0, time_limit * FIT_SHARE)
    arguments: dict[str, Any] = {
        "time_limit": limit, "presets": preset, "hyperparameters": hyperparameters_for(configs),
        "fit_weighted_ensemble": max_candidates > 1, "dynamic_stacking": False,
        "ag_args_fit": {"max_time_limit": max(5.0, MODEL_SHARE * limit / len(configs))},
    }
    if preset == "best_quality":
        arguments["use_bag_holdout"] = True  # keep our validation split for scoring and the ensemble
    return arguments


def _new_predictor(prepared: PreparedData, objective: Objective, folder: Path) -> Any:
    from autogluon.tabular import TabularPredictor

    data = prepared.dataset
    return TabularPredictor(label=data.target, problem_type=AUTOGLUON_PROBLEM_TYPES[data.problem_type],
                            eval_metric=objective.autogluon_metric, path=str(folder), verbosity=1,
                            positive_class=prepared.positive_class or None)


def _frame(prepared: PreparedData, frame: pd.DataFrame, transform: str) -> pd.DataFrame:
    """Dates expanded, the label transformed (regression only; classification labels stay as they are)."""
    data = prepared.dataset
    features = expand_dates(frame[data.feature_columns], prepared.date_columns)
    label = frame[data.target].to_numpy()
    return features.assign(**{data.target: transforms.forward(transform, label) if transform else label})


def _candidates(predictor: Any, prepared: PreparedData, objective: Objective, validation: pd.DataFrame,
                configs: list[tuple[str, dict[str, Any]]], transform: str) -> list[CandidateResult]:
    board = predictor.leaderboard(silent=True)
    settings = {name_of(key, values): (key, values) for key, values in configs}
    results = []
    for row in board.itertuples(index=False):
        model = str(row.model)
        key, values = settings.get(base_name(model), ("ENSEMBLE", {}))
        algorithm = "weighted-ensemble" if key == "ENSEMBLE" else MODEL_NAMES[key].lower()
        value = _validation_score(predictor, model, prepared, objective, validation, transform)
        params = {"model": model, "model_type": key, **_flat(values)}
        results.append(CandidateResult(model, algorithm, value, float(row.fit_time or 0.0), params))
    return results


def base_name(model: str) -> str:
    """A model's configuration name without AutoGluon's bagging and stack-level suffixes (LightGBM_BAG_L1)."""
    return model.split("_")[0]


def _validation_score(predictor: Any, model: str, prepared: PreparedData, objective: Objective,
                      validation: pd.DataFrame, transform: str) -> float | None:
    """The objective on the validation rows, in the target's own units."""
    data = prepared.dataset
    features = validation.drop(columns=[data.target])
    truth = data.validation[data.target].to_numpy()
    predicted = predictor.predict(features, model=model).to_numpy()
    if transform:
        predicted = transforms.inverse(transform, predicted)
    probabilities = None
    if objective.needs_probabilities:
        probabilities = predictor.predict_proba(features, model=model)[data.classes].to_numpy(dtype=float)
    value = objectives.score(objective, truth, predicted, probabilities, data.classes)
    return value if np.isfinite(value) else None


def _flat(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k != "ag_args"}


def _definition(best: str, configs: list[tuple[str, dict[str, Any]]], fit_args: dict[str, Any], objective: Objective,
                prepared: PreparedData, transform: str, refit: bool) -> dict[str, Any]:
    """How to retrain the best candidate: its own base model alone, or every base model for the ensemble."""
    own = [(k, v) for k, v in configs if name_of(k, v) == base_name(best)]
    chosen = own or configs
    return {
        "engine": "autogluon", "model": best, "presets": fit_args["presets"],
        "hyperparameters": hyperparameters_for(chosen), "fit_weighted_ensemble": not own and len(chosen) > 0,
        "eval_metric": objective.autogluon_metric, "time_limit": fit_args["time_limit"],
        "ag_args_fit": fit_args["ag_args_fit"],
        "problem_type": AUTOGLUON_PROBLEM_TYPES[prepared.dataset.problem_type],
        "positive_class": prepared.positive_class or None,
        "light_text_features": fit_args["time_limit"] < BAGGING_FROM_SECONDS,
        "target_transform": transform, "refit_full": refit,
    }
