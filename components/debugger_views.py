"""Debugger widgets: the rule table on the Train forms, and a training job's rule statuses, metric curves with
where rules fired, system utilisation, the profiler report download and the issue notifications."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from services.debugger.models import DebuggerConfig, DebugSeries, RuleStatus, config_from_rows, rule_rows

STATUS_STYLE = {"IssuesFound": ("🔴", "background-color: #ffd6d6"), "NoIssuesFound": ("🟢", "background-color: #d8f3dc"),
                "InProgress": ("🔵", ""), "Error": ("🟠", "background-color: #ffe8a3"), "Stopping": ("⚪", ""),
                "Stopped": ("⚪", "")}


def render_rule_picker(catalog: Mapping[str, Mapping[str, Any]], *, key: str) -> tuple[list[dict[str, Any]], bool]:
    """Inside a form: tick rules, edit their parameters (prefilled with the defaults), and the StopTraining action.
    Returns the rows and the checkbox; ``debugger_config`` turns them into the request's config once submitted."""
    rows = []
    with st.expander("Debugger rules", icon=":material/bug_report:"):
        for row in rule_rows(catalog):
            tick, parameters = st.columns([2, 5])
            row["use"] = tick.checkbox(row["rule"], key=f"{key}.debugger.{row['rule']}", help=row["description"])
            row["parameters"] = parameters.text_input(f"{row['rule']} parameters", value=row["parameters"],
                                                      key=f"{key}.debugger.{row['rule']}.parameters",
                                                      label_visibility="collapsed")
            rows.append(row)
        stop = st.checkbox("Stop training on an issue", key=f"{key}.debugger.stop",
                           help="SageMaker's StopTraining action: the job stops as soon as a rule finds an issue.")
    return rows, stop


def debugger_config(picked: tuple[list[dict[str, Any]], bool] | None,
                    catalog: Mapping[str, Mapping[str, Any]] | None) -> DebuggerConfig | None:
    """The request's config from what ``render_rule_picker`` returned (``None`` when the form offered no rules)."""
    if picked is None or not catalog:
        return None
    rows, stop = picked
    return config_from_rows(rows, catalog, stop_on_issue=stop)


def statuses_frame(statuses: list[RuleStatus]) -> pd.DataFrame:
    return pd.DataFrame([{"": STATUS_STYLE.get(s.status, ("", ""))[0], "rule": s.configuration_name, "built-in": s.rule,
                          "status": s.status, "fired at step": s.fired_at_step, "details": s.details}
                         for s in statuses])


def render_rule_statuses(statuses: list[RuleStatus], *, key: str) -> None:
    """One row per rule, coloured by status, with SageMaker's StatusDetails."""
    if not statuses:
        st.caption("No Debugger rules on this job.")
        return
    frame = statuses_frame(statuses)
    styled = frame.style.apply(lambda row: [STATUS_STYLE.get(row["status"], ("", ""))[1]] * len(row), axis=1)
    st.dataframe(styled, hide_index=True, width="stretch", key=f"{key}.statuses")


def curves_figure(scalars: tuple[dict[str, Any], ...], statuses: list[RuleStatus]) -> go.Figure | None:
    """Each recorded scalar over steps, with a dashed line and the rule's name where a rule fired."""
    if not scalars:
        return None
    frame = pd.DataFrame(scalars)
    frame["x"] = frame["step"].fillna(frame["seconds"]) if "step" in frame else frame["seconds"]
    frame["series"] = frame["name"] + (" (" + frame["mode"] + ")" if "mode" in frame else "")
    figure = px.line(frame, x="x", y="value", color="series", labels={"x": "step"}, markers=len(frame) < 60)
    for status in statuses:
        if status.status == "IssuesFound" and status.fired_at_step is not None:
            figure.add_vline(x=status.fired_at_step, line_dash="dash", line_color="#c00000",
                             annotation_text=status.configuration_name, annotation_position="top left")
    return figure


def system_figure(system: tuple[dict[str, Any], ...], statuses: Sequence[RuleStatus] = ()) -> go.Figure | None:
    """Mean CPU % over the cores and memory % over time, with a dashed line where a rule without a step (the
    profiler rules, StalledTrainingRule) fired."""
    rows = [{"seconds": s["seconds"], "CPU % (mean of cores)": sum(s["cpu"]) / len(s["cpu"]),
             "memory %": s.get("memory_percent")} for s in system if s.get("cpu")]
    if not rows:
        return None
    frame = pd.DataFrame(rows).melt(id_vars="seconds", var_name="metric", value_name="percent")
    figure = px.line(frame, x="seconds", y="percent", color="metric", range_y=[0, 100])
    for status in statuses:
        if status.status == "IssuesFound" and status.fired_at_step is None and status.fired_at_seconds is not None:
            figure.add_vline(x=status.fired_at_seconds, line_dash="dash", line_color="#c00000",
                             annotation_text=status.configuration_name, annotation_position="top left")
    return figure


def render_debug_series(series: DebugSeries, statuses: list[RuleStatus], *, key: str) -> None:
    curves = curves_figure(series.scalars, statuses)
    if curves is None:
        st.caption("No metrics recorded yet.")
    else:
        st.plotly_chart(curves, key=f"{key}.curves")
    system = system_figure(series.system, statuses)
    if system is not None:
        st.markdown("**System utilisation**")
        st.plotly_chart(system, key=f"{key}.system")


def render_profiler_download(report: bytes | None, job_name: str, *, key: str) -> None:
    if report is None:
        st.caption("No profiler report for this job (it recorded no profile).")
        return
    st.download_button("Profiler report", data=report, file_name=f"{job_name}-profiler-report.html", mime="text/html",
                       icon=":material/download:", key=f"{key}.report", on_click="ignore")


def notify_issues(job_name: str, statuses: list[RuleStatus], notified: set[str]) -> None:
    """A toast the first time each rule of the job is seen with IssuesFound (``notified`` remembers which)."""
    for status in statuses:
        marker = f"{job_name}/{status.configuration_name}"
        if status.status == "IssuesFound" and marker not in notified:
            notified.add(marker)
            st.toast(f"{status.configuration_name} found an issue in {job_name}: {status.details}", icon="⚠️")
