"""Quick Model: a seeded random forest on a 70/30 split of a table, file or SQL result."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from services.errors import InvalidInput, NotFound
from services.explain import quick_model as quick
from services.models import DataSource
from services.registry import Services


def easy_frame(rows: int = 600, seed: int = 1) -> pd.DataFrame:
    """``label`` is decided by ``x`` alone; ``noise`` and ``colour`` carry nothing."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    return pd.DataFrame({"x": x.round(4), "noise": rng.normal(size=rows).round(4),
                         "colour": rng.choice(["red", "green", "blue"], rows),
                         "label": np.where(x > 0, "up", "down"), "amount": (5 * x + rng.normal(scale=0.1, size=rows)).round(4)})


@pytest.fixture
def easy_csv(data_dir: Path) -> Path:
    path = data_dir / "easy.csv"
    easy_frame().to_csv(path, index=False)
    return path


def test_an_easy_classification_target_scores_high_and_finds_its_column(seeded_services: Services, easy_csv: Path) -> None:
    result = seeded_services.explain.quick_model(DataSource(path=str(easy_csv)), "label")
    assert (result.problem_type, result.metric_name) == ("BinaryClassification", "f1")
    assert result.score > 0.9
    assert (result.train_rows, result.test_rows) == (420, 180)
    ranking = list(result.importances)
    assert ranking[0] in ("x", "amount") and ranking[-1] in ("noise", "colour")  # amount is 5·x, as telling as x
    assert sum(result.importances.values()) == pytest.approx(1.0, abs=1e-4)
    assert set(result.importances) == {"x", "noise", "colour", "amount"}  # input columns, not one-hot levels


def test_a_numeric_target_is_a_regression_scored_by_mse(seeded_services: Services, easy_csv: Path) -> None:
    result = seeded_services.explain.quick_model(DataSource(path=str(easy_csv)), "amount")
    frame = easy_frame()
    assert (result.problem_type, result.metric_name) == ("Regression", "mse")
    assert result.score < 0.2 * frame["amount"].var()  # far better than predicting the mean
    assert list(result.importances)[0] == "x"


def test_large_data_is_sampled_with_a_note(seeded_services: Services, easy_csv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(quick, "SAMPLE_ROWS", 200)
    first = seeded_services.explain.quick_model(DataSource(path=str(easy_csv)), "label")
    again = seeded_services.explain.quick_model(DataSource(path=str(easy_csv)), "label")
    assert first.train_rows + first.test_rows == 200 and "sample of 200 of the 600 rows" in first.notes[0]
    assert (first.score, first.importances) == (again.score, again.importances)  # seeded


def test_rows_without_a_target_are_left_out(seeded_services: Services, data_dir: Path) -> None:
    frame = easy_frame()
    frame.loc[:99, "label"] = None
    path = data_dir / "gaps.csv"
    frame.to_csv(path, index=False)
    result = seeded_services.explain.quick_model(DataSource(path=str(path)), "label")
    assert result.train_rows + result.test_rows == 500 and "Left out 100 rows" in result.notes[0]


@pytest.mark.parametrize(("source", "target", "sql", "error", "fragment"), [
    ("file", "colour_name", "", InvalidInput, "The target column 'colour_name' is not in the data"),
    ("single", "label", "", InvalidInput, "has a single value"),
    ("missing", "label", "", NotFound, "does not exist"),
    ("none", "target", "SELECT target FROM demo.wine", InvalidInput, "No column besides the target"),
])
def test_bad_targets_and_sources_are_refused(seeded_services: Services, easy_csv: Path, data_dir: Path, source: str,
                                             target: str, sql: str, error: type[Exception], fragment: str) -> None:
    single = data_dir / "single.csv"
    easy_frame().assign(label="same").to_csv(single, index=False)
    sources = {"file": DataSource(path=str(easy_csv)), "single": DataSource(path=str(single)),
               "missing": DataSource(path=str(data_dir / "no.csv")),
               "none": DataSource()}
    with pytest.raises(error, match=fragment) as raised:
        seeded_services.explain.quick_model(sources[source], target, sql)
    assert raised.value.hint  # type: ignore[attr-defined]
