"""What the training forms offer, parsing of their free-text fields, and the target-leakage check they show."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from services.errors import InvalidInput

if TYPE_CHECKING:
    from services.models import DataSource
    from services.query.base import QueryPort

ALGORITHM_LABELS = {
    "xgboost": "XGBoost (tabular; SageMaker's built-in hyperparameters)",
    "linear-learner": "Linear learner (tabular; binary, multiclass or regression)",
    "text-tfidf": "Text: TF-IDF word n-grams + linear model (BlazingText-style)",
    "text-minilm": "Text: all-MiniLM-L6-v2 fine-tuned (or frozen with fine_tune=false)",
}
SUGGESTED_HYPERPARAMETERS = {
    "xgboost": {"num_round": "100", "max_depth": "6", "eta": "0.3", "subsample": "1", "early_stopping_rounds": "10"},
    "linear-learner": {"epochs": "15", "learning_rate": "0.01", "mini_batch_size": "100", "wd": "0", "l1": "0"},
    "text-tfidf": {"word_ngrams": "2", "class_balancing": "true", "min_count": "2"},
    "text-minilm": {"fine_tune": "true", "epochs": "2", "learning_rate": "1e-4", "batch_size": "16", "max_seq_length": "160"},
}
OBJECTIVES = {
    "BinaryClassification": ("F1", "Accuracy", "BalancedAccuracy", "AUC", "Precision", "Recall"),
    "MulticlassClassification": ("Accuracy", "F1macro", "BalancedAccuracy"),
    "Regression": ("MSE", "RMSE", "MAE", "R2"),
}
ALL_OBJECTIVES = ("Accuracy", "BalancedAccuracy", "F1", "F1macro", "AUC", "Precision", "Recall", "MSE", "RMSE", "MAE", "R2")
RANGE_TYPES = ("integer", "continuous", "categorical")


def parse_pairs(text: str, what: str = "hyperparameter") -> dict[str, str]:
    """``KEY=VALUE`` per line (blank lines and ``#`` comments ignored)."""
    pairs: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(
                f"Line {number} of the {what}s is not KEY=VALUE: {line!r}.", hint=f"Write one {what} per line, e.g. max_depth=6."
            )
        pairs[key.strip()] = value.strip()
    return pairs


def ranges_from_rows(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Tuning ranges from the form's table rows (name, type, min, max, scale, values)."""
    ranges: dict[str, dict[str, Any]] = {}
    for row in rows:
        name = str(row.get("name") or "").strip()
        if not name:
            continue
        kind = str(row.get("type") or "").strip()
        if kind == "categorical":
            values = [v.strip() for v in str(row.get("values") or "").split(",") if v.strip()]
            ranges[name] = {"type": kind, "values": values}
        else:
            ranges[name] = {"type": kind, "min": _number(row.get("min"), name), "max": _number(row.get("max"), name),
                            "scale": str(row.get("scale") or "linear").lower()}
    return ranges


def _number(value: Any, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"The range of {name!r} needs numeric min and max, got {value!r}.", hint="e.g. min 3, max 8.") from exc


# -- metric regexes (script mode's MetricDefinitions), also tried on the Jobs page --------------------

def compile_metric_regex(name: str, pattern: str) -> re.Pattern[str]:
    """A metric definition's regex; ``InvalidInput`` when it does not compile or has no capture group."""
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise InvalidInput(f"The regex of metric {name!r} is invalid: {exc}.",
                           hint=r"For example validation:accuracy=([0-9.]+)") from exc
    if compiled.groups < 1:
        raise InvalidInput(f"The regex of metric {name!r} has no capture group.",
                           hint=r"Put the value in parentheses, e.g. accuracy=([0-9.]+)")
    return compiled


def match_value(pattern: re.Pattern[str], line: str) -> float | None:
    """The metric value in ``line``: the first group of the first match, when it is a finite number."""
    found = pattern.search(line)
    if found is None or found.group(1) is None:
        return None
    try:
        value = float(found.group(1))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def test_metric_regex(pattern: str, log_text: str) -> list[tuple[int, float]]:
    """Try a metric regex against a log: ``(line number from 1, value)`` for every line it matches."""
    compiled = compile_metric_regex("under test", pattern)
    points = []
    for number, line in enumerate(log_text.splitlines(), start=1):
        value = match_value(compiled, line)
        if value is not None:
            points.append((number, value))
    return points


# -- target leakage (services/training/leakage.py) ------------------------------------------------------------------


@dataclass(frozen=True)
class LeakyFeature:
    """A feature that alone predicts the target: ``metric`` is balanced_accuracy, r2 or relabelling."""

    feature: str
    metric: str
    score: float

    @property
    def reason(self) -> str:
        if self.metric == "relabelling":
            return "each of its values is exactly one class of the target (a renamed copy)"
        what = "balanced accuracy" if self.metric == "balanced_accuracy" else "R²"
        return f"alone it predicts the target with {what} {self.score:.3f}"


@dataclass(frozen=True)
class LeakageCheck:
    """The features flagged for ``target`` on ``rows`` sample rows (``sampled``: the table has more), out of the
    first ``checked`` of the table's ``features`` (a very wide table is checked on its first columns only)."""

    target: str
    rows: int
    sampled: bool
    flagged: tuple[LeakyFeature, ...]
    checked: int = 0
    features: int = 0

    @property
    def capped(self) -> bool:
        return self.checked < self.features


def leakage_check(query: QueryPort, source: DataSource, target: str) -> LeakageCheck:
    """The features of ``source`` (a catalog table) that alone predict ``target``, on a bounded sample read through
    the query port; see services/training/leakage.py for the rule."""
    from services.training.leakage import leakage_check as check

    return check(query, source, target)
