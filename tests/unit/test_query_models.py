"""The Query page's decisions (services/query/models.py): the quick chart's default axes, a downloaded result's
file name, and the note on Athena's 10 MB minimum. Pure functions over small frames and strings."""

from __future__ import annotations

import pandas as pd
import pytest

from services.query.models import ATHENA_MINIMUM_BYTES, chart_defaults, is_grouping_key, minimum_charge_note, result_file_name


def test_the_default_chart_measures_a_count_per_rating_not_the_rating() -> None:
    frame = pd.DataFrame({"rating": [1, 2, 3, 4, 5], "reviews": [720, 1_360, 2_460, 4_330, 11_130],
                          "avg_age": [42.1, 43.0, 42.7, 43.2, 43.5]})
    defaults = chart_defaults(frame)
    assert (defaults.x, defaults.y) == ("rating", "reviews")
    assert defaults.grouping_keys == ("rating",) and defaults.measures == ("reviews", "avg_age")


def test_a_rating_beside_a_category_is_a_key_and_the_count_is_the_measure() -> None:
    frame = pd.DataFrame({"product_category": ["Dresses", "Dresses", "Tops"], "rating": [4, 5, 5], "n": [310, 980, 45]})
    assert (chart_defaults(frame).x, chart_defaults(frame).y) == ("product_category", "n")


@pytest.mark.parametrize(("name", "values", "key"), [
    ("clothing_id", [1_077, 1_049, 847, 1_080], True),  # an id, whatever its values
    ("order_key", [3.5, 2.0], True),
    ("year", [2019, 2020, 2021], True),
    ("recommended_ind", [0, 1, 1, 0], True),  # a 0/1 flag
    ("flag", [True, False], True),
    ("division_name", ["General", "Petite"], True),
    ("age", list(range(18, 90)), False),  # many distinct values
    ("reviews", [720, 1_360, 11_130], False),  # few values, far apart: a count
    ("avg_age", [42.1, 43.0], False),  # a float is measured
    ("rating", [1, 2, 3, 4, 5, None], True),
])
def test_grouping_keys(name: str, values: list[object], key: bool) -> None:
    series = pd.Series(values, dtype="Int64") if name == "rating" else pd.Series(values)
    assert is_grouping_key(name, series) is key


def test_a_result_without_a_measure_has_no_default_y() -> None:
    defaults = chart_defaults(pd.DataFrame({"database_name": ["demo", "results"]}))
    assert (defaults.x, defaults.y) == ("database_name", None)


def test_downloads_are_named_after_the_saved_query_or_the_table_and_the_time() -> None:
    submitted = "2026-12-05T18:06:03.123+00:00"
    sql = "SELECT rating, count(*) AS n FROM demo.reviews GROUP BY rating"
    assert result_file_name(sql, submitted, "csv") == "demo.reviews_20261205-180603.csv"
    assert result_file_name(sql, submitted, "parquet", saved_name="reviews by rating") == "reviews_by_rating_20261205-180603.parquet"
    cte = "WITH recent AS (SELECT * FROM sales.orders) SELECT * FROM recent"
    assert result_file_name(cte, submitted, "csv") == "sales.orders_20261205-180603.csv"
    assert result_file_name("SELECT 42 AS answer", submitted, "csv") == "query_20261205-180603.csv"
    assert result_file_name("SELEC nonsense ((", submitted, "csv") == "query_20261205-180603.csv"
    hostile = result_file_name("SELECT 1", submitted, "csv", saved_name='../../etc/"passwd"\r\n; rm -rf')
    assert hostile == "etc_passwd_rm_-rf_20261205-180603.csv"


def test_the_minimum_charge_is_explained_for_small_scans_only() -> None:
    assert "at least 10 MB per query" in minimum_charge_note(1_024)
    assert minimum_charge_note(ATHENA_MINIMUM_BYTES) == "" and minimum_charge_note(0) == ""
