"""How a bias report looks: a headline in plain words, coloured flags, the counts behind the values, intervals,
and a heat map coloured by each metric's distance from its own ideal."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from services.bias.models import FLAG_WORDS, INFO, BiasReport, FacetEntry, Headline, StageReport, flag, group_words, ideal_distance

if TYPE_CHECKING:  # pandas' Styler module imports matplotlib (~1.5 s): only when a table is styled
    from pandas.io.formats.style import Styler

# Flag cells: background and text colours (no emoji: they render as boxes without an emoji font).
FLAG_STYLES = {"green": "background-color: #d8f3dc; color: #1b4332", "amber": "background-color: #ffe8a3; color: #5c4000",
               "red": "background-color: #ffd6d6; color: #7a0000", "grey": "background-color: #eeeeee; color: #444444"}
HEADLINE_BOXES = {"red": (st.error, ":material/report:"), "amber": (st.warning, ":material/flag:"),
                  "green": (st.success, ":material/check_circle:"), "grey": (st.info, ":material/info:")}


def number(value: float | None) -> str:
    if value is None:
        return ""
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value:.4f}"


def render_report(report: BiasReport, key: str) -> None:
    """The whole report: warnings, both stages, downloads."""
    for warning in report.warnings:
        st.warning(warning, icon=":material/warning:")
    st.caption(f"{report.rows:,} rows · computed in {report.seconds:.2f} s · " + " ".join(report.notes))
    render_downloads(report, key)
    stages = [("Pre-training (the data)", report.pre)]
    if report.post is not None:
        stages.append(("Post-training (the model's predictions)", report.post))
    for tab, (_, stage) in zip(st.tabs([title for title, _ in stages]), stages):
        with tab:
            render_stage(stage, f"{key}.{stage is report.post}")


def render_downloads(report: BiasReport, key: str) -> None:
    left, right, _ = st.columns([1, 1, 3])
    left.download_button("analysis.json", json.dumps(report.analysis_json(), indent=2), file_name="analysis.json",
                         mime="application/json", icon=":material/download:", key=f"{key}.json")
    right.download_button("HTML report", report.html(), file_name="bias_report.html", mime="text/html",
                          icon=":material/description:", key=f"{key}.html")


def render_stage(stage: StageReport, key: str) -> None:
    if stage.error:
        st.warning(stage.error, icon=":material/warning:")
        return
    if not stage.entries:
        st.info("No metrics in this stage.")
        return
    entry = stage.entries[0]
    if len(stage.entries) > 1:
        st.markdown(stage.summary())
        st.plotly_chart(heat_map(stage), key=f"{key}.heat")
        labels = [e.value_or_threshold for e in stage.entries]
        chosen = st.selectbox(f"Facet value ({stage.facet} = … is d)", labels, key=f"{key}.entry")
        entry = stage.entries[labels.index(chosen)]
    render_headline(stage.headline(entry))
    st.markdown(f"**d** = rows with `{stage.facet}` {group_words(entry.value_or_threshold)} · **a** = every other row · "
                f"positive label: `{stage.label}` {group_words(stage.label_value_or_threshold)}")
    render_counts(entry)
    # st.table wraps long text (a data grid cuts the meaning off) and shows the Styler's coloured flag cells.
    st.table(styled_metrics(metrics_frame(entry)))
    chart = interval_chart(entry)
    if chart is not None:
        st.plotly_chart(chart, key=f"{key}.ci")


def render_headline(headline: Headline) -> None:
    """The verdict in a box coloured by the worst flag, then why each metric is flagged."""
    box, icon = HEADLINE_BOXES[headline.level]
    reasons = "".join(f"\n- **{r.metric}** ({FLAG_WORDS[r.level]}): {r.reason}" for r in headline.flagged)
    box(f"**{headline.verdict}**" + (f"\n{reasons}" if reasons else ""), icon=icon)
    if headline.failed:
        st.caption("Not computed: " + " · ".join(headline.failed))


def metrics_frame(entry: FacetEntry) -> pd.DataFrame:
    """One row per metric: its flag as a word, value, interval, ideal, range and meaning (or why it failed)."""
    rows = []
    for metric in sorted(entry.metrics, key=lambda m: m.name):
        info = INFO[metric.name]
        interval = f"{number(metric.ci_low)} … {number(metric.ci_high)}" if metric.ci_low is not None else ""
        rows.append({"flag": FLAG_WORDS[flag(metric.name, metric.value)], "metric": metric.name, "value": number(metric.value),
                     "95 % interval": interval, "ideal": f"{info.ideal:g}", "range": info.range_text,
                     "meaning": metric.error or f"{info.plain} Positive: {info.positive_means}."})
    return pd.DataFrame(rows)


def styled_metrics(frame: pd.DataFrame) -> Styler:
    """The flag column coloured green / amber / red / grey."""
    levels = {word: level for level, word in FLAG_WORDS.items()}
    return frame.style.hide(axis="index").map(lambda word: FLAG_STYLES[levels.get(word, "grey")], subset=["flag"])


def render_counts(entry: FacetEntry) -> None:
    counts = entry.counts
    cols = st.columns(4)
    cols[0].metric("Rows in d", f"{counts.get('n_d', 0):,}")
    cols[1].metric("Rows in a", f"{counts.get('n_a', 0):,}")
    cols[2].metric("Positive rate in d", _percent(counts.get("rate_d")))
    cols[3].metric("Positive rate in a", _percent(counts.get("rate_a")))
    if "confusion_d" in counts:
        left, right = st.columns(2)
        for column, facet in ((left, "d"), (right, "a")):
            matrix = counts[f"confusion_{facet}"]
            column.caption(f"Confusion matrix in {facet} (rows: observed, columns: predicted)")
            column.dataframe(pd.DataFrame({"predicted +": [matrix["TP"], matrix["FP"]], "predicted −": [matrix["FN"], matrix["TN"]]},
                                          index=["observed +", "observed −"]))


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def heat_map(stage: StageReport) -> go.Figure:
    """Metric values (rows) across every facet value (columns), one-vs-all. Each cell is coloured by the metric's
    distance from its own ideal (±1 = its red flag), so CI's wide range does not wash out the other metrics."""
    names = sorted({m.name for e in stage.entries for m in e.metrics})
    found = [{m.name: m for m in e.metrics} for e in stage.entries]
    values = [[ideal_distance(n, metrics[n].value) if n in metrics else None for metrics in found] for n in names]
    text = [[number(metrics[n].value) if n in metrics else "" for metrics in found] for n in names]
    figure = go.Figure(go.Heatmap(z=values, x=[e.value_or_threshold for e in stage.entries], y=names, text=text,
                                  texttemplate="%{text}", colorscale="RdBu", zmid=0, zmin=-1, zmax=1,
                                  colorbar={"title": {"text": "from ideal"}, "tickvals": [-1, -0.5, 0, 0.5, 1],
                                            "ticktext": ["red", "amber", "ideal", "amber", "red"]},
                                  hovertemplate="%{y} for %{x}: %{text}<extra></extra>"))
    figure.update_layout(title=f"Every {stage.facet} value against the rest (colour: distance from each metric's ideal)",
                         height=80 + 28 * len(names), margin={"t": 40, "b": 10}, xaxis={"type": "category"})
    return figure


def interval_chart(entry: FacetEntry) -> go.Figure | None:
    shown = [m for m in entry.metrics if m.value is not None and m.ci_low is not None and not math.isinf(m.value)
             and not math.isinf(m.ci_low or 0) and not math.isinf(m.ci_high or 0)]
    if not shown:
        return None
    figure = go.Figure(go.Scatter(
        x=[m.value for m in shown], y=[m.name for m in shown], mode="markers",
        error_x={"type": "data", "symmetric": False, "array": [(m.ci_high or 0) - (m.value or 0) for m in shown],
                 "arrayminus": [(m.value or 0) - (m.ci_low or 0) for m in shown]},
        marker={"color": [_colour(flag(m.name, m.value)) for m in shown], "size": 10}))
    figure.add_vline(x=0, line_dash="dot")
    figure.update_layout(title="Values with 95 % bootstrap intervals", height=80 + 26 * len(shown), margin={"t": 40, "b": 10})
    return figure


def _colour(name: str) -> str:
    return {"green": "#2b9348", "amber": "#e9a400", "red": "#d62828"}.get(name, "#888888")
