"""HYPERPARAMETER_TUNING mode: Optuna (TPE) over candidate pipelines of XGBoost, a linear learner and an
MLP, each behind the same featuriser (scaled numbers, one-hot categories, TF-IDF for long text).

Every trial is a candidate, scored on the validation split. The first trials are each algorithm with
sensible defaults, so even a small ``max_candidates`` compares all three.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from services.training.algorithms.base import Reporter
from services.training.autopilot import objectives
from services.training.autopilot.features import build_pipeline, expand_dates
from services.training.autopilot.leaderboard import CandidateResult, SearchResult, best_first
from services.training.autopilot.logs import forwarded_logs
from services.training.autopilot.objectives import Objective
from services.training.autopilot.predictors import PipelinePredictor
from services.training.autopilot.prepare import PreparedData

ALGORITHMS = ("xgboost", "linear-learner", "mlp")
HIDDEN_LAYERS = {"64": [64], "128": [128], "64-32": [64, 32], "128-64": [128, 64]}
# Cheapest first, so that even a tight budget on wide (text) data completes a candidate.
DEFAULT_TRIALS: list[dict[str, Any]] = [
    {"algorithm": "linear-learner", "linear-learner.C": 1.0},
    {"algorithm": "xgboost", "xgboost.n_estimators": 100, "xgboost.max_depth": 6, "xgboost.learning_rate": 0.15,
     "xgboost.subsample": 1.0, "xgboost.colsample_bytree": 1.0, "xgboost.min_child_weight": 1.0,
     "xgboost.reg_lambda": 1.0},
    {"algorithm": "mlp", "mlp.hidden_layer_sizes": "64", "mlp.alpha": 1e-4, "mlp.learning_rate_init": 1e-3},
]


def suggest(trial: Any) -> tuple[str, dict[str, Any]]:
    """The trial's algorithm and its hyperparameters (a conditional search space)."""
    algorithm = trial.suggest_categorical("algorithm", list(ALGORITHMS))
    if algorithm == "xgboost":
        return algorithm, {
            "n_estimators": trial.suggest_int("xgboost.n_estimators", 50, 500, log=True),
            "max_depth": trial.suggest_int("xgboost.max_depth", 2, 10),
            "learning_rate": trial.suggest_float("xgboost.learning_rate", 0.01, 0.3, log=True),
            "subsample": trial.suggest_float("xgboost.subsample", 0.5, 1.0),
            "colsample_bytree": trial.suggest_float("xgboost.colsample_bytree", 0.5, 1.0),
            "min_child_weight": trial.suggest_float("xgboost.min_child_weight", 0.5, 10.0, log=True),
            "reg_lambda": trial.suggest_float("xgboost.reg_lambda", 1e-3, 10.0, log=True),
        }
    if algorithm == "linear-learner":
        return algorithm, {"C": trial.suggest_float("linear-learner.C", 1e-3, 100.0, log=True)}
    layers = trial.suggest_categorical("mlp.hidden_layer_sizes", list(HIDDEN_LAYERS))
    return algorithm, {
        "hidden_layer_sizes": HIDDEN_LAYERS[layers],
        "alpha": trial.suggest_float("mlp.alpha", 1e-6, 1e-1, log=True),
        "learning_rate_init": trial.suggest_float("mlp.learning_rate_init", 1e-4, 1e-2, log=True),
    }


class _TrialProcess:
    """Fits candidates in a child process, so a trial that would pass the deadline can be cut off."""

    def __init__(self, search: _Search) -> None:
        import multiprocessing

        import joblib

        data = search.prepared.dataset
        inputs = search.folder / "tuning-inputs.joblib"  # a file, not the spawn pipe: large data loads faster
        joblib.dump({"train_x": search.train_x, "train_y": search.train_y, "validation_x": search.validation_x,
                     "truth": data.validation[data.target].to_numpy(), "kinds": search.prepared.kinds,
                     "classification": search.classification, "seed": data.seed, "objective": search.objective,
                     "classes": data.classes}, inputs)
        context = multiprocessing.get_context("spawn")
        self.connection, child_end = context.Pipe()
        self.process = context.Process(target=fit_trials, args=(child_end, str(inputs)), daemon=True)
        self.process.start()
        child_end.close()  # so a dead child shows as end-of-file here
        try:
            waited = self.connection.poll(max(0.0, search.deadline - time.monotonic()))
            self.ready = waited and self.connection.recv() == "ready"
        except EOFError as exc:
            raise RuntimeError(f"The tuning process could not start (exit code {self.process.exitcode}).") from exc

    def fit(self, algorithm: str, params: dict[str, Any], path: Path, timeout: float) -> tuple[str, Any]:
        """("ok", value), ("failed", reason) or ("timeout", None) when it was still running at ``timeout``."""
        if not self.ready:
            return "timeout", None
        self.connection.send((algorithm, params, str(path)))
        if not self.connection.poll(max(0.0, timeout)):
            self.close()
            return "timeout", None
        try:
            outcome, detail = self.connection.recv()
        except EOFError as exc:
            raise RuntimeError(f"The tuning process died (exit code {self.process.exitcode}).") from exc
        if outcome == "error":
            raise RuntimeError(f"A tuning candidate crashed:\n{detail}")
        return outcome, detail

    def close(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)


class _Search:
    """One tuning run: the data, the candidates so far and where the best pipeline is saved."""

    def __init__(self, prepared: PreparedData, objective: Objective, deadline: float, folder: Path,
                 reporter: Reporter) -> None:
        data = prepared.dataset
        self.prepared, self.objective, self.deadline, self.reporter = prepared, objective, deadline, reporter
        self.folder = folder
        self.classification = data.problem_type in objectives.CLASSIFICATION
        self.train_x = expand_dates(data.train[data.feature_columns], prepared.date_columns)
        self.validation_x = expand_dates(data.validation[data.feature_columns], prepared.date_columns)
        self.train_y = encode_target(data.train[data.target], data.classes)
        self.candidates: list[CandidateResult] = []
        self.best: tuple[float, str, dict[str, Any]] | None = None
        self.out_of_time = False

    def __call__(self, trial: Any, process: _TrialProcess) -> float:
        algorithm, params = suggest(trial)
        name = f"{algorithm}-{trial.number + 1:03d}"
        path = self.folder / f"{name}.joblib"
        started = time.monotonic()
        outcome, detail = process.fit(algorithm, params, path, self.deadline - started)
        seconds = time.monotonic() - started
        if outcome != "ok":
            self.out_of_time = outcome == "timeout"
            reason = "stopped at the time limit" if self.out_of_time else detail
            self.record(CandidateResult(name, algorithm, None, seconds, params, "Stopped" if self.out_of_time else "Failed"),
                        reason)
            return float("nan")
        self.record(CandidateResult(name, algorithm, float(detail), seconds, params))
        self.keep_if_best(float(detail), algorithm, params, path)
        return float(detail)

    def record(self, candidate: CandidateResult, reason: str = "") -> None:
        self.candidates.append(candidate)
        shown = reason or f"{self.objective.name} {candidate.objective_value:.5f}"
        self.reporter.log(f"Candidate {candidate.name}: {shown} ({candidate.training_seconds:.1f} s)")
        if candidate.objective_value is not None:
            self.reporter.metric(self.objective.name, candidate.objective_value, len(self.candidates))

    def keep_if_best(self, value: float, algorithm: str, params: dict[str, Any], path: Path) -> None:
        """Keep the best candidate's saved pipeline; delete the others."""
        if np.isfinite(value) and (self.best is None or objectives.is_better(self.objective, value, self.best[0])):
            if self.best is not None:
                (self.folder / self.best[1]).unlink(missing_ok=True)
            self.best = (value, path.name, {"algorithm": algorithm, "params": params})
        else:
            path.unlink(missing_ok=True)

    def stop_when_out_of_time(self, study: Any, trial: Any) -> None:
        if self.out_of_time or time.monotonic() >= self.deadline:
            study.stop()


def encode_target(target: pd.Series, classes: list[str]) -> np.ndarray:
    """Class labels as their index in ``classes`` (what XGBoost needs); regression targets as floats."""
    if not classes:
        return target.to_numpy(dtype=float)
    return target.map({label: position for position, label in enumerate(classes)}).to_numpy(dtype=int)


def fit_trials(connection: Any, inputs: str) -> None:
    """The child process: fit each (algorithm, params) it is sent, save the pipeline, answer with the score."""
    import traceback
    import warnings

    import joblib

    warnings.filterwarnings("ignore")
    job = joblib.load(inputs)
    build_pipeline("xgboost", {}, job["kinds"], job["classification"], job["seed"])  # imports, before the clock
    connection.send("ready")
    while True:
        try:
            algorithm, params, path = connection.recv()
        except EOFError:
            return
        try:
            pipeline = build_pipeline(algorithm, params, job["kinds"], job["classification"], job["seed"])
            pipeline.fit(job["train_x"], job["train_y"])
            value = validation_score(pipeline, job["validation_x"], job["truth"], job)
            joblib.dump(pipeline, path)
            connection.send(("ok", value))
        except (ValueError, ArithmeticError) as exc:  # a diverging or impossible setting fails only this trial
            connection.send(("failed", f"{type(exc).__name__}: {exc}"))
        except Exception:  # noqa: BLE001 - report a real bug to the parent, which raises it
            connection.send(("error", traceback.format_exc()))


def validation_score(pipeline: Any, validation_x: pd.DataFrame, truth: np.ndarray, job: dict[str, Any]) -> float:
    """The objective of a fitted pipeline on the validation rows."""
    if not job["classification"]:
        return objectives.score(job["objective"], truth, pipeline.predict(validation_x))
    probabilities = np.asarray(pipeline.predict_proba(validation_x), dtype=float)
    predicted = np.asarray(job["classes"], dtype=object)[probabilities.argmax(axis=1)]
    value = objectives.score(job["objective"], truth, predicted, probabilities, job["classes"])
    if not np.isfinite(value):
        raise ValueError("the objective is undefined on the validation rows")
    return value


def run_tuning(prepared: PreparedData, objective: Objective, time_limit: float, max_candidates: int, folder: Path,
               reporter: Reporter) -> SearchResult:
    """Tune with Optuna's TPE for at most ``max_candidates`` trials and ``time_limit`` seconds."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    folder.mkdir(parents=True, exist_ok=True)
    search = _Search(prepared, objective, time.monotonic() + time_limit, folder, reporter)
    direction = optuna.study.StudyDirection.MAXIMIZE if objective.greater_is_better else \
        optuna.study.StudyDirection.MINIMIZE
    sampler = optuna.samplers.TPESampler(seed=prepared.dataset.seed, n_startup_trials=min(10, max_candidates))
    study = optuna.create_study(direction=direction, sampler=sampler)
    for defaults in DEFAULT_TRIALS[:max_candidates]:
        study.enqueue_trial(defaults)
    process = _TrialProcess(search)
    try:
        with forwarded_logs(reporter, "optuna"):
            study.optimize(lambda trial: search(trial, process), n_trials=max_candidates, timeout=time_limit,
                           callbacks=[search.stop_when_out_of_time])
    finally:
        process.close()
        (folder / "tuning-inputs.joblib").unlink(missing_ok=True)
    return _result(search, prepared, objective)


def _result(search: _Search, prepared: PreparedData, objective: Objective) -> SearchResult:
    import joblib

    if search.best is None:
        raise ValueError("No tuning candidate completed in time; see the job log for each candidate.")
    _, file_name, chosen = search.best
    data = prepared.dataset
    predictor = PipelinePredictor(joblib.load(search.folder / file_name), problem_type=data.problem_type,
                                  classes=data.classes, feature_columns=data.feature_columns,
                                  date_columns=prepared.date_columns, algorithm=chosen["algorithm"])
    definition = {"engine": "sklearn", **chosen, "columns": prepared.kinds, "seed": data.seed}
    return SearchResult("HYPERPARAMETER_TUNING", best_first(search.candidates, objective), predictor, definition)
