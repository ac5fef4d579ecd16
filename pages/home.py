"""Home: what is in the workspace and where to start."""

from __future__ import annotations

import streamlit as st

from components.history import history_frame
from components.navigation import ensure_app_navigation
from components.services import get_services, show_error
from services.errors import ServiceError

ensure_app_navigation("pages/home.py")
st.title("Practical Data Science Workbench")
st.markdown(
    "Browse the **catalog**, query tables with **Athena SQL**, and follow the practical data-science "
    "loop on the product-review demo data — locally with no AWS account, or on your AWS account."
)
services = get_services()
try:
    databases = services.catalog.list_databases()
    tables = [t for d in databases for t in services.catalog.list_tables(d.name)]
except ServiceError as error:  # e.g. Glue refusing this role: say so, the cards below still lead on
    show_error(error)
else:
    rows = sum(max(0, int(t.parameters.get("recordCount", "0"))) for t in tables)
    cols = st.columns(3)
    cols[0].metric("Databases", len(databases))
    cols[1].metric("Tables", len(tables))
    cols[2].metric("Rows catalogued", f"{rows:,}")

CARDS = [  # (icon, title, what it is for, page, link label)
    (":material/dataset:", "Catalog", "Databases, tables, schemas, partitions and versions. Import files or crawl a lake folder.",
     "pages/catalog.py", "Open the catalog"),
    (":material/terminal:", "Query", "Athena SQL with cost estimates, charts, history and saved queries.",
     "pages/query.py", "Open the SQL editor"),
    (":material/model_training:", "Train", "Autopilot (AutoML), built-in algorithms, your own SageMaker script, tuning.",
     "pages/train.py", "Train a model"),
    (":material/work_history:", "Jobs & models", "Watch jobs live, leaderboards, model insights, the model registry, "
     "batch predictions.", "pages/jobs.py", "Open jobs"),
    (":material/compare:", "Compare runs", "Every run side by side: parameters, metrics, curves, confusion matrices.",
     "pages/compare.py", "Compare runs"),
]
for row in (CARDS[:2], CARDS[2:]):
    for column, (icon, title, text, page, label) in zip(st.columns(len(row)), row):
        with column, st.container(border=True):
            st.subheader(f"{icon} {title}")
            st.write(text)
            st.page_link(page, label=label, icon=":material/arrow_forward:")

recent = services.query.history(limit=5)
if recent:
    st.subheader("Recent queries")
    st.dataframe(history_frame(recent), hide_index=True, width="stretch")
