"""Data quality: Data Wrangler's Data Quality and Insights report for a catalog table or a SQL result."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from components import keys
from components.navigation import ensure_app_navigation
from components.quality_views import NO_TARGET, render_quality_report
from components.services import get_services, show_error
from components.state import keep, restore
from services.errors import ServiceError
from services.quality.models import QualityReport, QualityRequest

ensure_app_navigation("pages/quality.py")
st.title("Data quality")
st.caption("Counts, gaps, distributions, outliers, text, the target's balance, target leakage and a Quick Model. "
           "Aggregates are computed over every row by queries; the rest on a sample, and the report says which.")
services = get_services()
TABLE, SQL = "Catalog table", "SQL query"


def pick_source() -> QualityRequest | None:
    restore(keys.QUALITY_SOURCE_KIND, TABLE)
    kind = st.radio("Data", [TABLE, SQL], key=keys.QUALITY_SOURCE_KIND, horizontal=True)
    keep(keys.QUALITY_SOURCE_KIND)
    databases = [d.name for d in services.catalog.list_databases()]
    if kind == SQL:
        return pick_sql(databases)
    left, right = st.columns(2)
    restore(keys.QUALITY_DATABASE, "demo" if "demo" in databases else (databases[0] if databases else None))
    database = left.selectbox("Database", databases, key=keys.QUALITY_DATABASE)
    tables = [t.name for t in services.catalog.list_tables(database)] if database else []
    restore(keys.QUALITY_TABLE, None)
    if st.session_state.get(keys.QUALITY_TABLE) not in tables:  # a table of another database, kept from before
        st.session_state[keys.QUALITY_TABLE] = None
    table = right.selectbox("Table", tables, key=keys.QUALITY_TABLE, index=None, placeholder="Pick a table")
    keep(keys.QUALITY_DATABASE)
    keep(keys.QUALITY_TABLE)
    return QualityRequest(table=f"{database}.{table}") if table else None


def pick_sql(databases: list[str]) -> QualityRequest | None:
    restore(keys.QUALITY_SQL, "")
    restore(keys.QUALITY_SQL_DATABASE, "demo" if "demo" in databases else (databases[0] if databases else None))
    sql = st.text_area("SQL (its result is profiled)", key=keys.QUALITY_SQL, height=110,
                       placeholder="SELECT * FROM demo.reviews_sentiment")
    database = st.selectbox("Database (for table names without one)", databases, key=keys.QUALITY_SQL_DATABASE)
    keep(keys.QUALITY_SQL)
    keep(keys.QUALITY_SQL_DATABASE)
    return QualityRequest(sql=sql, database=database or "") if sql.strip() else None


def pick_target(request: QualityRequest) -> str | None:
    """The target picker over the data's columns; ``None`` (and an error shown) when the columns cannot be read."""
    try:
        columns = services.quality.columns(request)
    except ServiceError as error:
        show_error(error)
        return None
    restore(keys.QUALITY_TARGET, NO_TARGET)
    chosen = st.session_state.get(keys.QUALITY_TARGET)
    if chosen not in (NO_TARGET, *columns):
        st.warning(f"The target column {chosen!r} is not in this data; pick another.", icon=":material/warning:")
        st.session_state[keys.QUALITY_TARGET] = NO_TARGET
    target = st.selectbox("Target column (optional: class balance, leakage and a Quick Model)", [NO_TARGET, *columns],
                          key=keys.QUALITY_TARGET)
    keep(keys.QUALITY_TARGET)
    return "" if target in (None, NO_TARGET) else target


def build(request: QualityRequest) -> None:
    bar = st.progress(0.0, text="Starting…")
    try:
        with st.spinner(f"Profiling {request.source_label}…"):
            report = services.quality.report(request, lambda fraction, text: bar.progress(fraction, text=text))
        st.session_state[keys.QUALITY_REPORT] = (request, report)
    except ServiceError as error:
        st.session_state.pop(keys.QUALITY_REPORT, None)
        show_error(error)
    finally:
        bar.empty()


def shown_report(request: QualityRequest) -> QualityReport | None:
    """The last report, while the source it was built for is still the one picked."""
    built = st.session_state.get(keys.QUALITY_REPORT)
    if built is None:
        return None
    built_request, report = built
    same = (built_request.table, built_request.sql, built_request.database) == (request.table, request.sql, request.database)
    return report if same else None


base = pick_source()
if base is None:
    st.info("Pick a table (import or crawl one on the Catalog page) or write a query; the Catalog and Query pages "
            "open this page on a table or a result with *Data quality report*.", icon=":material/fact_check:")
    st.stop()
target = pick_target(base)
if target is None:
    st.stop()
if st.button("Build report", type="primary", icon=":material/fact_check:", key="quality.run"):
    build(replace(base, target=target))
report = shown_report(base)
if report is not None:
    st.divider()
    render_quality_report(report, key="quality.view")
