"""The Features page on the local backend: a group created from a table, ingested by a real ingestion job, a record
looked up online and a point-in-time training set built and handed to Train; the empty state's demo group; errors
(rows of an uploaded file failing validation, a wrong identifier column, an unknown group, a bad name) shown with the inputs kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from services.features.models import FeatureGroupSpec, IngestSource
from services.registry import build_services
from tests.helpers.feature_pages import CUSTOMERS, add_lab_tables, broken_events
from tests.helpers.pages import APP, frame_with, open_page, texts
from tests.helpers.workspace import close_services, copy_workspace, settings_for_tests

CREATE = "features.create.lab.customers"


@pytest.fixture(scope="module")
def lab_home(seeded_page_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded workspace plus the lab tables (no feature group yet)."""
    home = tmp_path_factory.mktemp("features-page") / "workspace"
    copy_workspace(seeded_page_home, home)
    services = build_services(settings_for_tests(home=home, seed_on_start=False))
    add_lab_tables(services, home.parent / "incoming")
    close_services(services)
    return home


@pytest.fixture(scope="module")
def grouped_home(lab_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The lab workspace with the feature group ``customers`` created from lab.customers and ingested in-process."""
    home = tmp_path_factory.mktemp("features-grouped") / "workspace"
    copy_workspace(lab_home, home)
    services = build_services(settings_for_tests(home=home, seed_on_start=False))
    source = IngestSource(table="lab.customers")
    services.features.create_feature_group(FeatureGroupSpec(
        "customers", "customer_id", "event_time", tuple(services.features.infer_definitions(source)),
        description="Spend and visits per customer", tags={"team": "growth"}))
    assert services.features.ingest("customers", source).ingested == CUSTOMERS
    close_services(services)
    return home


def app_on(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[AppTest, Path]:
    copy = tmp_path / "workspace"
    copy_workspace(home, copy)
    monkeypatch.delenv("WORKBENCH_BACKEND", raising=False)
    monkeypatch.setenv("WORKBENCH_HOME", str(copy))
    monkeypatch.setenv("WORKBENCH_SEED_ON_START", "false")
    return AppTest.from_file(str(APP), default_timeout=60), copy


@pytest.fixture
def lab_app(lab_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[AppTest, Path]:
    return app_on(lab_home, tmp_path, monkeypatch)


@pytest.fixture
def grouped_app(grouped_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[AppTest, Path]:
    return app_on(grouped_home, tmp_path, monkeypatch)


def submit(app: AppTest, form: str, label: str) -> AppTest:
    app.button(key=f"FormSubmitter:{form}-{label}").click().run()
    assert not app.exception, app.exception
    return app


def wait_for_ingestion(app: AppTest, home: Path) -> None:
    """Wait for the ingestion job the page started, without running the page."""
    _, job = app.session_state[keys.FEATURES_INGESTION]
    jobs = build_services(settings_for_tests(home=home, seed_on_start=False)).jobs
    assert jobs.wait_for_job(job, 120).status == "Completed", jobs.describe_job(job).failure_reason


def finish_ingestion(app: AppTest, home: Path) -> None:
    """Wait for the ingestion job the page started, then let the page see it finished."""
    wait_for_ingestion(app, home)
    app.run()
    assert not app.exception, app.exception


def test_create_ingest_look_up_build_and_train(lab_app: tuple[AppTest, Path]) -> None:
    app, home = lab_app
    open_page(app, "features")
    assert "No feature groups yet" in texts(app.info)
    app.selectbox(key="features.create.source").select("lab.customers").run()
    assert app.selectbox(key=f"{CREATE}.identifier").value == "customer_id"
    assert app.selectbox(key=f"{CREATE}.event_time").value == "event_time"
    app.text_input(key=f"{CREATE}.name").input("customers")
    app.text_input(key=f"{CREATE}.tags").input("team=growth")
    submit(app, f"{CREATE}.form", "Create feature group")
    assert "Feature group **customers** created" in texts(app.success)
    assert app.session_state[keys.FEATURES_TAB] == "Ingest"
    assert app.segmented_control(key=keys.FEATURES_INGEST_KIND).value == "table"
    assert app.selectbox(key=keys.FEATURES_INGEST_TABLE).value == "lab.customers"

    submit(app, "features.ingest.table.form", "Start ingestion")
    finish_ingestion(app, home)
    assert f"Ingested **{CUSTOMERS}** records." in texts(app.success)
    groups = frame_with(app, "freshness")
    assert list(groups["records"]) == [str(CUSTOMERS)] and list(groups["freshness"]) == ["just now"]

    app.text_input(key="features.lookup.id").input("4")
    submit(app, "features.lookup.form", "Look up")
    record = frame_with(app, "value")
    assert dict(zip(record["feature"], record["value"], strict=True))["spend"] == "42.0"

    app.selectbox(key="features.dataset.base").select("lab.labels").run()
    app.multiselect(key="features.dataset.groups").select("customers")
    app.text_input(key="features.dataset.out_table").input("lab.churn_training")
    submit(app, "features.dataset.form", "Build dataset")
    assert [m.value for m in app.metric if m.label == "Rows"] == [f"{CUSTOMERS:,}"]
    assert "Saved as  \n**lab.churn_training**" in texts(app.markdown)
    # The features were written today for events of January: every label row would learn from the future.
    assert f"{CUSTOMERS} of {CUSTOMERS} rows use features written after the row's event time" in texts(app.warning)
    preview = frame_with(app, "churned")
    assert {"spend", "visits", "city"} <= set(preview.columns)
    assert "ASOF" in texts(app.code).upper()

    app.button(key="features.dataset.result.train").click().run()
    assert not app.exception, app.exception
    assert app.title[0].value == "Train"
    assert (app.selectbox(key=keys.TRAIN_DATABASE).value, app.selectbox(key=keys.TRAIN_TABLE).value) == (
        "lab", "churn_training")


def test_the_empty_state_creates_the_demo_group_with_its_ingestion_ready(lab_app: tuple[AppTest, Path]) -> None:
    app, _ = lab_app
    open_page(app, "features")
    app.button(key="features.demo").click().run()
    assert not app.exception, app.exception
    assert "Feature group **reviews** created from demo.reviews_sentiment" in texts(app.success)
    assert app.segmented_control(key=keys.FEATURES_INGEST_KIND).value == "sql"
    assert "FROM demo.reviews_sentiment" in app.text_area(key=keys.FEATURES_INGEST_SQL).value
    definitions = frame_with(app, "role")
    assert list(definitions["feature"]) == ["review_id", "event_time", "review_body", "product_category", "age", "rating"]
    assert list(definitions["type"][:2]) == ["Integral", "String"]


def test_browse_search_and_look_up(grouped_app: tuple[AppTest, Path]) -> None:
    app, _ = grouped_app
    open_page(app, "features")
    assert "Tags: `team=growth`" in texts(app.caption)
    assert "sagemaker_featurestore.customers_" in texts(app.info)
    statistics = frame_with(app, "distinct")
    assert dict(zip(statistics["feature"], statistics["max"], strict=True))["spend"] == "126"
    app.text_input(key="features.lookup.id").input("999")
    submit(app, "features.lookup.form", "Look up")
    assert not app.error
    assert "No record **999** in the online store of customers" in texts(app.info)
    app.button(key="features.detail.query").click().run()
    assert app.title[0].value == "Query"
    assert app.text_area(key=keys.QUERY_SQL).value.startswith("SELECT * FROM sagemaker_featurestore.customers_")
    assert len(frame_with(app, "write_time")) == CUSTOMERS  # the offline store, every write with SageMaker's columns
    app.switch_page("pages/features.py").run()
    app.text_input(key=keys.FEATURES_SEARCH).input("VISITS").run()  # a feature name, any case
    assert list(frame_with(app, "freshness")["feature group"]) == ["customers"]
    app.text_input(key=keys.FEATURES_SEARCH).input("no such thing").run()
    assert "No feature group matches **no such thing**" in texts(app.info)


def test_a_link_to_a_record_looks_it_up_and_one_to_an_unknown_group_says_so(grouped_app: tuple[AppTest, Path]) -> None:
    app, _ = grouped_app
    app.query_params.update({"group": "customers", "record": "3"})
    open_page(app, "features")
    record = frame_with(app, "value")
    assert dict(zip(record["feature"], record["value"], strict=True))["city"] == "Lyon"
    assert "[Link to this record](features?group=customers&record=3)" in texts(app.caption)
    app.query_params.update({"group": "churn-features", "record": "3"})
    app.run()
    assert "churn-features" in texts(app.error)


def test_failing_rows_wrong_identifiers_and_bad_names_are_explained_with_the_inputs_kept(
        grouped_app: tuple[AppTest, Path]) -> None:
    app, home = grouped_app
    open_page(app, "features")
    app.segmented_control(key=keys.FEATURES_INGEST_KIND).set_value("file").run()
    upload = broken_events().to_csv(index=False).encode()
    app.file_uploader(key="features.ingest.file.upload").upload("Broken Events.csv", upload, "text/csv")
    submit(app, "features.ingest.file.form", "Start ingestion")  # the job runs while the page is used

    app.selectbox(key="features.dataset.base").select("lab.labels").run()
    app.selectbox(key="features.dataset.identifier").select("event_time")
    app.multiselect(key="features.dataset.groups").select("customers")
    submit(app, "features.dataset.form", "Build dataset")
    assert "record identifier 'event_time' is TIMESTAMP but feature group customers's" in texts(app.error)
    assert app.selectbox(key="features.dataset.identifier").value == "event_time"
    app.selectbox(key="features.dataset.identifier").select("customer_id")
    app.text_input(key="features.dataset.as_of").input("yesterday")
    submit(app, "features.dataset.form", "Build dataset")
    assert "'yesterday' is not an ISO-8601 time" in texts(app.error)
    assert app.multiselect(key="features.dataset.groups").value == ["customers"]

    app.selectbox(key="features.create.source").select("lab.customers").run()
    app.text_input(key=f"{CREATE}.name").input("../customers")
    submit(app, f"{CREATE}.form", "Create feature group")
    assert "../customers" in texts(app.error)
    assert app.text_input(key=f"{CREATE}.name").value == "../customers"

    finish_ingestion(app, home)
    assert app.session_state[keys.FEATURES_INGESTION][0] == "customers"
    catalog = build_services(settings_for_tests(home=home, seed_on_start=False)).catalog
    assert [t.name for t in catalog.list_tables("uploads")] == ["broken_events"]  # the upload, kept as a table
    assert "Ingested **2** records; **2** rows failed validation." in texts(app.warning)
    causes = texts(app.markdown)
    assert "1 row: event_time is not an ISO-8601 time" in causes and "1 row: spend is not a number" in causes


def test_a_submit_in_the_run_that_first_sees_the_ingestion_finished_is_kept(
        grouped_app: tuple[AppTest, Path]) -> None:
    """The ingestion's fragment is drawn (inline) above the Create tab: seeing the job finished there must not restart
    the run, which dropped the form's submit and its error (a flaky test's cause)."""
    app, home = grouped_app
    open_page(app, "features")
    app.segmented_control(key=keys.FEATURES_INGEST_KIND).set_value("file").run()
    app.file_uploader(key="features.ingest.file.upload").upload("Events.csv", broken_events().to_csv(index=False).encode(),
                                                                "text/csv")
    submit(app, "features.ingest.file.form", "Start ingestion")
    app.selectbox(key="features.create.source").select("lab.customers").run()
    app.text_input(key=f"{CREATE}.name").input("../customers")
    wait_for_ingestion(app, home)  # finished before the next run, which is the submit's
    submit(app, f"{CREATE}.form", "Create feature group")
    assert "../customers" in texts(app.error)
    assert app.text_input(key=f"{CREATE}.name").value == "../customers"
    assert keys.FEATURES_WATCHED not in app.session_state  # this run read the results: nothing left to refresh
    assert "Ingested **2** records; **2** rows failed validation." in texts(app.warning)


def test_freshness_reads_as_people_say_it() -> None:
    from datetime import UTC, datetime

    from components.feature_views import freshness

    now = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    assert [freshness(t, now) for t in ("2026-12-05T09:59:30Z", "2026-12-05T09:57:00+00:00", "2026-12-05T07:00:00",
                                        "2026-12-02T10:00:00Z", "")] == [
        "just now", "3 min ago", "3 h ago", "3 d ago", "never written"]
