"""Which words moved a review: SHAP's Partition explainer with a ``shap.maskers.Text`` masker.

The masker splits a review with a word tokenizer (``WORD``): each token is a word plus the spaces and
punctuation after it (the first one also keeps whatever precedes the first word), so the tokens join
back to the exact text. A masked word becomes "..." (consecutive masked words share one), which
TF-IDF ignores and MiniLM reads as a pause. The explained function is the model's class
probabilities on a batch of masked texts; MiniLM scores them length-sorted in batches of
``MINILM_BATCH`` under ``torch.no_grad()``.

A text model is one whose only input is a free-text column: text-tfidf, text-minilm, or a tabular
algorithm trained on nothing but a review column.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from services.errors import InvalidInput
from services.models import ModelRecord
from services.training.algorithms.base import Predictor

WORD = re.compile(r"\w[\w']*")
MASK_TOKEN = "..."
MINILM_BATCH = 32  # measured: fewer padded tokens than 64, less per-call overhead than 16
MAX_TEXT_CHARS = 5000
MIN_EVALS, MAX_EVALS = 10, 5000
REGRESSION = "Regression"


def partition_values(explainer: Any, function: Callable[[list[str]], np.ndarray], text: str, outputs: int,
                     max_evals: int, batch_size: int) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """``text``'s tokens, their attributions (tokens × outputs) and the base values, from a Partition explainer over
    a ``shap.maskers.Text`` masker.

    shap's Text masker cannot cluster fewer than two tokens (a one-word review such as "Fits" raised a zero-size
    ``ValueError``); with one token the Shapley value is exact without it: f(text) − f(text masked)."""
    tokens = word_tokenizer(text)["input_ids"]
    if len(tokens) < 2:
        masked = [str(t) for t in explainer.masker(np.zeros(len(tokens), dtype=bool), text)[0]]
        full, base = (np.asarray(function(t), dtype=float).reshape(-1) for t in ([text], masked))
        values = (full - base).reshape(1, outputs) if tokens else np.zeros((0, outputs))
        return tuple(tokens), values, base
    result = explainer([text], max_evals=max_evals, batch_size=batch_size, silent=True)
    values = np.asarray(result.values[0], dtype=float).reshape(len(result.data[0]), outputs)
    return tuple(str(t) for t in result.data[0]), values, np.asarray(result.base_values[0], dtype=float).reshape(-1)


def warm_up() -> None:
    """Compile shap's numba helpers once in this process (about 5 s on this machine) so the first
    real explanation does not pay for it; call it from a background thread."""
    import shap

    def probabilities(texts: Any) -> np.ndarray:
        lengths = np.array([len(str(t)) for t in texts], dtype=float)
        return np.stack([1 / (1 + lengths), lengths / (1 + lengths)], axis=1)

    explainer = shap.Explainer(probabilities, shap.maskers.Text(word_tokenizer), algorithm="partition")
    explainer(["warm up the word explainer once"], max_evals=20, silent=True)


def warm_up_in_background() -> None:
    import threading

    threading.Thread(target=_warm_up_quietly, name="shap-warm-up", daemon=True).start()


def _warm_up_quietly() -> None:
    import contextlib

    with contextlib.suppress(Exception):  # warming up is an optimisation; the real call reports real errors
        warm_up()


@dataclass(frozen=True)
class TextScores:
    """One text's token attributions for every class."""

    tokens: tuple[str, ...]
    scores: dict[str, tuple[float, ...]]  # class -> one contribution per token
    base_values: dict[str, float]
    probabilities: dict[str, float]


def word_tokenizer(text: str, return_offsets_mapping: bool = True) -> dict[str, list[Any]]:
    """Words with what follows them, as shap's Text masker expects (``input_ids`` and ``offset_mapping``).

    A text without any word is one token; the empty text has none (shap checks both)."""
    starts = [match.start() for match in WORD.finditer(text)]
    if not starts:
        spans = [(0, len(text))] if text else []
    else:
        starts[0] = 0
        spans = list(zip(starts, [*starts[1:], len(text)]))
    result: dict[str, list[Any]] = {"input_ids": [text[start:end] for start, end in spans]}
    if return_offsets_mapping:
        result["offset_mapping"] = spans
    return result


def text_columns(predictor: Predictor) -> list[str]:
    """The text column(s) of a text model; [] for a model that reads other columns too."""
    if _is_minilm(predictor):
        # MiniLMPredictor, named rather than imported: its module loads torch
        return list(cast(Any, predictor).feature_columns)
    kinds = getattr(predictor, "kinds", None)
    if isinstance(kinds, dict) and len(kinds) == 1 and next(iter(kinds.values())) == "text":
        return list(kinds)
    return []


def require_text_classifier(predictor: Predictor, record: ModelRecord) -> list[str]:
    """The model's text column(s); ``InvalidInput`` for tabular and regression models."""
    columns = text_columns(predictor)
    if not columns:
        raise InvalidInput(f"Model {record.model_id} ({record.framework}) reads table columns, not a review text, "
                           "so it has no word attributions.",
                           hint="Pick a text-tfidf or text-minilm model, or run a SHAP job for this model's columns.")
    if record.problem_type == REGRESSION or not predictor.classes:
        raise InvalidInput(f"Model {record.model_id} predicts a number (regression), and word attributions explain "
                           "class probabilities.", hint="Pick a review classifier such as a text-tfidf or text-minilm model.")
    return columns


def check_text(text: str, max_evals: int) -> None:
    """``InvalidInput`` for an empty or huge review, or an unusable evaluation budget."""
    if not text or not text.strip():
        raise InvalidInput("The review is empty.", hint="Type or paste a review to explain.")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(f"The review has {len(text):,} characters; at most {MAX_TEXT_CHARS:,} can be explained.",
                           hint="Explain a shorter review or a part of it.")
    if not MIN_EVALS <= max_evals <= MAX_EVALS:
        raise InvalidInput(f"max_evals must be between {MIN_EVALS} and {MAX_EVALS}, got {max_evals}.",
                           hint="300 is a good default; more evaluations are slower and finer.")


def probability_function(predictor: Predictor, columns: list[str]) -> Callable[[Any], np.ndarray]:
    """Texts in, class probabilities out (rows follow ``predictor.classes``)."""
    if _is_minilm(predictor):
        return _minilm_probabilities(predictor)
    wanted = [f"probability_{label}" for label in predictor.classes]

    def probabilities(texts: Any) -> np.ndarray:
        frame = pd.DataFrame({name: list(texts) if i == 0 else [""] * len(texts) for i, name in enumerate(columns)})
        scored = predictor.predict_frame(frame)
        missing = [c for c in wanted if c not in scored.columns]
        if missing:
            raise InvalidInput("The model gives no class probabilities, so word attributions cannot be computed.",
                               hint="Explain a classifier whose predictor returns probability_<class> columns.")
        return scored[wanted].to_numpy(dtype=float)

    return probabilities


def _minilm_probabilities(predictor: Any) -> Callable[[Any], np.ndarray]:
    def probabilities(texts: Any) -> np.ndarray:  # the network combined with its TF-IDF part and offsets, if any
        return predictor.text_probabilities([str(t) for t in texts], MINILM_BATCH)  # type: ignore[no-any-return]

    return probabilities


def _is_minilm(predictor: Predictor) -> bool:
    return type(predictor).__name__ == "MiniLMPredictor"


class TextExplainer:
    """A Partition explainer over one text model, reused for many texts."""

    def __init__(self, predictor: Predictor, columns: list[str]) -> None:
        import shap

        self.classes = list(predictor.classes)
        self.function = probability_function(predictor, columns)
        masker = shap.maskers.Text(word_tokenizer, mask_token=MASK_TOKEN, collapse_mask_token=True)
        self.explainer = shap.explainers.Partition(self.function, masker, output_names=self.classes)

    def explain(self, text: str, max_evals: int) -> TextScores:
        """Token attributions of ``text`` for every class, and the model's probabilities."""
        tokens, values, base = partition_values(self.explainer, self.function, text, len(self.classes), max_evals, 64)
        probabilities = self.function([text])[0]
        return TextScores(tokens=tokens,
                          scores={label: tuple(float(v) for v in values[:, i]) for i, label in enumerate(self.classes)},
                          base_values={label: float(base[i]) for i, label in enumerate(self.classes)},
                          probabilities={label: float(probabilities[i]) for i, label in enumerate(self.classes)})


def explain_one(predictor: Predictor, record: ModelRecord, text: str, max_evals: int) -> tuple[TextScores, float]:
    """Check the request, explain ``text``; returns the scores and the seconds it took."""
    columns = require_text_classifier(predictor, record)
    check_text(text, max_evals)
    started = time.perf_counter()
    scores = TextExplainer(predictor, columns).explain(text, max_evals)
    return scores, time.perf_counter() - started


# -- many texts: the explain job --------------------------------------------------------------------


def token_words(tokens: tuple[str, ...]) -> list[str]:
    """The word of each token, lower case ("" for a token without one)."""
    words = []
    for token in tokens:
        match = WORD.search(token)
        words.append(match.group(0).lower() if match else "")
    return words


def word_contributions(explained: list[TextScores], label: str) -> dict[str, list[float]]:
    """Every occurrence's contribution to ``label``, by word."""
    found: dict[str, list[float]] = {}
    for scores in explained:
        for word, value in zip(token_words(scores.tokens), scores.scores[label]):
            if word:
                found.setdefault(word, []).append(value)
    return found


def top_words(explained: list[TextScores], classes: list[str], count: int = 15,
              min_occurrences: int = 2) -> dict[str, list[tuple[str, float]]]:
    """Per class, the words with the largest mean contribution towards it (words seen at least
    ``min_occurrences`` times, when any are)."""
    tops: dict[str, list[tuple[str, float]]] = {}
    for label in classes:
        contributions = word_contributions(explained, label)
        frequent = {w: v for w, v in contributions.items() if len(v) >= min_occurrences} or contributions
        means = sorted(((w, float(np.mean(v))) for w, v in frequent.items()), key=lambda item: -item[1])
        tops[label] = [(w, round(m, 6)) for w, m in means[:count]]
    return tops
