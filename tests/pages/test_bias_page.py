"""The Bias page over the seeded workspace: reports, one-vs-all, post-training, model jobs, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from services.bias.models import ideal_distance
from services.config import Settings
from services.models import DataSource, TrainingRequest
from services.registry import build_services
from tests.helpers.pages import frame_with, open_page, texts

EACH = "Each value (one-vs-all)"


def compute(app: AppTest) -> AppTest:
    assert not app.button(key="bias.run").disabled, texts(app.caption)
    app.button(key="bias.run").click().run()
    assert not app.exception, app.exception
    return app


def metrics_table(app: AppTest, stage: int = 0):  # type: ignore[no-untyped-def]
    """The metrics of a stage (0 pre, 1 post), as st.table shows them (the text wraps)."""
    return [t.value for t in app.table if "metric" in t.value.columns][stage]


def configuration(app: AppTest):  # type: ignore[no-untyped-def]
    return next(e for e in app.expander if e.label == "Data and configuration")


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
    metrics = metrics_table(app)
    assert set(metrics["metric"]) == {"CI", "DPL", "JS", "KL", "KS", "LP", "TVD"}  # no CDDL: no group variable was given
    ci = metrics.set_index("metric").loc["CI"]
    assert float(ci["value"]) > 0.9  # Trend is a small category
    assert "…" in ci["95 % interval"]
    assert {m.label for m in app.metric} >= {"Rows in d", "Rows in a"}
    labels = [b.label for b in app.get("download_button")]
    assert labels == ["analysis.json", "HTML report"]


def test_one_vs_all_draws_the_heat_map_and_lets_the_user_pick_a_value(app: AppTest) -> None:
    open_page(app, "bias")
    app.radio(key="bias.facet.mode.product_category").set_value(EACH).run()
    compute(app)
    heat = json.loads(app.get("plotly_chart")[0].proto.spec)["data"][0]
    rows = dict(zip(heat["y"], zip(heat["z"], heat["text"])))
    for name in ("CI", "DPL", "KL"):  # each metric coloured by its distance from its own ideal, not on one ±1 scale
        z, text = rows[name]
        assert z == [pytest.approx(ideal_distance(name, float(t)), abs=1e-3) for t in text]
    assert "Each of the " in texts(app.markdown) and "The largest gap:" in texts(app.markdown)
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
    app.multiselect(key="bias.facet.values.product_category").set_value(["Trend"]).run()
    compute(app)
    post = metrics_table(app, 1)
    assert {"DI", "DPPL", "AD", "GE", "FT", "TE"} <= set(post["metric"])
    assert "Confusion matrix in d" in texts(app.caption)


def test_a_label_with_one_class_only_is_flagged(app: AppTest) -> None:
    open_page(app, "bias")
    use_sql(app, "SELECT * FROM demo.reviews_sentiment WHERE sentiment = 1")
    app.radio(key="bias.facet.mode.product_category").set_value(EACH).run()
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
    metrics = metrics_table(app).set_index("metric")
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
    assert metrics_table(app, 1) is not None
    app.switch_page("pages/compare.py").run()
    assert not app.exception, app.exception
    fairness = frame_with(app, "DPPL")
    assert fairness.iloc[0]["facet (d)"].startswith("alcohol=(13.0, ")
    assert fairness.iloc[0]["quality metric"] in ("test_accuracy", "accuracy", "test_f1_macro", "f1_macro")


def test_the_report_leads_with_a_headline_and_flags_in_coloured_words(app: AppTest) -> None:
    open_page(app, "bias")
    app.multiselect(key="bias.facet.values.product_category").set_value(["Trend"]).run()
    compute(app)
    boxes = texts([*app.error, *app.warning, *app.success, *app.info])
    assert "For rows with product_category = Trend (d, " in boxes and "percentage points" in boxes
    assert "The 95 % interval of DPL" in boxes and ("includes 0" in boxes or "excludes 0" in boxes)
    assert "Flagged: CI" in boxes and "CI = 0.9" in boxes  # which metric and why
    table = next(t for t in app.table if "metric" in t.value.columns)
    assert set(table.value["flag"]) <= {"ok", "check", "flagged", "n/a"} and "flagged" in set(table.value["flag"])
    assert "#ffd6d6" in str(table.proto)  # the red flag cell is coloured
    shown = texts([*app.markdown, *app.caption, *app.error, *app.warning, *app.success, *app.info]) + str(table.value)
    assert not [c for c in shown if 0x1F300 <= ord(c) <= 0x1FAFF], "no emoji: they render as boxes without an emoji font"
    assert "Positive:" in table.value.set_index("metric").loc["DPL", "meaning"]  # the whole meaning, in a wrapping table


def test_values_mode_without_a_value_asks_for_one_instead_of_running_one_vs_all(app: AppTest) -> None:
    open_page(app, "bias")
    assert app.radio(key="bias.facet.mode.product_category").value == "Values"
    assert app.multiselect(key="bias.facet.values.product_category").value == []
    assert app.button(key="bias.run").disabled
    assert "Pick the sensitive (d) value(s), or choose 'Each value (one-vs-all)'" in texts(app.caption)
    app.radio(key="bias.facet.mode.product_category").set_value(EACH).run()
    assert not app.button(key="bias.run").disabled


def test_after_a_run_the_configuration_folds_away_and_the_report_comes_first(app: AppTest) -> None:
    open_page(app, "bias")
    assert configuration(app).proto.expanded
    app.multiselect(key="bias.facet.values.product_category").set_value(["Trend"]).run()
    compute(app)
    assert not configuration(app).proto.expanded
    assert metrics_table(app) is not None
    app.switch_page("pages/query.py").run()
    app.switch_page("pages/bias.py").run()
    assert not configuration(app).proto.expanded and metrics_table(app) is not None  # still folded on coming back
    assert app.multiselect(key="bias.facet.values.product_category").value == ["Trend"]  # the form kept its values
