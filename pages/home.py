"""Home: what is in the workspace, every capability with its live count, and where to start."""

from __future__ import annotations

import streamlit as st

from components.demo_views import render_demo_progress
from components.history import history_frame
from components.home_views import render_capability_cards
from components.navigation import ensure_app_navigation
from components.services import get_services, show_error
from services.overview.models import OverviewPorts, workspace_overview

ensure_app_navigation("pages/home.py")
st.title("Practical Data Science Workbench")
st.markdown(
    "Browse the **catalog**, query tables with **Athena SQL**, and follow the practical data-science "
    "loop on the product-review demo data — locally with no AWS account, or on your AWS account."
)
services = get_services()
render_demo_progress(services)  # the full demo's build (models, endpoint) while it runs in the background
overview = workspace_overview(OverviewPorts(
    catalog=services.catalog, query=services.query, jobs=services.jobs, training=services.training,
    endpoints=services.endpoints, features=services.features, pipelines=services.pipelines,
    monitoring=services.monitoring, labels=services.labels))
if overview.catalog_error is not None:  # e.g. Glue refusing this role: say so, the cards below still lead on
    show_error(overview.catalog_error)
else:
    cols = st.columns(3)
    cols[0].metric("Databases", overview.databases)
    cols[1].metric("Tables", overview.tables)
    cols[2].metric("Rows catalogued", f"{overview.rows:,}")
render_capability_cards(overview)

recent = services.query.history(limit=5)
if recent:
    st.subheader("Recent queries")
    st.dataframe(history_frame(recent), hide_index=True, width="stretch")
