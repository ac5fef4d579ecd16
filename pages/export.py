"""Export: the session (queries, bias reports, leaderboards, training jobs, runs, scored reviews) as one HTML file."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from components import keys
from components.export_views import render_export
from components.navigation import ensure_app_navigation
from components.services import get_services
from services.export.models import SessionExport, build_export, export_file_name

ensure_app_navigation("pages/export.py")
st.title("Export")
st.caption("Everything this workspace did, in one self-contained HTML file to mail or archive: queries run, bias "
           "reports, Autopilot leaderboards, training jobs, compared runs and scored reviews with their shaded words.")


@st.cache_data(ttl=30, show_spinner=False)
def read_session(backend_label: str) -> SessionExport:
    services = get_services()
    return build_export(services, backend=backend_label)


if st.button("Read the session again", key=keys.EXPORT_REFRESH, icon=":material/refresh:"):
    read_session.clear()
with st.spinner("Reading the session…"):
    exported = read_session(get_services().backend_label)
if not any(section.count for section in exported.sections):
    st.info("Nothing to export yet: every section is empty. The Tour runs the whole loop on the demo data (query, bias, "
            "train, compare, explain, deploy, score), one button a step.", icon=":material/info:")
    if st.button("Open the Tour", icon=":material/flag:", type="primary", key=keys.EXPORT_OPEN_TOUR):
        st.switch_page("pages/tour.py")
render_export(exported, export_file_name(datetime.now(UTC).date()), key=keys.EXPORT_DOWNLOAD)
