"""The model-quality monitor: captured predictions joined with ground truth by ``eventId``, scored as Model Monitor does.

``statistics`` has Model Monitor's model-quality shape: ``{"version": 0.0, "dataset": {"item_count", "evaluation_time"},
"multiclass_classification_metrics" | "binary_classification_metrics" | "regression_metrics": {...}}``, every metric
``{"value", "standard_deviation"}`` and classification adding ``confusion_matrix`` {actual: {predicted: count}}
and Model Monitor's documented metric names: multiclass ``accuracy``, ``weighted_precision``, ``weighted_recall``,
``weighted_f0_5``, ``weighted_f1``, ``weighted_f2``; binary ``precision``, ``recall``, ``f0_5``, ``f1``, ``f2`` (of
the positive class, the model's second, as ``auc`` is), ``accuracy``, the four ``true/false_positive/negative_rate``
and the ``*_best_constant_classifier`` scores (a model always predicting the positive class); regression ``mae``,
``mse``, ``rmse``, ``r2``. Beside them, which Model Monitor does not write: ``macro_precision`` / ``macro_recall`` /
``macro_f1`` and ``per_class`` precision/recall/f1/support (and the weighted scores for a binary model). Not computed:
the multiclass ``*_best_constant_classifier`` scores and the binary ROC / precision-recall curves. Standard
deviations are Model Monitor's (its "Model Quality Metrics" page): the metric on ``SPREAD_SHARE`` (80 %) of the
joined rows drawn ``SPREAD_ROUNDS`` (5) times, seeded with ``SPREAD_SEED`` so a report is repeatable, and ``"NaN"``
(a string, as in its files) below ``MIN_SPREAD_ROWS`` (200) labelled predictions. Classification metrics are computed
from the confusion matrix (so a subsample costs one ``bincount``) and equal scikit-learn's (``zero_division=0``,
``labels`` = the model's classes).

``constraints`` are the baseline's — the model's training-time test metrics (``ModelRecord.metrics``) — in Model
Monitor's model-quality ``constraints.json`` layout, with Model Monitor's metric names only, so the same document
baselines a SageMaker ModelQuality job (the aws adapter uploads it): ``{"version": 0.0,
"multiclass_classification_constraints" | "binary_classification_constraints" | "regression_constraints": {metric:
{"threshold", "comparison_operator"}}}`` — multiclass accuracy and weighted_f1, binary accuracy and auc, regression
mae, mse (the training rmse squared when the model has no mse), rmse and r2. A score may fall ``tolerance``
(absolute) below its baseline (``LessThanThreshold``); an error (mae, mse, rmse: in the target's units) may rise
``tolerance`` as a share of its baseline (``GreaterThanThreshold``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from services.monitoring.inputs import MonitorInputs
from services.monitoring.models import MonitorReport, Violation
from services.training.baseline import label_text

SPREAD_ROUNDS = 5  # Model Monitor: "randomly sampling 80% of the data 5 times"
SPREAD_SHARE = 0.8
SPREAD_SEED = 0
MIN_SPREAD_ROWS = 200  # "standard deviation … provided only when at least 200 samples are available"
NO_SPREAD = "NaN"  # what Model Monitor writes for it below that
FEW_LABELS = 30  # fewer labelled predictions than this: the numbers say little
LESS, GREATER = "LessThanThreshold", "GreaterThanThreshold"
# Model Monitor's metric name -> (the training metric it is taken from, comparison operator); Model Monitor's
# binary metrics have no weighted_f1, and neither kind has macro scores.
CLASSIFICATION_BASELINE = {"accuracy": ("accuracy", LESS), "weighted_f1": ("f1_weighted", LESS)}
BINARY_BASELINE = {"accuracy": ("accuracy", LESS), "auc": ("roc_auc", LESS)}
REGRESSION_BASELINE = {"mae": ("mae", GREATER), "mse": ("mse", GREATER), "rmse": ("rmse", GREATER), "r2": ("r2", LESS)}
F_SCORES = {"f0_5": 0.5, "f1": 1.0, "f2": 2.0}  # Model Monitor's F-scores (weighted_f0_5 … for multiclass)
SECTIONS = {"BinaryClassification": ("binary_classification_metrics", "binary_classification_constraints"),
            "MulticlassClassification": ("multiclass_classification_metrics", "multiclass_classification_constraints"),
            "Regression": ("regression_metrics", "regression_constraints")}


def run(inputs: MonitorInputs) -> MonitorReport:
    """Score the labelled captured predictions against the model's baseline; Failed when none has a label."""
    constraints = baseline_constraints(inputs.model.problem_type, inputs.model.metrics, inputs.config.tolerance)
    captured = len(inputs.captured)
    joined, notes = join_ground_truth(inputs.captured, inputs.ground_truth, inputs.problem_type)
    reason = failure_reason(captured, len(joined), len(inputs.ground_truth))
    if reason:
        return MonitorReport(inputs.endpoint, "model-quality", "Failed", inputs.created_at, empty_statistics(inputs.created_at),
                             constraints, captured_count=captured, failure_reason=reason, notes=notes)
    section = SECTIONS.get(inputs.problem_type, SECTIONS["MulticlassClassification"])[0]
    if inputs.problem_type == "Regression":
        metrics, trend = regression_statistics(joined), regression_trend(joined)
    else:
        classes = class_list(inputs.model.classes, joined)
        metrics = classification_statistics(joined, classes, binary=inputs.problem_type == "BinaryClassification")
        trend = classification_trend(joined, classes)
    statistics: dict[str, Any] = {"version": 0.0, "dataset": {"item_count": len(joined), "evaluation_time": inputs.created_at},
                                  section: metrics}
    violations = check(metrics, constraints, len(joined), inputs.config.tolerance)
    notes += few_labels_note(len(joined), captured)
    return MonitorReport(inputs.endpoint, "model-quality", "CompletedWithViolations" if violations else "Completed",
                         inputs.created_at, statistics, constraints, violations, item_count=len(joined),
                         captured_count=captured, trend=trend, details={"headline": headline(metrics, len(joined))},
                         notes=notes)


def failure_reason(captured: int, labelled: int, labels: int) -> str:
    if not captured:
        return "The endpoint has no captured predictions to compare with ground truth: send it requests with data capture on."
    if not labelled:
        return (f"None of the {captured:,} captured predictions has a ground-truth label yet ({labels:,} label(s) given, "
                "none for these events): label some on the Label page or import ground truth.")
    return ""


def empty_statistics(created_at: str) -> dict[str, Any]:
    return {"version": 0.0, "dataset": {"item_count": 0, "evaluation_time": created_at}}


def few_labels_note(labelled: int, captured: int) -> tuple[str, ...]:
    if labelled >= FEW_LABELS:
        return ()
    return (f"Only {labelled} of {captured:,} captured predictions have a label: metrics on fewer than {FEW_LABELS} "
            "labelled predictions say little; label more before trusting them.",)


# -- joining -----------------------------------------------------------------------------------------------------------


def join_ground_truth(captured: pd.DataFrame, ground_truth: dict[str, str], problem_type: str
                      ) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The captured rows that have a label and a prediction: ``event_id``, ``captured_at``, ``prediction``,
    ``probability``, ``label`` (labels as text for classifiers, numbers for regression), and what was left out."""
    columns = ["event_id", "captured_at", "prediction", "probability"]
    if captured.empty or not ground_truth:
        return pd.DataFrame(columns=[*columns, "label"]), ()
    frame = captured[columns].copy()
    frame["label"] = frame["event_id"].map(ground_truth)
    frame = frame[frame["label"].notna() & frame["prediction"].notna()]
    notes: list[str] = []
    if problem_type == "Regression":
        frame["label"] = pd.to_numeric(frame["label"], errors="coerce")
        frame["prediction"] = pd.to_numeric(frame["prediction"], errors="coerce")
        kept = frame.dropna(subset=["label", "prediction"])
        if len(kept) < len(frame):
            notes.append(f"{len(frame) - len(kept)} labelled prediction(s) were left out: their label or prediction is not a number.")
        frame = kept
    else:
        frame["label"] = frame["label"].map(label_text)
        frame["prediction"] = frame["prediction"].map(label_text)
    repeated = int(frame["event_id"].duplicated().sum())
    if repeated:
        notes.append(f"{repeated} labelled prediction(s) share an event with another: a request scoring several rows "
                     "has one eventId, so its label was applied to each of them.")
    return frame.reset_index(drop=True), tuple(notes)


def class_list(model_classes: tuple[str, ...], joined: pd.DataFrame) -> list[str]:
    """The model's classes, then any other label or prediction seen (sorted)."""
    known = [label_text(c) for c in model_classes]
    seen = set(joined["label"]) | set(joined["prediction"])
    return known + sorted(seen - set(known))


# -- classification -----------------------------------------------------------------------------------------------------


def confusion_codes(joined: pd.DataFrame, classes: list[str]) -> np.ndarray:
    """Each row's cell of the confusion matrix (actual * k + predicted)."""
    index = {label: i for i, label in enumerate(classes)}
    actual = joined["label"].map(index).to_numpy(dtype=np.int64)
    predicted = joined["prediction"].map(index).to_numpy(dtype=np.int64)
    return actual * len(classes) + predicted


def confusion(codes: np.ndarray, k: int) -> np.ndarray:
    return np.bincount(codes, minlength=k * k).reshape(k, k)


def _ratio(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    return np.divide(top, bottom, out=np.zeros(len(top)), where=bottom > 0)


def per_class_scores(matrix: np.ndarray) -> dict[str, np.ndarray]:
    """Precision, recall, f1 and support of every class of a confusion matrix (rows = actual), 0 where undefined."""
    tp = np.diag(matrix).astype(float)
    support, predicted = matrix.sum(axis=1).astype(float), matrix.sum(axis=0).astype(float)
    return {"precision": _ratio(tp, predicted), "recall": _ratio(tp, support),
            "f1": _ratio(2 * tp, support + predicted), "support": support}


def f_beta(matrix: np.ndarray, beta: float) -> np.ndarray:
    """Each class's F-beta score, (1 + β²)·tp / (β²·support + predicted), 0 where undefined (as scikit-learn's)."""
    tp = np.diag(matrix).astype(float)
    square = beta * beta
    return _ratio((1 + square) * tp, square * matrix.sum(axis=1) + matrix.sum(axis=0))


def matrix_metrics(matrix: np.ndarray, positive: int | None = None) -> dict[str, float]:
    """accuracy, weighted precision/recall/f0_5/f1/f2 and macro precision/recall/f1; for a binary model (``positive``
    given) also Model Monitor's binary metrics: the positive class's precision/recall/f0_5/f1/f2, the four rates and
    the ``*_best_constant_classifier`` scores."""
    scores, n = per_class_scores(matrix), matrix.sum()
    weights = scores["support"] / n
    metrics = {"accuracy": float(np.trace(matrix) / n)}
    for name in ("precision", "recall", "f1"):
        metrics[f"macro_{name}"] = float(np.mean(scores[name]))
    for name, per_class in [("precision", scores["precision"]), ("recall", scores["recall"]),
                            *((f, f_beta(matrix, beta)) for f, beta in F_SCORES.items())]:
        metrics[f"weighted_{name}"] = float(np.sum(per_class * weights))
        if positive is not None:
            metrics[name] = float(per_class[positive])
    if positive is not None:
        metrics |= binary_rates(matrix, positive) | best_constant_classifier(matrix, positive)
    return metrics


def binary_rates(matrix: np.ndarray, positive: int) -> dict[str, float]:
    """true/false positive/negative rates of the positive class (every other class is the negative one)."""
    tp, actual, predicted, n = matrix[positive, positive], matrix[positive].sum(), matrix[:, positive].sum(), matrix.sum()
    fn, fp = actual - tp, predicted - tp
    tn = n - tp - fn - fp
    return {"true_positive_rate": _share(tp, actual), "true_negative_rate": _share(tn, n - actual),
            "false_positive_rate": _share(fp, n - actual), "false_negative_rate": _share(fn, actual)}


def _share(top: float, bottom: float) -> float:
    return float(top / bottom) if bottom else 0.0


def best_constant_classifier(matrix: np.ndarray, positive: int) -> dict[str, float]:
    """Model Monitor's ``*_best_constant_classifier`` binary metrics: the scores of a model that always predicts the
    positive class (its documented example: recall 1, precision and accuracy the positive share)."""
    constant = np.zeros_like(matrix)
    constant[:, positive] = matrix.sum(axis=1)
    scores = per_class_scores(constant)
    values = {"accuracy": float(np.trace(constant) / constant.sum()), "precision": float(scores["precision"][positive]),
              "recall": float(scores["recall"][positive])}
    values |= {name: float(f_beta(constant, beta)[positive]) for name, beta in F_SCORES.items()}
    return {f"{name}_best_constant_classifier": value for name, value in values.items()}


def classification_statistics(joined: pd.DataFrame, classes: list[str], *, binary: bool) -> dict[str, Any]:
    """The metrics block: every metric with its standard deviation, the confusion matrix and per-class scores."""
    k, codes = len(classes), confusion_codes(joined, classes)
    positive = 1 if binary and k >= 2 else None
    matrix = confusion(codes, k)
    values = matrix_metrics(matrix, positive)
    spreads = spread(len(codes), lambda idx: matrix_metrics(confusion(codes[idx], k), positive))
    block: dict[str, Any] = {name: {"value": value, "standard_deviation": spreads.get(name, NO_SPREAD)}
                             for name, value in values.items()}
    if binary:
        auc = binary_auc(joined, classes)
        if auc is not None:
            block["auc"] = auc
    block["confusion_matrix"] = {actual: {predicted: int(matrix[i, j]) for j, predicted in enumerate(classes)}
                                 for i, actual in enumerate(classes)}
    scores = per_class_scores(matrix)
    block["per_class"] = {label: {name: float(scores[name][i]) for name in scores} for i, label in enumerate(classes)}
    return block


def binary_auc(joined: pd.DataFrame, classes: list[str]) -> dict[str, Any] | None:
    """ROC AUC of the positive class (the model's second) from the captured top probability; None without both classes
    among the labels or with a prediction that carries no probability."""
    from sklearn.metrics import roc_auc_score

    probability = pd.to_numeric(joined["probability"], errors="coerce").to_numpy(dtype=float)
    truth = (joined["label"] == classes[1]).to_numpy()
    if np.isnan(probability).any() or truth.all() or not truth.any():
        return None
    score = np.where(joined["prediction"].to_numpy() == classes[1], probability, 1 - probability)
    value = float(roc_auc_score(truth, score))

    def resampled(idx: np.ndarray) -> dict[str, float]:
        picked = truth[idx]
        return {"auc": float(roc_auc_score(picked, score[idx])) if picked.any() and not picked.all() else value}

    return {"value": value, "standard_deviation": spread(len(truth), resampled).get("auc", NO_SPREAD)}


def classification_trend(joined: pd.DataFrame, classes: list[str]) -> tuple[dict[str, Any], ...]:
    """Per hour of capture: labelled predictions and their accuracy."""
    hits = (joined["label"] == joined["prediction"]).astype(float)
    return tuple({"hour": hour, "items": int(len(part)), "accuracy": float(part.mean())}
                 for hour, part in hits.groupby(hours(joined)) if hour)


def hours(joined: pd.DataFrame) -> pd.Series:
    stamps = pd.to_datetime(joined["captured_at"], utc=True, errors="coerce")
    return stamps.dt.strftime("%Y-%m-%dT%H").fillna("")


# -- regression -----------------------------------------------------------------------------------------------------------


def error_metrics(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    errors = predicted - truth
    mse = float(np.mean(errors ** 2))
    spread = float(np.sum((truth - truth.mean()) ** 2))
    r2 = 1 - float(np.sum(errors ** 2)) / spread if spread > 0 else 0.0
    return {"mae": float(np.mean(np.abs(errors))), "mse": mse, "rmse": float(np.sqrt(mse)), "r2": r2}


def regression_statistics(joined: pd.DataFrame) -> dict[str, Any]:
    truth, predicted = joined["label"].to_numpy(dtype=float), joined["prediction"].to_numpy(dtype=float)
    values = error_metrics(truth, predicted)
    spreads = spread(len(truth), lambda idx: error_metrics(truth[idx], predicted[idx]))
    return {name: {"value": value, "standard_deviation": spreads.get(name, NO_SPREAD)} for name, value in values.items()}


def regression_trend(joined: pd.DataFrame) -> tuple[dict[str, Any], ...]:
    squared = (joined["prediction"].astype(float) - joined["label"].astype(float)) ** 2
    return tuple({"hour": hour, "items": int(len(part)), "rmse": float(np.sqrt(part.mean()))}
                 for hour, part in squared.groupby(hours(joined)) if hour)


# -- standard deviations, constraints, violations --------------------------------------------------------------------


def spread(n: int, metrics: Callable[[np.ndarray], dict[str, float]]) -> dict[str, float]:
    """Each metric's standard deviation over ``SPREAD_ROUNDS`` seeded draws of ``SPREAD_SHARE`` of the n rows
    (without replacement), as Model Monitor computes it; {} below ``MIN_SPREAD_ROWS`` rows (the caller writes
    ``NO_SPREAD``)."""
    if n < MIN_SPREAD_ROWS:
        return {}
    rng = np.random.default_rng(SPREAD_SEED)
    size = int(round(n * SPREAD_SHARE))
    rounds = [metrics(rng.permutation(n)[:size]) for _ in range(SPREAD_ROUNDS)]
    return {name: float(np.std([r[name] for r in rounds], ddof=1)) for name in rounds[0]}


def baseline_constraints(problem_type: str, baseline: dict[str, float], tolerance: float) -> dict[str, Any]:
    """Model Monitor's model-quality constraints from the training-time test metrics the model has."""
    section = SECTIONS.get(problem_type, SECTIONS["MulticlassClassification"])[1]
    names = {"Regression": REGRESSION_BASELINE, "BinaryClassification": BINARY_BASELINE}.get(problem_type,
                                                                                             CLASSIFICATION_BASELINE)
    known = training_metrics(baseline)
    constraints: dict[str, Any] = {}
    for name, (source, operator) in names.items():
        if source in known:
            value = float(known[source])
            threshold = value - tolerance if operator == LESS else value * (1 + tolerance)
            constraints[name] = {"threshold": threshold, "comparison_operator": operator}
    return {"version": 0.0, section: constraints}


def training_metrics(metrics: dict[str, float]) -> dict[str, float]:
    """A model's test metrics by plain name: the workbench's own (``accuracy``), else SageMaker's final metrics
    (``test:…`` over ``validation:…``); the built-in algorithms' error rates (``merror``, ``error``) give accuracy,
    ``auc`` is ``roc_auc`` and ``rmse`` squared is ``mse`` when those are missing."""
    known: dict[str, float] = {}
    for prefix in ("validation:", "test:"):
        known |= {k[len(prefix):]: float(v) for k, v in metrics.items() if k.startswith(prefix)}
    known |= {k: float(v) for k, v in metrics.items() if ":" not in k}
    error = known.get("merror", known.get("error"))
    derived = {"accuracy": None if error is None else 1 - error, "roc_auc": known.get("auc"),
               "mse": None if "rmse" not in known else known["rmse"] ** 2}
    return known | {k: v for k, v in derived.items() if v is not None and k not in known}


def has_constraints(constraints: dict[str, Any]) -> bool:
    """Whether a constraints document constrains any metric (a model trained without test metrics has none)."""
    return any(bool(rules) for key, rules in constraints.items() if key.endswith("_constraints"))


def check(block: dict[str, Any], constraints: dict[str, Any], labelled: int, tolerance: float) -> tuple[Violation, ...]:
    """The metrics past their thresholds, in plain words."""
    rules = next(value for key, value in constraints.items() if key.endswith("_constraints"))
    found = []
    for name, rule in rules.items():
        if name not in block:
            continue
        value, threshold, operator = block[name]["value"], rule["threshold"], rule["comparison_operator"]
        if operator == LESS and value < threshold:
            words = (f"is below {threshold:.2f}: the training-time {threshold + tolerance:.2f} less the tolerance "
                     f"{tolerance:.2f}")
        elif operator == GREATER and value > threshold:
            words = (f"is above {threshold:.2f}: the training-time {threshold / (1 + tolerance):.2f} plus the tolerance "
                     f"{tolerance:.0%}")
        else:
            continue
        found.append(Violation(name, operator, f"{name} {value:.2f} on {labelled:,} labelled predictions {words}"))
    return tuple(found)


def headline(block: dict[str, Any], labelled: int) -> str:
    name = "accuracy" if "accuracy" in block else "rmse"
    return f"{name} {block[name]['value']:.2f} on {labelled:,} labelled predictions"
