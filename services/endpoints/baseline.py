"""Comparing new data with a model's training baseline (written by ``services/training/baseline.py``),
and computing the baseline of a model trained without one.

Distances: PSI on the baseline's bins, Jensen-Shannon distance on the same bins, and for numeric
columns a two-sample Kolmogorov-Smirnov statistic against the baseline's percentiles (see
``ks_statistic`` for the approximation). Text models that can embed their texts are also compared
on the embedding centroid (``compare_embedding``; the rule is described with the baseline).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from services.config import Settings
from services.endpoints.models import FeatureDrift
from services.errors import InvalidInput
from services.models import DataSource, Job, ModelRecord
from services.training.algorithms.base import load_in_app_process
from services.training.baseline import (
    BASELINE_FOLDER,
    MAX_ROWS,
    Baseline,
    bin_fractions,
    has_baseline,
    kind_values,
    label_text,
    load_baseline,
    predict_sample,
    sample_rows,
    text_embedding_statistics,
    unit_rows,
    unit_vector,
    write_baseline,
)
from services.training.data import load_frame

EPSILON = 1e-4  # stands in for an empty bin, so PSI stays finite

logger = logging.getLogger(__name__)


# -- a baseline for a model trained without one ------------------------------------------------------


def ensure_baseline(record: ModelRecord, describe_job: Callable[[str], Job], settings: Settings) -> Baseline:
    """The model's baseline, computed from its training job's source when it was trained without one."""
    if has_baseline(record.artifact_path):
        return load_baseline(record.artifact_path)
    source, text_column = training_source(describe_job, record.job_name, record.model_id)
    frame = load_frame(settings, source)
    if record.target in frame.columns:
        frame = frame[frame[record.target].notna()]
    columns = [c.name for c in record.input_schema if c.name in frame.columns]
    if not columns:
        raise InvalidInput(f"{source.label} no longer has the columns model {record.model_id} reads.",
                           hint="Compare against a source with the model's input columns.")
    sample = sample_rows(frame.reset_index(drop=True), MAX_ROWS)
    predictor = load_in_app_process(record)  # drift reports run in the app process
    embedding = text_embedding_statistics(logger.info, predictor, sample)
    return write_baseline(sample, columns, text_column, predict_sample(predictor, sample), Path(record.artifact_path) / BASELINE_FOLDER,
                          embedding)


def training_source(describe_job: Callable[[str], Job], job_name: str, model_id: str) -> tuple[DataSource, str]:
    """The data source (current version) and text column of the job that trained a model."""
    if not job_name:
        raise InvalidInput(f"Model {model_id} has no training job to take a baseline from.",
                           hint="Compare it against a table instead (pass a source).")
    config = describe_job(job_name).config
    config = config.get("base", config)  # a tuning job keeps its training request under "base"
    if not isinstance(config.get("source"), dict):
        raise InvalidInput(f"Job {job_name} did not read a table or file, so model {model_id} has no training data to summarise.",
                           hint="Compare it against a table instead (pass a source).")
    source = config["source"]
    return DataSource(table=source.get("table", ""), path=source.get("path", "")), str(config.get("text_column", ""))


def category_fractions(values: pd.Series, categories: list[str]) -> np.ndarray:
    """Shares of each known category, then of everything else (the ``other`` bin)."""
    texts = values.dropna().map(label_text)
    if texts.empty:
        return np.zeros(len(categories) + 1)
    counts = texts.value_counts()
    known = np.array([float(counts.get(c, 0)) for c in categories])
    return np.append(known, len(texts) - known.sum()) / len(texts)


# -- distances -------------------------------------------------------------------------------------------


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """Population stability index: sum of (actual - expected) * ln(actual / expected) over the bins."""
    e, a = np.clip(np.asarray(expected, float), EPSILON, None), np.clip(np.asarray(actual, float), EPSILON, None)
    return float(np.sum((a - e) * np.log(a / e)))


def js_distance(expected: np.ndarray, actual: np.ndarray) -> float:
    """Jensen-Shannon distance (base 2, so between 0 and 1) of two distributions over the same bins."""
    p, q = np.asarray(expected, float), np.asarray(actual, float)
    if p.sum() == 0 or q.sum() == 0:
        return 1.0
    p, q = p / p.sum(), q / q.sum()
    middle = (p + q) / 2
    divergence = 0.5 * _kl(p, middle) + 0.5 * _kl(q, middle)
    return float(np.sqrt(max(divergence, 0.0)))


def _kl(p: np.ndarray, q: np.ndarray) -> float:
    mask = p > 0
    return float(np.sum(p[mask] * np.log2(p[mask] / q[mask])))


def ks_statistic(numbers: np.ndarray, percentiles: list[float]) -> float:
    """Two-sample Kolmogorov-Smirnov statistic of ``numbers`` against the baseline's percentiles.

    The baseline keeps only its 101 percentiles, so its distribution function is known at those
    points and taken as linear in between (0 below the minimum, 1 above the maximum). The
    statistic is the largest gap between that curve and the new data's empirical distribution,
    checked just before and at every new value; it is exact up to about one percentile (0.01).
    """
    if not len(numbers) or not percentiles:
        return 0.0
    points, levels = _baseline_cdf(percentiles)
    values = np.sort(np.asarray(numbers, float))
    baseline = np.interp(values, points, levels, left=0.0, right=1.0)
    at_or_below = np.searchsorted(values, values, side="right") / len(values)
    below = np.searchsorted(values, values, side="left") / len(values)
    return float(max(np.max(np.abs(at_or_below - baseline)), np.max(np.abs(baseline - below))))


def _baseline_cdf(percentiles: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct percentile values and the share at or below each (a repeated value keeps its highest level)."""
    values = np.asarray(percentiles, float)
    levels = np.linspace(0.0, 1.0, len(values))
    points, last = np.unique(values[::-1], return_index=True)
    return points, levels[::-1][last]


# -- comparing new data with the baseline ---------------------------------------------------------------

DRIFT_KINDS = {"numeric": "numeric", "categorical": "categorical", "date": "numeric", "text": "text_length"}


@dataclass(frozen=True)
class Observed:
    """New values binned like the baseline: the baseline's shares, the new shares, KS, and how many values were usable."""

    expected: np.ndarray
    actual: np.ndarray
    ks: float | None
    present: int


def observe(stats: dict[str, Any], values: pd.Series) -> Observed:
    """Bin ``values`` on the baseline column's bins (top categories plus ``other`` for categorical ones)."""
    if stats["kind"] == "categorical":
        categories = list(stats["categories"])
        expected = np.append([stats["categories"][c] for c in categories], stats.get("other", 0.0))
        return Observed(expected, category_fractions(values, categories), None, int(values.notna().sum()))
    numeric = stats["word_count"] if stats["kind"] == "text" else stats
    numbers = kind_values(values, stats["kind"])
    expected = np.asarray(numeric["bin_fractions"], float)
    if not len(numbers):
        return Observed(expected, np.zeros(len(expected)), None, 0)
    return Observed(expected, bin_fractions(numbers, numeric["bin_edges"]), ks_statistic(numbers, numeric["percentiles"]),
                    len(numbers))


def column_psi(stats: dict[str, Any], values: pd.Series) -> float | None:
    """PSI of ``values`` against a baseline column (None when none of them is usable)."""
    observed = observe(stats, values)
    return psi(observed.expected, observed.actual) if observed.present else None


def compare_feature(name: str, stats: dict[str, Any], constraint: dict[str, Any], values: pd.Series,
                    thresholds: dict[str, float]) -> FeatureDrift:
    """PSI, KS and JS of one input column, with the constraints it breaks in plain words."""
    observed = observe(stats, values)
    label = f"{name} (word count)" if stats["kind"] == "text" else name
    problems = [_completeness_problem(name, constraint.get("completeness", 1.0), observed.present / max(len(values), 1),
                                      thresholds["completeness_drop"])]
    if not observed.present:
        return FeatureDrift(name, DRIFT_KINDS[stats["kind"]], None, None, None, _joined(problems))
    value = psi(observed.expected, observed.actual)
    problems += [_shift_problem(label, value, thresholds["psi"]),
                 _unseen_problem(name, values, constraint.get("known_values"), thresholds["unseen_share"])]
    return FeatureDrift(name, DRIFT_KINDS[stats["kind"]], value, observed.ks, js_distance(observed.expected, observed.actual),
                        _joined(problems))


def compare_prediction(stats: dict[str, Any], labels: pd.Series, thresholds: dict[str, float]) -> FeatureDrift | None:
    """Drift of the predicted labels (or predicted values of a regression) against training; None without predictions."""
    labels = labels.dropna()
    if labels.empty:
        return None
    if stats["kind"] == "categorical":
        labels = labels.map(label_text)
    observed = observe(stats, labels)
    if not observed.present:
        return None
    value = psi(observed.expected, observed.actual)
    problem = _shift_problem("predicted label", value, thresholds["psi"], "the model's predictions have shifted")
    return FeatureDrift("predicted_label", "prediction", value, observed.ks, js_distance(observed.expected, observed.actual),
                        problem)


def compare_embedding(stats: dict[str, Any], constraint: dict[str, Any] | None, vectors: np.ndarray) -> FeatureDrift:
    """The new texts' embeddings against the training centroid: the cosine distance of the two centroids,
    and a violation when the texts' mean cosine similarity to the training centroid is below the constraint."""
    label = f"{' + '.join(stats['columns'])} (embedding centroid)"
    units = unit_rows(vectors)
    centroid = unit_vector(np.asarray(stats["centroid"], float))
    mean_cosine = float((units @ centroid).mean())
    distance = 1.0 - float(unit_vector(units.sum(axis=0)) @ centroid)
    limit = float((constraint or {}).get("min_mean_cosine_to_centroid", stats["p05_cosine_to_centroid"]))
    problem = "" if mean_cosine >= limit else (
        f"{label}: the texts' mean cosine similarity to the training texts' centroid is {mean_cosine:.2f}, below {limit:.2f} "
        f"(the 5th percentile of training texts) — the texts differ from those the model was trained on")
    return FeatureDrift(label, "embedding", None, None, None, problem, distance=distance)


def _shift_problem(label: str, value: float, limit: float, meaning: str = "the distribution has shifted") -> str:
    return f"{label}: PSI {value:.2f} > {limit:g} — {meaning}" if value > limit else ""


def _completeness_problem(name: str, baseline: float, current: float, limit: float) -> str:
    drop = baseline - current
    if drop <= limit:
        return ""
    return (f"{name}: {current:.0%} of values are present (or of the right type) against {baseline:.0%} in training "
            f"— completeness dropped by {drop * 100:.0f} points")


def _unseen_problem(name: str, values: pd.Series, known: list[str] | None, limit: float) -> str:
    texts = values.dropna().map(label_text)
    if known is None or texts.empty:
        return ""
    unseen = texts[~texts.isin(set(known))]
    share = len(unseen) / len(texts)
    if share <= limit:
        return ""
    # no ";" in the examples: a report splits a column's problems on it
    examples = ", ".join(repr(str(v)[:30].replace(";", ",")) for v in unseen.value_counts().index[:3])
    return f"{name}: {share:.0%} of values were never seen in training (e.g. {examples})"


def _joined(problems: list[str]) -> str:
    return "; ".join(p for p in problems if p)
