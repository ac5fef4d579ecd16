"""Entry point: page setup, navigation and the shared sidebar; nothing else."""

import streamlit as st

from components.auth import render_logout, require_login
from components.services import (
    get_services,
    render_sidebar,
    resume_pipeline_executions,
    show_error,
    start_background_monitoring,
    start_background_retention,
    start_demo_build,
)
from services.errors import ServiceError

st.set_page_config(page_title="Practical Data Science Workbench", page_icon=":material/science:", layout="wide")
# Before anything else renders: on a network address without a login, or until the visitor logs in, stop here.
login = require_login()
navigation = st.navigation(
    {  # sections in the order of the practical data-science loop
        "Data": [
            st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
            st.Page("pages/tour.py", title="Tour", icon=":material/tour:"),
            st.Page("pages/catalog.py", title="Catalog", icon=":material/dataset:"),
            st.Page("pages/query.py", title="Query", icon=":material/terminal:"),
            st.Page("pages/quality.py", title="Data quality", icon=":material/fact_check:"),
            st.Page("pages/features.py", title="Features", icon=":material/table_chart:"),
        ],
        "Analyse": [
            st.Page("pages/bias.py", title="Bias", icon=":material/balance:"),
            st.Page("pages/explain.py", title="Explain", icon=":material/insights:"),
        ],
        "Build": [
            st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
            st.Page("pages/jobs.py", title="Jobs & models", icon=":material/work_history:"),
            st.Page("pages/compare.py", title="Compare runs", icon=":material/compare:"),
        ],
        "Deploy": [
            st.Page("pages/endpoints.py", title="Endpoints", icon=":material/dns:"),
            st.Page("pages/score.py", title="Score", icon=":material/reviews:"),
        ],
        "Automate": [
            st.Page("pages/pipelines.py", title="Pipelines", icon=":material/conversion_path:"),
            st.Page("pages/lineage.py", title="Lineage", icon=":material/account_tree:"),
        ],
        "Operate": [
            st.Page("pages/label.py", title="Label", icon=":material/label:"),
            st.Page("pages/monitoring.py", title="Monitoring", icon=":material/monitor_heart:"),
            st.Page("pages/model_dashboard.py", title="Model dashboard", icon=":material/dashboard:"),
        ],
        "Share": [
            st.Page("pages/export.py", title="Export", icon=":material/download:"),
        ],
    }
)
try:
    render_sidebar(get_services())
    start_background_monitoring(get_services())
    start_background_retention(get_services())
    resume_pipeline_executions(get_services())
    start_demo_build(get_services())
except ServiceError as error:
    render_sidebar(None)
    show_error(error)
    st.stop()
render_logout(login)
navigation.run()
