"""The Tour page on the local backend: each step is a real action through the ports, with its AWS code beside it.

The train → compare → deploy → score path runs end to end in the browser journey (tests/e2e/test_tour_journey.py);
here the cheap steps run, and the explain step reuses the session's review model (``review_model_home``) as the tour
reuses the full demo's model when the train step was not run in this session.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from tests.helpers.pages import APP, REVIEW_MODEL, frame_with, open_page, texts
from tests.helpers.workspace import copy_workspace


def click(app: AppTest, step: str) -> AppTest:
    app.button(key=f"tour.step.{step}.run").click().run()
    assert not app.exception, app.exception
    return app


def codes(app: AppTest) -> str:
    return "\n".join(str(code.value) for code in app.code)


@pytest.fixture
def model_app(review_model_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    home = tmp_path / "workspace"
    copy_workspace(review_model_home, home)
    monkeypatch.delenv("WORKBENCH_BACKEND", raising=False)
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.setenv("WORKBENCH_SEED_ON_START", "false")
    return AppTest.from_file(str(APP), default_timeout=120)


def test_query_and_bias_run_for_real_with_their_aws_code_and_score_asks_for_a_deploy_first(app: AppTest) -> None:
    open_page(app, "tour")
    assert [h.value.split(" · ")[1] for h in app.subheader] == [
        "Query the reviews", "Check the data for bias", "Train a sentiment model", "Compare the runs",
        "Explain a prediction", "Deploy an endpoint", "Score a review live"]
    shown = codes(app)
    assert "wr.athena.read_sql_query(sql, database='demo'" in shown
    assert "clarify.run_pre_training_bias(" in shown and "facet_name='product_category'" in shown
    assert "ModelTrainer(" in shown and "endpoint.invoke(" in shown

    click(app, "query")
    counts = frame_with(app, "reviews")
    assert set(counts["product_category"]) >= {"Dresses", "Tops"} and counts["reviews"].sum() > 10_000
    click(app, "bias")
    report = frame_with(app, "DPL")
    assert "Dresses" in set(report["product_category"])
    assert "categories compared on" in texts(app.markdown)
    assert frame_with(app, "reviews") is not None  # the query's result is remembered across steps

    click(app, "score")
    assert "Run step 6 (Deploy) first" in texts(app.error)


def test_explain_uses_the_review_model_already_in_the_workspace(model_app: AppTest) -> None:
    """The train step was not run in this session: the tour explains with the registry's review model (as it would
    with the full demo's), and the AWS code beside the step follows that model."""
    open_page(model_app, "tour")
    click(model_app, "explain")
    assert "Predicted **" in texts(model_app.markdown)
    words = frame_with(model_app, "contribution")
    assert len(words) == 6 and words["contribution"].abs().is_monotonic_decreasing
    assert model_app.session_state[keys.TOUR_MEMORY].model_id == REVIEW_MODEL
    assert "model_name='reviews-sentiment-text-tfidf-1'" in codes(model_app)  # the code follows the model used
