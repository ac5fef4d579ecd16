"""BlazingText-style supervised text classification: word n-gram TF-IDF and a linear model.

Reads one text column (the request's ``text_column``, else the string column with the longest
average length). BlazingText's names are kept: ``word_ngrams`` (default 2: uni- and bigrams),
``min_count`` (drop n-grams seen in fewer documents), ``epochs`` (the solver's passes over the
data), ``learning_rate`` (accepted for compatibility; the L-BFGS solver needs no step size, so it
only scales the regularisation when given: C = ``C`` · ``learning_rate`` / 0.05) and ``mode``
(only ``supervised``). Added: ``class_balancing`` (weight classes inversely to their frequency,
on by default so the rare neutral class counts), ``C`` (inverse regularisation),
``sublinear_tf``, ``max_features`` and ``lowercase``. Feature importance lists the n-grams with
the largest weights.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, log_loss
from sklearn.pipeline import Pipeline

from services.errors import InvalidInput
from services.training.algorithms.base import Dataset, FitResult, Reporter
from services.training.algorithms.common import SklearnPredictor
from services.training.algorithms.dataset import class_indices
from services.training.algorithms.featurize import model_frame, text_pipeline
from services.training.algorithms.hyperparameters import Hyperparameter, hyperparameters_used, parse_hyperparameters
from services.training.algorithms.metrics import evaluate
from services.training.problem_type import REGRESSION

BLAZINGTEXT_LEARNING_RATE = 0.05
TOP_NGRAMS = 40

HYPERPARAMETERS = {
    "mode": Hyperparameter("choice", "supervised", choices=("supervised",)),
    "word_ngrams": Hyperparameter("integer", 2, minimum=1, maximum=5),
    "min_count": Hyperparameter("integer", 2, minimum=1),
    "epochs": Hyperparameter("integer", 200, minimum=1),
    "learning_rate": Hyperparameter("number", None, minimum=0, above_minimum=True),
    "class_balancing": Hyperparameter("boolean", True),
    "C": Hyperparameter("number", 2.0, minimum=0, above_minimum=True),
    "sublinear_tf": Hyperparameter("boolean", True),
    "max_features": Hyperparameter("integer", 200_000, minimum=1),
    "lowercase": Hyperparameter("boolean", True),
}


class TextTfidfAlgorithm:
    """TF-IDF over word n-grams of one text column, then multinomial logistic regression."""

    name = "text-tfidf"
    framework = "text-tfidf"

    def parse_hyperparameters(self, raw: Mapping[str, str]) -> dict[str, Any]:
        """Typed values with the defaults above; ``InvalidInput`` for unknown names or bad values."""
        return parse_hyperparameters(raw, HYPERPARAMETERS, self.name)

    def fit(self, data: Dataset, hyperparameters: dict[str, str], reporter: Reporter) -> FitResult:
        """Fit on the training split, report validation metrics, evaluate on the test split."""
        values = self.parse_hyperparameters(hyperparameters)
        _check(data)
        kinds = {data.text_column: "text"}
        pipeline = Pipeline([("features", _featurizer(data.text_column, values, len(data.train))),
                             ("model", _classifier(values, data.seed))])
        reporter.log(f"text-tfidf: {len(data.train)} training texts from column {data.text_column!r}")
        reporter.progress(0.1, "fitting")
        try:
            pipeline.fit(model_frame(data.train, kinds), class_indices(data.train[data.target], data.classes))
        except ValueError as exc:  # an empty vocabulary: no word survives min_count
            raise InvalidInput(f"No word n-gram in {data.text_column!r} is frequent enough to learn from ({exc}).",
                               hint="Lower min_count or pick the column that holds the text.") from exc
        predictor = SklearnPredictor(pipeline, data.problem_type, data.classes, kinds, self.framework)
        _report_validation(pipeline, model_frame(data.validation, kinds), data, reporter)
        metrics, per_class, confusion = evaluate(predictor, data)
        return FitResult(predictor=predictor, metrics=metrics, per_class=per_class, confusion_matrix=confusion,
                         feature_importance=top_ngrams(pipeline), hyperparameters=hyperparameters_used(values))


def _check(data: Dataset) -> None:
    if data.problem_type == REGRESSION:
        raise InvalidInput(f"text-tfidf classifies text; {data.target!r} looks like a number to predict.",
                           hint="Use a class-valued target, or xgboost / linear-learner for regression.")
    if not data.text_column:
        raise InvalidInput("The data has no text column.", hint="Name the column that holds the text (--text-column).")


def _featurizer(column: str, values: dict[str, Any], rows: int) -> ColumnTransformer:
    vectorizer = TfidfVectorizer(ngram_range=(1, values["word_ngrams"]), min_df=min(values["min_count"], max(1, rows // 10)),
                                 sublinear_tf=values["sublinear_tf"], max_features=values["max_features"],
                                 lowercase=values["lowercase"], token_pattern=r"(?u)\b\w[\w']*\b", dtype=np.float32)
    return ColumnTransformer([("text", text_pipeline(vectorizer), column)])


def _classifier(values: dict[str, Any], seed: int) -> LogisticRegression:
    strength = values["C"] * (values["learning_rate"] or BLAZINGTEXT_LEARNING_RATE) / BLAZINGTEXT_LEARNING_RATE
    return LogisticRegression(C=strength, max_iter=values["epochs"], random_state=seed,
                              class_weight="balanced" if values["class_balancing"] else None)


def _report_validation(pipeline: Pipeline, features: Any, data: Dataset, reporter: Reporter) -> None:
    truth = class_indices(data.validation[data.target], data.classes)
    proba = pipeline.predict_proba(features)
    predicted = proba.argmax(axis=1)
    reporter.metric("validation:accuracy", float(accuracy_score(truth, predicted)), 0)
    reporter.metric("validation:f1_macro", float(f1_score(truth, predicted, average="macro", zero_division=0)), 0)
    reporter.metric("validation:log_loss", float(log_loss(truth, proba, labels=np.arange(len(data.classes)))), 0)


def top_ngrams(pipeline: Pipeline, count: int = TOP_NGRAMS) -> dict[str, float]:
    """The n-grams with the largest absolute weights (averaged over classes), normalised to sum to 1."""
    vectorizer = pipeline.named_steps["features"].named_transformers_["text"].named_steps["vectorize"]
    weights = np.abs(np.atleast_2d(pipeline.named_steps["model"].coef_)).mean(axis=0)
    names = vectorizer.get_feature_names_out()
    best = np.argsort(-weights)[:count]
    total = float(weights[best].sum()) or 1.0
    return {str(names[i]): round(float(weights[i]) / total, 6) for i in best}
