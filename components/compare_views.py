"""Charts and tables for comparing runs."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from services.models import RunSummary
from services.runs.models import (
    Confusion,
    Skipped,
    axis_values,
    curve_summary,
    metric_long,
    numeric_params,
    param_diff,
)


def render_param_diff(runs: list[RunSummary], *, key: str) -> None:
    left, right = st.columns(2)
    differences_only = left.toggle("Differences only", value=True, key=f"{key}.diff_only")
    transpose = right.toggle("Transpose", value=False, key=f"{key}.transpose")
    table = param_diff(runs, differences_only, transpose)
    if table.empty:
        st.caption("The selected runs have identical parameters." if differences_only else "No parameters logged.")
        return
    st.dataframe(table, width="stretch")


def render_metric_bars(runs: list[RunSummary], metrics: list[str], *, key: str) -> None:
    chosen = st.multiselect("Metrics", metrics, default=metrics[:3], key=f"{key}.metrics")
    frame = metric_long(runs, chosen)
    if frame.empty:
        st.caption("Pick metrics the selected runs logged.")
        return
    figure = px.bar(frame, x="metric", y="value", color="run", barmode="group")
    st.plotly_chart(figure, key=f"{key}.chart")


PARALLEL_LABEL_CHARS = 18  # plotly draws axis titles centred over the axis: longer ones run off the figure's edge


def axis_label(name: str) -> str:
    """A parallel-coordinates axis title short enough to stay inside the figure."""
    return name if len(name) <= PARALLEL_LABEL_CHARS else name[:PARALLEL_LABEL_CHARS - 1] + "…"


def render_parallel(runs: list[RunSummary], metrics: list[str], *, key: str) -> None:
    axes_choices = numeric_params(runs) + metrics
    axes = st.multiselect("Axes", axes_choices, default=axes_choices[:5], key=f"{key}.axes")
    if len(axes) < 2:
        st.caption("Pick at least two numeric parameters or metrics.")
        return
    dimensions = [dict(label=axis_label(a), values=[v if v is not None else float("nan") for v in axis_values(runs, a)])
                  for a in axes]
    colour = dimensions[-1]["values"]
    figure = go.Figure(go.Parcoords(line=dict(color=colour, colorscale="Viridis", showscale=True), dimensions=dimensions))
    figure.update_layout(margin=dict(l=90, r=90, t=70, b=30))  # room for the first and last axis titles
    st.plotly_chart(figure, key=f"{key}.chart")
    st.caption(f"Colour: {axes[-1]}.")


def render_scatter(runs: list[RunSummary], metrics: list[str], *, key: str) -> None:
    choices = numeric_params(runs) + metrics
    if len(choices) < 2:
        st.caption("The selected runs need two numeric parameters or metrics.")
        return
    left, right = st.columns(2)
    x = left.selectbox("X", choices, key=f"{key}.x")
    y = right.selectbox("Y", choices, index=1, key=f"{key}.y")
    frame = pd.DataFrame({"run": [r.name for r in runs], x: axis_values(runs, x), y: axis_values(runs, y)})
    st.plotly_chart(px.scatter(frame, x=x, y=y, hover_name="run"), key=f"{key}.chart")


def render_curves(runs: list[RunSummary], metrics: list[str], history: Callable[[str, str], list[tuple[int, float]]],
                  *, key: str) -> None:
    """Step-wise metric curves across runs (metrics as logged), with min / max / last per run. Runs that logged a
    single value are drawn as points: one value is no curve."""
    metric = st.selectbox("Metric", metrics, key=f"{key}.metric")
    if metric is None:
        return
    rows, summary = [], []
    for run in runs:
        points = history(run.run_id, metric)
        rows += [(run.name, step, value) for step, value in points]
        summary.append({"run": run.name, **curve_summary(points), "points": len(points)})
    frame = pd.DataFrame(rows, columns=["run", "step", "value"])
    if frame.empty:
        st.caption(f"No run logged {metric}.")
        return
    if frame.groupby("run").size().max() <= 1:
        st.plotly_chart(px.scatter(frame, x="step", y="value", color="run"), key=f"{key}.chart")
        st.caption(f"Every run logged {metric} once (a final value, not a curve): shown as points.")
    else:
        st.plotly_chart(px.line(frame, x="step", y="value", color="run", markers=True), key=f"{key}.chart")
    st.dataframe(pd.DataFrame(summary), hide_index=True, width="stretch")


def render_confusions(shown: list[Confusion], skipped: list[Skipped], *, key: str) -> None:
    """The selected runs' confusion matrices; every run without one is named with the reason."""
    columns = st.columns(min(3, max(1, len(shown))))
    for index, confusion in enumerate(shown):
        figure = px.imshow(confusion.matrix, x=confusion.labels, y=confusion.labels, text_auto=True,
                           color_continuous_scale="Blues", labels=dict(x="predicted", y="actual", color="rows"),
                           title=confusion.run)
        figure.update_xaxes(type="category").update_yaxes(type="category")  # class labels like "-1" are not numbers
        column = columns[index % len(columns)]
        column.plotly_chart(figure, key=f"{key}.{index}")
        column.caption(confusion.source)
    if skipped:
        lines = "\n".join(f"- **{s.run}**: {s.reason}." for s in skipped)
        st.markdown(f"No confusion matrix for {len(skipped)} of the selected runs:\n{lines}")


def render_fairness(frame: pd.DataFrame, *, key: str) -> None:
    """Quality next to bias: one point per model with a bias report (DPPL: 0 is parity)."""
    if frame.empty:
        st.caption("No model has a bias report yet. On the Bias page, pick 'Score with a registered model' to add one.")
        return
    st.dataframe(frame, hide_index=True, width="stretch")
    if "DPPL" in frame and frame["quality"].notna().any():
        figure = px.scatter(frame, x="DPPL", y="quality", text="run", hover_data=["facet (d)", "quality metric"],
                            title="Model quality against the difference in positive predictions (DPPL, 0 = parity)")
        figure.add_vline(x=0, line_dash="dot")
        st.plotly_chart(figure, key=f"{key}.scatter")
