"""Word attributions for review models (text-tfidf and text-minilm trained here on generated reviews):
``explain_text`` in process and SHAP jobs with top words, plus the errors for models without words."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from services.endpoints.serving import load_serving_model
from services.errors import InvalidInput, NotFound
from services.explain.base import ExplainRequest
from services.explain.shap_text import word_tokenizer
from services.models import DataSource
from services.registry import Services, build_services
from services.training.algorithms.base import load_predictor
from tests.helpers.data import signal_frame, tiny_reviews
from tests.helpers.models import completed, train
from tests.helpers.workspace import close_services, copy_empty_mlflow_store, settings_for_tests

NEGATIVE_REVIEW = "Terrible jacket, it fell apart after one wash and I returned it."
POSITIVE_WORDS = {"love", "gorgeous", "great", "favorite", "wonderful", "perfectly", "comfortable", "recommend", "quality"}
NEGATIVE_WORDS = {"terrible", "awful", "worst", "disappointed", "returned", "cheap", "ripped", "apart"}


@pytest.fixture(scope="module")
def workspace(seeded_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    home = tmp_path_factory.mktemp("explain-text") / "workspace"
    shutil.copytree(seeded_home, home)
    copy_empty_mlflow_store(tmp_path_factory, home)
    services = build_services(settings_for_tests(home=home, seed_on_start=False, max_heavy_jobs=1))
    yield services
    close_services(services)


@pytest.fixture(scope="module")
def reviews(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reviews") / "reviews.csv"
    tiny_reviews().drop(columns=["review_id"]).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def tfidf(workspace: Services, reviews: Path) -> str:
    return train(workspace, "text-tfidf", DataSource(path=str(reviews)), "sentiment")


@pytest.fixture(scope="module")
def minilm(workspace: Services, reviews: Path) -> str:
    return train(workspace, "text-minilm", DataSource(path=str(reviews)), "sentiment", fine_tune="false", epochs="30",
                 max_seq_length="64")


def score_of(attribution: object, label: str, word: str) -> float:
    tokens, scores = attribution.tokens, attribution.scores[label]  # type: ignore[attr-defined]
    return next(s for t, s in zip(tokens, scores) if t.strip(" ,.!").lower() == word)


def test_tokens_join_back_to_the_text() -> None:
    for text in (NEGATIVE_REVIEW, "  leading space, trailing!! ", "!!!", "one"):
        assert "".join(word_tokenizer(text)["input_ids"]) == text
    assert word_tokenizer("") == {"input_ids": [], "offset_mapping": []}


def test_a_strongly_negative_word_pushes_away_from_the_positive_class(workspace: Services, tfidf: str) -> None:
    attribution = workspace.explain.explain_text(tfidf, NEGATIVE_REVIEW)
    assert "".join(attribution.tokens) == NEGATIVE_REVIEW
    assert attribution.predicted_label == "-1" and sum(attribution.probabilities.values()) == pytest.approx(1.0)
    assert score_of(attribution, "1", "terrible") < 0 < score_of(attribution, "-1", "terrible")
    for label, scores in attribution.scores.items():  # Partition values are additive per class
        assert len(scores) == len(attribution.tokens)
        assert sum(scores) + attribution.base_values[label] == pytest.approx(attribution.probabilities[label], abs=1e-6)


def test_minilm_attributions_find_the_negative_word_too(workspace: Services, minilm: str) -> None:
    workspace.explain.explain_text(minilm, "Nice top.", max_evals=20)  # loads the model and compiles shap's helpers
    attribution = workspace.explain.explain_text(minilm, NEGATIVE_REVIEW, max_evals=120)
    assert attribution.predicted_label == "-1"
    assert score_of(attribution, "1", "terrible") < 0
    assert sum(attribution.scores["-1"]) + attribution.base_values["-1"] == pytest.approx(attribution.probabilities["-1"], abs=1e-5)


def test_text_job_lists_each_classes_top_words(workspace: Services, tfidf: str, reviews: Path) -> None:
    name = completed(workspace, ExplainRequest(model_id=tfidf, source=DataSource(path=str(reviews)), rows=40,
                                               explained_class="1"))
    explanation = workspace.explain.explanation(name)
    values, features = workspace.explain.shap_frames(name)
    assert (explanation.explainer, explanation.explained_output, explanation.rows) == ("Partition", "1", 40)
    assert list(values.columns) == list(features.columns) == ["review_body"]
    positive = {word for word, _ in explanation.top_words["1"][:5]}
    negative = {word for word, _ in explanation.top_words["-1"][:5]}
    assert positive & POSITIVE_WORDS and not positive & NEGATIVE_WORDS
    assert negative & NEGATIVE_WORDS and not negative & POSITIVE_WORDS
    probability = load_predictor(Path(workspace.training.get_model(tfidf).artifact_path)).predict_frame(features)["probability_1"]
    np.testing.assert_allclose(values["review_body"] + explanation.base_value, probability, atol=1e-6)
    assert set(explanation.importances) == {"mean_abs", "mean_sq", "median"} and explanation.global_importance


def test_a_tabular_model_has_no_word_attributions(workspace: Services, tmp_path: Path) -> None:
    data = tmp_path / "signal.csv"
    signal_frame(120).drop(columns=["amount"]).to_csv(data, index=False)
    model_id = train(workspace, "linear-learner", DataSource(path=str(data)), "label", epochs="2")
    with pytest.raises(InvalidInput, match="reads table columns, not a review text") as raised:
        workspace.explain.explain_text(model_id, NEGATIVE_REVIEW)
    assert "text-tfidf or text-minilm" in raised.value.hint


def test_a_regression_text_model_is_refused_with_a_reason(workspace: Services, tmp_path: Path) -> None:
    frame = tiny_reviews()
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"review_body": frame["review_body"] + " - bought it online last spring for the holidays",
                          "stars": (frame["sentiment"] * 2 + 3 + rng.normal(scale=0.3, size=len(frame))).round(3)})
    data = tmp_path / "stars.csv"
    frame.to_csv(data, index=False)
    model_id = train(workspace, "xgboost", DataSource(path=str(data)), "stars", num_round="5")
    with pytest.raises(InvalidInput, match="predicts a number"):
        workspace.explain.explain_text(model_id, NEGATIVE_REVIEW)


@pytest.mark.parametrize(("text", "max_evals", "fragment"), [
    ("   ", 300, "The review is empty"),
    ("word " * 2000, 300, "characters; at most"),
    (NEGATIVE_REVIEW, 1, "max_evals must be between"),
])
def test_bad_reviews_are_refused(workspace: Services, tfidf: str, text: str, max_evals: int, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        workspace.explain.explain_text(tfidf, text, max_evals)


def test_an_unknown_model_is_not_found(workspace: Services) -> None:
    with pytest.raises(NotFound, match="No model 'nope/1'"):
        workspace.explain.explain_text("nope/1", NEGATIVE_REVIEW)


@pytest.mark.parametrize("text", ["Terrible", "Terrible!!", "!!"])
def test_a_review_of_one_token_is_explained_exactly(workspace: Services, tfidf: str, text: str) -> None:
    """shap's Text masker cannot cluster one token (a one-word review raised ValueError on Explain and on Score with
    explanations); its one attribution is f(text) − f(masked), additive like the rest, in process and when served."""
    attribution = workspace.explain.explain_text(tfidf, text)
    assert attribution.tokens == (text,)
    for label, scores in attribution.scores.items():
        assert sum(scores) + attribution.base_values[label] == pytest.approx(attribution.probabilities[label], abs=1e-9)
    served = load_serving_model(workspace.training.get_model(tfidf).artifact_path).explain(text)
    assert served["tokens"] == [text]
    assert served["scores"]["-1"] == pytest.approx(list(attribution.scores["-1"]), abs=1e-9)
