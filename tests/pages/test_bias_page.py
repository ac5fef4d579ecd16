"""The Bias page over the seeded workspace: reports, one-vs-all, post-training, model jobs, bad input."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from services.config import Settings
from services.models import DataSource, TrainingRequest
from services.registry import build_services
from tests.helpers.pages import frame_with, open_page, texts


def compute(app: AppTest) -> AppTest:
    app.button(key="bias.run").click().run()
    assert not app.exception, app.exception
    return app


def use_sql(app: AppTest, sql: str) -> AppTest:
    app.radio(key="bias.source_kind").set_value("SQL query").run()
    app.text_area(key="bias.sql").set_value(sql).run()
    return app


def test_default_report_shows_every_pre_training_metric_with_counts_and_downloads(app: AppTest) -> None:
    open_page(app, "bias")
    assert app.selectbox(key="bias.label").value == "sentiment"
    assert app.multiselect(key="bias.label.values.sentiment").value == [1]
    app.radio(key="bias.facet.mode.product_category").set_value("Values").run()
    app.multiselect(key="bias.facet.values.product_category").set_value(["Trend"]).run()
    compute(app)
    metrics = frame_with(app, "metric")
    assert set(metrics["metric"]) == {"CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"}
    ci = metrics.set_index("metric").loc["CI"]
    assert float(ci["value"]) > 0.9  # Trend is a small category
    assert "…" in ci["95 % interval"]
    assert {m.label for m in app.metric} >= {"Rows in d", "Rows in a"}
    labels = [b.label for b in app.get("download_button")]
    assert labels == ["analysis.json", "HTML report"]


def test_one_vs_all_draws_the_heat_map_and_lets_the_user_pick_a_value(app: AppTest) -> None:
    open_page(app, "bias")
    app.radio(key="bias.facet.mode.product_category").set_value("Each value (one-vs-all)").run()
    compute(app)
    assert app.get("plotly_chart")
    entry = app.selectbox(key="bias.view.False.entry")
    assert "Dresses" in entry.options and "Trend" in entry.options
    entry.select("Dresses").run()
    assert "= Dresses" in texts(app.markdown)


def test_a_prediction_column_adds_the_post_training_metrics(app: AppTest) -> None:
    open_page(app, "bias")
    app.radio(key="bias.post_mode").set_value("A column with predictions").run()
    app.selectbox(key="bias.predicted").set_value("rating").run()
    app.checkbox(key="bias.scores").check().run()
    app.number_input(key="bias.score_threshold").set_value(3.0).run()
    compute(app)
    post = [f.value for f in app.dataframe if "metric" in f.value.columns][1]
    assert {"DI", "DPPL", "AD", "GE", "FT", "TE"} <= set(post["metric"])
    assert "Confusion matrix in d" in texts(app.caption)


def test_a_label_with_one_class_only_is_flagged(app: AppTest) -> None:
    open_page(app, "bias")
    use_sql(app, "SELECT * FROM demo.reviews_sentiment WHERE sentiment = 1")
    compute(app)
    assert "one class only" in texts(app.warning)
    assert app.text_area(key="bias.sql").value.endswith("sentiment = 1")


def test_a_threshold_outside_the_data_says_the_group_is_empty(app: AppTest) -> None:
    open_page(app, "bias")
    app.selectbox(key="bias.facet").set_value("age").run()
    app.radio(key="bias.facet.mode.age").set_value("Threshold").run()
    app.number_input(key="bias.facet.threshold.age").set_value(200.0).run()
    compute(app)
    warning = texts(app.warning)
    assert "sensitive group d is empty" in warning and "largest value is" in warning
    metrics = frame_with(app, "metric").set_index("metric")
    assert metrics.loc["CI", "value"] == "" and "empty" in metrics.loc["CI", "meaning"]


def test_an_unknown_column_in_the_sql_is_an_error_that_keeps_the_sql(app: AppTest) -> None:
    open_page(app, "bias")
    use_sql(app, "SELECT no_such_column FROM demo.reviews_sentiment")
    assert app.error, "the query error is shown"
    assert "no_such_column" in texts(app.error)
    assert app.text_area(key="bias.sql").value == "SELECT no_such_column FROM demo.reviews_sentiment"


def test_a_registered_model_scores_the_table_in_a_job_then_shows_post_training_metrics(app: AppTest, workspace: Path) -> None:
    services = build_services(Settings(home=workspace, seed_on_start=False))
    job = services.training.start_training_job(TrainingRequest(algorithm="xgboost", source=DataSource(table="demo.wine"),
                                                               target="target", hyperparameters={"num_round": "10"}))
    assert services.jobs.wait_for_job(job, 240).status == "Completed"
    open_page(app, "bias")
    app.selectbox(key="bias.table").set_value("wine").run()
    app.selectbox(key="bias.label").set_value("target").run()
    app.multiselect(key="bias.label.values.target").set_value([1]).run()
    app.selectbox(key="bias.facet").set_value("alcohol").run()
    app.radio(key="bias.facet.mode.alcohol").set_value("Threshold").run()
    app.number_input(key="bias.facet.threshold.alcohol").set_value(13.0).run()
    app.radio(key="bias.post_mode").set_value("Score with a registered model").run()
    app.selectbox(key="bias.model").set_value("wine-xgboost/1").run()
    compute(app)
    bias = services.bias
    name = services.jobs.list_jobs(kind="bias")[0].name
    assert services.jobs.describe_job(name).config["model_id"] == "wine-xgboost/1"
    finished = services.jobs.wait_for_job(name, 60)
    assert finished.status == "Completed", finished.failure_reason
    app.run()
    report = bias.job_report(name)
    assert report.post is not None and report.post.entries[0].metric("DPPL").value is not None
    analysis = json.loads((workspace / "jobs" / name / "analysis.json").read_text())
    assert analysis["post_training_bias_metrics"]["facets"]["alcohol"][0]["value_or_threshold"].startswith("(13.0, ")
    assert [f.value for f in app.dataframe if "metric" in f.value.columns]
    app.switch_page("pages/compare.py").run()
    assert not app.exception, app.exception
    fairness = frame_with(app, "DPPL")
    assert fairness.iloc[0]["facet (d)"].startswith("alcohol=(13.0, ")
    assert fairness.iloc[0]["quality metric"] in ("test_accuracy", "accuracy", "test_f1_macro", "f1_macro")
