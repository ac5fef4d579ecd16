"""The served text-tfidf model skips scikit-learn's per-call overhead (``serving.text_shortcut``, and faster the
NumPy scorer of ``tfidf_scoring``) only when that gives exactly the saved pipeline's probabilities; other layouts are
served through the pipeline itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from services.endpoints.serving import FrameModel, load_serving_model, shortcut_parts, text_shortcut
from services.endpoints.tfidf_scoring import tfidf_logistic_scorer
from services.training.algorithms.common import get_algorithm
from services.training.algorithms.dataset import prepare_dataset
from services.training.algorithms.featurize import text_pipeline
from tests.helpers.data import tiny_reviews
from tests.helpers.recording import RecordingReporter

TEXTS = ["Love it!", "Terrible, returned it the next day.", "ok", "Runs small " * 300, "Ce pull est très joli mais il gratte",
         "The fabric is soft and the fit is flattering, but the sleeves run a bit long — still 4/5 ⭐", "   spaces   around   "]


@pytest.fixture(scope="module")
def tfidf_model(tmp_path_factory: pytest.TempPathFactory) -> FrameModel:
    data = prepare_dataset(tiny_reviews(), "sentiment", text_column="review_body", seed=5)
    folder = tmp_path_factory.mktemp("tfidf") / "1"
    get_algorithm("text-tfidf").fit(data, {}, RecordingReporter()).predictor.save(folder)
    model = load_serving_model(folder)
    assert isinstance(model, FrameModel)
    return model


def test_text_tfidf_is_served_by_the_shortcut_with_the_pipelines_own_answers(tfidf_model: FrameModel) -> None:
    assert tfidf_model.shortcut is not None
    shortcut = tfidf_model.text_probabilities(TEXTS)
    np.testing.assert_array_equal(shortcut, tfidf_model.pipeline_probabilities(TEXTS))
    predictions = tfidf_model.predict(TEXTS + [{"review_body": "Love it!"}])
    assert [p["predicted_label"] for p in predictions[:-1]] == [tfidf_model.classes[i] for i in shortcut.argmax(axis=1)]
    assert predictions[-1] == predictions[0]
    assert shortcut.max() - shortcut.min() > 0.2  # a fitted model, not a uniform one


def test_text_tfidf_is_scored_in_numpy(tfidf_model: FrameModel) -> None:
    assert tfidf_model.shortcut is not None and tfidf_model.shortcut.__qualname__.startswith("tfidf_logistic_scorer")


@pytest.mark.parametrize("settings", [
    {"sublinear_tf": True, "ngram_range": (1, 2), "dtype": np.float32},  # text-tfidf's own
    {"sublinear_tf": False, "dtype": np.float32}, {"norm": None}, {"use_idf": False, "dtype": np.float64},
    {"lowercase": False, "ngram_range": (1, 3), "min_df": 2}])
@pytest.mark.parametrize("binary", [False, True])
def test_the_numpy_scorer_gives_the_pipelines_exact_probabilities(settings: dict[str, object], binary: bool) -> None:
    frame = tiny_reviews()
    labels = frame["sentiment"].astype(str).map(lambda label: label if not binary else str(label == "1"))
    texts = text_pipeline(TfidfVectorizer(**settings))  # type: ignore[arg-type]
    features = texts.fit_transform(frame["review_body"])
    classifier = LogisticRegression(max_iter=200).fit(features, labels)
    scorer = tfidf_logistic_scorer(texts, classifier)
    assert scorer is not None
    probe = TEXTS + ["", "Love it! Love it! LOVE IT!"] + list(frame["review_body"].head(40))
    np.testing.assert_array_equal(scorer(probe), classifier.predict_proba(texts.transform(pd.Series(probe, dtype=object))))
    np.testing.assert_array_equal(scorer([None])[0], scorer([""])[0])  # a missing review is an empty one


def test_settings_the_numpy_scorer_does_not_reproduce_get_none() -> None:
    frame = tiny_reviews()
    for vectorizer in (TfidfVectorizer(binary=True), TfidfVectorizer(norm="l1")):
        texts = text_pipeline(vectorizer)
        classifier = LogisticRegression().fit(texts.fit_transform(frame["review_body"]), frame["sentiment"].astype(str))
        assert tfidf_logistic_scorer(texts, classifier) is None
    texts = text_pipeline(TfidfVectorizer())
    features = texts.fit_transform(frame["review_body"])
    from sklearn.linear_model import RidgeClassifier

    assert tfidf_logistic_scorer(texts, RidgeClassifier().fit(features, frame["sentiment"].astype(str))) is None
    assert tfidf_logistic_scorer(texts.steps[1][1], LogisticRegression().fit(features, frame["sentiment"].astype(str))) is None


def test_a_shortcut_that_would_answer_differently_is_not_used(tfidf_model: FrameModel) -> None:
    changed = FrameModel(tfidf_model.predictor, tfidf_model.framework)
    changed.pipeline_probabilities = lambda texts: tfidf_model.pipeline_probabilities(texts)[:, ::-1]  # type: ignore[method-assign]
    assert text_shortcut(changed) is None


def test_other_pipeline_layouts_have_no_shortcut() -> None:
    texts, labels = ["good", "bad", "fine", "awful"], [1, 0, 1, 0]
    two_columns = ColumnTransformer([("a", CountVectorizer(), "a"), ("b", CountVectorizer(), "b")])
    assert shortcut_parts(Pipeline([("features", two_columns), ("model", LogisticRegression())]), ["a", "b"]) is None
    one_column = ColumnTransformer([("text", CountVectorizer(), "review")])
    fitted = Pipeline([("features", one_column), ("model", LogisticRegression())]).fit(pd.DataFrame({"review": texts}), labels)
    assert shortcut_parts(fitted, ["review"]) is not None
    assert shortcut_parts(fitted, ["other"]) is None  # the model reads another column than the one served
    assert shortcut_parts(fitted.steps[1][1], ["review"]) is None  # not a pipeline
    three_steps = Pipeline([("features", one_column), ("scale", "passthrough"), ("model", LogisticRegression())])
    assert shortcut_parts(three_steps, ["review"]) is None


def test_a_tabular_model_has_no_shortcut(tmp_path: Path) -> None:
    from tests.helpers.data import signal_frame

    data = prepare_dataset(signal_frame(rows=80), "label", seed=1)
    get_algorithm("linear-learner").fit(data, {}, RecordingReporter()).predictor.save(tmp_path / "m")
    model = load_serving_model(tmp_path / "m")
    assert isinstance(model, FrameModel) and not model.text_model and model.shortcut is None
    assert len(model.predict([{column: None for column in model.input_columns}])) == 1
