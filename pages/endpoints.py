"""Endpoints: deploy any registered model in one click, watch it come up, see its traffic, call it from boto3."""

from __future__ import annotations

import time

import streamlit as st

from components import keys
from components.deployment_views import render_deployment, render_update_form, update_in_progress
from components.endpoint_views import (
    boto3_snippet,
    render_creating,
    render_deploy_form,
    render_endpoint_summary,
    render_endpoints_table,
    render_variants,
)
from components.navigation import ensure_app_navigation
from components.services import get_services, show_error
from components.state import hand_off
from services.endpoints.models import DeploymentChoices, Endpoint, Variant
from services.errors import ServiceError

ensure_app_navigation("pages/endpoints.py")


st.title("Endpoints")
st.caption("Real-time hosting: each endpoint serves a registered model over HTTP with SageMaker's inference contract "
           "(`GET /ping`, `POST /invocations`), with data capture, A/B variants and shadow models.")
services = get_services()
endpoints = services.endpoints


@st.fragment(run_every=1.5)
def watch_deploy(name: str, started: float) -> None:
    """Polls the new endpoint until it is InService or Failed, then reruns the page to show it."""
    try:
        endpoint = endpoints.describe_endpoint(name)
    except ServiceError as error:  # deleted meanwhile (e.g. from the CLI): stop watching
        st.session_state.pop(keys.ENDPOINTS_WATCHING, None)
        show_error(error)
        return
    if endpoint.status != "Creating":
        st.session_state.pop(keys.ENDPOINTS_WATCHING, None)
        st.session_state[keys.ENDPOINTS_NOTICE] = (("success", f"Endpoint **{name}** is in service.") if endpoint.status == "InService"
                                    else ("error", f"Endpoint **{name}** failed: {endpoint.failure_reason}"))
        st.rerun()
    render_creating(endpoint, time.monotonic() - started)


def deploy_section() -> None:
    models = services.training.list_models()
    if not models:
        st.info("No models yet. Train one on the Train page; every completed job registers a model.", icon=":material/info:")
        st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")
        return
    request = render_deploy_form(models, key="endpoints.deploy")
    if request is None:
        return
    try:
        endpoint = endpoints.deploy(request)
    except ServiceError as error:
        show_error(error)
        return
    st.session_state[keys.ENDPOINTS_WATCHING] = (endpoint.name, time.monotonic())
    st.session_state[keys.ENDPOINTS_SELECTED] = endpoint.name


def show_notice() -> None:
    kind, message = st.session_state.pop(keys.ENDPOINTS_NOTICE, ("", ""))
    if kind == "success":
        st.success(message, icon=":material/check_circle:")
    elif kind:
        st.error(message, icon=":material/error:")


def open_in_score(name: str) -> None:
    hand_off(keys.SCORE_ENDPOINT, name)
    st.switch_page("pages/score.py")


def delete_controls(endpoint: Endpoint) -> None:
    if st.session_state.get(keys.ENDPOINTS_CONFIRM_DELETE) != endpoint.name:
        if st.button("Delete endpoint", icon=":material/delete:", key="endpoints.delete"):
            st.session_state[keys.ENDPOINTS_CONFIRM_DELETE] = endpoint.name
            st.rerun()
        return
    st.warning(f"Delete **{endpoint.name}**? Its server stops and callers get errors; captured data stays in the workspace.",
               icon=":material/warning:")
    yes, no, _ = st.columns([1, 1, 4])
    if yes.button("Yes, delete", type="primary", key="endpoints.delete_confirm"):
        st.session_state.pop(keys.ENDPOINTS_CONFIRM_DELETE, None)
        try:
            with st.spinner(f"Stopping {endpoint.name}…"):
                endpoints.delete_endpoint(endpoint.name)
        except ServiceError as error:
            show_error(error)
            return
        st.session_state[keys.ENDPOINTS_NOTICE] = ("success", f"Endpoint **{endpoint.name}** deleted.")
        st.session_state.pop(keys.ENDPOINTS_SELECTED, None)
        st.rerun()
    if no.button("Cancel", key="endpoints.delete_cancel"):
        st.session_state.pop(keys.ENDPOINTS_CONFIRM_DELETE, None)
        st.rerun()


@st.fragment(run_every=1.5)
def watch_update(name: str) -> None:
    """The update's traffic shift, refreshed until it completes or rolls back."""
    history = endpoints.deployment_history(name)
    if not update_in_progress(history):
        # Rerun in full before drawing the ended update: drawn here too, a fragment run that ends in a rerun leaves
        # its elements on screen beside the full run's until that run ends (two traffic charts, stale and new).
        st.rerun()
    render_deployment(history, endpoints.describe_endpoint(name).deployment, key="endpoints.update.live")


def update_section(endpoint: Endpoint) -> None:
    """Update to a new model version (blue/green: canary, linear or all at once, rolled back by its alarms)."""
    history = endpoints.deployment_history(endpoint.name)
    if update_in_progress(history):
        watch_update(endpoint.name)
        return
    if endpoint.status == "InService":
        with st.expander("Update to a new model version", icon=":material/published_with_changes:"):
            chosen = render_update_form(endpoint, services.training.list_models(), key="endpoints.update")
            if chosen is not None:
                start_update(endpoint, *chosen)
                return
    render_deployment(history, endpoint.deployment, key="endpoints.update.last")


def start_update(endpoint: Endpoint, model_id: str, choices: DeploymentChoices, follow: bool) -> None:
    live = [v for v in endpoint.variants if not v.shadow]
    config, alarms = choices.deployment(endpoint.name)
    try:
        if follow:
            endpoints.follow_model_group(endpoint.name, model_id.split("/")[0], choices)
        endpoints.update_endpoint(endpoint.name, (Variant(live[0].name if live else "AllTraffic", model_id),), config, alarms)
    except ServiceError as error:
        show_error(error)
        return
    st.rerun()


def details(endpoint: Endpoint) -> None:
    render_endpoint_summary(endpoint)
    score_col, refresh_col, _ = st.columns([1, 1, 3])
    if score_col.button("Open in Score", icon=":material/reviews:", type="primary", key="endpoints.open_score",
                        disabled=endpoint.status != "InService"):
        open_in_score(endpoint.name)
    if refresh_col.button("Refresh", icon=":material/refresh:", key="endpoints.refresh"):
        st.rerun()
    st.markdown("**Variants**")
    render_variants(endpoint)
    update_section(endpoint)
    if endpoint.status == "InService" and st.toggle("Call it from Python (boto3)", key="endpoints.show_snippet"):
        url = endpoints.gateway_url()
        st.caption(f"Gateway: `{url}` — the `sagemaker-runtime` API, so an unchanged boto3 client works against it.")
        st.code(boto3_snippet(url, endpoint), language="python")
    with st.expander("Log", icon=":material/article:"):
        st.button("Refresh log", icon=":material/refresh:", key="endpoints.log_refresh")
        st.code(endpoints.endpoint_logs(endpoint.name, 16_000)[-16_000:] or "(no log lines yet)", language="log")
    delete_controls(endpoint)


try:
    show_notice()
    listed = endpoints.list_endpoints()
    handed = st.session_state.pop(keys.ENDPOINTS_DEPLOY_MODEL, "")  # Jobs & models' Deploy: the form opens on it
    if handed:
        st.session_state[keys.ENDPOINTS_DEPLOY_FORM_MODEL] = handed
    with st.expander("Deploy a model", icon=":material/rocket_launch:", expanded=not listed or bool(handed)):
        deploy_section()
    if keys.ENDPOINTS_WATCHING in st.session_state:
        watch_deploy(*st.session_state[keys.ENDPOINTS_WATCHING])
        listed = endpoints.list_endpoints()
    if not listed:
        st.info("No endpoints yet. Deploy a model above; it is in service within seconds.", icon=":material/dns:")
        st.stop()
    st.subheader("Endpoints")
    render_endpoints_table(listed)
    names = [e.name for e in listed]
    if st.session_state.get(keys.ENDPOINTS_SELECTED) not in names:
        st.session_state[keys.ENDPOINTS_SELECTED] = names[0]
    chosen = st.selectbox("Endpoint", names, key=keys.ENDPOINTS_SELECTED)
    details(next(e for e in listed if e.name == chosen))
except ServiceError as error:
    show_error(error)
