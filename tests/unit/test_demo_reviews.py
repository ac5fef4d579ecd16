"""Tests for the synthetic clothing-review generator."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from services.demo.demo_reviews import CLASSES_BY_DEPARTMENT, COLUMNS, generate_reviews

REAL_REVIEWS = Path(__file__).resolve().parents[3] / "shared" / "data" / "womens_clothing_ecommerce_reviews.csv"

EXPECTED_DTYPES = {
    "Clothing ID": "int64",
    "Age": "int64",
    "Title": "object",
    "Review Text": "object",
    "Rating": "int64",
    "Recommended IND": "int64",
    "Positive Feedback Count": "int64",
    "Division Name": "object",
    "Department Name": "object",
    "Class Name": "object",
}

# Measured with seed 42 on the real file: macro-F1 0.613 (negative 0.562,
# neutral 0.376, positive 0.902), accuracy 0.792, binary accuracy 0.928; the
# generator before issue 15's richer wording reached 0.585.  Thresholds sit a
# little lower so noise passes but a regression in the wording does not.
MIN_MACRO_F1 = 0.59
MIN_ACCURACY = 0.75
MIN_BINARY_ACCURACY = 0.88


@pytest.fixture(scope="module")
def reviews() -> pd.DataFrame:
    """The default 20,000-row frame, generated once for the module."""
    return generate_reviews()


def test_columns_and_dtypes(reviews: pd.DataFrame) -> None:
    assert list(reviews.columns) == list(COLUMNS)
    assert {col: str(dtype) for col, dtype in reviews.dtypes.items()} == EXPECTED_DTYPES
    assert len(reviews) == 20_000
    assert len(generate_reviews(n_rows=123, seed=1)) == 123


def test_same_seed_is_identical_and_other_seed_differs() -> None:
    first = generate_reviews(n_rows=2_000, seed=7)
    pd.testing.assert_frame_equal(first, generate_reviews(n_rows=2_000, seed=7))
    assert not first.equals(generate_reviews(n_rows=2_000, seed=8))


def test_rating_shares(reviews: pd.DataFrame) -> None:
    shares = reviews["Rating"].value_counts(normalize=True)
    expected = {5: 0.56, 4: 0.22, 3: 0.12, 2: 0.07, 1: 0.035}
    for rating, share in expected.items():
        assert shares[rating] == pytest.approx(share, abs=0.015)
    assert set(reviews["Rating"]) == {1, 2, 3, 4, 5}


def test_missing_text_shares(reviews: pd.DataFrame) -> None:
    assert reviews["Title"].isna().mean() == pytest.approx(0.16, abs=0.02)
    assert reviews["Review Text"].isna().mean() == pytest.approx(0.035, abs=0.01)
    # A review without text has no title either, as in the real set.
    assert reviews.loc[reviews["Review Text"].isna(), "Title"].isna().all()


def test_division_and_department(reviews: pd.DataFrame) -> None:
    divisions = reviews["Division Name"].value_counts(normalize=True)
    assert divisions["General"] == pytest.approx(0.59, abs=0.03)
    assert divisions["General Petite"] == pytest.approx(0.35, abs=0.03)
    assert divisions["Initmates"] == pytest.approx(0.06, abs=0.02)
    initmates = reviews[reviews["Division Name"] == "Initmates"]
    assert (initmates["Department Name"] == "Intimate").all()
    departments = reviews["Department Name"].value_counts(normalize=True)
    assert departments["Tops"] == pytest.approx(0.45, abs=0.03)
    assert departments["Dresses"] == pytest.approx(0.27, abs=0.03)


def test_class_matches_department(reviews: pd.DataFrame) -> None:
    allowed = {dept: {name for name, _ in pairs} for dept, pairs in CLASSES_BY_DEPARTMENT.items()}
    for dept, classes in reviews.groupby("Department Name")["Class Name"]:
        assert set(classes) <= allowed[str(dept)]
    # Each product belongs to exactly one class.
    assert reviews.groupby("Clothing ID")["Class Name"].nunique().max() == 1


def test_recommendation_follows_rating(reviews: pd.DataFrame) -> None:
    rate = reviews.groupby("Rating")["Recommended IND"].mean()
    assert rate[5] > 0.97 and rate[4] > 0.9
    assert 0.3 < rate[3] < 0.5
    assert rate[2] < 0.2 and rate[1] < 0.08
    assert set(reviews["Recommended IND"]) == {0, 1}


def test_age_and_feedback_shapes(reviews: pd.DataFrame) -> None:
    assert reviews["Age"].between(18, 99).all()
    assert 38 <= reviews["Age"].median() <= 44
    feedback = reviews["Positive Feedback Count"]
    assert feedback.median() <= 2 and feedback.quantile(0.75) <= 4
    assert feedback.max() >= 50


def test_text_is_varied_and_sized(reviews: pd.DataFrame) -> None:
    texts = reviews["Review Text"].dropna()
    assert texts.nunique() > 0.9 * len(texts)
    words = texts.str.split().str.len()
    assert words.quantile(0.01) >= 8 and words.max() <= 130
    title_words = reviews["Title"].dropna().str.split().str.len()
    assert title_words.between(2, 6).all()


def sentiment(ratings: pd.Series) -> np.ndarray:
    """-1 for 1-2 stars, 0 for 3, 1 for 4-5."""
    values = ratings.to_numpy()
    return np.where(values <= 2, -1, np.where(values == 3, 0, 1))


def review_text(frame: pd.DataFrame) -> pd.Series:
    """Title and body joined, missing parts treated as empty."""
    return frame["Title"].fillna("") + " " + frame["Review Text"].fillna("")


def load_real_reviews() -> pd.DataFrame:
    """The real data set, skipping locally (failing on CI) when it is absent."""
    if not REAL_REVIEWS.exists():
        reason = f"real review data not found at {REAL_REVIEWS}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    real = pd.read_csv(REAL_REVIEWS)
    return real[real["Review Text"].notna()]


def test_model_trained_on_synthetic_scores_real_reviews(reviews: pd.DataFrame) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score

    real = load_real_reviews()
    train = reviews[reviews["Review Text"].notna()]
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    model = LogisticRegression(max_iter=1000, class_weight="balanced")
    model.fit(vectorizer.fit_transform(review_text(train)), sentiment(train["Rating"]))

    features = vectorizer.transform(review_text(real))
    truth = sentiment(real["Rating"])
    predicted = model.predict(features)
    assert f1_score(truth, predicted, average="macro") >= MIN_MACRO_F1
    assert accuracy_score(truth, predicted) >= MIN_ACCURACY

    # Binary: negative vs positive on the non-3-star reviews only.
    polar = truth != 0
    proba = model.predict_proba(features[polar])
    classes = list(model.classes_)
    positive = proba[:, classes.index(1)] >= proba[:, classes.index(-1)]
    assert accuracy_score(truth[polar], np.where(positive, 1, -1)) >= MIN_BINARY_ACCURACY
