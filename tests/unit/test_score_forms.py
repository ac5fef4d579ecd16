"""What the scoring forms offer, through the local endpoints port on a real catalog, query engine and model
registry (an empty workspace with a few small tables imported and one model registered): the record form's
columns, the batch form's tables and defaults, and the charts of a scored table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from services.endpoints.models import Endpoint, VariantStats
from services.endpoints.score_forms import batch_chart_specs, default_output_table, primary_model_id
from services.models import Column, ModelRecord
from services.registry import Services


def endpoint(name: str, *variants: VariantStats, text_model: bool = False, input_columns: tuple[str, ...] = ()) -> Endpoint:
    return Endpoint(name=name, status="InService", url="", variants=variants, created_at="", text_model=text_model,
                    input_columns=input_columns)


def variant(model_id: str, weight: float = 1.0, shadow: bool = False) -> VariantStats:
    return VariantStats(name=model_id.replace("/", "-"), model_id=model_id, weight=weight, shadow=shadow)


def register_wine_model(services: Services, tmp_path: Path) -> str:
    folder = tmp_path / "wine-model"
    folder.mkdir()
    draft = ModelRecord(model_id="", name="wine", version=0, framework="xgboost", problem_type="MulticlassClassification",
                        target="cultivar", input_schema=(Column("alcohol", "double"), Column("hue", "bigint")),
                        classes=("0", "1"), metrics={}, run_id="", job_name="", artifact_path="")
    return services.stack.models.register(draft, folder).model_id


def import_table(services: Services, data_dir: Path, name: str, frame: pd.DataFrame) -> None:
    database, table = name.split(".")
    path = data_dir / f"{table}.csv"
    frame.to_csv(path, index=False)
    services.catalog.import_path(path, database, table)


def test_the_primary_model_is_the_heaviest_production_variant() -> None:
    assert primary_model_id(endpoint("e", variant("a/1", 1), variant("b/2", 3), variant("c/3", 9, shadow=True))) == "b/2"
    assert primary_model_id(endpoint("e", variant("s/1", shadow=True))) == "s/1"  # only shadows: still a model to name
    assert primary_model_id(endpoint("e")) == ""


def test_a_record_form_asks_for_the_input_columns_with_the_models_types(services: Services, tmp_path: Path) -> None:
    model_id = register_wine_model(services, tmp_path)
    wine = endpoint("wine", variant(model_id), input_columns=("alcohol", "hue", "sent_by_the_endpoint_only"))
    assert services.endpoints.record_form_columns(wine) == [Column("alcohol", "double"), Column("hue", "bigint"),
                                                       Column("sent_by_the_endpoint_only", "string")]
    gone = endpoint("gone", variant("deleted-model/4"), input_columns=("alcohol",))
    assert services.endpoints.record_form_columns(gone) == [Column("alcohol", "string")]  # unknown model: strings, no error
    assert services.endpoints.record_form_columns(endpoint("reviews", variant(model_id), text_model=True)) == []


def test_the_batch_form_lists_every_table_and_preselects_the_reviews_for_a_text_model(services: Services, data_dir: Path) -> None:
    import_table(services, data_dir, "demo.reviews_sentiment", pd.DataFrame({"review_body": ["fine"], "sentiment": [1]}))
    import_table(services, data_dir, "sales.orders", pd.DataFrame({"order_id": [1]}))
    text = services.endpoints.batch_form(endpoint("Reviews-Live", variant("r/2"), text_model=True))
    assert sorted(text.tables) == ["demo.reviews_sentiment", "sales.orders"] and text.model_id == "r/2"
    assert (text.default_table, text.default_output) == ("demo.reviews_sentiment", "demo.reviews_live_scored")
    tabular = services.endpoints.batch_form(endpoint("wine", variant("w/1")))
    assert (tabular.default_table, tabular.default_output) == ("", "demo.wine_scored")
    assert default_output_table("a-b", "sales.orders") == "sales.a_b_scored"


def test_the_batch_form_of_an_empty_catalog_has_no_tables(services: Services) -> None:
    form = services.endpoints.batch_form(endpoint("reviews", variant("r/1"), text_model=True))
    assert (form.tables, form.default_table, form.default_output) == ([], "", "demo.reviews_scored")


def test_batch_charts_follow_the_columns_the_scored_table_has() -> None:
    specs = batch_chart_specs("demo.out", ["review_id", "review_body", "product_category", "rating", "predicted_label"])
    assert [s["title"] for s in specs] == ["Predictions", "Predictions by product_category", "Predictions by rating",
                                           "Predictions along the review order (blocks of 500 by review_id)"]
    assert all("FROM demo.out" in s["sql"] for s in specs)
    assert batch_chart_specs("demo.out", ["a", "b"]) == []
    by_division = batch_chart_specs("x.y", ["prediction", "division_name"])
    assert [s["title"] for s in by_division] == ["Predictions", "Predictions by division_name"]
    quoted = batch_chart_specs("x.y", ['odd "name"', "Predicted_Label"])
    assert quoted[0]["sql"].startswith('SELECT CAST("Predicted_Label" AS varchar)')


def test_the_charts_of_a_scored_table_count_its_predictions(services: Services, data_dir: Path) -> None:
    scored = pd.DataFrame({"review_id": [1, 2, 3, 501], "rating": [5, 1, 5, 4], "predicted_label": [1, -1, 1, 1]})
    import_table(services, data_dir, "scored.reviews", scored)
    charts = dict((spec["title"], frame) for spec, frame in services.endpoints.batch_charts("scored.reviews"))
    assert charts["Predictions"].to_dict("records") == [{"predicted": "-1", "rows": 1}, {"predicted": "1", "rows": 3}]
    by_rating = charts["Predictions by rating"]
    assert by_rating[by_rating["rating"] == "5"]["rows"].tolist() == [2]
    along = charts["Predictions along the review order (blocks of 500 by review_id)"]
    assert sorted(along["from_row"].unique().tolist()) == [1, 501]


def test_charts_of_a_missing_table_are_a_clear_error(services: Services) -> None:
    from services.errors import NotFound

    with pytest.raises(NotFound):
        services.endpoints.batch_charts("scored.nothing")


def test_the_class_probabilities_of_a_scored_table_are_averaged_per_class(services: Services, data_dir: Path) -> None:
    scored = pd.DataFrame({"predicted_label": [1, -1, 1, 0], "probability_-1": [0.1, 0.7, 0.2, 0.3],
                           "probability_0": [0.2, 0.2, 0.2, 0.4], "probability_1": [0.7, 0.1, 0.6, 0.3]})
    import_table(services, data_dir, "scored.sure", scored)  # the catalog writes probability_-1 as probability__1
    charts = dict((spec["title"], frame) for spec, frame in services.endpoints.batch_charts("scored.sure"))
    rows = {r["class"]: r for r in charts["Class probabilities"].to_dict("records")}
    assert set(rows) == {"-1", "0", "1"}
    assert rows["-1"]["all_rows"] == pytest.approx(0.325) and rows["-1"]["predicted_rows"] == pytest.approx(0.7)
    assert rows["0"]["predicted_rows"] == pytest.approx(0.4) and rows["1"]["predicted_rows"] == pytest.approx(0.65)
    assert not any(s["kind"] == "probabilities" for s in batch_chart_specs("x.y", ["predicted_label", "probability"]))
