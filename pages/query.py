"""Query: Athena SQL editor, results, chart, history and saved queries. Errors keep the SQL in the editor."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import streamlit as st

from components import keys
from components.catalog_views import render_schema_browser
from components.code_views import show_code
from components.history import render_history, render_saved_queries
from components.navigation import ensure_app_navigation
from components.results import browser_url, render_estimate, render_quick_chart, render_result
from components.services import get_services, show_error
from components.state import hand_off, keep, restore
from services.codegen.models import query_code
from services.errors import AlreadyExists, QueryCancelled, QueryFailed, QueryTimeout, ServiceError
from services.models import SavedQuery

DEFAULT_SQL = "SELECT rating, count(*) AS reviews, avg(age) AS avg_age\nFROM demo.reviews\nGROUP BY rating\nORDER BY rating"
RUNNING = ("QUEUED", "RUNNING")
WAIT_INLINE_SECONDS = 3.0

ensure_app_navigation("pages/query.py")
st.title("Query")
services = get_services()
query = services.query


def load_sql(sql: str, database: str, run: bool = False) -> None:
    """Callback: put SQL in the editor (callbacks run before widgets, so this is allowed)."""
    st.session_state[keys.QUERY_SQL] = sql
    if database:
        st.session_state[keys.QUERY_DATABASE] = database
    st.session_state[keys.QUERY_AUTORUN] = run


def fail(sql: str, error: ServiceError) -> None:
    """Keep the error with the SQL that caused it: it is shown only while the editor holds that SQL."""
    st.session_state[keys.QUERY_ERROR] = error
    st.session_state[keys.QUERY_FAILED_SQL] = sql


def forget_stale_error() -> None:
    """An error belongs to its SQL: once the editor holds other SQL (typed, opened from the history or a saved
    query, handed over by another page) the old error is dropped, here or on a later visit."""
    if keys.QUERY_ERROR in st.session_state and st.session_state.get(keys.QUERY_FAILED_SQL) != st.session_state.get(keys.QUERY_SQL):
        st.session_state.pop(keys.QUERY_ERROR, None)
        st.session_state.pop(keys.QUERY_FAILED_SQL, None)


def start(sql: str, database: str | None) -> None:
    """Start ``sql`` (before the editor renders: a callback or the top of the run). The statement goes to the
    engine first, so a refused or failing one is recorded in the history too; then the estimate. A started
    query folds the editor away so its results come first; an error keeps the editor open on its SQL."""
    for stale in (keys.QUERY_ERROR, keys.QUERY_FAILED_SQL, keys.QUERY_ID, keys.QUERY_ESTIMATE):
        st.session_state.pop(stale, None)
    try:
        st.session_state[keys.QUERY_ID] = query.start_query(sql, database)
        st.session_state[keys.QUERY_ESTIMATE] = query.estimate(sql, database)
    except ServiceError as error:
        fail(sql, error)
    st.session_state[keys.QUERY_EDITOR_OPEN] = keys.QUERY_ERROR in st.session_state


def run_editor() -> None:
    """Callback of the editor's Run button: the submitted SQL is in the session state already."""
    start(st.session_state.get(keys.QUERY_SQL) or "", st.session_state.get(keys.QUERY_DATABASE))


def estimate_editor() -> None:
    """Callback of Estimate cost: the bytes to scan and the price, nothing runs."""
    sql = st.session_state.get(keys.QUERY_SQL) or ""
    for stale in (keys.QUERY_ERROR, keys.QUERY_FAILED_SQL, keys.QUERY_ESTIMATE):
        st.session_state.pop(stale, None)
    try:
        st.session_state[keys.QUERY_ESTIMATE] = query.estimate(sql, st.session_state.get(keys.QUERY_DATABASE))
    except ServiceError as error:
        fail(sql, error)


def wait_briefly(query_id: str) -> str:
    """Most queries finish in moments: wait a little before showing the running panel."""
    deadline = time.monotonic() + WAIT_INLINE_SECONDS
    status = query.query_status(query_id).status
    while status in RUNNING and time.monotonic() < deadline:
        time.sleep(0.05)
        status = query.query_status(query_id).status
    return status


@st.fragment(run_every=1.0)
def running_panel(query_id: str) -> None:
    entry = query.query_status(query_id)
    if entry.status not in RUNNING:
        st.rerun()
    started = datetime.fromisoformat(entry.submitted_at)
    seconds = (datetime.now(UTC) - started).total_seconds()
    # Not a `with` block: leaving one marks the status complete while the query still runs.
    status = st.status(f"Running for {seconds:,.0f} s…", state="running", expanded=False)
    status.code(entry.sql, language="sql")
    if st.button("Cancel query", icon=":material/stop_circle:", key="query.cancel"):
        query.cancel(query_id)
        st.rerun()


def show_outcome(query_id: str) -> None:
    if wait_briefly(query_id) in RUNNING:
        running_panel(query_id)
        return
    try:
        result = query.get_result(query_id)
    except (QueryFailed, QueryTimeout, QueryCancelled) as error:  # show the SQL open in the editor, with the error
        fail(query.query_status(query_id).sql, error)
        st.session_state.pop(keys.QUERY_ID, None)
        st.rerun()
    except ServiceError as error:
        show_error(error)
        offer_run_again(query_id)
        return
    render_result(result, key="query.result", download_url=lambda fmt: result_link(query_id, fmt))
    with st.expander("Chart", icon=":material/bar_chart:", expanded=False):
        render_quick_chart(result.frame, key="query.chart")
    save_as_table_form(query_id)
    train_col, bias_col, quality_col, _ = st.columns([1, 1, 1, 1])
    if train_col.button("Train a model on this result", icon=":material/model_training:", key="query.train"):
        open_result_in(query_id, "pages/train.py")
    if bias_col.button("Check this result for bias", icon=":material/balance:", key="query.bias"):
        open_result_in(query_id, "pages/bias.py")
    if quality_col.button("Data quality report", icon=":material/fact_check:", key="query.quality"):
        open_quality_report(query_id)


def result_link(query_id: str, fmt: str) -> str:
    """A one-time link that streams the full result from this process's download server."""
    return browser_url(query.download_ticket(query_id, "parquet" if fmt == "parquet" else "csv"))


def offer_run_again(query_id: str) -> None:
    entry = query.query_status(query_id)
    if entry.result_expired_at:
        st.button("Run again", icon=":material/replay:", on_click=load_sql, args=(entry.sql, entry.database, True),
                  key="query.expired_run")


def save_as_table_form(query_id: str) -> None:
    with st.expander("Save results as table", icon=":material/save:"), st.form("query.ctas"):
        left, right = st.columns(2)
        database = left.text_input("Database", value=st.session_state.get(keys.QUERY_DATABASE) or "results")
        table = right.text_input("Table name", placeholder="e.g. reviews_by_rating")
        if st.form_submit_button("Save as table"):
            try:
                saved = query.save_result_as_table(query_id, database, table)
                st.success(f"Saved {saved.qualified_name} ({saved.parameters.get('recordCount')} rows) in the catalog.")
            except ServiceError as error:
                show_error(error)


def open_result_in(query_id: str, page: str) -> None:
    """Keep the result as a table (training and bias jobs read tables), then open ``page`` on it."""
    name = f"result_{query_id[:8]}"
    try:
        table = query.save_result_as_table(query_id, "results", name)
    except AlreadyExists:
        table = services.catalog.get_table("results", name)
    except ServiceError as error:
        show_error(error)
        return
    hand_off(keys.TRAIN_DATABASE, table.database)
    hand_off(keys.TRAIN_TABLE, table.name)
    hand_off(keys.BIAS_SOURCE_KIND, "Catalog table")
    hand_off(keys.BIAS_DATABASE, table.database)
    hand_off(keys.BIAS_TABLE, table.name)
    st.switch_page(page)


def open_quality_report(query_id: str) -> None:
    """The quality report profiles the query's own SQL (aggregation queries over it), so nothing is saved."""
    entry = query.query_status(query_id)
    hand_off(keys.QUALITY_SOURCE_KIND, "SQL query")
    hand_off(keys.QUALITY_SQL, entry.sql)
    hand_off(keys.QUALITY_SQL_DATABASE, entry.database or None)
    st.switch_page("pages/quality.py")


def save_query_form(sql: str, database: str | None) -> None:
    with st.expander("Save query", icon=":material/bookmark_add:"), st.form("query.save"):
        name = st.text_input("Name", key="query.save_name")
        description = st.text_input("Description", key="query.save_description")
        if st.form_submit_button("Save query"):
            try:
                query.save_query(SavedQuery(name, sql, database or "", description))
                st.success(f"Saved as {name.strip()!r}.")
            except ServiceError as error:
                show_error(error)


def history_tab() -> None:
    search = st.text_input("Search the SQL", key=keys.QUERY_HISTORY_SEARCH, placeholder="e.g. reviews")
    entry = render_history(query.history(search), key="query.history")
    if entry is not None:
        left, right, _ = st.columns([1, 1, 3])
        left.button("Open in editor", on_click=load_sql, args=(entry.sql, entry.database), key="query.h_open")
        right.button("Run again", on_click=load_sql, args=(entry.sql, entry.database, True), key="query.h_run")
        if entry.result_expired_at:
            st.caption("The stored result of this query expired and was deleted; *Run again* to see it.")


def saved_tab() -> None:
    chosen = render_saved_queries(query.saved_queries(), key=keys.QUERY_SAVED)
    if chosen is None:
        return
    left, right, _ = st.columns([1, 1, 3])
    left.button("Open in editor", on_click=load_sql, args=(chosen.sql, chosen.database), key="query.s_open")
    if right.button("Delete", key="query.s_delete"):
        query.delete_saved_query(chosen.name)
        st.rerun()


restore(keys.QUERY_SQL, DEFAULT_SQL)
restore(keys.QUERY_DATABASE, None)
databases = [d.name for d in services.catalog.list_databases()]
if st.session_state.get(keys.QUERY_DATABASE) not in databases:
    st.session_state[keys.QUERY_DATABASE] = databases[0] if databases else None
if st.session_state.pop(keys.QUERY_AUTORUN, False):  # 'Run again', or another page handing over a query
    start(st.session_state.get(keys.QUERY_SQL) or "", st.session_state.get(keys.QUERY_DATABASE))
forget_stale_error()
if keys.QUERY_ERROR in st.session_state:  # an error is about the SQL in the editor: keep the editor open on it
    st.session_state[keys.QUERY_EDITOR_OPEN] = True
database = st.selectbox("Database (for table names without one)", databases, key=keys.QUERY_DATABASE)
if database:
    render_schema_browser(database, services.catalog.list_tables(database), key="query.schema")
# After a run the editor folds away (click to open it again), so the results are not below the fold.
shown = keys.QUERY_ID in st.session_state and keys.QUERY_ERROR not in st.session_state
with st.expander("SQL editor", expanded=not shown, icon=":material/edit_note:", key=keys.QUERY_EDITOR_OPEN, on_change="rerun"), \
        st.form("query.editor", border=False):
    sql = st.text_area("SQL (Athena / Trino dialect)", key=keys.QUERY_SQL, height=200)
    run_col, estimate_col, _ = st.columns([1, 1, 3])
    run_col.form_submit_button("Run", type="primary", icon=":material/play_arrow:", shortcut="ctrl+enter", on_click=run_editor)
    estimate_col.form_submit_button("Estimate cost", icon=":material/request_quote:", on_click=estimate_editor)
    st.caption("Ctrl+Enter runs. Tables: `database.table`, or bare names in the selected database.")
keep(keys.QUERY_SQL)
keep(keys.QUERY_DATABASE)
show_code(query_code(sql or "", database))  # the same query on AWS (awswrangler)
if shown:
    st.caption(f":material/play_arrow: `{' '.join((sql or '').split())[:120]}`")

if keys.QUERY_ESTIMATE in st.session_state:
    estimate = st.session_state[keys.QUERY_ESTIMATE]
    render_estimate(estimate, estimate.unfiltered_warning())
save_query_form(sql or "", database)

results, history, saved = st.tabs(["Results", "History", "Saved queries"])
with results:
    if keys.QUERY_ERROR in st.session_state:
        show_error(st.session_state[keys.QUERY_ERROR])
    elif keys.QUERY_ID in st.session_state:
        show_outcome(st.session_state[keys.QUERY_ID])
    else:
        st.caption("Run a query to see its results here.")
with history:
    history_tab()
with saved:
    saved_tab()
