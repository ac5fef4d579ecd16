"""Catalog: databases → tables → schema, versions, partitions, sample rows; import and crawl."""

from __future__ import annotations

import streamlit as st

from components import keys
from components.catalog_forms import CrawlRequest, ImportRequest, render_crawl_form, render_import_form
from components.catalog_views import (
    render_partitions,
    render_properties,
    render_schema,
    render_table_picker,
    render_table_summary,
    render_version_rows,
    render_versions,
)
from components.navigation import ensure_app_navigation
from components.services import get_services, show_error
from components.state import hand_off
from services.errors import InvalidInput, ServiceError
from services.models import Partition, Table

ensure_app_navigation("pages/catalog.py")
st.title("Catalog")
services = get_services()
catalog = services.catalog


def open_in_query(sql: str, database: str) -> None:
    """Hand SQL to the Query page (session state survives the page switch)."""
    st.session_state[keys.QUERY_SQL] = sql
    st.session_state[keys.QUERY_DATABASE] = database
    st.session_state.pop(keys.QUERY_ID, None)
    st.session_state.pop(keys.QUERY_ERROR, None)
    st.switch_page("pages/query.py")


def show_table(table: Table) -> None:
    st.subheader(f"{table.database}.{table.name}")
    query_col, train_col, bias_col, quality_col, _ = st.columns([1, 1, 1, 1, 1])
    if query_col.button("Query this table", icon=":material/play_arrow:", type="primary", key="catalog.query_table"):
        open_in_query(table.preview_sql(), table.database)
    if train_col.button("Train a model", icon=":material/model_training:", key="catalog.train"):
        hand_off(keys.TRAIN_DATABASE, table.database)
        hand_off(keys.TRAIN_TABLE, table.name)
        st.switch_page("pages/train.py")
    if bias_col.button("Check for bias", icon=":material/balance:", key="catalog.bias"):
        hand_off(keys.BIAS_SOURCE_KIND, "Catalog table")
        hand_off(keys.BIAS_DATABASE, table.database)
        hand_off(keys.BIAS_TABLE, table.name)
        st.switch_page("pages/bias.py")
    if quality_col.button("Data quality report", icon=":material/fact_check:", key="catalog.quality"):
        hand_off(keys.QUALITY_SOURCE_KIND, "Catalog table")
        hand_off(keys.QUALITY_DATABASE, table.database)
        hand_off(keys.QUALITY_TABLE, table.name)
        st.switch_page("pages/quality.py")
    tabs = st.tabs(["Schema", "Sample rows", "Partitions", "Versions", "Properties"])
    with tabs[0]:
        render_schema(table, key="catalog.schema")
    with tabs[1]:
        show_sample(table)
    with tabs[2]:
        show_partitions(table)
    with tabs[3]:
        show_versions(table)
    with tabs[4]:
        render_properties(table, key="catalog.properties")


def show_sample(table: Table) -> None:
    try:
        sample = services.query.sample_rows(table.database, table.name, limit=20)
    except ServiceError as error:
        show_error(error)
        return
    st.dataframe(sample.frame, hide_index=True, width="stretch", key="catalog.sample")


def show_versions(table: Table) -> None:
    """Schemas side by side; on the local backend also the rows a replaced version still keeps."""
    old = render_versions(catalog.table_versions(table.database, table.name), key="catalog.versions")
    version_sample = getattr(catalog, "version_sample", None)  # the local catalog keeps each version's files
    if old is None or version_sample is None:
        return
    if not st.toggle(f"Show the rows of version {old.version_id}", key="catalog.versions.show_rows"):
        return
    try:
        sample = version_sample(table.database, table.name, old.version_id, limit=20)
    except ServiceError as error:
        show_error(error)
        return
    render_version_rows(old, sample.frame, key="catalog.versions.rows")


def show_partitions(table: Table) -> None:
    partitions = catalog.list_partitions(table.database, table.name)
    chosen: Partition | None = render_partitions(
        partitions, [k.name for k in table.partition_keys], key="catalog.partitions"
    )
    if chosen is not None and st.button("Preview partition", icon=":material/filter_alt:", key="catalog.preview"):
        open_in_query(table.preview_sql(chosen), table.database)


def import_data(request: ImportRequest) -> None:
    if request.upload is None and request.path is None:
        raise InvalidInput("Nothing to import.", hint="Upload a file or type the path of a file or folder.")
    with st.spinner("Reading, checking and cataloguing the data…"):
        if request.upload is not None:
            table = catalog.import_upload(request.upload.name, request.upload, request.database, request.table)
        else:
            table = catalog.import_path(request.path, request.database, request.table)  # type: ignore[arg-type]
    rows = table.parameters.get("recordCount", "?")
    select_table(table.database, table.name, f"Imported {table.qualified_name}: {rows} rows, version {table.version_id}.")


def crawl(request: CrawlRequest) -> None:
    with st.spinner(f"Crawling {request.location}…"):
        result = catalog.crawl(request.location, request.database, request.table_prefix)
    st.success(
        f"Crawler finished: {len(result.created)} created, {len(result.updated)} updated (new version), "
        f"{len(result.unchanged)} unchanged."
    )
    for name in result.created + result.updated:
        st.caption(name)


def select_table(database: str, table: str, message: str) -> None:
    """Show the new table: the pickers already rendered, so pick it at the top of a fresh run."""
    st.session_state[keys.CATALOG_PENDING] = (database, table, message)
    st.rerun()


def apply_pending_selection() -> None:
    pending = st.session_state.pop(keys.CATALOG_PENDING, None)
    if pending is not None:
        st.session_state[keys.CATALOG_DATABASE], st.session_state[keys.CATALOG_TABLE], message = pending
        st.success(message, icon=":material/check_circle:")


apply_pending_selection()
try:
    databases = [d.name for d in catalog.list_databases()]
except ServiceError as error:  # e.g. Glue refusing this role: nothing below can work without the catalog
    show_error(error)
    st.stop()
left, right = st.columns(2)
with left:
    database = st.selectbox("Database", databases, key=keys.CATALOG_DATABASE, placeholder="No databases yet")
try:
    tables = catalog.list_tables(database) if database else []
except ServiceError as error:
    show_error(error)
    tables = []
with right:
    table = render_table_picker(tables, key=keys.CATALOG_TABLE) if database else None
if tables:
    with st.expander(f"All {len(tables)} tables in {database}", icon=":material/table_rows:"):
        render_table_summary(tables, key="catalog.summary")
if table is not None:
    show_table(table)


st.divider()
import_tab, crawl_tab = st.tabs(["Import a file or folder", "Crawl a lake folder"])
with import_tab:
    import_request = render_import_form(default_database=database or "uploads", key="catalog.import")
with crawl_tab:
    crawl_request = render_crawl_form(
        default_location=services.lake_root, default_database=database or "crawled", key="catalog.crawl"
    )
try:
    if import_request is not None:
        import_data(import_request)
    if crawl_request is not None:
        crawl(crawl_request)
except ServiceError as error:
    show_error(error)
