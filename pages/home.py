"""Home: what is in the workspace and where to start."""

from __future__ import annotations

import streamlit as st

from components.history import history_frame
from components.navigation import ensure_app_navigation
from components.services import get_services

ensure_app_navigation("pages/home.py")
st.title("Practical Data Science Workbench")
st.markdown(
    "Browse the **catalog**, query tables with **Athena SQL**, and follow the practical data-science "
    "loop on the product-review demo data — locally with no AWS account, or on your AWS account."
)
services = get_services()
databases = services.catalog.list_databases()
tables = [t for d in databases for t in services.catalog.list_tables(d.name)]
rows = sum(max(0, int(t.parameters.get("recordCount", "0"))) for t in tables)
cols = st.columns(3)
cols[0].metric("Databases", len(databases))
cols[1].metric("Tables", len(tables))
cols[2].metric("Rows catalogued", f"{rows:,}")

left, right = st.columns(2)
with left, st.container(border=True):
    st.subheader(":material/dataset: Catalog")
    st.write("Databases, tables, schemas, partitions and versions. Import files or crawl a lake folder.")
    st.page_link("pages/catalog.py", label="Open the catalog", icon=":material/arrow_forward:")
with right, st.container(border=True):
    st.subheader(":material/terminal: Query")
    st.write("Athena SQL with cost estimates, charts, history and saved queries.")
    st.page_link("pages/query.py", label="Open the SQL editor", icon=":material/arrow_forward:")

left, middle, right = st.columns(3)
with left, st.container(border=True):
    st.subheader(":material/model_training: Train")
    st.write("Autopilot (AutoML), built-in algorithms, your own SageMaker script, tuning.")
    st.page_link("pages/train.py", label="Train a model", icon=":material/arrow_forward:")
with middle, st.container(border=True):
    st.subheader(":material/work_history: Jobs & models")
    st.write("Watch jobs live, leaderboards, model insights, the model registry, batch predictions.")
    st.page_link("pages/jobs.py", label="Open jobs", icon=":material/arrow_forward:")
with right, st.container(border=True):
    st.subheader(":material/compare: Compare runs")
    st.write("Every run side by side: parameters, metrics, curves, confusion matrices.")
    st.page_link("pages/compare.py", label="Compare runs", icon=":material/arrow_forward:")

recent = services.query.history(limit=5)
if recent:
    st.subheader("Recent queries")
    st.dataframe(history_frame(recent), hide_index=True, width="stretch")
