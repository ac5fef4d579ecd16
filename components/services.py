"""The services for this Streamlit process, and how pages show their errors."""

from __future__ import annotations

import streamlit as st

from components.auth import guard_page
from services.config import Settings
from services.errors import ServiceError
from services.registry import (
    Services,
    build_services,
    resume_pipelines,
    start_monitoring,
    start_retention,
    warm_up_explanations,
)


def get_services() -> Services:
    """The services, for a visitor the login let through (see ``guard_page``); stops the run otherwise."""
    guard_page()
    return _shared_services()


@st.cache_resource(show_spinner="Opening the workspace…")
def _shared_services() -> Services:
    """One set of adapters per server process (connections and thread pools are shared)."""
    return build_services(Settings.from_env())


@st.cache_resource(show_spinner=False)
def start_background_monitoring(_services: Services) -> object | None:
    """Local monitoring schedules and drift reports, once per server process (AWS has Model Monitor)."""
    return start_monitoring(_services)


@st.cache_resource(show_spinner=False)
def start_demo_build(_services: Services) -> object | None:
    """``WORKBENCH_DEMO=full``: the demo's models, bias report and endpoint, built in the background once per server
    process unless this workspace has them already (services/demo/background.py); Home shows the progress."""
    from services.demo.models import DemoPorts
    from services.demo.models import start_demo_build as start

    def ports() -> DemoPorts:
        return DemoPorts(training=_services.training, jobs=_services.jobs, bias=_services.bias, endpoints=_services.endpoints)

    return start(ports, _services.settings)


@st.cache_resource(show_spinner=False)
def start_background_retention(_services: Services) -> object | None:
    """Delete expired query results and data capture now and hourly, once per server process (local only)."""
    return start_retention(_services)


@st.cache_resource(show_spinner=False)
def resume_pipeline_executions(_services: Services) -> list[str]:
    """Once per server process: local executions whose orchestrator died (machine restart) get a new one."""
    return resume_pipelines(_services)


@st.cache_resource(show_spinner=False)
def warm_up_word_explanations() -> bool:
    """Compile shap's helpers in the background once per server process, before the first review is explained."""
    warm_up_explanations()
    return True


def show_error(error: ServiceError) -> None:
    """An expected failure: what went wrong and what to do, without a traceback."""
    st.error(f"**{error.message}**" + (f"\n\n{error.hint}" if error.hint else ""), icon=":material/error:")


def render_sidebar(services: Services | None) -> None:
    """Which backend is live, always visible."""
    with st.sidebar:
        if services is None:
            st.error("No backend", icon=":material/cloud_off:")
            return
        icon = ":material/cloud:" if services.settings.backend == "aws" else ":material/computer:"
        st.caption("Backend")
        st.markdown(f"{icon} **{services.backend_label}**")
