"""Jobs: watch every job live (training, Autopilot, script, tuning, batch, bias, SHAP, processing); the model registry;
batch predictions."""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from components import keys
from components.code_views import show_code
from components.debugger_views import (
    notify_issues,
    render_debug_series,
    render_profiler_download,
    render_rule_statuses,
)
from components.job_views import (
    models_frame,
    render_importance,
    render_insights,
    render_job_status,
    render_jobs_table,
    render_leaderboard,
    render_metric_points,
    render_metrics,
    render_notebooks,
    render_processing_outputs,
    render_transitions,
    render_trials,
)
from components.navigation import ensure_app_navigation
from components.score_views import render_batch_form
from components.services import get_services, show_error
from components.state import hand_off
from components.train_forms import render_leakage_warning
from services.codegen.models import batch_transform_code
from services.errors import NotFound, ServiceError
from services.explain.models import trained_on_table
from services.models import DataSource, Job, ModelRecord
from services.processing.models import processing_outputs
from services.training.models import leakage_check, test_metric_regex

ensure_app_navigation("pages/jobs.py")
st.title("Jobs")
services = get_services()
jobs_port = services.jobs
training = services.training
endpoints = services.endpoints


LIVE_SECONDS = 2.0


def jobs_overview(chosen: str, unfinished: list[str]) -> None:
    """The jobs table and, while it runs, the chosen job's detail, drawn from one read of the jobs and refreshed
    together (a fragment, every 2 s while any job runs): the table's status, stage and duration are the detail's.
    A job that ends (or a new one) reruns the whole page, which then shows the finished job's results."""
    jobs = jobs_port.list_jobs()
    if [j.name for j in jobs if not j.finished] != unfinished:
        st.rerun()
    render_jobs_table(jobs)
    job = next((j for j in jobs if j.name == chosen), None)
    if job is not None:  # the status block is drawn here for running and finished jobs alike: when a job ends, the
        render_job_status(job)  # rerun replaces it in place instead of a stale "InProgress" block lingering beside
        if not job.finished:  # a new "Completed" one
            live_detail(job)


def live_detail(job: Job) -> None:
    if st.button("Stop job", icon=":material/stop_circle:", key="jobs.stop", disabled=job.status == "Stopping"):
        jobs_port.stop_job(job.name)
        st.rerun()
    processing_panel(job, key="jobs.live_processing")
    debugger_panel(job, live=True)
    render_metric_points(jobs_port.job_metric_points(job.name), key="jobs.live_metrics")
    st.code(jobs_port.job_logs(job.name, 8_000)[-8_000:] or "(no log lines yet)", language="log")
    if job.kind == "script":
        regex_tester(job, key="jobs.live_regex")


def regex_tester(job: Job, *, key: str) -> None:
    """Try a metric definition's regex against this job's log before starting the next run."""
    with st.expander("Metric regex tester", icon=":material/regular_expression:"):
        default = next(iter((job.config.get("metric_definitions") or {}).values()), "loss=([0-9.]+)")
        pattern = st.text_input("Regex (the first group is the value)", value=default, key=f"{key}.pattern")
        try:
            points = test_metric_regex(pattern, jobs_port.job_logs(job.name))
        except ServiceError as error:
            show_error(error)
            return
        st.caption(f"{len(points)} matching lines")
        if points:
            st.dataframe(pd.DataFrame(points, columns=["log line", "value"]), hide_index=True, height=200)


def debugger_panel(job: Job, *, live: bool) -> None:
    """A training job's Debugger rules: statuses (a toast when one finds an issue), the curves with where rules
    fired, system use, and once the job has ended the profiler report (also of a job profiled without rules)."""
    if not job.config.get("debugger") and not job.result.get("ProfilerConfig"):
        return
    statuses = services.debugger.rule_statuses(job.name)
    notify_issues(job.name, statuses, st.session_state.setdefault(keys.JOBS_DEBUGGER_NOTIFIED, set()))
    issues = any(s.status == "IssuesFound" for s in statuses)
    with st.expander("Debugger", icon=":material/bug_report:", expanded=live or issues):
        render_rule_statuses(statuses, key=keys.JOBS_DEBUGGER)
        render_debug_series(services.debugger.series(job.name), statuses, key=keys.JOBS_DEBUGGER)
        if not live:
            render_profiler_download(profiler_report(job.name), job.name, key=keys.JOBS_DEBUGGER)


def profiler_report(name: str) -> bytes | None:
    try:
        return services.debugger.profiler_report(name)
    except NotFound:  # no profile recorded, or (on AWS) the ProfilerReport rule has not written it yet
        return None


def processing_panel(job: Job, *, key: str) -> None:
    """A processing job's (or a pipeline's Processing step's) outputs, with their S3 URIs and lake folders."""
    outputs = processing_outputs(job)
    if outputs:
        render_processing_outputs(outputs, [str(t) for t in job.result.get("tables") or []], key=key)


def finished_panel(job: Job) -> None:
    render_metrics(job.metrics, job.kind)
    if job.model_id:
        st.caption(f"Registered model: `{job.model_id}`")
    if job.kind == "autopilot" and job.status == "Completed":
        autopilot_results(job)
    if job.kind in ("batch", "transform") and job.status == "Completed":  # local and SageMaker kinds
        batch_result(job)
    render_trials(job.result)
    processing_panel(job, key="jobs.processing")
    debugger_panel(job, live=False)
    if job.kind == "script":
        regex_tester(job, key="jobs.regex")
    with st.expander("Metric curves", icon=":material/show_chart:"):
        render_metric_points(jobs_port.job_metric_points(job.name), key="jobs.metrics")
    with st.expander("Stages", icon=":material/timeline:"):
        render_transitions(jobs_port.job_transitions(job.name))
    with st.expander("Log", icon=":material/article:"):
        st.code(jobs_port.job_logs(job.name) or "(empty)", language="log")
    if st.button("Compare this job's runs", icon=":material/compare:", key="jobs.compare"):
        st.session_state[keys.COMPARE_FILTER] = job.name
        st.switch_page("pages/compare.py")


def batch_result(job: Job) -> None:
    """Where a batch transform put its rows, as the Score page says it (on AWS this describe registers the table)."""
    try:
        table = endpoints.describe_batch_transform(job.name).config.get("output_table", "")
    except NotFound:  # a SageMaker transform job not started as a batch from this workspace
        return
    header, button = st.columns([4, 1])
    header.success(f"Every row scored into **{table}**.", icon=":material/check_circle:")
    if button.button("Query it", icon=":material/terminal:", key="jobs.batch_query"):
        hand_off(keys.QUERY_SQL, f"SELECT * FROM {table} LIMIT 100")
        hand_off(keys.QUERY_DATABASE, table.split(".")[0])
        st.session_state[keys.QUERY_AUTORUN] = True
        st.session_state.pop(keys.QUERY_ID, None)
        st.session_state.pop(keys.QUERY_ERROR, None)
        st.switch_page("pages/query.py")


def autopilot_leakage(job: Job) -> None:
    """Candidates that all tie at 1.0 usually mean a leaked target: name the columns that alone predict it."""
    source, target = job.config.get("source") or {}, str(job.config.get("target") or "")
    if job.kind != "autopilot" or not source.get("table") or not target:
        return
    try:
        render_leakage_warning(leakage_check(services.query, DataSource(**source), target))
    except ServiceError as error:  # advice only: a refused sample read must not hide the job
        st.caption(f"Could not check for target leakage: {error.message}")


def autopilot_results(job: Job) -> None:
    st.subheader("Leaderboard")
    render_leaderboard(training.list_candidates(job.name))
    insights = training.job_insights(job.name)
    if insights:
        st.subheader("Model insights (best candidate)")
        render_insights(insights.get("model_insights") or {}, key="jobs.insights")
        render_importance(insights.get("explainability") or {}, key="jobs.importance")
    render_notebooks(job.name, job.result.get("notebooks") or {}, partial(training.autopilot_notebooks, job.name),
                     key="jobs.notebooks")


def no_jobs_yet() -> None:
    st.info("No jobs yet. Start one on the Train page: a built-in algorithm on demo.wine or demo.reviews_sentiment "
            "takes seconds, an Autopilot job a few minutes.", icon=":material/work_history:")
    if st.button("Train a model", icon=":material/model_training:", type="primary", key=keys.JOBS_TRAIN):
        st.switch_page("pages/train.py")


def models_tab() -> None:
    models = training.list_models()
    if not models:
        st.info("No models yet: every completed training or Autopilot job registers one, approved or not.",
                icon=":material/inventory_2:")
        if st.button("Train a model", icon=":material/model_training:", type="primary", key=keys.JOBS_MODELS_TRAIN):
            st.switch_page("pages/train.py")
        return
    st.dataframe(models_frame(models), hide_index=True, width="stretch")
    chosen = st.selectbox("Model", [m.model_id for m in models], key="jobs.model")
    approve, reject, deploy, explain, _ = st.columns([1, 1, 1, 1, 2])
    if approve.button("Approve", key="jobs.approve"):
        training.set_model_approval(chosen, "Approved")
        st.rerun()
    if reject.button("Reject", key="jobs.reject"):
        training.set_model_approval(chosen, "Rejected")
        st.rerun()
    if deploy.button("Deploy", icon=":material/rocket_launch:", key=keys.JOBS_DEPLOY,
                     help="Open the Endpoints page's deploy form on this model"):
        st.session_state[keys.ENDPOINTS_DEPLOY_MODEL] = chosen
        st.switch_page("pages/endpoints.py")
    if explain.button("Explain", icon=":material/insights:", key=keys.JOBS_EXPLAIN,
                      help="Open the Explain page on this model"):
        hand_off(keys.EXPLAIN_MODEL, chosen)
        st.switch_page("pages/explain.py")
    batch_section(next(m for m in models if m.model_id == chosen))


def batch_section(model: ModelRecord) -> None:
    """Batch predictions with the Score page's own form and service call (a table or a SQL result scored into a new
    catalog table), here for any registered model rather than an endpoint's."""
    st.markdown("**Batch predictions** (batch transform): score every row of a table or a SQL result into a new "
                "catalog table, as Score → Batch does for an endpoint's model.")
    tables = [t.qualified_name for d in services.catalog.list_databases() for t in services.catalog.list_tables(d.name)]
    default_table = training_table(model)
    default_output = f"{(default_table or 'demo').split('.')[0]}.{model.name.replace('-', '_').lower()}_scored"
    request = render_batch_form(tables, default_table, default_output, key=keys.JOBS_BATCH)
    shown = st.session_state.get(keys.JOBS_BATCH_TABLE) or default_table
    show_code(batch_transform_code(model.model_id, DataSource(table=shown),
                                   st.session_state.get(keys.JOBS_BATCH_OUTPUT) or default_output))
    if request is None:
        return
    try:
        st.session_state[keys.JOBS_STARTED] = endpoints.start_batch_transform(
            model.model_id, request.source, request.output_table, request.sql)
    except ServiceError as error:
        show_error(error)  # the form keeps what was typed
        return
    st.rerun()


def training_table(model: ModelRecord) -> str:
    """The catalog table the model was trained on (the form's default), or "" when its job recorded none."""
    if not model.job_name:
        return ""
    try:
        return trained_on_table(jobs_port.describe_job(model.job_name))
    except NotFound:  # the job's record is gone (e.g. retention), the model stays
        return ""


jobs_tab, models = st.tabs(["Jobs", "Models"])
try:
    with jobs_tab:
        jobs = jobs_port.list_jobs()
        if not jobs:
            no_jobs_yet()
        else:
            if keys.JOBS_STARTED in st.session_state:
                st.session_state[keys.JOBS_SELECTED] = st.session_state.pop(keys.JOBS_STARTED)
            if st.session_state.get(keys.JOBS_SELECTED) not in [j.name for j in jobs]:
                st.session_state[keys.JOBS_SELECTED] = jobs[0].name
            chosen = st.selectbox("Job", [j.name for j in jobs], key=keys.JOBS_SELECTED)
            unfinished = [j.name for j in jobs if not j.finished]
            st.fragment(jobs_overview, run_every=LIVE_SECONDS if unfinished else None)(chosen, unfinished)
            job = next(j for j in jobs if j.name == chosen)
            autopilot_leakage(job)
            if job.finished:
                finished_panel(job)
    with models:
        models_tab()
except ServiceError as error:
    show_error(error)
