"""Features: SageMaker Feature Store — search and browse feature groups, ingest, look up a record online, build a
point-in-time training set, create a group from a table."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import streamlit as st

from components import keys
from components.code_views import show_code
from components.feature_views import (
    INGEST_KINDS,
    IngestChoice,
    render_create_form,
    render_dataset_form,
    render_dataset_result,
    render_group_detail,
    render_group_list,
    render_ingest_form,
    render_ingestion,
    render_lookup_form,
    render_record,
)
from components.fragments import fragment_ran_alone
from components.navigation import ensure_app_navigation
from components.services import get_services, show_error
from components.state import hand_off, keep, restore
from services.codegen.models import feature_ingest_choice_code
from services.errors import InvalidInput, ServiceError
from services.features.models import DatasetResult, FeatureGroup, FeatureGroupSpec, IngestSource

ensure_app_navigation("pages/features.py")
st.title("Features")
st.caption("SageMaker Feature Store: feature groups with an online store (the latest record per identifier, for "
           "inference) and an offline store (every write, for training sets built point-in-time).")
services = get_services()
features = services.features

TABS = ["Overview", "Ingest", "Look up", "Build dataset", "Create group"]
DEMO_GROUP = "reviews"
DEMO_SOURCE = "demo.reviews_sentiment"


def demo_sql(now: datetime) -> str:
    """The demo reviews' features, stamped with the time they were engineered (the course's feature group)."""
    return (f"SELECT review_id, '{now:%Y-%m-%dT%H:%M:%SZ}' AS event_time, review_body, product_category, age, rating\n"
            f"FROM {DEMO_SOURCE}")


def show_notice() -> None:
    kind, message = st.session_state.pop(keys.FEATURES_NOTICE, ("", ""))
    if kind:
        st.success(message, icon=":material/check_circle:")


def take_hand_over() -> None:
    """Widget values an action chose for the next run (a widget's value cannot change once it is drawn)."""
    for key, value in st.session_state.pop(keys.FEATURES_HAND_OVER, {}).items():
        st.session_state[key] = value


def take_link() -> None:
    """``?group=NAME[&record=ID]``: a link to a group, or to a record of it (render_record offers one)."""
    group, record_id = st.query_params.get("group"), st.query_params.get("record")
    if not group:
        return
    st.query_params.clear()  # taken once: the page is the user's again
    try:
        found = features.describe_feature_group(group)
        record = features.get_record(found.name, record_id) if record_id else None
    except ServiceError as error:
        show_error(error)
        return
    st.session_state[keys.FEATURES_SELECTED] = found.name
    if record_id:
        st.session_state[keys.FEATURES_LOOKUP] = (found.name, record_id, record)


def act(action: Callable[[], object], success: str, hand_over: dict[str, str] | None = None) -> None:
    """A port call: on success say so and select what it made; on failure show why, keeping every input."""
    try:
        action()
    except ServiceError as error:
        show_error(error)
        return
    st.session_state[keys.FEATURES_NOTICE] = ("success", success)
    st.session_state[keys.FEATURES_HAND_OVER] = hand_over or {}
    st.rerun()


def create_demo_group(sql: str) -> None:
    source = IngestSource(sql=sql)
    spec = FeatureGroupSpec(name=DEMO_GROUP, record_identifier="review_id", event_time="event_time",
                            features=tuple(features.infer_definitions(source)), tags={"source": DEMO_SOURCE},
                            description="Demo product reviews: text, category, age and rating per review id.")
    features.create_feature_group(spec)


def empty_state(tables: list[str]) -> None:
    # The demo group is ingested from a SQL result, which only the local backend ingests (SageMaker reads tables).
    demo = services.is_local and DEMO_SOURCE in tables
    st.info("**No feature groups yet.** A feature group keeps features for inference (online) and training "
            f"(offline). Create one{' from the demo reviews, or' if demo else ''} from any table under **Create group**.",
            icon=":material/dataset:")
    if demo and st.button("Create one from the demo reviews", icon=":material/add:", type="primary", key="features.demo"):
        sql = demo_sql(datetime.now(UTC))
        act(lambda: create_demo_group(sql), f"Feature group **{DEMO_GROUP}** created from {DEMO_SOURCE}. Next: press "
            "**Start ingestion** below (its SQL is ready), then look up a review id.",
            {keys.FEATURES_SELECTED: DEMO_GROUP, keys.FEATURES_TAB: "Ingest", keys.FEATURES_INGEST_KIND: "sql",
             keys.FEATURES_INGEST_SQL: sql})


def catalog_tables() -> list[str]:
    return [t.qualified_name for d in services.catalog.list_databases() for t in services.catalog.list_tables(d.name)]


def group_statistics(group: FeatureGroup) -> list[dict[str, Any]]:
    """Locally at once (DuckDB over the lake); on AWS on request, as it is an Athena query billed by data scanned."""
    if services.is_local:
        if not group.record_count:
            st.caption("Nothing ingested yet: the Ingest tab loads rows from a table, a SQL result or a file.")
            return []
    elif not (group.offline_table and st.button("Compute statistics", icon=":material/query_stats:",
                                                key="features.statistics",
                                                help="An Athena query over the offline store (billed by data scanned).")):
        return []
    try:
        return features.feature_statistics(group.name)
    except ServiceError as error:
        show_error(error)
        return []


def overview_tab(group: FeatureGroup) -> None:
    statistics = group_statistics(group)
    if render_group_detail(group, statistics, counts_known=services.is_local, key="features.detail"):
        hand_off(keys.QUERY_SQL, f"SELECT * FROM {group.offline_table} LIMIT 100")
        hand_off(keys.QUERY_DATABASE, group.offline_table.split(".")[0])
        st.session_state[keys.QUERY_AUTORUN] = True
        st.session_state.pop(keys.QUERY_ID, None)
        st.session_state.pop(keys.QUERY_ERROR, None)
        st.switch_page("pages/query.py")


def ingest_tab(group: FeatureGroup, tables: list[str]) -> None:
    st.session_state.setdefault(keys.FEATURES_INGEST_KIND, "table")
    kind = st.segmented_control("Source", list(INGEST_KINDS), format_func=INGEST_KINDS.__getitem__,
                                key=keys.FEATURES_INGEST_KIND) or "table"
    restore(keys.FEATURES_INGEST_SQL, "")
    choice = render_ingest_form(kind, tables, key=f"features.ingest.{kind}", table_key=keys.FEATURES_INGEST_TABLE,
                                sql_key=keys.FEATURES_INGEST_SQL)
    keep(keys.FEATURES_INGEST_SQL)
    show_code(feature_ingest_choice_code(group.name, kind, st.session_state.get(keys.FEATURES_INGEST_TABLE) or "",
                                         st.session_state.get(keys.FEATURES_INGEST_SQL) or ""))
    if choice is not None:
        start_ingestion(group, choice)
    watched = st.session_state.get(keys.FEATURES_INGESTION)
    if watched and watched[0] == group.name:
        watch_ingestion(watched[1])


def start_ingestion(group: FeatureGroup, choice: IngestChoice) -> None:
    try:
        source = uploaded_source(choice) if choice.upload is not None else choice.source
        if not (source.table or source.sql or source.path):
            raise InvalidInput("Nothing to ingest.", hint="Pick a table, type a SQL query or upload a file.")
        job = features.start_ingestion(group.name, source)
    except ServiceError as error:
        show_error(error)
        return
    st.session_state[keys.FEATURES_INGESTION] = (group.name, job)
    st.session_state[keys.FEATURES_WATCHED] = job


def uploaded_source(choice: IngestChoice) -> IngestSource:
    """An uploaded file becomes a table of the ``uploads`` database first (the catalog keeps a copy), then the source."""
    name = re.sub(r"[^a-z0-9_]+", "_", Path(choice.upload.name).stem.lower()).strip("_") or "upload"
    table = services.catalog.import_upload(choice.upload.name, choice.upload, "uploads", name)
    return IngestSource(table=table.qualified_name)


def settle_watched_ingestion() -> None:
    """Before the page reads anything: a watched ingestion that has finished is no longer watched, as this run reads
    its results (new counts, freshness)."""
    name = st.session_state.get(keys.FEATURES_WATCHED)
    try:
        finished = bool(name) and services.jobs.describe_job(name).finished
    except ServiceError:  # gone meanwhile: nothing left to watch
        finished = True
    if finished:
        st.session_state.pop(keys.FEATURES_WATCHED, None)


@st.fragment(run_every=1.0)
def watch_ingestion(job_name: str) -> None:
    """The job's progress, refreshed every second; once it finishes, the whole page reruns (new counts, freshness).
    Only from the fragment's own run: drawn inline, a rerun would drop what the user did further down the page."""
    try:
        job = services.jobs.describe_job(job_name)
    except ServiceError as error:
        show_error(error)
        return
    if job.finished and st.session_state.get(keys.FEATURES_WATCHED) == job_name and fragment_ran_alone():
        st.rerun(scope="app")
    render_ingestion(job)


def lookup_tab(group: FeatureGroup) -> None:
    request = render_lookup_form(group, key="features.lookup")
    if request is not None:
        record_id, chosen = request
        try:
            if not record_id:
                raise InvalidInput("Type a record identifier.", hint=f"A value of {group.spec.record_identifier}.")
            record = features.get_record(group.name, record_id, chosen)
        except ServiceError as error:
            show_error(error)
            return
        st.session_state[keys.FEATURES_LOOKUP] = (group.name, record_id, record)
    last = st.session_state.get(keys.FEATURES_LOOKUP)
    if last and last[0] == group.name:
        render_record(group, last[1], last[2])


def dataset_tab(groups: list[FeatureGroup], tables: list[str]) -> None:
    st.caption("For each row of the base table, the latest record of each group whose event time is at or before "
               "the row's event time: no feature from the row's future.")
    base = st.selectbox("Base table (record ids, event times and labels)", tables, key="features.dataset.base")
    if not base:
        return
    database, _, name = base.partition(".")
    try:
        columns = list(services.catalog.get_table(database, name).all_columns)
    except ServiceError as error:
        show_error(error)
        return
    request = render_dataset_form(base, columns, [g.name for g in groups], key="features.dataset")
    if request is not None:
        try:
            st.session_state[keys.FEATURES_DATASET] = features.build_dataset(request)
        except ServiceError as error:
            show_error(error)
    result = st.session_state.get(keys.FEATURES_DATASET)
    if result is not None:
        show_dataset(result)


def show_dataset(result: DatasetResult) -> None:
    database, _, name = result.table.partition(".")
    try:
        preview = services.query.sample_rows(database, name, 10).frame if name else None
    except ServiceError as error:
        show_error(error)
        preview = None
    if render_dataset_result(result, preview, key="features.dataset.result"):
        hand_off(keys.TRAIN_DATABASE, database)
        hand_off(keys.TRAIN_TABLE, name)
        st.switch_page("pages/train.py")


def create_tab(tables: list[str]) -> None:
    source = st.selectbox("Source table (its columns become the features)", tables, key="features.create.source")
    if not source:
        st.caption("Import a table on the Catalog page first.")
        return
    try:
        definitions = features.infer_definitions(IngestSource(table=source))
    except ServiceError as error:
        show_error(error)
        return
    spec = render_create_form(source, definitions, key=f"features.create.{source}")
    if spec is not None:
        act(lambda: features.create_feature_group(spec),
            f"Feature group **{spec.name}** created. Next: press **Start ingestion** in the Ingest tab to load "
            f"{source} into it.",
            {keys.FEATURES_SELECTED: spec.name, keys.FEATURES_TAB: "Ingest", keys.FEATURES_INGEST_KIND: "table",
             keys.FEATURES_INGEST_TABLE: source})


def browse(all_groups: list[FeatureGroup], tables: list[str]) -> None:
    text = st.text_input("Search", key=keys.FEATURES_SEARCH, placeholder="a name, description, feature or tag")
    try:
        groups = features.search(text.strip()) if text.strip() else all_groups
    except ServiceError as error:
        show_error(error)
        return
    if not groups:
        st.info(f"No feature group matches **{text.strip()}**.", icon=":material/search_off:")
        return
    names = [g.name for g in groups]
    if st.session_state.get(keys.FEATURES_SELECTED) not in names:
        st.session_state[keys.FEATURES_SELECTED] = names[0]
    chosen = render_group_list(groups, counts_known=services.is_local, key=keys.FEATURES_SELECTED)
    group = next(g for g in groups if g.name == chosen)
    # Keyed: the open tab survives reruns (and an action can open the next one); every tab still renders, so
    # nothing typed in one is lost by looking at another.
    overview, ingest, lookup, dataset, create = st.tabs(TABS, key=keys.FEATURES_TAB, on_change="rerun")
    with overview:
        overview_tab(group)
    with ingest:
        ingest_tab(group, tables)
    with lookup:
        lookup_tab(group)
    with dataset:
        dataset_tab(all_groups, tables)
    with create:
        create_tab(tables)


def main() -> None:
    settle_watched_ingestion()
    take_hand_over()
    show_notice()
    take_link()
    try:
        all_groups = features.list_feature_groups()
        tables = catalog_tables()
    except ServiceError as error:
        show_error(error)
        return
    if all_groups:
        browse(all_groups, tables)
        return
    empty_state(tables)
    st.subheader("Create group")
    create_tab(tables)


main()
