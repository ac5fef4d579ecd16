"""Score: type a review and see its sentiment live; score a whole table; check live traffic for drift."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import keys
from components.code_views import show_code
from components.job_views import render_job_status
from components.navigation import ensure_app_navigation
from components.score_views import (
    add_to_history,
    batch_figure,
    history_entry,
    render_batch_charts,
    render_batch_form,
    render_drift_report,
    render_endpoint_picker,
    render_history,
    render_prediction,
    render_record_form,
    render_review_form,
    render_review_words,
)
from components.services import get_services, show_error
from components.state import hand_off, keep, restore
from services.codegen.models import score_code
from services.endpoints.models import BatchForm, Endpoint
from services.errors import NotFound, ServiceError
from services.label_map import LabelMap, model_label_map

ensure_app_navigation("pages/score.py")


st.title("Score")
st.caption("Live predictions from an endpoint (with the words behind each review's sentiment), batch scoring of whole tables, "
           "and drift of live traffic against the training data.")
services = get_services()
endpoints = services.endpoints


def open_in_query(table: str) -> None:
    """Hand a query over ``table`` to the Query page, which runs it on arrival."""
    hand_off(keys.QUERY_SQL, f"SELECT * FROM {table} LIMIT 100")
    hand_off(keys.QUERY_DATABASE, table.split(".")[0])
    st.session_state[keys.QUERY_AUTORUN] = True
    st.session_state.pop(keys.QUERY_ID, None)
    st.session_state.pop(keys.QUERY_ERROR, None)
    st.switch_page("pages/query.py")


@st.cache_data(ttl=600, show_spinner=False)
def model_labels(model_id: str, backend_label: str) -> LabelMap:
    """The label map of the model behind an endpoint (empty when the registry no longer has it: results then name
    their classes by the classes they carry)."""
    try:
        return model_label_map(get_services().training.get_model(model_id))
    except NotFound:
        return LabelMap()


# -- live ---------------------------------------------------------------------------------------------------------


def score_review(endpoint: Endpoint, labels: LabelMap) -> None:
    restore(keys.SCORE_REVIEW_TEXT, "")
    text = render_review_form(key="score.review")
    keep(keys.SCORE_REVIEW_TEXT)
    if text is not None:
        try:
            with st.spinner("Scoring and finding the words that drove it…"):
                result = endpoints.score_text(endpoint.name, text, explain=True)
        except ServiceError as error:
            st.session_state.pop(keys.SCORE_RESULT, None)
            show_error(error)  # the review stays in the box
        else:
            st.session_state[keys.SCORE_RESULT] = (endpoint.name, text, result)
            st.session_state[keys.SCORE_SCORED] = st.session_state.get(keys.SCORE_SCORED, 0) + 1
            st.session_state[keys.SCORE_HISTORY] = add_to_history(st.session_state.get(keys.SCORE_HISTORY, []),
                                                                  history_entry(endpoint.name, text, result, labels))
    shown = st.session_state.get(keys.SCORE_RESULT)
    if shown and shown[0] == endpoint.name and isinstance(shown[1], str):
        render_prediction(shown[2], labels, key="score.review.result")
        render_review_words(shown[2], shown[1], labels, key=f"score.review.words.{st.session_state.get(keys.SCORE_SCORED, 0)}")
        show_code(score_code(endpoint.name, shown[1]))  # the same request on AWS
    render_history(st.session_state.get(keys.SCORE_HISTORY, []), key="score.history")


def score_record(endpoint: Endpoint, labels: LabelMap) -> None:
    columns = endpoints.record_form_columns(endpoint)
    if not columns:
        st.info("This endpoint's model reports no input columns to build a form from.", icon=":material/info:")
        return
    record = render_record_form(columns, key=f"score.record.{endpoint.name}")
    if record is not None:
        try:
            st.session_state[keys.SCORE_RESULT] = (endpoint.name, record, endpoints.score_record(endpoint.name, record))
        except ServiceError as error:
            st.session_state.pop(keys.SCORE_RESULT, None)
            show_error(error)
    shown = st.session_state.get(keys.SCORE_RESULT)
    if shown and shown[0] == endpoint.name and isinstance(shown[1], dict):
        render_prediction(shown[2], labels, key="score.record.result")
        show_code(score_code(endpoint.name, shown[1]))  # the same request on AWS


# -- batch ----------------------------------------------------------------------------------------------------------


@st.fragment(run_every=2.0)
def watch_batch(name: str, output_table: str) -> None:
    """Progress of the batch transform; a full rerun shows the charts once it is done."""
    try:
        job = endpoints.describe_batch_transform(name)  # on AWS the first Completed sighting registers the table
    except ServiceError as error:
        st.session_state.pop(keys.SCORE_BATCH_JOB, None)
        show_error(error)
        return
    if not job.finished:
        render_job_status(job)
        return
    st.session_state.pop(keys.SCORE_BATCH_JOB, None)
    if job.status == "Completed":
        st.session_state[keys.SCORE_BATCH_DONE] = (name, output_table)
    else:
        st.session_state[keys.SCORE_BATCH_ERROR] = f"Batch transform {name} {job.status.lower()}: {job.failure_reason or 'no reason given'}"
    st.rerun()


@st.cache_data(ttl=600, show_spinner="Charting the scored rows…")
def scored_table_frames(job_name: str, output_table: str, backend_label: str) -> list[tuple[dict[str, str], pd.DataFrame]]:
    """The chart data of one finished batch (keyed by its job, so a rerun batch into the same table refreshes)."""
    current = get_services()
    return current.endpoints.batch_charts(output_table)


def batch_scoring(form: BatchForm, labels: LabelMap) -> None:
    st.caption(f"A batch transform job scores every row with **{form.model_id}** (the model behind this endpoint) into a new "
               "catalog table; the endpoint itself is not called.")
    request = render_batch_form(form.tables, form.default_table, form.default_output, key="score.batch")
    if request is not None:
        try:
            job = endpoints.start_batch_transform(form.model_id, request.source, request.output_table, request.sql)
        except ServiceError as error:
            show_error(error)
        else:
            st.session_state[keys.SCORE_BATCH_JOB] = (job, request.output_table)
            st.session_state.pop(keys.SCORE_BATCH_DONE, None)
            st.session_state.pop(keys.SCORE_BATCH_ERROR, None)
    if keys.SCORE_BATCH_ERROR in st.session_state:
        st.error(st.session_state[keys.SCORE_BATCH_ERROR], icon=":material/error:")
    if keys.SCORE_BATCH_JOB in st.session_state:
        watch_batch(*st.session_state[keys.SCORE_BATCH_JOB])
    if keys.SCORE_BATCH_DONE in st.session_state:
        batch_results(*st.session_state[keys.SCORE_BATCH_DONE], labels)


def batch_results(job_name: str, output_table: str, labels: LabelMap) -> None:
    header, button = st.columns([4, 1])
    header.success(f"Every row scored into **{output_table}** (job {job_name}).", icon=":material/check_circle:")
    if button.button("Query it", icon=":material/terminal:", key="score.batch.query"):
        open_in_query(output_table)
    frames = scored_table_frames(job_name, output_table, services.backend_label)
    render_batch_charts([batch_figure(spec, frame, labels) for spec, frame in frames if not frame.empty], key="score.batch")


# -- monitoring -----------------------------------------------------------------------------------------------------


def monitoring(endpoint: Endpoint) -> None:
    st.caption(f"Model Monitor: captured requests of **{endpoint.name}** compared with its model's training data "
               f"(capturing {endpoint.capture_percent}% of requests).")
    report_col, capture_col, _ = st.columns([1, 1, 3])
    if report_col.button("Drift report", icon=":material/monitoring:", type="primary", key="score.drift.run"):
        try:
            with st.spinner("Comparing live traffic with the baseline…"):
                st.session_state[keys.SCORE_DRIFT] = (endpoint.name, endpoints.drift_report(endpoint.name))
        except ServiceError as error:
            st.session_state.pop(keys.SCORE_DRIFT, None)
            show_error(error)
    if capture_col.button("Capture table", icon=":material/table:", key="score.capture.run"):
        try:
            st.session_state[keys.SCORE_CAPTURE] = (endpoint.name, endpoints.capture_table(endpoint.name))
        except ServiceError as error:
            show_error(error)
    capture = st.session_state.get(keys.SCORE_CAPTURE)
    if capture and capture[0] == endpoint.name:
        text, button = st.columns([4, 1])
        text.info(f"The captured traffic is the catalog table **{capture[1]}** (SageMaker's data-capture JSON lines).",
                  icon=":material/table:")
        if button.button("Query it", icon=":material/terminal:", key="score.capture.query"):
            open_in_query(capture[1])
    drift = st.session_state.get(keys.SCORE_DRIFT)
    if drift and drift[0] == endpoint.name:
        render_drift_report(drift[1], key="score.drift")


try:
    serving = [e for e in endpoints.list_endpoints() if e.status == "InService"]
    if not serving:
        st.info("No endpoint is in service yet. Deploy a model on the Endpoints page, then come back here to score reviews.",
                icon=":material/dns:")
        st.page_link("pages/endpoints.py", label="Go to Endpoints", icon=":material/dns:")
        st.stop()
    restore(keys.SCORE_ENDPOINT, serving[0].name)
    if st.session_state.get(keys.SCORE_ENDPOINT) not in [e.name for e in serving]:
        st.session_state[keys.SCORE_ENDPOINT] = serving[0].name
    endpoint = render_endpoint_picker(serving, key=keys.SCORE_ENDPOINT)
    keep(keys.SCORE_ENDPOINT)
    if endpoint is not None:
        form = endpoints.batch_form(endpoint)  # the model answering most traffic, and the batch form's choices
        labels = model_labels(form.model_id, services.backend_label)
        live_tab, batch_tab, monitor_tab = st.tabs(["Live", "Batch", "Monitoring"])
        with live_tab:
            (score_review if endpoint.text_model or not endpoint.input_columns else score_record)(endpoint, labels)
        with batch_tab:
            batch_scoring(form, labels)
        with monitor_tab:
            monitoring(endpoint)
except ServiceError as error:
    show_error(error)
