"""The Data quality page over the seeded workspace: opened from the Catalog page on a table and from the Query page
on a result (reports with their leaks), the empty state, and clear errors that keep the inputs."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.helpers.pages import frame_with, open_page, texts


def build(app: AppTest) -> AppTest:
    app.button(key="quality.run").click().run()
    assert not app.exception, app.exception
    return app


def test_the_catalog_page_opens_the_report_on_wine_where_no_single_measurement_leaks_and_offers_the_html(app: AppTest) -> None:
    open_page(app, "catalog")
    app.selectbox(key="catalog.table").set_value("wine").run()
    app.button(key="catalog.quality").click().run()
    assert not app.exception, app.exception
    assert (app.selectbox(key="quality.database").value, app.selectbox(key="quality.table").value) == ("demo", "wine")
    app.switch_page("pages/quality.py")  # AppTest's next run starts from its own page, not the one switched to
    app.selectbox(key="quality.target").set_value("target").run()
    build(app)
    assert {m.label: m.value for m in app.metric}["Rows"] == "178"
    assert "Target leakage" not in texts(app.error)  # the seed has no renamed copy of the cultivar any more (UX #1)
    leakage = frame_with(app, "power").set_index("feature")
    assert (leakage["leak?"] == "").all() and "flavanoids" in leakage.index
    assert frame_with(app, "missing %")["column"].tolist()[0] == "alcohol"
    assert [b.label for b in app.get("download_button")] == ["HTML report"]
    assert app.get("plotly_chart")


def test_the_query_page_opens_the_report_on_its_result_where_rating_leaks_sentiment(app: AppTest) -> None:
    open_page(app, "query")
    sql = "SELECT sentiment, rating, age, product_category FROM reviews_sentiment"  # a bare name, under demo
    app.text_area(key="query.sql").input(sql)
    app.button(key="FormSubmitter:query.editor-Run").click().run()
    app.button(key="query.quality").click().run()
    assert not app.exception, app.exception
    assert app.radio(key="quality.source_kind").value == "SQL query"
    assert (app.text_area(key="quality.sql").value, app.selectbox(key="quality.sql_database").value) == (sql, "demo")
    app.switch_page("pages/quality.py")
    app.selectbox(key="quality.target").set_value("sentiment").run()
    build(app)
    assert "rating predicts sentiment with 1.00 balanced accuracy" in texts(app.error)
    assert "use all 19,259 rows" in texts(app.caption)


def test_the_empty_state_then_bad_sql_an_unknown_table_and_a_missing_target_keep_the_sql(app: AppTest) -> None:
    open_page(app, "quality")
    assert "Pick a table" in texts(app.info)
    assert not [b for b in app.button if b.key == "quality.run"]
    app.radio(key="quality.source_kind").set_value("SQL query").run()
    app.text_area(key="quality.sql").set_value("SELECT alcohol, target FROM demo.wine").run()
    app.selectbox(key="quality.target").set_value("target").run()
    app.text_area(key="quality.sql").set_value("SELECT nope FROM demo.wine").run()
    assert "nope" in texts(app.error)
    assert app.text_area(key="quality.sql").value == "SELECT nope FROM demo.wine"
    app.text_area(key="quality.sql").set_value("SELECT * FROM demo.no_such_table").run()
    assert "does not exist" in texts(app.error)
    app.text_area(key="quality.sql").set_value("SELECT alcohol, hue FROM demo.wine").run()
    assert "'target' is not in this data" in texts(app.warning)
    assert app.selectbox(key="quality.target").value == "(no target)"
