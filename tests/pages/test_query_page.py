from __future__ import annotations

import os
import time
import urllib.request
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from services.config import Settings
from services.embedded.retention import apply_retention
from tests.helpers.pages import frame_with, open_page, texts

RUN = "FormSubmitter:query.editor-Run"


def run_sql(app: AppTest, sql: str) -> AppTest:
    app.text_area(key="query.sql").input(sql)
    app.button(key=RUN).click().run()
    assert not app.exception, app.exception
    return app


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def test_run_shows_rows_statistics_and_downloads(app: AppTest) -> None:
    run_sql(open_page(app, "query"), "SELECT rating, count(*) AS n FROM demo.reviews GROUP BY rating ORDER BY rating")
    grid = frame_with(app, "rating")
    assert list(grid["rating"]) == [1, 2, 3, 4, 5]
    assert grid["n"].sum() == 20_000
    assert metrics(app)["Rows"] == "5"
    assert metrics(app)["Data scanned"].endswith("MB")
    links = {b.proto.label: b.proto.url for b in app.link_button}
    assert list(links) == ["Download CSV", "Download Parquet"]
    with urllib.request.urlopen(links["Download CSV"], timeout=30) as response:  # streamed by the app process
        assert response.read().decode().splitlines() == ['"rating","n"'] + [f"{r},{n}" for r, n in grid.to_numpy()]
        assert 'filename="demo.reviews_' in response.headers["Content-Disposition"]  # named after the table, not a UUID
    assert links["Download CSV"].startswith("http://127.0.0.1:")


def test_an_expired_result_says_so_and_runs_again(app: AppTest, workspace: Path) -> None:
    run_sql(open_page(app, "query"), "SELECT rating, count(*) AS n FROM demo.reviews GROUP BY rating")
    for result in (workspace / "query-results").iterdir():
        os.utime(result, (time.time() - 365 * 86_400,) * 2)
    apply_retention(Settings.from_env())
    app.run()
    assert not app.exception, app.exception
    assert "The result of this query expired" in texts(app.error)
    assert not app.link_button
    app.button(key="query.expired_run").click().run()
    assert not app.exception, app.exception
    assert frame_with(app, "rating")["n"].sum() == 20_000


def test_sql_error_is_shown_and_the_sql_stays_in_the_editor(app: AppTest) -> None:
    sql = "SELECT nope FROM demo.reviews"
    run_sql(open_page(app, "query"), sql)
    assert "nope" in texts(app.error)
    assert app.text_area(key="query.sql").value == sql
    app.switch_page("pages/catalog.py").run()
    app.switch_page("pages/query.py").run()
    assert app.text_area(key="query.sql").value == sql  # kept across page switches too


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("DROP TABLE demo.reviews", "DROP is not allowed"),
        ("SELECT * FROM read_csv('/etc/passwd')", "reads files directly"),
        ("SELECT 1; SELECT 2", "one statement at a time"),
        ("SELECT * FROM demo.reviewz", "Did you mean demo.reviews"),
        ("SELEC 1", "Syntax error"),
    ],
)
def test_bad_sql_gets_a_reason(app: AppTest, sql: str, reason: str) -> None:
    run_sql(open_page(app, "query"), sql)
    assert reason in texts(app.error)
    assert app.text_area(key="query.sql").value == sql


def test_partitioned_table_without_filter_warns_before_running(app: AppTest) -> None:
    open_page(app, "query")
    app.text_area(key="query.sql").input("SELECT * FROM demo.reviews_by_division")
    app.button(key="FormSubmitter:query.editor-Estimate cost").click().run()
    assert "no filter on its partition keys" in texts(app.warning)
    assert "Will scan about" in texts(app.caption)
    assert not app.metric  # nothing ran


def test_large_result_is_capped_for_display(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_DISPLAY_ROWS", "50")
    run_sql(open_page(app, "query"), "SELECT * FROM demo.reviews")
    assert len(frame_with(app, "review_text")) == 50
    assert "first 50 of 20,000 rows" in texts(app.info)
    assert metrics(app)["Rows"] == "20,000"


def test_history_records_runs_and_runs_them_again(app: AppTest) -> None:
    run_sql(open_page(app, "query"), "SELECT 42 AS answer")
    run_sql(app, "SELECT nope")
    history = frame_with(app, "submitted (UTC)")
    assert list(history["status"]) == ["FAILED", "SUCCEEDED"]
    app.selectbox(key="query.history.pick").select(1).run()
    app.button(key="query.h_run").click().run()
    assert app.text_area(key="query.sql").value == "SELECT 42 AS answer"
    assert list(frame_with(app, "answer")["answer"]) == [42]


def test_save_query_and_open_it_again(app: AppTest) -> None:
    open_page(app, "query")
    app.text_area(key="query.sql").input("SELECT count(*) FROM demo.wine")
    app.button(key=RUN).click().run()
    app.text_input(key="query.save_name").input("wine count")
    app.text_input(key="query.save_description").input("how many wines")
    app.button(key="FormSubmitter:query.save-Save query").click().run()
    assert "Saved as 'wine count'" in texts(app.success)
    run_sql(app, "SELECT 1")
    app.button(key="query.s_open").click().run()
    assert app.text_area(key="query.sql").value == "SELECT count(*) FROM demo.wine"


def test_save_query_without_a_name_explains(app: AppTest) -> None:
    open_page(app, "query")
    app.button(key="FormSubmitter:query.save-Save query").click().run()
    assert "needs a name" in texts(app.error)


def test_save_results_as_table(app: AppTest) -> None:
    run_sql(open_page(app, "query"), "SELECT product_category, count(*) AS n FROM demo.reviews_sentiment GROUP BY 1")
    form = app.get("form")
    assert form
    inputs = [t for t in app.text_input if t.label == "Table name"]
    inputs[0].input("reviews_per_category")
    app.button(key="FormSubmitter:query.ctas-Save as table").click().run()
    assert not app.exception
    assert "Saved demo.reviews_per_category" in texts(app.success)
    run_sql(app, "SELECT sum(n) AS total FROM demo.reviews_per_category")
    assert int(frame_with(app, "total")["total"][0]) > 19_000


def test_schema_browser_filters_columns(app: AppTest) -> None:
    open_page(app, "query")
    app.text_input(key="query.schema.filter").input("department").run()
    columns = frame_with(app, "column")
    assert set(columns["column"]) == {"department_name"}
    assert set(columns["table"]) == {"reviews", "reviews_by_division"}
    app.text_input(key="query.schema.filter").input("by_division").run()
    assert "string (partition)" in set(frame_with(app, "column")["type"])


def test_train_on_a_query_result(app: AppTest) -> None:
    run_sql(open_page(app, "query"), "SELECT review_body, sentiment FROM demo.reviews_sentiment WHERE age < 40")
    app.button(key="query.train").click().run()
    assert not app.exception
    assert [t.value for t in app.title] == ["Train"]
    assert app.selectbox(key="train.database").value == "results"
    assert app.selectbox(key="train.table").value.startswith("result_")
    assert app.selectbox(key="train.autopilot.target").value == "sentiment"


def test_check_a_query_result_for_bias_after_training_on_it(app: AppTest) -> None:
    run_sql(open_page(app, "query"), "SELECT review_body, sentiment, age FROM demo.reviews_sentiment WHERE rating > 1")
    app.button(key="query.train").click().run()
    app.switch_page("pages/query.py").run()
    app.button(key="query.bias").click().run()  # the same result again: the saved table is reused
    assert not app.exception
    assert [t.value for t in app.title] == ["Bias"]
    assert app.selectbox(key="bias.database").value == "results"
    assert set(app.selectbox(key="bias.label").options) == {"review_body", "sentiment", "age"}


def editor(app: AppTest):  # type: ignore[no-untyped-def]
    return next(e for e in app.expander if e.label == "SQL editor")


def test_a_refused_statement_is_in_the_history_and_its_error_leaves_with_its_sql(app: AppTest) -> None:
    run_sql(open_page(app, "query"), "SELECT 42 AS answer")
    run_sql(app, "DROP TABLE demo.reviews")
    assert "DROP is not allowed" in texts(app.error)
    history = frame_with(app, "submitted (UTC)")
    assert list(history["status"]) == ["FAILED", "SUCCEEDED"]
    assert "DROP is not allowed" in history["error"][0]
    assert list(history["rows"]) == ["—", "1"]  # no "None" for a statement that returned nothing
    app.selectbox(key="query.history.pick").select(1).run()
    app.button(key="query.h_open").click().run()
    assert app.text_area(key="query.sql").value == "SELECT 42 AS answer"
    assert "DROP is not allowed" not in texts(app.error)  # the error went with its SQL
    app.switch_page("pages/catalog.py").run()
    app.switch_page("pages/query.py").run()
    assert "DROP is not allowed" not in texts(app.error)


def test_after_a_run_the_editor_folds_away_and_an_error_keeps_it_open(app: AppTest) -> None:
    open_page(app, "query")
    assert editor(app).proto.expanded
    run_sql(app, "SELECT rating, count(*) AS n FROM demo.reviews GROUP BY rating")
    assert not editor(app).proto.expanded and frame_with(app, "rating") is not None  # results come first
    run_sql(app, "SELECT nope FROM demo.reviews")
    assert editor(app).proto.expanded and "nope" in texts(app.error)


def test_the_chart_measures_a_count_not_a_grouping_key_and_the_estimate_explains_the_minimum(app: AppTest) -> None:
    run_sql(open_page(app, "query"),
            "SELECT product_category, rating, count(*) AS n FROM demo.reviews_sentiment GROUP BY 1, 2 ORDER BY 1, 2")
    assert app.selectbox(key="query.chart.x").value == "product_category"
    assert app.selectbox(key="query.chart.y").value == "n"  # not the rating, a grouping key
    assert "at least 10 MB per query" in texts(app.caption)
