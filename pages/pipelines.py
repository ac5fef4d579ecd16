"""Pipelines: SageMaker pipeline definitions run step by step, with a live DAG, each step's logs, cache and failures."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from components import keys
from components.code_views import show_code
from components.navigation import ensure_app_navigation
from components.pipeline_views import (
    render_dag,
    render_execution_picker,
    render_execution_status,
    render_parameter_form,
    render_step_detail,
    render_templates,
    steps_frame,
)
from components.services import get_services, show_error
from services.codegen.models import pipeline_code
from services.errors import InvalidInput, ServiceError
from services.pipelines.models import ExecutionStep, Pipeline, PipelineExecution, pipeline_graph

ensure_app_navigation("pages/pipelines.py")

st.title("Pipelines")
st.caption("A pipeline chains processing, training, evaluation, a quality gate and registration in SageMaker's "
           "pipeline definition format; the same definition runs here and on SageMaker Pipelines.")
services = get_services()
pipelines = services.pipelines


def show_notice() -> None:
    kind, message = st.session_state.pop(keys.PIPELINES_NOTICE, ("", ""))
    if kind == "success":
        st.success(message, icon=":material/check_circle:")
    elif kind:
        st.error(message, icon=":material/error:")


def new_pipeline_section(expanded: bool) -> None:
    """Ready-made templates and an upload of one's own definition."""
    with st.expander("New pipeline", expanded=expanded, icon=":material/add:"):
        template = render_templates(pipelines.templates(), key="pipelines.template")
        if template is not None:
            run_action(lambda: pipelines.install_template(template.key), f"Pipeline **{template.key}** is ready.")
        st.divider()
        upload_form()


def upload_form() -> None:
    with st.form("pipelines.upload", border=False):
        st.markdown("**Or upload a definition** (JSON, as `Pipeline.definition()` of the sagemaker SDK writes it)")
        name = st.text_input("Pipeline name", placeholder="reviews-pipeline")
        upload = st.file_uploader("Definition file", type=["json"], max_upload_size=1)
        submitted = st.form_submit_button("Create or update", icon=":material/upload:")
    if not submitted:
        return
    if upload is None or not name:
        show_error(InvalidInput("Give a pipeline name and a definition file.", hint="Both are required."))
        return
    definition = upload.getvalue().decode("utf-8", errors="replace")
    run_action(lambda: pipelines.upsert_pipeline(name, definition), f"Pipeline **{name}** saved.")


def run_action(action: Callable[[], object], success: str) -> None:
    """Run a port call; on success select what it returned and say so, on failure show why (inputs kept)."""
    try:
        result = action()
    except ServiceError as error:
        show_error(error)
        return
    if isinstance(result, Pipeline):
        st.session_state[keys.PIPELINES_SELECTED] = result.name
    if isinstance(result, PipelineExecution):
        st.session_state[keys.PIPELINES_EXECUTION] = result.arn
    st.session_state[keys.PIPELINES_NOTICE] = ("success", success)
    st.rerun()


def start_section(pipeline: Pipeline) -> None:
    st.subheader("Start an execution")
    submitted = render_parameter_form(pipeline.parameters, key=f"pipelines.start.{pipeline.name}")
    show_code(pipeline_code(pipeline.name, {p.name: p.default for p in pipeline.parameters}))  # start it on SageMaker
    if submitted is None:
        return
    values, display_name = submitted
    run_action(lambda: pipelines.start_execution(pipeline.name, values, display_name),
               f"Execution of **{pipeline.name}** started.")


@st.fragment(run_every=2.0)
def watch_execution(pipeline: Pipeline, arn: str) -> None:
    """The execution's status, DAG and steps; refreshes itself every 2 s while it runs."""
    try:
        execution = pipelines.describe_execution(arn)
        steps = pipelines.list_steps(arn)
    except ServiceError as error:
        show_error(error)
        return
    if execution.finished and st.session_state.get(keys.PIPELINES_WATCHED) == arn:
        # Rerun in full before drawing the finished state: drawn here too, a fragment run that ends in a rerun
        # leaves its elements on screen beside the full run's until that run ends (the message showed twice).
        st.session_state.pop(keys.PIPELINES_WATCHED)
        st.rerun()
    render_execution_status(execution)
    render_dag(pipeline_graph(pipeline.definition, steps))
    if steps:
        st.dataframe(steps_frame(steps), hide_index=True, width="stretch")
    execution_actions(pipeline, execution, [s.name for s in steps])
    if steps:
        step_section(pipeline, execution, steps)


def execution_actions(pipeline: Pipeline, execution: PipelineExecution, step_names: list[str]) -> None:
    columns = st.columns(3)
    if not execution.finished:
        st.session_state[keys.PIPELINES_WATCHED] = execution.arn
        if columns[0].button("Stop", icon=":material/stop:", key=f"pipelines.stop.{execution.arn}"):
            run_action(lambda: pipelines.stop_execution(execution.arn), "Stop requested.")
        return
    if execution.status in ("Failed", "Stopped") and columns[0].button(
            "Retry from the failed step", icon=":material/replay:", key=f"pipelines.retry.{execution.arn}"):
        run_action(lambda: pipelines.retry_execution(execution.arn), "Retrying the failed steps.")
    with columns[1].popover("Run selected steps", icon=":material/checklist:"):
        chosen = st.multiselect("Steps to run again (the others reuse this execution's outputs)", step_names,
                                key=f"pipelines.selective.{execution.arn}")
        if st.button("Start", disabled=not chosen, key=f"pipelines.selective_start.{execution.arn}"):
            run_action(lambda: pipelines.start_execution(pipeline.name, execution.parameters, "",
                                                         tuple(chosen), execution.arn),
                       f"Running {', '.join(chosen)} again.")


def step_section(pipeline: Pipeline, execution: PipelineExecution, steps: list[ExecutionStep]) -> None:
    names = [s.name for s in steps]
    chosen = st.selectbox("Step", names, key=keys.PIPELINES_STEP)
    step = next(s for s in steps if s.name == chosen)
    try:
        log = pipelines.step_logs(execution.arn, step.name)
    except ServiceError as error:
        show_error(error)
        log = ""
    render_step_detail(step, pipeline.find_step(step.name), log)


def main() -> None:
    show_notice()
    try:
        all_pipelines = pipelines.list_pipelines()
    except ServiceError as error:
        show_error(error)
        return
    new_pipeline_section(expanded=not all_pipelines)
    if not all_pipelines:
        st.info("No pipelines yet. Pick the ready-made **review sentiment** pipeline above, or upload a definition.",
                icon=":material/info:")
        return
    names = [p.name for p in all_pipelines]
    if st.session_state.get(keys.PIPELINES_SELECTED) not in names:
        st.session_state[keys.PIPELINES_SELECTED] = names[0]
    name = st.selectbox("Pipeline", names, key=keys.PIPELINES_SELECTED)
    pipeline = next(p for p in all_pipelines if p.name == name)
    left, right = st.columns([1, 2])
    with left:
        start_section(pipeline)
    with right:
        executions_section(pipeline)


def executions_section(pipeline: Pipeline) -> None:
    st.subheader("Executions")
    try:
        executions = pipelines.list_executions(pipeline.name)
    except ServiceError as error:
        show_error(error)
        return
    if not executions:
        st.info("No executions yet: fill in the parameters and press **Start execution**.", icon=":material/info:")
        render_dag(pipeline_graph(pipeline.definition, []))
        return
    arns = [e.arn for e in executions]
    if st.session_state.get(keys.PIPELINES_EXECUTION) not in arns:
        st.session_state[keys.PIPELINES_EXECUTION] = arns[0]
    execution = render_execution_picker(executions, key=keys.PIPELINES_EXECUTION)
    if execution is not None:
        watch_execution(pipeline, execution.arn)


main()
