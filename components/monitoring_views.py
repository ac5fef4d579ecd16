"""How the Monitoring page looks: the four tiles of an endpoint, one monitor's report with its charts and files, the
run settings, the schedules and their executions.

The ``*_frame`` functions turn a report's Model Monitor / Clarify JSON into tables for charts (pure, no streamlit
calls); the ``render_*`` functions draw and return what the user chose.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from services.label_map import label_map
from services.monitoring.models import (
    MONITOR_TYPES,
    NOT_ENOUGH_TRAFFIC,
    SCHEDULE_EXPRESSIONS,
    MonitorConfig,
    MonitoringExecution,
    MonitoringSchedule,
    MonitorOverview,
    MonitorReport,
    MonitorTile,
    traffic_verdict,
)

TITLES = {"data-quality": "Data quality", "model-quality": "Model quality", "bias-drift": "Bias drift",
          "feature-attribution-drift": "Feature attribution drift"}
BadgeColor = Literal["green", "orange", "red", "gray"]
TILE_COLORS: dict[str, BadgeColor] = {"OK": "green", "Violations": "orange", "Failed": "red", "No report yet": "gray",
                                      "Not scheduled": "gray", NOT_ENOUGH_TRAFFIC: "gray"}
TILE_ICONS = {"OK": ":material/check_circle:", "Violations": ":material/warning:", "Failed": ":material/error:",
              "No report yet": ":material/hourglass_empty:", "Not scheduled": ":material/schedule:",
              NOT_ENOUGH_TRAFFIC: ":material/hourglass_top:"}
EXECUTION_COLORS = {"Completed": "green", "CompletedWithViolations": "orange", "Failed": "red", "InProgress": "blue",
                    "Pending": "gray", "Stopping": "gray", "Stopped": "gray"}
FREQUENCIES = {expression: every for every, expression in SCHEDULE_EXPRESSIONS.items()}
CLASSIFICATION_KEYS = ("multiclass_classification_metrics", "binary_classification_metrics")
FACET_ALL = "(each value against the rest)"
COUNTS = ("items", "rows")  # per-hour counts beside the figures of a trend


def when(stamp: str) -> str:
    """An ISO time as ``2026-12-05 10:00 UTC`` ("—" when empty)."""
    return f"{stamp[:16].replace('T', ' ')} UTC" if stamp else "—"


# -- the overview ------------------------------------------------------------------------------------------------------


def render_overview(overview: MonitorOverview, *, key: str) -> str | None:
    """The four tiles; the monitor type whose "Run now" was clicked, else None."""
    clicked = None
    for column, tile in zip(st.columns(len(overview.tiles)), overview.tiles, strict=True):
        with column, st.container(border=True):
            if render_tile(tile, key=f"{key}.{tile.monitor_type}"):
                clicked = tile.monitor_type
    return clicked


def render_tile(tile: MonitorTile, *, key: str) -> bool:
    st.markdown(f"**{TITLES.get(tile.monitor_type, tile.monitor_type)}**")
    st.badge(tile.status, color=TILE_COLORS.get(tile.status, "gray"), icon=TILE_ICONS.get(tile.status))
    st.caption(f"Last run: {when(tile.last_run_at)}  \nViolations: {tile.violations}  \n"
               f"Schedule: {tile.schedule_name or 'none'}")
    if tile.headline:
        st.markdown(tile.headline)
    return st.button("Run now", key=f"{key}.run", icon=":material/play_arrow:", width="stretch")


def coverage_text(overview: MonitorOverview) -> str:
    share = f" ({overview.labelled / overview.captured:.0%})" if overview.captured else ""
    return f"Labelled {overview.labelled:,} of {overview.captured:,} captured predictions{share}."


# -- run settings ------------------------------------------------------------------------------------------------------


def render_settings(monitor_type: str, facets: list[str], current: MonitorConfig, *, key: str) -> MonitorConfig:
    """The settings ``monitor_type`` reads (others keep ``current``'s values); defaults are Model Monitor's."""
    if monitor_type == "model-quality":
        tolerance = st.number_input("Tolerance (a score may fall this far below its training-time value; an error "
                                    "such as rmse may rise by this share of it)", 0.0, 1.0, current.tolerance, 0.01,
                                    key=f"{key}.tolerance")
        return MonitorConfig(**{**current.as_json(), "tolerance": tolerance, "facet_values": current.facet_values})
    if monitor_type == "bias-drift":
        return render_bias_settings(facets, current, key=key)
    if monitor_type == "feature-attribution-drift":
        left, right = st.columns(2)
        threshold = left.number_input("NDCG threshold (below it is a violation)", 0.0, 1.0, current.ndcg_threshold,
                                      0.01, key=f"{key}.ndcg")
        sample = right.number_input("Captured requests to explain", 1, 1000, current.sample_size, 10, key=f"{key}.sample")
        return MonitorConfig(**{**current.as_json(), "ndcg_threshold": threshold, "sample_size": int(sample),
                                "facet_values": current.facet_values})
    st.caption("Data quality compares the captured requests with the model's training baseline; it has no settings.")
    return current


def render_bias_settings(facets: list[str], current: MonitorConfig, *, key: str) -> MonitorConfig:
    left, middle, right = st.columns(3)
    if facets:
        index = facets.index(current.facet) if current.facet in facets else None
        facet = left.selectbox("Facet (a column of the request)", facets, index=index, key=f"{key}.facet",
                               placeholder="Pick the sensitive column")
    else:
        facet = left.text_input("Facet (a column of the request)", current.facet, key=f"{key}.facet_text")
    values = middle.text_input("Sensitive group (values, comma-separated)", ", ".join(current.facet_values),
                               key=f"{key}.facet_values", placeholder=FACET_ALL)
    band = right.number_input("Band (allowed change of a metric from its baseline)", 0.0, 10.0, current.band, 0.05,
                              key=f"{key}.band")
    chosen = tuple(v.strip() for v in values.split(",") if v.strip())
    return MonitorConfig(**{**current.as_json(), "facet": facet or "", "facet_values": chosen, "band": band})


# -- one report --------------------------------------------------------------------------------------------------------


def render_report(report: MonitorReport, *, key: str) -> None:
    """Status, violations in plain words, notes, the type's charts and the three files."""
    origin = f"schedule {report.schedule_name}" if report.schedule_name else "run on demand"
    st.caption(f"{report.status} · {when(report.created_at)} · {origin} · {report.item_count:,} rows of "
               f"{report.captured_count:,} captured")
    render_violations(report)
    for note in report.notes:
        st.caption(note)
    if report.status != "Failed":
        render_charts(report, key=key)
    render_downloads(report, key=key)


def render_violations(report: MonitorReport) -> None:
    if report.status == "Failed":
        st.error(f"**The monitor failed.** {report.failure_reason}", icon=":material/error:")
        return
    shortfall = traffic_verdict(report)
    if shortfall:  # a neutral state: no verdict on drift from this few rows
        st.info(shortfall, icon=":material/hourglass_top:")
        if not report.violations:
            return
    if not report.violations:
        st.success("No violations: every constraint of the baseline holds.", icon=":material/check_circle:")
        return
    lines = "\n".join(f"- **{v.feature_name}** ({v.constraint_check_type}): {v.description}" for v in report.violations)
    st.warning(f"**{len(report.violations)} violation(s)**\n\n{lines}", icon=":material/warning:")


def render_downloads(report: MonitorReport, *, key: str) -> None:
    columns = st.columns(3)
    for column, (name, body) in zip(columns, report.files().items(), strict=True):
        column.download_button(name, body, file_name=name, mime="application/json", icon=":material/download:",
                               key=f"{key}.{name}")


def render_charts(report: MonitorReport, *, key: str) -> None:
    figures: list[go.Figure] = []
    if report.monitor_type == "model-quality":
        figures = [f for f in (confusion_figure(report.statistics), trend_figure(report)) if f is not None]
        metrics = metric_frame(report.statistics)
        if not metrics.empty:
            st.dataframe(metrics, hide_index=True, width="stretch")
        classes = per_class_frame(report.statistics)
        if not classes.empty:
            st.dataframe(classes, hide_index=True, width="stretch")
    elif report.monitor_type == "bias-drift":
        figures = [f for f in (bias_figure(report),) if f is not None]
    elif report.monitor_type == "feature-attribution-drift":
        figures = [f for f in (attribution_figure(report), words_figure(report)) if f is not None]
    elif report.monitor_type == "data-quality":
        figures = [f for f in (distance_figure(report), trend_figure(report)) if f is not None]
        features = quality_frame(report)
        if not features.empty:
            st.dataframe(features, hide_index=True, width="stretch")
    for index, figure in enumerate(figures):
        st.plotly_chart(figure, key=f"{key}.chart{index}")


def classification(statistics: dict[str, Any]) -> dict[str, Any]:
    for name in CLASSIFICATION_KEYS:
        if isinstance(statistics.get(name), dict):
            return dict(statistics[name])
    return {}


def metric_frame(statistics: dict[str, Any]) -> pd.DataFrame:
    """One row per Model Monitor metric ``{"value", "standard_deviation"}`` of a model-quality statistics.json (its
    ``"NaN"`` standard deviation, written below 200 labelled predictions, is an empty cell)."""
    metrics = classification(statistics) or statistics.get("regression_metrics") or {}
    rows = [{"metric": name, "value": entry.get("value"), "standard deviation": entry.get("standard_deviation")}
            for name, entry in metrics.items() if isinstance(entry, dict) and "value" in entry]
    frame = pd.DataFrame(rows, columns=["metric", "value", "standard deviation"])
    frame["standard deviation"] = pd.to_numeric(frame["standard deviation"], errors="coerce")
    return frame


def per_class_frame(statistics: dict[str, Any]) -> pd.DataFrame:
    """One row per class of a classification report's ``per_class`` scores: precision, recall, f1 and support."""
    scores = classification(statistics).get("per_class") or {}
    rows = [{"class": label, **{name: values.get(name) for name in ("precision", "recall", "f1", "support")}}
            for label, values in scores.items() if isinstance(values, dict)]
    return pd.DataFrame(rows, columns=["class", "precision", "recall", "f1", "support"])


def confusion_frame(statistics: dict[str, Any]) -> pd.DataFrame:
    """The confusion matrix {actual: {predicted: count}} as a frame (rows actual, columns predicted)."""
    matrix = classification(statistics).get("confusion_matrix") or {}
    labels = sorted({*matrix, *(p for row in matrix.values() for p in row)})
    return pd.DataFrame([[int(matrix.get(a, {}).get(p, 0)) for p in labels] for a in labels], index=labels, columns=labels)


def confusion_figure(statistics: dict[str, Any]) -> go.Figure | None:
    frame = confusion_frame(statistics)
    if frame.empty:
        return None
    names = label_map(frame.columns)  # the classes named as every page names them ("negative (-1)")
    figure = go.Figure(go.Heatmap(z=frame.to_numpy(), x=names.displays(), y=[names.display(a) for a in frame.index], colorscale="Blues",
                                  text=frame.to_numpy(), texttemplate="%{text}", hovertemplate="actual %{y}, predicted "
                                  "%{x}: %{z}<extra></extra>"))
    figure.update_layout(title="Confusion matrix", xaxis_title="predicted", yaxis_title="actual", height=360,
                         xaxis_type="category", yaxis_type="category", yaxis_autorange="reversed")
    return figure


def trend_frame(report: MonitorReport) -> pd.DataFrame:
    """Per hour: the numeric figures of ``report.trend`` (``hour`` as the index; ``items`` kept apart)."""
    frame = pd.DataFrame(list(report.trend))
    if frame.empty or "hour" not in frame.columns:
        return pd.DataFrame()
    return frame.set_index("hour").select_dtypes("number")


def trend_figure(report: MonitorReport) -> go.Figure | None:
    frame = trend_frame(report)
    figures = [c for c in frame.columns if c not in COUNTS]
    if len(frame) < 2 or not figures:  # one hour is no trend; its figures are in the report already
        return None
    figure = go.Figure([go.Scatter(x=list(frame.index), y=frame[c], mode="lines+markers", name=c) for c in figures])
    figure.update_layout(title="Per hour", xaxis_title="hour (UTC)", xaxis_type="category", height=320)
    return figure


def _numbers(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def bias_frame(report: MonitorReport) -> pd.DataFrame:
    """Per facet value and metric: live value, baseline value and its allowed [lower, upper] (Clarify's analysis.json
    ``post_training_bias_metrics`` in statistics, the baseline with ``threshold`` ranges in constraints)."""
    def metrics(analysis: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
        facets = (analysis.get("post_training_bias_metrics") or {}).get("facets") or {}
        return {(f"{facet}={entry.get('value_or_threshold')}", m.get("name", "")): m
                for facet, entries in facets.items() for entry in entries for m in entry.get("metrics", [])}

    live, base = metrics(report.statistics), metrics(report.constraints)
    rows = []
    for (group, name), metric in live.items():
        baseline = base.get((group, name), {})
        lower, upper = (list(baseline.get("threshold") or []) + [None, None])[:2]
        rows.append({"group": group, "metric": name, "live": _numbers(metric.get("value")),
                     "baseline": _numbers(baseline.get("value")), "lower": _numbers(lower), "upper": _numbers(upper)})
    return pd.DataFrame(rows, columns=["group", "metric", "live", "baseline", "lower", "upper"])


def bias_figure(report: MonitorReport) -> go.Figure | None:
    frame = bias_frame(report).dropna(subset=["live"])
    if frame.empty:
        return None
    labels = [f"{g} · {m}" for g, m in zip(frame["group"], frame["metric"], strict=True)]
    band = frame.dropna(subset=["lower", "upper"])
    band_labels = [f"{g} · {m}" for g, m in zip(band["group"], band["metric"], strict=True)]
    figure = go.Figure([
        go.Bar(x=band["upper"] - band["lower"], base=band["lower"], y=band_labels, orientation="h",
               name="baseline band", marker_color="rgba(120,160,220,0.35)"),
        go.Scatter(x=frame["baseline"], y=labels, mode="markers", name="baseline", marker_symbol="line-ns-open",
                   marker_size=14),
        go.Scatter(x=frame["live"], y=labels, mode="markers", name="live", marker_size=10),
    ])
    figure.update_layout(title="Bias metrics: live vs the baseline band", height=max(300, 26 * len(frame) + 120),
                         barmode="overlay", yaxis_autorange="reversed")
    return figure


def _global_values(analysis: dict[str, Any]) -> dict[str, float]:
    explanations = (analysis.get("explanations") or {}).get("kernel_shap") or {}
    for entry in explanations.values():
        values = entry.get("global_shap_values") if isinstance(entry, dict) else None
        if isinstance(values, dict):
            return {str(k): float(v) for k, v in values.items() if _numbers(v) is not None}
    return {}


def attribution_frame(report: MonitorReport, top: int = 15) -> pd.DataFrame:
    """The baseline's top features (words) with their rank and attribution at training time and in live traffic."""
    base, live = _global_values(report.constraints), _global_values(report.statistics)
    base_rank = {name: i + 1 for i, name in enumerate(sorted(base, key=lambda n: (-base[n], n)))}
    live_rank = {name: i + 1 for i, name in enumerate(sorted(live, key=lambda n: (-live[n], n)))}
    names = sorted(base_rank, key=base_rank.__getitem__)[:top]
    return pd.DataFrame([{"feature": n, "baseline rank": base_rank[n], "live rank": live_rank.get(n),
                          "baseline": base[n], "live": live.get(n, 0.0)} for n in names],
                        columns=["feature", "baseline rank", "live rank", "baseline", "live"])


def attribution_figure(report: MonitorReport) -> go.Figure | None:
    frame = attribution_frame(report)
    if frame.empty:
        return None
    ndcg = report.details.get("ndcg")
    title = "Attributions: training baseline vs live" + (f" (NDCG {ndcg:.3f})" if isinstance(ndcg, float) else "")
    figure = go.Figure([go.Bar(y=frame["feature"], x=frame["baseline"], orientation="h", name="baseline"),
                        go.Bar(y=frame["feature"], x=frame["live"], orientation="h", name="live")])
    figure.update_layout(title=title, barmode="group", height=max(300, 28 * len(frame) + 120),
                         yaxis_autorange="reversed", xaxis_title="mean |SHAP|")
    return figure


def words_frame(report: MonitorReport) -> pd.DataFrame:
    """The words whose attribution rose or fell most (``details["words"]`` of a review model's report)."""
    words = report.details.get("words") or {}
    rows = [{"word": w["word"], "change": w["change"], "baseline": w["baseline"], "live": w["live"]}
            for direction in ("up", "down") for w in words.get(direction, [])]
    return pd.DataFrame(rows, columns=["word", "change", "baseline", "live"]).sort_values("change")


def words_figure(report: MonitorReport) -> go.Figure | None:
    frame = words_frame(report)
    if frame.empty:
        return None
    colors = ["#d62728" if c < 0 else "#2ca02c" for c in frame["change"]]
    figure = go.Figure(go.Bar(y=frame["word"], x=frame["change"], orientation="h", marker_color=colors))
    figure.update_layout(title="Words whose attribution changed most", xaxis_title="live − baseline",
                         height=max(300, 24 * len(frame) + 120))
    return figure


def quality_frame(report: MonitorReport) -> pd.DataFrame:
    """Per feature of a data-quality statistics.json: its figures, the drift distance (local reports keep it in
    ``details["distances"]``) and the checks it broke."""
    frame = feature_frame(report.statistics)
    distances = report.details.get("distances") or {}
    broken: dict[str, list[str]] = {}
    for violation in report.violations:
        broken.setdefault(violation.feature_name, []).append(violation.constraint_check_type)
    return frame.assign(**{"drift distance": [_numbers(distances.get(name)) for name in frame["feature"]],
                           "violations": [", ".join(broken.get(str(name), [])) for name in frame["feature"]]})


def distance_figure(report: MonitorReport) -> go.Figure | None:
    """Each compared feature's drift distance against ``comparison_threshold`` (red: above it)."""
    frame = quality_frame(report).dropna(subset=["drift distance"])
    if frame.empty:
        return None
    limit = ((report.constraints.get("monitoring_config") or {}).get("distribution_constraints") or {}).get(
        "comparison_threshold")
    colors = ["#d62728" if isinstance(limit, int | float) and d > limit else "#1f77b4" for d in frame["drift distance"]]
    figure = go.Figure(go.Bar(x=frame["feature"], y=frame["drift distance"], marker_color=colors))
    if isinstance(limit, int | float):
        figure.add_hline(y=limit, line_dash="dash", annotation_text=f"comparison_threshold {limit:g}")
    figure.update_layout(title="Baseline drift distance per column (L-infinity, Robust)", height=320,
                         yaxis_title="distance")
    return figure


def feature_frame(statistics: dict[str, Any]) -> pd.DataFrame:
    """Model Monitor data-quality statistics.json ``features`` (a list) as one row per feature."""
    rows = []
    listed = statistics.get("features")
    for feature in listed if isinstance(listed, list) else []:
        numeric, text = feature.get("numerical_statistics") or {}, feature.get("string_statistics") or {}
        common = numeric.get("common") or text.get("common") or {}
        rows.append({"feature": feature.get("name"), "type": feature.get("inferred_type"),
                     "present": common.get("num_present"), "missing": common.get("num_missing"),
                     "mean": numeric.get("mean"), "distinct": text.get("distinct_count")})
    return pd.DataFrame(rows, columns=["feature", "type", "present", "missing", "mean", "distinct"])


# -- schedules ---------------------------------------------------------------------------------------------------------


def render_schedule_form(*, key: str) -> tuple[str, str, str] | None:
    """(monitor type, hourly|daily, name or "") when Create is pressed."""
    with st.form(key=f"{key}.form", border=True):
        left, middle, right = st.columns(3)
        monitor_type = left.selectbox("Monitor", MONITOR_TYPES, format_func=TITLES.__getitem__, key=f"{key}.type")
        every = middle.radio("Every", list(SCHEDULE_EXPRESSIONS), horizontal=True, key=f"{key}.every",
                             help="hourly: cron(0 * ? * * *), on the hour; daily: cron(0 0 ? * * *), at 00:00 UTC")
        name = right.text_input("Name (optional)", key=f"{key}.name", placeholder="<endpoint>-<monitor>")
        submitted = st.form_submit_button("Create schedule", icon=":material/add_alarm:")
    return (str(monitor_type), str(every), name.strip()) if submitted else None


def schedules_frame(schedules: list[MonitoringSchedule]) -> pd.DataFrame:
    return pd.DataFrame({
        "schedule": [s.name for s in schedules],
        "monitor": [TITLES.get(s.monitor_type, s.monitor_type) for s in schedules],
        "every": [FREQUENCIES.get(s.schedule_expression, s.schedule_expression) for s in schedules],
        "status": [s.status for s in schedules],
        "last execution": [[s.last_execution_status] if s.last_execution_status else [] for s in schedules],
        "last run": [when(s.last_execution_at) for s in schedules],
        "next run": [when(s.next_execution_at) for s in schedules],
        "failure": [s.failure_reason for s in schedules],
    })


def render_schedules(schedules: list[MonitoringSchedule], *, key: str) -> str | None:
    """The table; the schedule picked to see its executions (or delete), else None."""
    st.dataframe(schedules_frame(schedules), hide_index=True, width="stretch", column_config={
        "last execution": st.column_config.MultiselectColumn(
            "last execution", options=list(EXECUTION_COLORS), color=list(EXECUTION_COLORS.values()),
            help="LastMonitoringExecutionSummary.MonitoringExecutionStatus"),
    })
    names = [s.name for s in schedules]
    return st.selectbox("Schedule", names, index=None, key=f"{key}.pick", placeholder="Pick a schedule for its executions")


def executions_frame(executions: list[MonitoringExecution]) -> pd.DataFrame:
    return pd.DataFrame({
        "scheduled for": [when(e.scheduled_time) for e in executions],
        "status": [[e.status] for e in executions],
        "started": [when(e.created_at) for e in executions],
        "failure": [e.failure_reason for e in executions],
        "report": [e.report_uri for e in executions],
    })


def render_executions(executions: list[MonitoringExecution]) -> None:
    if not executions:
        st.caption("No executions yet: the first runs at the next run time shown above.")
        return
    st.dataframe(executions_frame(executions), hide_index=True, width="stretch", column_config={
        "status": st.column_config.MultiselectColumn("status", options=list(EXECUTION_COLORS),
                                                     color=list(EXECUTION_COLORS.values())),
    })
