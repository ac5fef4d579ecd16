"""Target leakage before training (services/training/leakage.py): pure checks on small frames, and the check
through the query port on the seeded workspace."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes, load_wine

from services.models import DataSource
from services.registry import Services
from services.training import leakage
from services.training.leakage import leaky_features, loo_majority, relabels
from services.training.models import leakage_check


def wine() -> pd.DataFrame:
    return load_wine(as_frame=True).frame


def test_a_renamed_copy_of_the_target_is_flagged_as_a_relabelling() -> None:
    frame = wine().assign(cultivar=lambda f: f["target"].map({0: "barolo", 1: "grignolino", 2: "barbera"}))
    (flagged,) = leaky_features(frame, "target")
    assert (flagged.feature, flagged.metric, flagged.score) == ("cultivar", "relabelling", 1.0)
    assert "renamed copy" in flagged.reason


def test_wines_real_features_are_not_flagged() -> None:
    assert leaky_features(wine(), "target") == []


def test_a_feature_the_target_is_derived_from_is_flagged_by_balanced_accuracy() -> None:
    rng = np.random.default_rng(7)
    stars = rng.integers(1, 6, 400)
    frame = pd.DataFrame({"stars": stars, "noise": rng.normal(size=400),
                          "sentiment": np.select([stars <= 2, stars == 3], ["negative", "neutral"], "positive")})
    (flagged,) = leaky_features(frame, "sentiment")  # 5 star values for 3 classes: not a relabelling, still perfect
    assert (flagged.feature, flagged.metric, flagged.score) == ("stars", "balanced_accuracy", 1.0)


def test_a_regression_target_in_other_units_is_flagged_by_r2_and_an_id_column_is_not() -> None:
    frame = load_diabetes(as_frame=True).frame
    frame["target_in_cents"] = frame["target"] * 100 + np.random.default_rng(0).normal(0, 1, len(frame))
    frame["row_id"] = [f"patient-{i}" for i in range(len(frame))]
    (flagged,) = leaky_features(frame, "target")
    assert (flagged.feature, flagged.metric) == ("target_in_cents", "r2") and flagged.score >= 0.99


def test_a_constant_feature_on_an_imbalanced_target_is_not_flagged() -> None:
    frame = pd.DataFrame({"flag": ["x"] * 200, "label": ["no"] * 198 + ["yes"] * 2})
    assert leaky_features(frame, "label") == []  # 99 % accurate, balanced accuracy 0.5


def test_leave_one_out_never_sees_a_rows_own_label() -> None:
    keys = np.array([0, 0, 1, 2])  # keys 1 and 2 seen once: the overall majority (class 0)
    codes = np.array([0, 1, 1, 1])
    assert loo_majority(keys, codes).tolist() == [1, 0, 1, 1]
    assert not relabels(pd.Series([1, 1, 2]), pd.Series(["a", "b", "b"]))


def test_the_check_reads_a_bounded_sample_through_the_query_port(seeded_services: Services) -> None:
    check = leakage_check(seeded_services.query, DataSource(table="demo.reviews_sentiment"), "sentiment")
    assert (check.rows, check.sampled) == (5_000, True)
    assert [f.feature for f in check.flagged] == ["rating"]  # sentiment is made from the star rating
    assert seeded_services.query.history() == []  # the sample is not a query of the user's


def test_a_very_wide_table_is_checked_on_its_first_columns_and_says_so(seeded_services: Services,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(leakage, "MAX_FEATURES", 3)
    check = leakage_check(seeded_services.query, DataSource(table="demo.reviews_sentiment"), "sentiment")
    assert (check.checked, check.features, check.capped) == (3, 5, True)
    assert check.flagged == ()  # rating is the 5th feature: not checked
