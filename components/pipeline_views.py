"""Widgets for pipelines: the DAG, the typed parameter form, the executions list and a step's detail."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from services.pipelines.models import (
    ExecutionStep,
    GraphNode,
    PipelineExecution,
    PipelineGraph,
    PipelineParameter,
    PipelineTemplate,
)

# Fill colours of the DAG by step status (graphviz names; readable on light and dark themes).
STATUS_COLOURS = {"NotStarted": "#e0e0e0", "Starting": "#bbdefb", "Executing": "#64b5f6", "Stopping": "#ffcc80",
                  "Stopped": "#ffb74d", "Failed": "#ef9a9a", "Succeeded": "#a5d6a7"}
STATUS_ICONS = {"Executing": ":material/progress_activity:", "Succeeded": ":material/check_circle:",
                "Failed": ":material/error:", "Stopping": ":material/pause_circle:", "Stopped": ":material/stop_circle:"}
SHAPES = {"Condition": "diamond", "Fail": "octagon", "RegisterModel": "folder", "Model": "component"}


def dag_dot(graph: PipelineGraph) -> str:
    """Graphviz DOT for the pipeline: one box per step coloured by status, edges by dependency."""
    lines = ["digraph pipeline {", "  rankdir=LR;", '  node [style="filled,rounded", shape=box, fontname="Helvetica"];',
             '  edge [color="#757575"];']
    for node in graph.nodes:
        lines.append(f"  {_quote(node.name)} [{_node_attributes(node)}];")
    for edge in graph.edges:
        label = f" [label={_quote(edge.label)}]" if edge.label else ""
        lines.append(f"  {_quote(edge.source)} -> {_quote(edge.target)}{label};")
    lines.append("}")
    return "\n".join(lines)


def _node_attributes(node: GraphNode) -> str:
    label = f"{node.name}\n{node.type} · {node.status}" + (" (cached)" if node.cache_hit else "")
    shape = SHAPES.get(node.type, "box")
    style = '"filled,rounded,dashed"' if node.status == "NotStarted" else '"filled,rounded"'
    return f'label="{_escape(label)}", shape={shape}, style={style}, fillcolor="{STATUS_COLOURS.get(node.status, "#e0e0e0")}"'


def _quote(text: str) -> str:
    return f'"{_escape(text)}"'


def _escape(text: str) -> str:
    """Text inside a DOT double-quoted string: backslashes and quotes escaped, line breaks as \\n."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render_dag(graph: PipelineGraph) -> None:
    st.graphviz_chart(dag_dot(graph), width="stretch")
    st.caption("Grey dashed: not run yet · blue: executing · green: succeeded · red: failed · orange: stopped.")


def render_parameter_form(parameters: list[PipelineParameter], *, key: str) -> tuple[dict[str, str], str] | None:
    """A typed form for the pipeline's parameters; on submit, the values as the API takes them (strings) and the
    execution's display name."""
    with st.form(key=key, enter_to_submit=True, border=True):
        values = {p.name: _parameter_input(p, key) for p in parameters}
        if not parameters:
            st.caption("This pipeline has no parameters.")
        display_name = st.text_input("Execution name (optional)", key=f"{key}.display_name", max_chars=82)
        submitted = st.form_submit_button("Start execution", type="primary", icon=":material/play_arrow:")
    if not submitted:
        return None
    return {name: value for name, value in values.items() if value is not None}, display_name


def _parameter_input(parameter: PipelineParameter, key: str) -> str | None:
    label = parameter.name + ("" if not parameter.required else " (required)")
    widget_key = f"{key}.param.{parameter.name}"
    default = parameter.default
    if parameter.type == "Integer":
        value: Any = st.number_input(label, value=int(default) if default is not None else None, step=1, key=widget_key)
    elif parameter.type == "Float":
        value = st.number_input(label, value=float(default) if default is not None else None, format="%.4f", key=widget_key)
    elif parameter.type == "Boolean":
        value = st.checkbox(label, value=bool(default), key=widget_key)
    else:
        value = st.text_input(label, value="" if default is None else str(default), key=widget_key)
    if value is None or (parameter.type == "String" and value == "" and parameter.required):
        return None
    return json.dumps(value) if parameter.type == "Boolean" else str(value)


def executions_frame(executions: list[PipelineExecution]) -> pd.DataFrame:
    return pd.DataFrame({
        "execution": [e.display_name or e.arn.rsplit("/", 1)[-1] for e in executions],
        "status": [e.status for e in executions],
        "started (UTC)": [e.created_at[:19].replace("T", " ") for e in executions],
        "duration": [_duration(e.created_at, e.last_modified_at if e.finished else "") for e in executions],
        "failure reason": [e.failure_reason for e in executions],
    })


def render_execution_picker(executions: list[PipelineExecution], *, key: str) -> PipelineExecution | None:
    st.dataframe(executions_frame(executions), hide_index=True, width="stretch",
                 height=min(38 * (len(executions) + 1), 260))
    labels = {e.arn: f"{e.display_name or e.arn.rsplit('/', 1)[-1]} · {e.status}" for e in executions}
    chosen = st.selectbox("Execution", list(labels), format_func=labels.__getitem__, key=key)
    return next((e for e in executions if e.arn == chosen), None)


def render_execution_status(execution: PipelineExecution) -> None:
    icon = STATUS_ICONS.get(execution.status, "")
    columns = st.columns(3)
    columns[0].metric("Status", execution.status)
    columns[1].metric("Duration", _duration(execution.created_at, execution.last_modified_at if execution.finished else ""))
    columns[2].metric("Parameters", len(execution.parameters))
    if execution.failure_reason:
        st.error(execution.failure_reason, icon=":material/error:")
    elif execution.status == "Succeeded":
        st.success(f"{icon} The execution succeeded.", icon=":material/check_circle:")
    if execution.parameters:
        with st.expander("Parameters of this execution"):
            st.json(execution.parameters)


def steps_frame(steps: list[ExecutionStep]) -> pd.DataFrame:
    return pd.DataFrame({
        "step": [s.name for s in steps], "type": [s.type for s in steps], "status": [s.status for s in steps],
        "attempt": [s.attempt for s in steps], "duration": [_duration(s.started_at, s.ended_at) for s in steps],
        "cache": [_cache_label(s) for s in steps], "failure reason": [s.failure_reason for s in steps],
    })


def _cache_label(step: ExecutionStep) -> str:
    if step.cache_hit_source:
        return "hit: " + step.cache_hit_source.rsplit("/", 1)[-1]
    return f"miss: {step.cache_miss_reason}" if step.cache_miss_reason else ""


def render_step_detail(step: ExecutionStep, definition_step: dict[str, Any] | None, log: str) -> None:
    """Status, cache, the job that ran it, its inputs and outputs (from the definition) and its log."""
    columns = st.columns(4)
    columns[0].metric("Status", step.status)
    columns[1].metric("Attempt", step.attempt)
    columns[2].metric("Duration", _duration(step.started_at, step.ended_at))
    columns[3].metric("Cache", "hit" if step.cache_hit_source else ("miss" if step.cache_miss_reason else "off"))
    if step.failure_reason:
        st.error(step.failure_reason, icon=":material/error:")
    if step.cache_hit_source:
        st.info(f"Reused the outputs of {step.cache_hit_source}.", icon=":material/cached:")
    elif step.cache_miss_reason:
        st.caption(f"Not cached: {step.cache_miss_reason}.")
    inputs, outputs = step_inputs_outputs(definition_step or {})
    left, right = st.columns(2)
    with left:
        st.markdown("**Inputs**")
        st.dataframe(pd.DataFrame(inputs, columns=["name", "from"]), hide_index=True, width="stretch")
    with right:
        st.markdown("**Outputs**")
        st.dataframe(pd.DataFrame(outputs, columns=["name", "to"]), hide_index=True, width="stretch")
    if step.metadata:
        with st.expander("Metadata (ListPipelineExecutionSteps)"):
            st.json(step.metadata)
    st.markdown("**Log**")
    st.code(log or "(no log yet)", language=None, height=260)


def step_inputs_outputs(step: dict[str, Any]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The step's inputs and outputs as (name, location) pairs, from its Create*Job arguments."""
    arguments = step.get("Arguments") or {}
    inputs = [(i.get("InputName", ""), _show(i.get("S3Input", {}).get("S3Uri", ""))) for i in arguments.get("ProcessingInputs", [])]
    inputs += [(c.get("ChannelName", ""), _show(c.get("DataSource", {}).get("S3DataSource", {}).get("S3Uri", "")))
               for c in arguments.get("InputDataConfig", [])]
    outputs = [(o.get("OutputName", ""), _show(o.get("S3Output", {}).get("S3Uri", "")))
               for o in (arguments.get("ProcessingOutputConfig") or {}).get("Outputs", [])]
    if "OutputDataConfig" in arguments:
        outputs.append(("model", _show(arguments["OutputDataConfig"].get("S3OutputPath", ""))))
    return inputs, outputs


def _show(value: Any) -> str:
    """A location as text: references are shown as the expression they are."""
    return value if isinstance(value, str) else json.dumps(value)


def render_templates(templates: list[PipelineTemplate], *, key: str) -> PipelineTemplate | None:
    """One card per ready-made pipeline; the chosen template when its button is pressed."""
    chosen = None
    columns = st.columns(max(1, len(templates)))
    for column, template in zip(columns, templates, strict=False):
        with column.container(border=True):
            st.markdown(f"**{template.title}**")
            st.caption(template.description)
            steps = len(template.definition.get("Steps", []))
            st.caption(f"{steps} top-level steps · {len(template.definition.get('Parameters', []))} parameters")
            if st.button("Use this pipeline", key=f"{key}.{template.key}", icon=":material/add:"):
                chosen = template
    return chosen


def _duration(start: str, end: str) -> str:
    if not start:
        return "–"
    begin = datetime.fromisoformat(start)
    finish = datetime.fromisoformat(end) if end else datetime.now(begin.tzinfo)
    seconds = max(0.0, (finish - begin).total_seconds())
    return f"{seconds:,.0f} s" if seconds < 120 else f"{seconds / 60:,.1f} min"
