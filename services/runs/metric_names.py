"""One name per metric, whatever logged it: SageMaker's objective names (``Accuracy``, ``F1macro``, ``RMSE``),
the built-in algorithms' channel metrics (``validation:accuracy``, ``validation:mlogloss``), what our jobs
log (``accuracy``, ``f1_macro``, ``test_Accuracy``) all become one canonical, lower-case name
(``accuracy``, ``f1_macro``, ``rmse``, ``log_loss`` …), so runs of every kind rank on one column.

The split a value was measured on is kept beside it ("validation", "test", "train" or "" when unknown):
Autopilot's objective values are validation-split figures (as SageMaker's ``FinalAutoMLJobObjectiveMetric``),
the built-in jobs' final metrics are test-split figures, and a channel or ``test_`` prefix says it outright.
When a run logged one metric under several names (an Autopilot job logs ``Accuracy`` and
``test_Accuracy``), the held-out figure wins: test, then validation, then unknown, then train.
Pure functions over ``RunSummary``; nothing here reads a store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.models import RunSummary

# canonical name -> its aliases, written as ``squash`` leaves them (lower case, letters and digits only)
ALIASES: dict[str, tuple[str, ...]] = {
    "accuracy": ("accuracy", "binaryclassificationaccuracy", "multiclassaccuracy"),
    "balanced_accuracy": ("balancedaccuracy",),
    "f1": ("f1", "binaryf1", "f1score"),
    "f1_macro": ("f1macro", "macrof1"),
    "f1_weighted": ("f1weighted",),
    "precision": ("precision", "binaryprecision"),
    "precision_macro": ("precisionmacro",),
    "recall": ("recall", "binaryrecall"),
    "recall_macro": ("recallmacro",),
    "auc": ("auc", "rocauc", "rocaucscore"),
    "log_loss": ("logloss", "mlogloss", "crossentropy"),
    "mse": ("mse", "meansquarederror"),
    "rmse": ("rmse", "rootmeansquarederror"),
    "mae": ("mae", "meanabsoluteerror"),
    "r2": ("r2", "rsquared"),
}
CANONICAL = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
SPLIT_PREFIXES = (("validation_", "validation"), ("val_", "validation"), ("test_", "test"), ("train_", "train"))
SPLIT_PREFERENCE = ("test", "validation", "", "train")  # which of several values of one metric a run is ranked on
BARE_SPLIT_BY_KIND = {"autopilot": "validation", "training": "test"}


@dataclass(frozen=True)
class Measured:
    """One canonical metric of a run: its value, the split it was measured on and the name it was logged as."""

    value: float
    split: str
    logged_as: str


def squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def split_name(name: str) -> tuple[str, str]:
    """(split, the metric without its split): ``validation:f1_macro`` -> ("validation", "f1_macro"),
    ``test_Accuracy`` -> ("test", "Accuracy"), ``Accuracy`` -> ("", "Accuracy")."""
    stripped = name.strip()
    if ":" in stripped:
        channel, metric = stripped.split(":", 1)
        return ("validation" if channel.lower() in ("validation", "val") else channel.lower()), metric
    for prefix, split in SPLIT_PREFIXES:
        if stripped.lower().startswith(prefix) and len(stripped) > len(prefix):
            return split, stripped[len(prefix):]
    return "", stripped


def canonical_metric(name: str) -> str:
    """The canonical name of a logged metric; a metric we do not know keeps its own name (without a split)."""
    _, metric = split_name(name)
    return CANONICAL.get(squash(metric), metric)


def metric_split(name: str, run: RunSummary) -> str:
    """The split ``name``'s value was measured on in ``run``; a bare name's split follows from the job kind."""
    return split_of(name, run.tags.get("workbench.kind", ""))


def split_of(name: str, job_kind: str) -> str:
    """The split of a metric a job of ``job_kind`` (training, autopilot, …) reported as ``name``; "" when unknown."""
    split, _ = split_name(name)
    if split:
        return split
    if canonical_metric(name) not in ALIASES:
        return ""  # a user's own metric (a script's "loss"): nothing says which split
    return BARE_SPLIT_BY_KIND.get(job_kind, "")


def metric_label(name: str, job_kind: str) -> str:
    """A job's metric as a person reads it: the name it was logged under without its split, then the split:
    ``Accuracy`` of an Autopilot job -> "Accuracy (validation)", ``test_Accuracy`` -> "Accuracy (test)"."""
    split = split_of(name, job_kind)
    _, metric = split_name(name)
    return f"{metric} ({split})" if split else name


def measured_metrics(run: RunSummary) -> dict[str, Measured]:
    """Every metric of ``run`` under its canonical name; of several values of one metric the held-out one."""
    chosen: dict[str, Measured] = {}
    for name, value in run.metrics.items():
        canonical = canonical_metric(name)
        candidate = Measured(float(value), metric_split(name, run), name)
        current = chosen.get(canonical)
        if current is None or _preferred(candidate, current):
            chosen[canonical] = candidate
    return chosen


def canonical_values(run: RunSummary) -> dict[str, float]:
    """The canonical metrics of ``run`` as name -> value."""
    return {name: measured.value for name, measured in measured_metrics(run).items()}


def _preferred(candidate: Measured, current: Measured) -> bool:
    rank = {split: place for place, split in enumerate(SPLIT_PREFERENCE)}
    return (rank.get(candidate.split, len(rank)), candidate.logged_as) < (rank.get(current.split, len(rank)),
                                                                          current.logged_as)
