"""Word attributions of a review model over many texts, for the feature-attribution drift monitor.

Per text, each word's contribution to the explained class; per word, the global attribution is the mean over
the texts of |its contribution in that text| (0 where the word is absent), as Clarify's global SHAP value is
the mean absolute SHAP value of a feature.

* **Linear** (text-tfidf and any scikit-learn pipeline of a TF-IDF vectoriser and a linear classifier): the
  exact contributions of the model's log-odds, ``x_term · coef_term`` for every n-gram of the text, measured
  from the empty text (the logit of an empty review is the base value). An n-gram's contribution is shared
  equally by its words. No sampling, so a few hundred texts take milliseconds.
* **Partition** (MiniLM and anything else): SHAP's Partition explainer over words (``services.explain.shap_text``)
  with a small evaluation budget, on at most ``PARTITION_TEXTS`` texts, each cut to its first ``MAX_TEXT_CHARS``
  characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from services.explain.shap_text import MAX_TEXT_CHARS, WORD, TextExplainer, text_columns, token_words
from services.training.algorithms.base import Predictor

PARTITION_TEXTS = 40
PARTITION_EVALS = 60


@dataclass(frozen=True)
class WordAttributions:
    """Global attribution per word, the base value, and how they were computed."""

    words: dict[str, float]
    expected_value: float
    method: str  # linear | partition
    texts: int


def word_attributions(predictor: Predictor, column: str, texts: list[str], label: str) -> WordAttributions:
    """Attributions of ``texts`` (the model's text ``column``) towards class ``label``, linear when the model
    allows it, else Partition on the first ``PARTITION_TEXTS`` texts."""
    linear = _linear_parts(predictor)
    if linear is not None:
        return _linear(predictor, linear, column, texts, label)
    return _partition(predictor, column, texts[:PARTITION_TEXTS], label)


# -- linear -----------------------------------------------------------------------------------------


def _linear_parts(predictor: Predictor) -> tuple[Any, Any, Any] | None:
    """(featuriser, vectoriser, classifier) of a TF-IDF + linear pipeline, else None."""
    pipeline = getattr(predictor, "pipeline", None)
    steps = getattr(pipeline, "named_steps", {})
    featurizer, model = steps.get("features"), steps.get("model")
    if featurizer is None or model is None or not (hasattr(model, "coef_") and hasattr(model, "intercept_")):
        return None
    transformers = getattr(featurizer, "named_transformers_", {})
    if len(transformers) != 1:
        return None
    text = next(iter(transformers.values()))
    vectorizer = getattr(text, "named_steps", {}).get("vectorize")
    if vectorizer is None or not hasattr(vectorizer, "get_feature_names_out"):
        return None
    if np.atleast_2d(model.coef_).shape[1] != len(vectorizer.get_feature_names_out()):  # other features beside the words
        return None
    return featurizer, vectorizer, model


def _linear(predictor: Predictor, parts: tuple[Any, Any, Any], column: str, texts: list[str],
            label: str) -> WordAttributions:
    import pandas as pd
    from scipy import sparse

    from services.training.algorithms.featurize import model_frame

    featurizer, vectorizer, model = parts
    kinds = dict(getattr(predictor, "kinds", {column: "text"}))
    matrix = sparse.csr_matrix(featurizer.transform(model_frame(pd.DataFrame({column: texts}), kinds)))
    coefficients, intercept = _class_weights(model, list(predictor.classes), label)
    words, term_to_word = _term_words(vectorizer.get_feature_names_out())
    per_word = sparse.csr_matrix(matrix.multiply(coefficients.reshape(1, -1))) @ term_to_word
    means = np.asarray(abs(per_word).mean(axis=0)).ravel() if len(texts) else np.zeros(len(words))
    return WordAttributions({word: float(value) for word, value in zip(words, means) if value > 0},
                            float(intercept), "linear", len(texts))


def _class_weights(model: Any, classes: list[str], label: str) -> tuple[np.ndarray, float]:
    """The coefficient row and intercept of ``label``'s log-odds."""
    coef = np.atleast_2d(np.asarray(model.coef_, dtype=float))
    intercept = np.atleast_1d(np.asarray(model.intercept_, dtype=float))
    index = classes.index(label)
    if coef.shape[0] == 1:  # binary: one row, the log-odds of the second class
        sign = 1.0 if index == 1 else -1.0
        return sign * coef[0], sign * float(intercept[0])
    return coef[index], float(intercept[index])


def _term_words(terms: Any) -> tuple[list[str], Any]:
    """The distinct words of the n-grams, and the (terms × words) matrix sharing each n-gram among its words."""
    from scipy import sparse

    words: dict[str, int] = {}
    rows, columns, shares = [], [], []
    for row, term in enumerate(terms):
        parts = [w.lower() for w in WORD.findall(str(term))] or [str(term)]
        for word in parts:
            rows.append(row)
            columns.append(words.setdefault(word, len(words)))
            shares.append(1.0 / len(parts))
    matrix = sparse.csr_matrix((shares, (rows, columns)), shape=(len(terms), len(words)))
    return list(words), matrix


# -- partition --------------------------------------------------------------------------------------


def _partition(predictor: Predictor, column: str, texts: list[str], label: str) -> WordAttributions:
    explainer = TextExplainer(predictor, text_columns(predictor) or [column])
    totals: dict[str, float] = {}
    bases = []
    for text in texts:
        if not text.strip():
            continue
        scores = explainer.explain(text[:MAX_TEXT_CHARS], PARTITION_EVALS)
        bases.append(scores.base_values[label])
        in_text: dict[str, float] = {}
        for word, value in zip(token_words(scores.tokens), scores.scores[label]):
            if word:
                in_text[word] = in_text.get(word, 0.0) + value
        for word, value in in_text.items():
            totals[word] = totals.get(word, 0.0) + abs(value)
    count = max(len(texts), 1)
    return WordAttributions({word: total / count for word, total in totals.items()},
                            float(np.mean(bases)) if bases else 0.0, "partition", len(texts))
