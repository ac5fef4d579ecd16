"""The Explain page over real models and real SHAP jobs in the test's workspace.

Two small models (XGBoost on demo.wine, TF-IDF on demo.reviews_sentiment) are trained once per module
and copied into each test's workspace, so every test starts from the same registry.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from services.models import DataSource, TrainingRequest
from services.registry import build_services
from tests.helpers.pages import APP, REVIEW_MODEL, frame_with, open_page, texts
from tests.helpers.workspace import copy_workspace, settings_for_tests

WINE_MODEL = "wine-xgboost/1"
EXPLAIN = "FormSubmitter:explain.form-Explain"
EXPLAIN_REVIEW = "FormSubmitter:explain.review-Explain this review"
QUICK_TABLE = "FormSubmitter:explain.quick.form-Run Quick Model"
QUICK_SQL = "FormSubmitter:explain.quick.sql_form-Run Quick Model"


@pytest.fixture(scope="module")
def trained_home(review_model_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's workspace with REVIEW_MODEL, plus WINE_MODEL trained here."""
    home = tmp_path_factory.mktemp("explain-models") / "workspace"
    copy_workspace(review_model_home, home)
    services = build_services(settings_for_tests(home=home, seed_on_start=False))
    job = services.jobs.wait_for_job(services.training.start_training_job(TrainingRequest(
        algorithm="xgboost", source=DataSource(table="demo.wine"), target="target",
        hyperparameters={"num_round": "10", "max_depth": "3"})), 240)
    assert job.status == "Completed", job.failure_reason
    assert job.model_id == WINE_MODEL, job.model_id
    return home


@pytest.fixture
def trained_app(trained_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    """An app over a copy of the workspace that holds both models."""
    home = tmp_path / "trained"
    shutil.copytree(trained_home, home)
    for name in ("WORKBENCH_BACKEND", "WORKBENCH_QUERY_TIMEOUT_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.setenv("WORKBENCH_SEED_ON_START", "false")
    yield AppTest.from_file(str(APP), default_timeout=90)


def pick_model(app: AppTest, model_id: str) -> AppTest:
    open_page(app, "explain")
    app.selectbox(key="explain.model").set_value(model_id).run()
    assert not app.exception, app.exception
    return app


def wait_for_explanation(app: AppTest, timeout: float = 90) -> None:
    """Wait on the job the page started, then rerun the page to show its results."""
    from components.services import get_services

    jobs = get_services().jobs
    name = app.session_state["explain.job"]
    deadline = time.monotonic() + timeout
    while not jobs.describe_job(name).finished:
        assert time.monotonic() < deadline, f"{name} did not finish"
        time.sleep(0.5)
    app.run()
    assert not app.exception, app.exception


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def test_without_models_the_page_points_to_training_and_still_offers_a_quick_model(app: AppTest) -> None:
    open_page(app, "explain")
    assert "No registered models yet" in texts(app.info)
    assert [link.value for link in app.page_link] == ["Train a model"]
    assert app.selectbox(key="explain.quick.table").value == "demo.wine"
    assert app.selectbox(key="explain.quick.target.demo.wine").value == "target"
    app.button(key=QUICK_TABLE).click().run()
    assert not app.exception, app.exception
    found = metrics(app)
    assert float(found["f1 (test)"]) > 0.8
    assert int(found["Train rows"].replace(",", "")) + int(found["Test rows"].replace(",", "")) == 178
    assert app.get("plotly_chart"), "the feature-importance chart is missing"


def test_explaining_a_tabular_model_shows_importances_plots_and_the_download(trained_app: AppTest) -> None:
    app = pick_model(trained_app, WINE_MODEL)
    assert app.selectbox(key="explain.form.table").value == "demo.wine"  # the model's training table
    assert "Explainer: **Tree**" in texts(app.caption)  # said before anything starts, with its default sample
    assert app.number_input(key="explain.form.rows.tree").value == 500
    assert "Expected:" not in texts(app.caption)  # no earlier explanation to time it by
    app.number_input(key="explain.form.rows.tree").set_value(60)
    app.number_input(key="explain.form.background.tree").set_value(30)
    app.button(key=EXPLAIN).click().run()
    assert not app.exception, app.exception
    running = app.selectbox(key="explain.job").options  # drawn while the job is pending or running
    wait_for_explanation(app)
    # the picker's option text never changes with the job (a keyed selectbox in the browser keeps showing the text it
    # was first drawn with, so a status in it said "InProgress" after completion); the status is shown beside it
    assert app.selectbox(key="explain.job").options == running
    assert not any(status in running[0] for status in ("Pending", "InProgress", "Completed"))
    assert "Status: **Completed**" in texts(app.caption)
    assert "Expected: **" in texts(app.caption) and "for 60 rows" in texts(app.caption)  # timed by this job
    found = metrics(app)
    assert found["Explainer"] == "Tree"
    assert found["Rows explained"] == "60"
    importance = frame_with(app, "importance")
    assert len(importance) >= 10 and importance["importance"].is_monotonic_decreasing
    assert len(app.get("plotly_chart")) >= 4  # importance, beeswarm, dependence, waterfall
    assert any(b.proto.label.startswith("Download per-row SHAP values") for b in app.get("download_button"))
    app.number_input(key="explain.waterfall.row").set_value(5).run()
    app.selectbox(key="explain.dependence.feature").set_value(importance["feature"].iloc[1]).run()
    assert not app.exception, app.exception

    app.button(key=EXPLAIN).click().run()  # the same model, data and settings again
    assert "Reused" in texts(app.info)


def test_explaining_on_data_without_the_models_columns_is_explained_and_keeps_the_form(trained_app: AppTest) -> None:
    app = pick_model(trained_app, WINE_MODEL)
    app.selectbox(key="explain.form.table").set_value("demo.reviews_sentiment")
    app.number_input(key="explain.form.rows.tree").set_value(42)
    app.button(key=EXPLAIN).click().run()
    assert not app.exception, app.exception
    assert "'alcohol' is not in the data" in texts(app.error)
    assert app.selectbox(key="explain.form.table").value == "demo.reviews_sentiment"
    assert app.number_input(key="explain.form.rows.tree").value == 42


def test_a_review_is_shown_with_its_words_shaded_by_contribution(trained_app: AppTest) -> None:
    app = pick_model(trained_app, REVIEW_MODEL)
    app.button(key="explain.review.example.negative").click().run()
    assert "disappointed" in app.text_area(key="explain.review.text").value
    app.number_input(key="explain.review.evals").set_value(100)
    app.button(key=EXPLAIN_REVIEW).click().run()
    assert not app.exception, app.exception
    assert metrics(app)["Predicted label"] == "negative (-1)"  # named as the Score page names it
    assert app.button_group(key="explain.tokens.1.class").value == "-1"  # contributions to the predicted class first
    shaded = [m.value for m in app.markdown if "<span" in m.value]
    assert shaded and "rgba(22, 163, 74" in shaded[0] and "disappointed" in shaded[0]  # green: towards negative
    words = frame_with(app, "contribution")
    assert len(words) > 3
    app.button_group(key="explain.tokens.1.class").set_value("1").run()  # the positive class: those words turn red
    assert not app.exception, app.exception
    assert "towards **positive (1)**" in texts(app.caption)
    shaded = [m.value for m in app.markdown if "<span" in m.value]
    assert "rgba(220, 38, 38" in shaded[0]

    app.button(key="explain.review.example.positive").click().run()
    app.button(key=EXPLAIN_REVIEW).click().run()
    assert metrics(app)["Predicted label"] == "positive (1)"
    assert app.button_group(key="explain.tokens.2.class").value == "1"  # a new review starts at its own prediction


def test_a_review_models_shap_job_shows_the_top_words_per_class(trained_app: AppTest) -> None:
    app = pick_model(trained_app, REVIEW_MODEL)
    assert app.selectbox(key="explain.form.table").value == "demo.reviews_sentiment"
    assert "Explainer: **Partition**" in texts(app.caption)
    assert app.number_input(key="explain.form.rows.partition").value == 20  # reviews are slow: fewer by default
    app.number_input(key="explain.form.rows.partition").set_value(4)
    app.button(key=EXPLAIN).click().run()
    assert not app.exception, app.exception
    wait_for_explanation(app, timeout=120)
    assert metrics(app)["Explainer"] == "Partition"
    assert metrics(app)["Explained output"] in ("negative (-1)", "neutral (0)", "positive (1)")
    assert {"Global importance (words)", "Top words per class", "Per review"} <= {t.label for t in app.tabs}
    assert len(frame_with(app, "review")) == 4
    assert any(b.proto.label.startswith("Download per-row SHAP values") for b in app.get("download_button"))


def test_an_empty_review_and_a_tabular_model_are_refused_and_the_review_is_kept(trained_app: AppTest) -> None:
    app = pick_model(trained_app, REVIEW_MODEL)
    app.text_area(key="explain.review.text").input("   ")
    app.button(key=EXPLAIN_REVIEW).click().run()
    assert not app.exception, app.exception
    assert "The review is empty" in texts(app.error)

    app.selectbox(key="explain.model").set_value(WINE_MODEL).run()
    assert "reads table columns" in texts(app.caption)
    review = "Lovely soft dress, true to size."
    app.text_area(key="explain.review.text").input(review)
    app.button(key=EXPLAIN_REVIEW).click().run()
    assert not app.exception, app.exception
    assert "not a review text" in texts(app.error)
    assert app.text_area(key="explain.review.text").value == review


def test_quick_model_errors_keep_the_sql_and_the_target(trained_app: AppTest) -> None:
    app = open_page(trained_app, "explain")
    app.button_group(key="explain.quick.mode").set_value("SQL").run()
    sql = "SELECT *, 1 AS constant FROM demo.wine"
    app.text_area(key="explain.quick.sql").input(sql)
    app.text_input(key="explain.quick.sql_target").input("constant")
    app.button(key=QUICK_SQL).click().run()
    assert not app.exception, app.exception
    assert "has a single value" in texts(app.error)
    assert app.text_area(key="explain.quick.sql").value == sql
    app.text_input(key="explain.quick.sql_target").input("no_such_column")
    app.button(key=QUICK_SQL).click().run()
    assert "no_such_column" in texts(app.error)
    assert app.text_input(key="explain.quick.sql_target").value == "no_such_column"


def test_a_classifier_without_probabilities_fails_with_its_reason_on_the_page(trained_app: AppTest, tmp_path: Path) -> None:
    """A script's LinearSVC has no predict_proba: the job fails and the page says why, not a traceback."""
    import joblib
    from sklearn.svm import LinearSVC

    from components.services import get_services
    from services.embedded.model_registry import ModelRegistry
    from services.models import Column, ModelRecord
    from services.training.algorithms.base import write_predictor_manifest

    services = get_services()
    wine = services.query.read_table("demo", "wine")  # type: ignore[attr-defined]
    folder = tmp_path / "svc"
    folder.mkdir()
    joblib.dump(LinearSVC().fit(wine[["alcohol", "flavanoids"]], wine["target"] == 0), folder / "model.joblib")
    write_predictor_manifest(folder, "services.training.script_mode:load_script_predictor")
    draft = ModelRecord(model_id="", name="wine-svc", version=0, framework="script", problem_type="BinaryClassification",
                        target="target", input_schema=(Column("alcohol", "double"), Column("flavanoids", "double")),
                        classes=("False", "True"), metrics={}, run_id="", job_name="", artifact_path="")
    ModelRegistry(services.catalog.store, services.settings.home / "models").register(draft, folder)  # type: ignore[attr-defined]

    app = pick_model(trained_app, "wine-svc/1")
    app.selectbox(key="explain.form.table").set_value("demo.wine")
    app.number_input(key="explain.form.rows.tree-linear-or-permutation").set_value(20)
    app.button(key=EXPLAIN).click().run()
    assert not app.exception, app.exception
    wait_for_explanation(app)
    assert metrics(app)["Status"] == "Failed"
    assert "cannot give class probabilities" in texts(app.error)
