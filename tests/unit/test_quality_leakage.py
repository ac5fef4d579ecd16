"""Target leakage, pure: single-feature models cross-validated on a frame, scored against the baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from services.quality.leakage import MIN_ROWS, balanced_accuracy, leakage_scores, r_squared


def frame(rows: int = 200, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    label = rng.choice(["neg", "neu", "pos"], rows, p=[0.2, 0.2, 0.6])
    stars = np.select([label == "neg", label == "neu"], [rng.choice([1, 2], rows), 3], rng.choice([4, 5], rows))
    amount = rng.normal(size=rows)
    return pd.DataFrame({"label": label, "stars": stars, "noise": rng.choice(list("abcd"), rows),
                         "ident": [f"id-{i}" for i in range(rows)], "amount": amount,
                         "doubled": 2 * amount + rng.normal(scale=0.01, size=rows)})


def test_a_feature_derived_from_the_target_is_flagged_and_noise_is_not() -> None:
    scores = {s.feature: s for s in leakage_scores(frame(), "label", {"stars": "categorical", "noise": "categorical",
                                                                       "ident": "categorical"}, classification=True)}
    stars = scores["stars"]
    assert (stars.method, stars.metric, stars.score, stars.baseline, stars.power, stars.flagged) == \
        ("per value", "balanced_accuracy", 1.0, pytest.approx(1 / 3, abs=1e-4), 1.0, True)
    assert scores["noise"].power < 0.2 and not scores["noise"].flagged
    assert scores["ident"].power == 0.0  # every value unseen in its training folds: the baseline


def test_a_numeric_feature_with_many_values_is_binned_and_scored_by_r2() -> None:
    data = frame()
    scores = leakage_scores(data, "amount", {"doubled": "numeric", "stars": "numeric"}, classification=False)
    assert [s.feature for s in scores] == ["doubled", "stars"]  # strongest first
    doubled = scores[0]
    assert (doubled.method, doubled.metric, doubled.flagged) == ("binned", "r2", True)
    assert doubled.score > 0.95 and scores[1].power < 0.2


def test_rows_without_a_target_are_left_out_and_too_few_rows_give_nothing() -> None:
    data = frame().astype({"label": object})
    data.loc[:49, "label"] = None
    (score,) = leakage_scores(data, "label", {"stars": "categorical"}, classification=True)
    assert score.flagged
    assert leakage_scores(frame(MIN_ROWS - 1), "label", {"stars": "categorical"}, classification=True) == []


def test_the_metrics_by_hand() -> None:
    truth = np.array(["a", "a", "a", "b"])
    assert balanced_accuracy(truth, np.array(["a", "a", "a", "a"])) == 0.5  # recall a = 1, recall b = 0
    assert balanced_accuracy(truth, np.array(["a", "a", "b", "b"])) == pytest.approx((2 / 3 + 1) / 2)
    assert r_squared(np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 2.0])) == 0.0
    assert r_squared(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0])) == pytest.approx(0.5)
