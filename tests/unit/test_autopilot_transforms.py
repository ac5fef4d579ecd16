"""Autopilot's target transforms: exact inverses, and the choice made on the validation rows (quick probes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from services.training.autopilot import objectives, transforms
from services.training.autopilot.prepare import prepare_data

MSE = objectives.OBJECTIVES["MSE"]


def hourly_counts(rows: int, multiplicative: bool, seed: int = 0) -> pd.DataFrame:
    """Hourly rentals: a daily profile times (or plus) a temperature effect, with Poisson (or flat) noise."""
    rng = np.random.default_rng(seed)
    stamps = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.permutation(rows * 2)[:rows], unit="h")
    temperature = rng.uniform(0, 30, rows)
    profile = 1 + 8 * np.exp(-((stamps.hour.to_numpy() - 17) ** 2) / 6.0)
    if multiplicative:
        count = rng.poisson(5 * profile * (0.2 + temperature / 10)).astype(float)
    else:
        count = 200 + 10 * profile + 2 * temperature + rng.normal(0, 5, rows)
    return pd.DataFrame({"when": stamps.astype(str), "temperature": temperature, "count": count})


def choose(frame: pd.DataFrame) -> str:
    prepared = prepare_data(frame, "count", seed=0)
    data = prepared.dataset
    return transforms.choose_target_transform(data.train, data.validation, data.target, data.feature_columns,
                                              prepared.date_columns, MSE)


@pytest.mark.parametrize("name", [transforms.IDENTITY, transforms.SQRT, transforms.LOG1P])
def test_each_transform_is_undone_by_its_inverse(name: str) -> None:
    values = np.array([0.0, 1.0, 7.0, 250.0, 9876.5])
    np.testing.assert_allclose(transforms.inverse(name, transforms.forward(name, values)), values, rtol=1e-12)


def test_a_negative_square_root_prediction_is_zero_and_unknown_names_fail() -> None:
    assert transforms.inverse(transforms.SQRT, [-0.5, 2.0]).tolist() == [0.0, 4.0]
    with pytest.raises(ValueError, match="cube"):
        transforms.forward("cube", [1.0])


def test_counts_whose_noise_grows_with_their_level_are_fitted_transformed() -> None:
    assert choose(hourly_counts(1500, multiplicative=True)) in {transforms.SQRT, transforms.LOG1P}


def test_an_additive_target_with_even_noise_and_a_negative_target_stay_as_they_are() -> None:
    assert choose(hourly_counts(1500, multiplicative=False)) == transforms.IDENTITY
    shifted = hourly_counts(300, multiplicative=True).assign(count=lambda f: f["count"] - 10)
    assert choose(shifted) == transforms.IDENTITY
