"""Bias: Clarify's pre- and post-training bias metrics for a catalog table or a SQL result."""

from __future__ import annotations

import streamlit as st

from components import keys
from components.bias_forms import render_bias_form
from components.bias_views import render_report
from components.navigation import ensure_app_navigation
from components.services import get_services, show_error
from components.state import keep, restore
from services.bias.models import BiasRequest
from services.errors import ServiceError
from services.models import DataSource

ensure_app_navigation("pages/bias.py")
st.title("Bias")
st.caption("SageMaker Clarify's bias metrics, computed with an aggregation query so whole tables are analysed. "
           "d is the sensitive group you pick; a is everyone else.")
services = get_services()
TABLE, SQL = "Catalog table", "SQL query"


def pick_source() -> BiasRequest | None:
    restore(keys.BIAS_SOURCE_KIND, TABLE)
    kind = st.radio("Data", [TABLE, SQL], key=keys.BIAS_SOURCE_KIND, horizontal=True)
    keep(keys.BIAS_SOURCE_KIND)
    if kind == SQL:
        restore(keys.BIAS_SQL, "SELECT * FROM demo.reviews_sentiment")
        sql = st.text_area("SQL (its result is analysed)", key=keys.BIAS_SQL, height=100)
        keep(keys.BIAS_SQL)
        return BiasRequest(sql=sql) if sql.strip() else None
    databases = [d.name for d in services.catalog.list_databases()]
    left, right = st.columns(2)
    restore(keys.BIAS_DATABASE, "demo" if "demo" in databases else (databases[0] if databases else None))
    database = left.selectbox("Database", databases, key=keys.BIAS_DATABASE)
    tables = [t.name for t in services.catalog.list_tables(database)] if database else []
    if st.session_state.get(keys.BIAS_TABLE) not in tables:
        st.session_state.pop(keys.BIAS_TABLE, None)
    restore(keys.BIAS_TABLE, "reviews_sentiment" if "reviews_sentiment" in tables else (tables[0] if tables else None))
    table = right.selectbox("Table", tables, key=keys.BIAS_TABLE)
    keep(keys.BIAS_DATABASE)
    keep(keys.BIAS_TABLE)
    return BiasRequest(source=DataSource(table=f"{database}.{table}")) if table else None


@st.fragment(run_every=2.0)
def watch_job(name: str) -> None:
    job = services.jobs.describe_job(name)
    if not job.finished:
        progress = float(job.result.get("progress", 0.0))
        st.progress(progress, text=f"{name}: {job.secondary_status} — {job.result.get('progress_message', '')}")
        return
    if job.status == "Completed":
        st.session_state[keys.BIAS_REPORT] = services.bias.job_report(name)
        st.session_state[keys.BIAS_COLLAPSE] = True
    else:
        st.session_state[keys.BIAS_ERROR] = (f"Bias job {name} {job.status.lower()}: {job.failure_reason}", "")
    st.session_state.pop(keys.BIAS_JOB, None)
    st.rerun()


def run_request(request: BiasRequest) -> None:
    st.session_state.pop(keys.BIAS_ERROR, None)
    if request.model_id:
        st.session_state[keys.BIAS_JOB] = services.bias.start_job(request)
        st.session_state.pop(keys.BIAS_REPORT, None)
        return
    with st.spinner("Counting and computing the metrics…"):
        st.session_state[keys.BIAS_REPORT] = services.bias.analyze(request)
    st.session_state[keys.BIAS_COLLAPSE] = True
    st.rerun()  # the expander holding the form was drawn open in this run: close it so the report shows first


def configuration() -> None:
    """The source and the bias form; runs the request when asked."""
    base = pick_source()
    if base is None:
        st.info("Pick a table (import or crawl one on the Catalog page) or write a query.")
        st.page_link("pages/catalog.py", label="Import or crawl a table", icon=":material/dataset:")
        return
    try:
        kinds = services.bias.column_kinds(base)
        request = render_bias_form(services.bias, base, kinds, services.training.list_models())
        if request is not None:
            run_request(request)
    except ServiceError as error:
        show_error(error)


# After a run the configuration folds away, so the report (below it) is what the user sees.
if st.session_state.pop(keys.BIAS_COLLAPSE, False):
    st.session_state[keys.BIAS_FORM_OPEN] = False
has_report = st.session_state.get(keys.BIAS_REPORT) is not None
with st.expander("Data and configuration", expanded=not has_report, icon=":material/tune:", key=keys.BIAS_FORM_OPEN,
                 on_change="rerun"):
    configuration()

if st.session_state.get(keys.BIAS_ERROR):
    message, hint = st.session_state[keys.BIAS_ERROR]
    st.error(message + (f"\n\n{hint}" if hint else ""), icon=":material/error:")
if st.session_state.get(keys.BIAS_JOB):
    watch_job(st.session_state[keys.BIAS_JOB])
elif st.session_state.get(keys.BIAS_REPORT) is not None:
    st.divider()
    render_report(st.session_state[keys.BIAS_REPORT], key="bias.view")

with st.expander("Earlier bias jobs", icon=":material/history:"):
    jobs = services.jobs.list_jobs(kind="bias", limit=50)
    done = [j.name for j in jobs if j.status == "Completed"]
    if not done:
        st.caption("Bias jobs (analyses that score the data with a model first) appear here.")
    else:
        chosen = st.selectbox("Job", done, key="bias.old_job")
        if st.button("Show this report", key="bias.show_job") and chosen:
            st.session_state[keys.BIAS_REPORT] = services.bias.job_report(chosen)
            st.session_state[keys.BIAS_COLLAPSE] = True
            st.rerun()
