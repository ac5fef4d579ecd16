"""Safe-deployment views on the Endpoints page: the "Update to a new model version" form (strategy, canary size,
wait, alarms) and the update's traffic shift over time with the rollback reason.

``traffic_frame`` and ``traffic_figure`` are pure (plain data in, a frame or a plotly figure out); the ``render_*``
functions put them on the page and return the user's choice.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from services.endpoints.models import DeploymentChoices, DeploymentEvent, Endpoint
from services.models import ModelRecord

STRATEGY_LABELS = {"canary": "Canary", "linear": "Linear", "all-at-once": "All at once"}
UPDATE_ENDS = ("Completed", "RolledBack", "Failed", "Stopped")


def update_in_progress(history: list[DeploymentEvent]) -> bool:
    return bool(history) and history[-1].phase not in UPDATE_ENDS


def traffic_frame(history: list[DeploymentEvent]) -> pd.DataFrame:
    """One row per event: when, the phase, the new fleet's share of traffic in %, why."""
    return pd.DataFrame({"time": pd.to_datetime([e.time for e in history], utc=True, format="ISO8601"),
                         "phase": [e.phase for e in history], "new fleet %": [round(100 * e.traffic_share, 1) for e in history],
                         "reason": [e.reason for e in history]})


def traffic_figure(history: list[DeploymentEvent]) -> go.Figure:
    """The new fleet's share of traffic over time as a step line, each change marked with its phase."""
    frame = traffic_frame(history)
    figure = go.Figure(go.Scatter(x=frame["time"], y=frame["new fleet %"], mode="lines+markers", line_shape="hv",
                                  text=frame["phase"], hovertemplate="%{text}: %{y}%<extra></extra>", name="new fleet"))
    figure.update_layout(height=260, margin={"l": 10, "r": 10, "t": 30, "b": 10}, yaxis={"range": [-5, 105], "title": "% of traffic"},
                         title="Traffic on the new fleet")
    return figure


def render_update_form(endpoint: Endpoint, models: list[ModelRecord], *, key: str) -> tuple[str, DeploymentChoices, bool] | None:
    """The update form; (model id, choices, follow the model's group) when submitted."""
    serving = {v.model_id for v in endpoint.variants if not v.shadow}
    candidates = [m.model_id for m in sorted(models, key=lambda m: m.created_at, reverse=True) if m.model_id not in serving]
    if not candidates:
        st.info("Every registered model is already served here. Train or register another version first.", icon=":material/info:")
        return None
    with st.form(key):
        model_id = st.selectbox("New model version", candidates, key=f"{key}.model")
        strategy = st.radio("Strategy", list(STRATEGY_LABELS), format_func=STRATEGY_LABELS.__getitem__, horizontal=True,
                            key=f"{key}.strategy")
        size, wait, termination = st.columns(3)
        percent = size.number_input("Canary size / linear step (%)", 1, 50, 10, key=f"{key}.percent")
        wait_seconds = wait.number_input("Wait interval (s)", 0, 3600, 60, key=f"{key}.wait")
        termination_seconds = termination.number_input("Keep the old fleet for (s)", 0, 3600, 0, key=f"{key}.termination")
        errors, latency = st.columns(2)
        max_error_rate = errors.number_input("Roll back above error rate (%, 0 = off)", 0.0, 100.0, 5.0, key=f"{key}.errors")
        max_p99 = latency.number_input("Roll back above p99 latency (ms, 0 = off)", 0.0, 60_000.0, 0.0, key=f"{key}.p99")
        follow = st.checkbox("Also deploy future approved versions of this model's group this way", key=f"{key}.follow")
        st.caption("Locally the alarms are rules on the new fleet's own figures; on AWS they name CloudWatch alarms "
                   "(<endpoint>-error-rate, <endpoint>-p99-latency) that must exist.")
        if not st.form_submit_button("Update", type="primary"):
            return None
    choices = DeploymentChoices(strategy, int(percent), int(wait_seconds), int(termination_seconds), float(max_error_rate),
                                float(max_p99))
    return str(model_id), choices, bool(follow)


def render_deployment(history: list[DeploymentEvent], summary: str, *, key: str) -> None:
    """The latest update: its state, the traffic shift chart, the rollback reason, every step."""
    if not history:
        st.caption("This endpoint has not been updated yet.")
        return
    last = history[-1]
    if last.phase == "RolledBack":
        st.error(f"Rolled back — {last.reason.removeprefix('rolled back: ')}", icon=":material/undo:")
    elif last.phase == "Failed":
        st.error(last.reason, icon=":material/error:")
    elif last.phase == "Completed":
        st.success(summary or "Update completed.", icon=":material/check_circle:")
    else:
        st.info(summary or f"Updating: {last.phase}", icon=":material/sync:")
    st.plotly_chart(traffic_figure(history), key=f"{key}.chart")
    st.dataframe(traffic_frame(history), hide_index=True)
