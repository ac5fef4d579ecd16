"""The served text-tfidf model skips scikit-learn's per-call overhead (``serving.text_shortcut``) only when that
gives exactly the saved pipeline's probabilities; other layouts are served through the pipeline itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from services.endpoints.serving import FrameModel, load_serving_model, shortcut_parts, text_shortcut
from services.training.algorithms.common import get_algorithm
from services.training.algorithms.dataset import prepare_dataset
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
