"""Model dashboard: every model package group with its latest version, approval, metrics, endpoints, drift and monitors."""

from __future__ import annotations

import streamlit as st

from components import keys
from components.model_dashboard_views import render_dashboard_table, render_filters, render_group_detail
from components.navigation import ensure_app_navigation
from components.services import get_services, show_error
from services.dashboard.models import ModelGroupRow, filter_rows, model_dashboard
from services.errors import ServiceError

ensure_app_navigation("pages/model_dashboard.py")
st.title("Model dashboard")
st.caption("One row per model package group: the latest version and its approval, its metrics (objective first), the "
           "endpoints and variants serving any version, their latest drift report, and the models no monitor watches.")
services = get_services()


def empty_state() -> None:
    st.info("No models yet. Every completed training or Autopilot job registers its model here: train one on the Train "
            "page (or run a pipeline whose RegisterModel step registers one).", icon=":material/inventory_2:")
    if st.button("Train a model", icon=":material/model_training:", key="model_dashboard.train"):
        st.switch_page("pages/train.py")


def summary(rows: list[ModelGroupRow]) -> None:
    groups, deployed, unwatched, pending = st.columns(4)
    groups.metric("Model groups", len(rows))
    deployed.metric("Deployed", sum(r.deployed for r in rows))
    unwatched.metric("No monitor", sum(r.no_monitor for r in rows))
    pending.metric("Awaiting approval", sum(r.latest.approval_status == "PendingManualApproval" for r in rows))


def detail(rows: list[ModelGroupRow]) -> None:
    st.subheader("Versions")
    names = [r.group for r in rows]
    if st.session_state.get(keys.MODEL_DASHBOARD_GROUP) not in names:
        st.session_state[keys.MODEL_DASHBOARD_GROUP] = names[0]
    group = st.selectbox("Model package group", names, key=keys.MODEL_DASHBOARD_GROUP)
    row = next(r for r in rows if r.group == group)
    choice = render_group_detail(row, key=f"{keys.MODEL_DASHBOARD_DETAIL}.{row.group}")
    if choice is not None:
        model_id, status = choice
        services.training.set_model_approval(model_id, status)
        st.session_state[keys.MODEL_DASHBOARD_NOTICE] = ("success", f"**{model_id}** is now {status}.")
        st.rerun()
    if st.button("Lineage of the latest version", icon=":material/account_tree:", key="model_dashboard.lineage",
                 help="Which data and code built it, and what is downstream of it"):
        st.session_state[keys.LINEAGE_START] = ("model", row.latest.model_id)
        st.switch_page("pages/lineage.py")


def dashboard() -> None:
    rows = model_dashboard(services.training, services.endpoints)
    if not rows:
        empty_state()
        return
    kind, message = st.session_state.pop(keys.MODEL_DASHBOARD_NOTICE, ("", ""))
    if kind:
        st.success(message, icon=":material/check_circle:")
    summary(rows)
    filters = render_filters(key=keys.MODEL_DASHBOARD_FILTERS)
    shown = filter_rows(rows, filters.approval, filters.deployed, filters.no_monitor_only)
    if not shown:
        st.caption(f"No model group matches these filters ({len(rows)} in all).")
        return
    render_dashboard_table(shown)
    detail(shown)


try:
    dashboard()
except ServiceError as error:
    show_error(error)
