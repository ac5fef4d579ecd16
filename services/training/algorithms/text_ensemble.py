"""text-minilm's combination with a TF-IDF model and its class offsets, both chosen on the validation split.

A text-minilm model may carry a ``combination`` (in its ``minilm.json`` and its ONNX manifest):

* ``tfidf_weight`` w: the final class probabilities are the normalised weighted geometric mean
  ``p ∝ p_minilm^(1-w) · p_tfidf^w`` of MiniLM's and a text-tfidf model's (saved beside it in ``tfidf/``);
  0 means MiniLM alone (and no TF-IDF model);
* ``log_offsets``: one number per class added to the log-probabilities before normalising, i.e. a move of
  the decision thresholds between classes (a class-prior adjustment: on the real reviews it takes back part of
  class balancing's push towards the rare classes, which cost precision).

``choose_combination`` picks the weight by the validation log-loss, then the offsets by validation macro-F1
(a grid search, the neighbours' mean as the score so that a lucky single point on a small split does not win);
the test split is never looked at. ``combine`` is the one function every scorer applies (the PyTorch predictor,
SHAP, the endpoint's ONNX model), so they all give the same answers. This module imports neither torch nor
scikit-learn.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

TFIDF_FOLDER = "tfidf"
WEIGHTS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
OFFSET_STEP = 0.05
OFFSET_LIMIT = 2.0
SMOOTHING = 2  # a grid point's score is the mean over it and this many neighbours on each side
SEARCH_PASSES = 3
MIN_VALIDATION_PER_CLASS = 5  # fewer validation rows of a class than this: no offsets are tuned
EPSILON = 1e-12


@dataclass(frozen=True)
class Combination:
    """How MiniLM's probabilities become the model's: ``tfidf_weight`` and one ``log_offsets`` entry per class."""

    tfidf_weight: float = 0.0
    log_offsets: list[float] = field(default_factory=list)

    def as_config(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_config(cls, config: dict[str, Any] | None) -> Combination:
        """The combination saved in a config; MiniLM alone for models saved before combinations existed."""
        config = config or {}
        return cls(float(config.get("tfidf_weight", 0.0)), [float(v) for v in config.get("log_offsets", [])])

    @property
    def uses_tfidf(self) -> bool:
        return self.tfidf_weight > 0


def combine(minilm: np.ndarray, tfidf: np.ndarray | None, combination: Combination) -> np.ndarray:
    """Class probabilities (rows sum to 1) from MiniLM's and, when the combination uses it, TF-IDF's."""
    log_p = np.log(np.clip(np.asarray(minilm, dtype=np.float64), EPSILON, None))
    if combination.uses_tfidf:
        if tfidf is None:
            raise ValueError("This combination needs the TF-IDF model's probabilities.")
        log_t = np.log(np.clip(np.asarray(tfidf, dtype=np.float64), EPSILON, None))
        log_p = (1 - combination.tfidf_weight) * log_p + combination.tfidf_weight * log_t
    if combination.log_offsets:
        log_p = log_p + np.asarray(combination.log_offsets, dtype=np.float64)
    log_p -= log_p.max(axis=1, keepdims=True)
    probabilities = np.exp(log_p)
    return probabilities / probabilities.sum(axis=1, keepdims=True)


def macro_f1(labels: np.ndarray, predicted: np.ndarray, n_classes: int) -> float:
    """Macro-averaged F1 of class indices (a class never seen nor predicted counts 0, as scikit-learn's default)."""
    confusion = np.bincount(labels * n_classes + predicted, minlength=n_classes * n_classes).reshape(n_classes, n_classes)
    hits = np.diag(confusion).astype(np.float64)
    denominators = confusion.sum(axis=0) + confusion.sum(axis=1)
    return float(np.mean(np.divide(2 * hits, denominators, out=np.zeros(n_classes), where=denominators > 0)))


def log_loss(labels: np.ndarray, probabilities: np.ndarray) -> float:
    picked = probabilities[np.arange(len(labels)), labels]
    return float(-np.log(np.clip(picked, EPSILON, None)).mean())


def choose_combination(labels: np.ndarray, minilm: np.ndarray, tfidf: np.ndarray | None,
                       tune_offsets: bool = True) -> Combination:
    """The weight (lowest validation log-loss among ``WEIGHTS``; 0 without TF-IDF probabilities) and the offsets
    (best smoothed validation macro-F1; none when ``tune_offsets`` is False or a class has too few validation rows)."""
    n_classes = minilm.shape[1]
    weight = 0.0
    if tfidf is not None and len(labels):
        weight = min(WEIGHTS, key=lambda w: log_loss(labels, combine(minilm, tfidf, Combination(w))))
    counts = np.bincount(labels, minlength=n_classes)
    if not tune_offsets or counts.min() < MIN_VALIDATION_PER_CLASS:
        return Combination(weight)
    log_p = np.log(combine(minilm, tfidf, Combination(weight)))
    return Combination(weight, tuned_offsets(labels, log_p))


def tuned_offsets(labels: np.ndarray, log_p: np.ndarray) -> list[float]:
    """Per-class log offsets that maximise the smoothed validation macro-F1 of ``argmax(log_p + offsets)``; the last
    class's stays 0 (only differences matter). Two or three classes: every point of the grid (the offsets interact: a
    coordinate search stalled at 0.69 where the grid's best gave 0.71 on the real reviews); more: a coordinate search,
    ``SEARCH_PASSES`` passes over the classes."""
    grid = np.round(np.arange(-OFFSET_LIMIT, OFFSET_LIMIT + OFFSET_STEP / 2, OFFSET_STEP), 6)
    if log_p.shape[1] <= 3:
        return _grid_offsets(labels, log_p, grid)
    return _coordinate_offsets(labels, log_p, grid)


def _grid_offsets(labels: np.ndarray, log_p: np.ndarray, grid: np.ndarray) -> list[float]:
    n_classes = log_p.shape[1]
    free = n_classes - 1
    points = np.stack(np.meshgrid(*[grid] * free, indexing="ij"), axis=-1).reshape(-1, free)
    scores = np.array([macro_f1(labels, (log_p + np.append(point, 0.0)).argmax(axis=1), n_classes) for point in points])
    smoothed = _smooth(scores.reshape([len(grid)] * free))
    return _smallest_best(smoothed.reshape(-1), points) + [0.0]


def _coordinate_offsets(labels: np.ndarray, log_p: np.ndarray, grid: np.ndarray) -> list[float]:
    n_classes = log_p.shape[1]
    offsets = np.zeros(n_classes)
    for _ in range(SEARCH_PASSES):
        for k in range(n_classes - 1):
            scores = []
            for value in grid:
                offsets[k] = value
                scores.append(macro_f1(labels, (log_p + offsets).argmax(axis=1), n_classes))
            offsets[k] = _smallest_best(_smooth(np.array(scores)), grid[:, None])[0]
    return [round(float(v), 6) for v in offsets]


def _smooth(scores: np.ndarray) -> np.ndarray:
    """Each grid point's score averaged with its neighbours within ``SMOOTHING`` steps along every axis."""
    width = 2 * SMOOTHING + 1
    padded = np.pad(scores, SMOOTHING, mode="edge")
    total = np.zeros_like(scores, dtype=np.float64)
    for shift in np.ndindex(*([width] * scores.ndim)):
        total += padded[tuple(slice(s, s + n) for s, n in zip(shift, scores.shape, strict=True))]
    return total / width ** scores.ndim


def _smallest_best(scores: np.ndarray, points: np.ndarray) -> list[float]:
    """The point with the best score (ties: the smallest shift)."""
    best = np.flatnonzero(scores >= scores.max() - 1e-12)
    chosen = points[best[np.argmin(np.abs(points[best]).sum(axis=1))]]
    return [round(float(v), 6) for v in chosen]
