"""The Lineage page on the local backend, over the lineage of a training job on the seeded demo.wine table."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from services.config import Settings
from services.lineage.hooks import record_finished_job
from services.models import Job, ModelRecord
from services.registry import build_services
from tests.helpers.pages import APP, frame_with, open_page, texts
from tests.helpers.workspace import copy_workspace

JOB = "wine-train-1"


@pytest.fixture(scope="module")
def trained_home(seeded_page_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the seeded workspace where a training job on demo.wine finished and registered wine-xgboost/1, recorded
    by the hooks the job worker and the registry call (tests/unit/test_lineage_recording.py runs a real job)."""
    home = tmp_path_factory.mktemp("lineage-page") / "workspace"
    copy_workspace(seeded_page_home, home)
    services = build_services(Settings(home=home, seed_on_start=False))
    version = services.catalog.get_table("demo", "wine").version_id
    config = {"algorithm": "xgboost", "source": {"table": "demo.wine", "path": "", "table_version": version}, "target": "target"}
    model_dir = home.parent / "model"
    model_dir.mkdir()
    (model_dir / "model.json").write_text("{}")
    services.stack.models.register(ModelRecord("", "wine-xgboost", 0, "xgboost", "MulticlassClassification", "target", (),
                                               ("0", "1", "2"), {}, "", JOB, ""), model_dir)
    job = Job(JOB, "training", "Completed", "Completed", "2026-01-01T00:00:00+00:00", config, model_id="wine-xgboost/1")
    record_finished_job(services.stack.store, job, pytest.fail)
    services.stack.store.close()
    return home


@pytest.fixture
def trained_app(trained_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    home = tmp_path / "workspace"
    copy_workspace(trained_home, home)
    monkeypatch.delenv("WORKBENCH_BACKEND", raising=False)
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.setenv("WORKBENCH_SEED_ON_START", "false")
    return AppTest.from_file(str(APP), default_timeout=60)


def test_no_models_yet_says_how_lineage_appears(app: AppTest) -> None:
    open_page(app, "lineage")
    assert "Lineage appears when a job runs" in texts(app.info)
    assert app.button(key="lineage.built_from").disabled


def test_which_data_and_code_built_this_model_in_one_click(trained_app: AppTest) -> None:
    open_page(trained_app, "lineage")
    assert trained_app.selectbox(key="lineage.entity.model").value == "wine-xgboost/1"
    trained_app.button(key="lineage.built_from").click().run()
    assert not trained_app.exception, trained_app.exception
    assert trained_app.session_state[keys.LINEAGE_DIRECTION] == "upstream"
    assert trained_app.session_state[keys.LINEAGE_DEPTH] == 10
    assert not trained_app.warning  # no "default value but also set via Session State" warnings
    summary = texts(trained_app.markdown)
    assert "**Built from** data `demo.wine v1`" in summary
    assert len(trained_app.get("graphviz_chart")) == 1
    vertices = frame_with(trained_app, "LineageType")
    assert list(vertices["Type"]) == ["Model", "ModelData", "TrainingJob", "DataSet"]
    assert JOB in list(vertices["Name"])


def test_what_is_downstream_of_this_table_in_one_click(trained_app: AppTest) -> None:
    open_page(trained_app, "lineage")
    trained_app.segmented_control(key=keys.LINEAGE_KIND).set_value("table").run()
    trained_app.selectbox(key="lineage.entity.table").select("demo.wine").run()
    trained_app.button(key="lineage.downstream").click().run()
    assert not trained_app.exception, trained_app.exception
    assert "models `wine-xgboost/1`" in texts(trained_app.markdown)
    edges = frame_with(trained_app, "AssociationType")
    assert ("demo.wine v1", "ContributedTo") in set(zip(edges["Source"], edges["AssociationType"]))


def test_a_table_nothing_used_says_lineage_grows_as_jobs_run(trained_app: AppTest) -> None:
    open_page(trained_app, "lineage")
    trained_app.segmented_control(key=keys.LINEAGE_KIND).set_value("table").run()
    trained_app.selectbox(key="lineage.entity.table").select("demo.reviews").run()
    assert "Nothing is linked to demo.reviews" in texts(trained_app.info)


def test_an_unknown_arn_is_explained_not_an_error(trained_app: AppTest) -> None:
    open_page(trained_app, "lineage")
    trained_app.segmented_control(key=keys.LINEAGE_KIND).set_value("arn").run()
    trained_app.text_input(key="lineage.arn").input("arn:aws:sagemaker:us-east-1:000000000000:artifact/0000").run()
    assert not trained_app.exception and not trained_app.error
    assert "No lineage is recorded for arn:aws:sagemaker:us-east-1:000000000000:artifact/0000" in texts(trained_app.info)


def test_another_page_hands_an_entity_over(trained_app: AppTest) -> None:
    trained_app.run()
    trained_app.session_state[keys.LINEAGE_START] = ("table", "demo.wine")
    trained_app.switch_page("pages/lineage.py").run()
    assert not trained_app.exception, trained_app.exception
    assert trained_app.segmented_control(key=keys.LINEAGE_KIND).value == "table"
    assert trained_app.selectbox(key="lineage.entity.table").value == "demo.wine"
    assert not trained_app.warning
    assert "wine-xgboost/1" in set(frame_with(trained_app, "LineageType")["Name"])
