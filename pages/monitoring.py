"""Monitoring: Model Monitor's four monitors of an endpoint — overview tiles, the latest reports, schedules."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from components import keys
from components.code_views import show_code
from components.monitoring_views import (
    TITLES,
    coverage_text,
    render_executions,
    render_overview,
    render_report,
    render_schedule_form,
    render_schedules,
    render_settings,
    when,
)
from components.navigation import ensure_app_navigation
from components.services import get_services, show_error
from components.state import hand_off, keep, restore
from services.codegen.models import monitoring_schedule_code
from services.endpoints.models import Endpoint
from services.errors import ServiceError
from services.monitoring.models import MONITOR_TYPES, MonitorConfig, ScheduleRequest

ensure_app_navigation("pages/monitoring.py")
st.title("Monitoring")
st.caption("Model Monitor's four monitors on an endpoint's captured traffic: data quality against the training "
           "baseline, model quality against the ground truth you label, bias drift and feature-attribution drift. "
           "Run one now or put it on an hourly or daily schedule; each report has Model Monitor's three files.")
services = get_services()
monitoring = services.monitoring


def configs() -> dict[str, MonitorConfig]:
    """The settings last chosen per monitor type (Model Monitor's defaults until then)."""
    chosen: dict[str, MonitorConfig] = st.session_state.setdefault(keys.MONITORING_CONFIGS, {})
    return chosen


def show_pending() -> None:
    """What the last action left to say (its run ended with a rerun)."""
    error = st.session_state.pop(keys.MONITORING_ERROR, None)
    if error is not None:
        show_error(error)
    notice = st.session_state.pop(keys.MONITORING_NOTICE, None)
    if notice is not None:
        kind, message = notice
        (st.success if kind == "success" else st.warning)(message, icon=":material/info:")


def act(action: str, work: Callable[[], tuple[str, str]]) -> None:
    """Run ``work()`` (a monitor, a schedule change: its notice kind and message); say how it went on the next run,
    the inputs kept."""
    try:
        kind, message = work()
    except ServiceError as error:
        st.session_state[keys.MONITORING_ERROR] = error
    else:
        st.session_state[keys.MONITORING_NOTICE] = (kind, f"{action}: {message}")
    st.rerun()


def run_now(endpoint: str, monitor_type: str, *, show: bool) -> None:
    """Run a monitor; ``show`` selects its report next (only before the report picker is drawn in this run)."""
    def work() -> tuple[str, str]:
        with st.spinner(f"Running the {TITLES[monitor_type].lower()} monitor on {endpoint}…"):
            report = monitoring.run_monitor(endpoint, monitor_type, configs().get(monitor_type, MonitorConfig()))
        if show:
            st.session_state[keys.MONITORING_TYPE] = monitor_type
        message = report.status + (f" — {report.failure_reason}" if report.failure_reason else "")
        return ("success" if report.status == "Completed" else "warning"), message

    act(f"{TITLES[monitor_type]} on {endpoint}", work)


def pick_endpoint() -> Endpoint | None:
    try:
        endpoints = services.endpoints.list_endpoints()
    except ServiceError as error:
        show_error(error)
        return None
    if not endpoints:
        st.info("No endpoints yet. Deploy a model with data capture on, send it some requests, and its monitors "
                "appear here.", icon=":material/monitor_heart:")
        if st.button("Open the Endpoints page", key=keys.MONITORING_OPEN_ENDPOINTS, icon=":material/dns:"):
            st.switch_page("pages/endpoints.py")
        return None
    names = [e.name for e in endpoints]
    restore(keys.MONITORING_ENDPOINT, names[0])
    if st.session_state.get(keys.MONITORING_ENDPOINT) not in names:
        st.session_state[keys.MONITORING_ENDPOINT] = names[0]
    name = st.selectbox("Endpoint", names, key=keys.MONITORING_ENDPOINT)
    keep(keys.MONITORING_ENDPOINT)
    return next(e for e in endpoints if e.name == name)


def show_coverage(endpoint: Endpoint, labelled: int, captured: int, text: str) -> None:
    if not captured:
        st.info(f"{endpoint.name} has no captured requests yet: send it some (the Score page, or your application) "
                "and the monitors have traffic to read.", icon=":material/inbox:")
        return
    left, right = st.columns([3, 1], vertical_alignment="center")
    if labelled:
        left.markdown(text)
    else:
        left.info(f"{text} Model quality and bias drift need ground truth: label some captured predictions first.",
                  icon=":material/label_off:")
    if right.button("Label predictions", key=keys.MONITORING_OPEN_LABEL, icon=":material/label:"):
        hand_off(keys.LABEL_SOURCE_KIND, "Endpoint")
        hand_off(keys.LABEL_ENDPOINT, endpoint.name)
        st.switch_page("pages/label.py")


def request_columns(endpoint: Endpoint) -> list[str]:
    """The columns a request to the endpoint carries (the facets bias drift can compare): the model's inputs and the
    other columns its captured requests sent (e.g. ``product_category`` beside a review); [] when they cannot be read."""
    try:
        return monitoring.facet_candidates(endpoint.name)
    except ServiceError:
        return list(endpoint.input_columns)


def show_report_section(endpoint: Endpoint) -> None:
    restore(keys.MONITORING_TYPE, MONITOR_TYPES[0])
    monitor_type = st.segmented_control("Monitor", MONITOR_TYPES, format_func=TITLES.__getitem__,
                                        key=keys.MONITORING_TYPE) or MONITOR_TYPES[0]
    keep(keys.MONITORING_TYPE)
    with st.expander("Run settings", expanded=monitor_type == "bias-drift" and not configs().get(monitor_type)):
        facets = request_columns(endpoint) if monitor_type == "bias-drift" else []
        config = render_settings(monitor_type, facets,
                                 configs().get(monitor_type, MonitorConfig()), key=f"{keys.MONITORING_SETTINGS}.{monitor_type}")
        configs()[monitor_type] = config
    if st.button(f"Run {TITLES[monitor_type].lower()} now", key=keys.MONITORING_RUN, icon=":material/play_arrow:"):
        run_now(endpoint.name, monitor_type, show=False)
    try:
        report = monitoring.latest_report(endpoint.name, monitor_type)
    except ServiceError as error:
        show_error(error)
        return
    if report is None:
        st.caption(f"No {TITLES[monitor_type].lower()} report yet: run it now or schedule it.")
        return
    render_report(report, key=f"{keys.MONITORING_REPORT}.{monitor_type}")


def show_schedules(endpoint: Endpoint) -> None:
    created = render_schedule_form(key=keys.MONITORING_SCHEDULE)
    if created is not None:
        monitor_type, every, name = created

        def create() -> tuple[str, str]:
            request = ScheduleRequest(endpoint.name, monitor_type, every, name,
                                      configs().get(monitor_type, MonitorConfig()))
            schedule = monitoring.create_schedule(request)
            upcoming = f"; next at {when(schedule.next_execution_at)}" if schedule.next_execution_at else ""
            return "success", f"{schedule.name} runs {every}{upcoming}."

        act("Schedule created", create)
    try:
        schedules = monitoring.list_schedules(endpoint.name)
    except ServiceError as error:
        show_error(error)
        return
    if not schedules:
        st.caption("No schedules on this endpoint yet.")
        return
    picked = render_schedules(schedules, key=keys.MONITORING_SCHEDULE)
    if picked is None:
        return
    shown = next(s for s in schedules if s.name == picked)  # the schedule's AWS code (Model Monitor)
    show_code(monitoring_schedule_code(shown.endpoint, shown.monitor_type, shown.schedule_expression, shown.name))
    try:
        render_executions(monitoring.list_executions(picked))
    except ServiceError as error:
        show_error(error)
    if st.button(f"Delete {picked}", key=keys.MONITORING_DELETE, icon=":material/delete:"):

        def delete() -> tuple[str, str]:
            monitoring.delete_schedule(picked)
            return "success", f"{picked} (the reports it wrote stay)."

        act("Schedule deleted", delete)


show_pending()
chosen = pick_endpoint()
if chosen is None:
    st.stop()
if chosen.capture_percent <= 0:
    st.warning(f"{chosen.name} does not capture its requests, so its monitors have nothing to read. Turn data capture "
               "on for it on the Endpoints page.", icon=":material/videocam_off:")
try:
    overview = monitoring.overview(chosen.name)
except ServiceError as failure:
    show_error(failure)
    st.stop()
clicked = render_overview(overview, key=keys.MONITORING_TILES)
show_coverage(chosen, overview.labelled, overview.captured, coverage_text(overview))
if clicked is not None:
    run_now(chosen.name, clicked, show=True)
st.subheader("Latest reports")
show_report_section(chosen)
st.subheader("Schedules")
show_schedules(chosen)
