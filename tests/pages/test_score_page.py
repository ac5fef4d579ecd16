"""The Score page against a real local endpoint serving a TF-IDF review model.

The module trains the model and deploys it once (``reviews-live``) in its own workspace; every test opens a
fresh app over that workspace. All endpoints are deleted and the gateway stopped when the module ends.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components.score_views import (
    add_to_history,
    drift_frame,
    label_name,
    over_time_frame,
    styled_drift,
)
from services.config import Settings
from services.endpoints.models import DeployRequest, DriftReport, FeatureDrift, Variant
from services.models import DataSource, TrainingRequest
from services.registry import build_services
from tests.helpers.pages import APP, REVIEW_MODEL, frame_with, open_page, remove_endpoints, texts
from tests.helpers.workspace import copy_workspace

ENDPOINT = "reviews-live"
SCORE = "FormSubmitter:score.review-Score"
BATCH = "FormSubmitter:score.batch-Score every row"


@pytest.fixture(scope="module")
def live_home(review_model_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of the session's workspace with REVIEW_MODEL, deployed as ENDPOINT."""
    home = tmp_path_factory.mktemp("score") / "workspace"
    copy_workspace(review_model_home, home)
    services = build_services(Settings(home=home, seed_on_start=False))
    try:
        services.endpoints.deploy(DeployRequest(name=ENDPOINT, variants=(Variant("AllTraffic", REVIEW_MODEL),)))
        endpoint = services.endpoints.wait_for_endpoint(ENDPOINT, 120)
        assert endpoint.status == "InService", endpoint.failure_reason
        yield home
    finally:
        remove_endpoints(home)


@pytest.fixture
def live_app(live_home: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    for name in ("WORKBENCH_BACKEND", "WORKBENCH_QUERY_TIMEOUT_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WORKBENCH_HOME", str(live_home))
    monkeypatch.setenv("WORKBENCH_SEED_ON_START", "false")
    return AppTest.from_file(str(APP), default_timeout=90)


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


# -- the page ---------------------------------------------------------------------------------------------------


def test_without_endpoints_the_page_points_to_the_endpoints_page(app: AppTest) -> None:
    open_page(app, "score")
    assert "Deploy a model on the Endpoints page" in texts(app.info)


def test_a_review_is_scored_with_its_label_probabilities_latency_and_words(live_app: AppTest) -> None:
    app = open_page(live_app, "score")
    assert app.selectbox(key="score.endpoint").value == ENDPOINT
    app.button(key="score.review.example.negative").click().run()
    assert "disappointed" in str(app.text_area(key="score.review.text").value)
    app.button(key=SCORE).click().run()
    assert not app.exception, app.exception
    shown = metrics(app)
    assert shown["Predicted label"] == "negative (-1)"
    assert shown["Latency"].endswith(" ms")
    assert float(shown["Probability"].rstrip("%")) > 33
    assert len(app.get("plotly_chart")) >= 1  # the probability bars
    shaded = [m.value for m in app.markdown if "<span" in m.value]
    assert shaded and "disappointed" in shaded[0] and "rgba(" in shaded[0]
    history = frame_with(app, "latency (ms)")
    assert history["label"].tolist() == ["negative (-1)"]
    classes = ["negative (-1)", "neutral (0)", "positive (1)"]  # every class's probability, named as the label is
    assert set(classes) <= set(history.columns) and history[classes].sum(axis=1).round(6).tolist() == [1.0]
    app.button_group(key="score.review.words.1.class").set_value("1").run()  # the words for another class
    assert "positive (1)" in texts(app.caption)

    app.button(key="score.review.example.positive").click().run()
    app.button(key=SCORE).click().run()
    assert metrics(app)["Predicted label"] == "positive (1)"
    assert app.button_group(key="score.review.words.2.class").value == "1"  # the words are shown for the new prediction
    assert frame_with(app, "latency (ms)")["label"].tolist() == ["positive (1)", "negative (-1)"]  # newest first


def test_an_empty_review_gets_a_clear_error_and_the_text_is_kept(live_app: AppTest) -> None:
    app = open_page(live_app, "score")
    app.text_area(key="score.review.text").input("   ")
    app.button(key=SCORE).click().run()
    assert not app.exception, app.exception
    assert "The review is empty" in texts(app.error)
    assert app.text_area(key="score.review.text").value == "   "
    assert "Predicted label" not in metrics(app)


def test_batch_scoring_a_query_result_charts_the_scored_rows(live_app: AppTest) -> None:
    app = open_page(live_app, "score")
    app.button_group(key="score.batch.mode").set_value("SQL").run()
    app.text_area(key="score.batch.sql").input("SELECT * FROM demo.reviews_sentiment WHERE review_id <= 600")
    app.text_input(key="score.batch.output").input("demo.reviews_scored_small")
    app.button(key=BATCH).click().run()
    assert not app.exception, app.exception
    deadline = time.monotonic() + 90
    while "score.batch_job" in app.session_state:
        assert time.monotonic() < deadline, "the batch job did not finish"
        time.sleep(0.5)
        app.run()
    assert not texts(app.error), texts(app.error)
    assert "demo.reviews_scored_small" in texts(app.success)
    titles = [c.proto.spec for c in app.get("plotly_chart")]
    assert any("Predictions by product_category" in spec for spec in titles)
    assert any("Predictions by rating" in spec for spec in titles)
    probabilities = next(spec for spec in titles if "Class probabilities" in spec)  # a bar per class, by its name
    assert all(name in probabilities for name in ("negative (-1)", "neutral (0)", "positive (1)"))


def test_a_bad_output_table_is_refused_and_the_form_keeps_it(live_app: AppTest) -> None:
    app = open_page(live_app, "score")
    app.text_input(key="score.batch.output").input("not a table")
    app.button(key=BATCH).click().run()
    assert "is not a valid output table name" in texts(app.error)
    assert app.text_input(key="score.batch.output").value == "not a table"


def test_a_tabular_endpoint_gets_a_form_and_drift_without_traffic_shows_the_services_message(live_home: Path,
                                                                                             live_app: AppTest) -> None:
    services = build_services(Settings(home=live_home, seed_on_start=False))
    job = services.jobs.wait_for_job(services.training.start_training_job(TrainingRequest(
        algorithm="xgboost", source=DataSource(table="demo.wine"), target="target", hyperparameters={"num_round": "5"})), 240)
    assert job.status == "Completed", job.failure_reason
    endpoints = services.endpoints
    endpoints.deploy(DeployRequest(name="wine-live", variants=(Variant("AllTraffic", job.model_id),)))
    try:
        assert endpoints.wait_for_endpoint("wine-live", 120).status == "InService"
        app = open_page(live_app, "score")
        app.selectbox(key="score.endpoint").set_value("wine-live").run()
        app.button(key="score.drift.run").click().run()
        assert not app.exception, app.exception
        assert "no captured traffic yet" in texts(app.error)

        assert app.number_input(key="score.record.wine-live.alcohol").value == 0.0
        app.number_input(key="score.record.wine-live.alcohol").set_value(13.2)
        app.button(key="FormSubmitter:score.record.wine-live-Predict").click().run()
        assert not app.exception, app.exception
        assert not texts(app.error), texts(app.error)
        assert metrics(app)["Predicted label"] in ("0", "1", "2")  # wine classes are not sentiment names
    finally:
        endpoints.delete_endpoint("wine-live")


def test_drift_of_captured_traffic_and_the_capture_table(live_home: Path, live_app: AppTest) -> None:
    endpoints = build_services(Settings(home=live_home, seed_on_start=False)).endpoints
    for text in ("Love it, so soft and flattering!", "Cheap fabric, returned it.", "Fits fine, nothing special.") * 4:
        endpoints.score_text(ENDPOINT, text)
    app = open_page(live_app, "score")
    app.button(key="score.drift.run").click().run()
    assert not app.exception, app.exception
    assert not texts(app.error), texts(app.error)
    assert "Captured rows compared" in metrics(app)
    assert "PSI" in frame_with(app, "violation").columns
    app.button(key="score.capture.run").click().run()
    assert "endpoints." in texts(app.info)
    app.button(key="score.capture.query").click().run()
    assert not app.exception, app.exception
    assert str(app.text_area(key="query.sql").value).startswith("SELECT * FROM endpoints.")


# -- the helpers --------------------------------------------------------------------------------------------------


def test_sentiment_labels_history_and_drift_frames() -> None:
    sentiment, wine = ["-1", "0", "1"], ["0", "1", "2"]
    assert (label_name("-1", sentiment), label_name("1", sentiment)) == ("negative (-1)", "positive (1)")
    assert (label_name("1", wine), label_name("1", ["0", "1"]), label_name("setosa")) == ("1", "1", "setosa")
    history: list[dict[str, object]] = []
    for index in range(60):
        history = add_to_history(history, {"n": index})
    assert len(history) == 50 and history[0] == {"n": 59}
    report = DriftReport(endpoint="e", baseline_model_id="m/1", rows=40, violations=("age: PSI 0.31 > 0.2",),
                         features=(FeatureDrift("age", "numeric", 0.31, 0.2, None, "PSI 0.31 > 0.2"),
                                   FeatureDrift("review_body", "text_length", 0.01, None, 0.05)),
                         prediction_drift=FeatureDrift("predicted_label", "prediction", 0.02, None, 0.04),
                         over_time=({"hour": "2026-01-01T10", "rows": 20, "psi_age": 0.1},
                                    {"hour": "2026-01-01T11", "rows": 20, "psi_age": 0.4}),
                         notes=("Only 40 row(s) compared: distances on fewer than 100 rows say little.",))
    frame = drift_frame(report)
    assert frame["feature"].tolist() == ["age", "review_body", "predicted_label"]
    css = styled_drift(frame).to_html().split("</style>")[0]  # only the violating row is styled
    assert "rgba(220, 38, 38" in css and "_row0_col0" in css and "_row1_" not in css
    assert over_time_frame(report).to_dict("records") == [
        {"hour": "2026-01-01T10", "feature": "age", "PSI": 0.1}, {"hour": "2026-01-01T11", "feature": "age", "PSI": 0.4}]
    assert over_time_frame(DriftReport("e", "m", 0, (), None, ())).empty

    def page(report):  # type: ignore[no-untyped-def]  # runs as a script: no annotations to resolve
        from components.score_views import render_drift_report

        render_drift_report(report, key="t")

    app = AppTest.from_function(page, args=(report,)).run()
    assert not app.exception, app.exception
    assert "age: PSI 0.31 > 0.2" in texts(app.warning)
    assert "Only 40 row(s) compared" in texts(app.info)
    assert len(app.get("plotly_chart")) == 1  # PSI over the two hours


def test_line_breaks_of_every_kind_keep_the_shaded_review_in_one_html_block() -> None:
    """A blank line ends a markdown HTML block, and markdown counts a lone \\r as a line end: "\\r\\r" in a
    review used to cut the shaded words' <div> in two, showing the rest as raw HTML."""
    from components.explain_views import shaded_review_html
    from services.explain.base import TokenAttribution
    from services.explain.shap_text import word_tokenizer

    text = "Love it.\r\rBut the zipper\r\nbroke.\u2028Sad\u2029end\rok\n\x0bfin\x85"
    tokens = tuple(word_tokenizer(text)["input_ids"])  # the tokens an endpoint's explanation carries
    attribution = TokenAttribution(model_id="", text=text, predicted_label="1", probabilities={}, tokens=tokens,
                                   scores={"1": tuple(0.1 for _ in tokens)}, base_values={})
    shaded = shaded_review_html(attribution, "1")
    assert len(shaded.splitlines()) == 1, shaded  # one line: nothing can end the HTML block early
    assert shaded.count("<br>") == 9 and "it.<br><br></span>" in shaded
