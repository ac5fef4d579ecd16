"""How a data quality report looks: headline numbers, warnings, column profiles with charts, target, leakage, Quick Model."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from services.quality.models import HIGH, MEDIUM, Bin, ColumnProfile, QualityReport, ValueCount

NO_TARGET = "(no target)"


def render_quality_report(report: QualityReport, key: str) -> None:
    """The whole report: numbers, warnings, notes, the HTML download, then one tab per part."""
    rows, duplicates, columns, warnings = st.columns(4)
    rows.metric("Rows", f"{report.rows:,}")
    duplicates.metric("Duplicate rows", "—" if report.duplicate_rows is None else f"{report.duplicate_rows:,}")
    columns.metric("Columns", len(report.columns))
    warnings.metric("Warnings", len(report.warnings))
    render_warnings(report)
    st.caption(" ".join(report.notes) + f" Computed in {report.seconds:.1f} s.")
    st.download_button("HTML report", report.html(), file_name="data_quality_report.html", mime="text/html",
                       icon=":material/description:", key=f"{key}.html")
    tabs = st.tabs(["Columns", "Target & leakage", "Quick Model", "Queries"])
    with tabs[0]:
        render_columns(report, key=f"{key}.columns")
    with tabs[1]:
        render_target(report, key=f"{key}.target")
    with tabs[2]:
        render_quick_model(report, key=f"{key}.model")
    with tabs[3]:
        for sql in report.queries:
            st.code(sql, language="sql")


def render_warnings(report: QualityReport) -> None:
    if not report.warnings:
        st.success("No warnings: no duplicates, gaps, constant columns, identifiers, outliers or leakage worth a word.",
                   icon=":material/check_circle:")
    for warning in report.warnings:
        if warning.severity == HIGH:
            st.error(warning.message, icon=":material/error:")
        elif warning.severity == MEDIUM:
            st.warning(warning.message, icon=":material/warning:")
        else:
            st.info(warning.message, icon=":material/info:")


def column_table(report: QualityReport) -> pd.DataFrame:
    rows = []
    for c in report.columns:
        rows.append({"column": c.name, "type": c.type, "kind": c.kind, "missing": c.missing,
                     "missing %": round(100 * c.missing / report.rows, 2) if report.rows else 0.0, "distinct": c.distinct,
                     "min": _text(c.minimum), "max": _text(c.maximum), "mean": c.mean, "median": c.quantile(0.5),
                     "outliers (sample)": c.outliers.count if c.outliers else None})
    return pd.DataFrame(rows)


def render_columns(report: QualityReport, key: str) -> None:
    st.dataframe(column_table(report), hide_index=True, width="stretch", key=f"{key}.table")
    if not report.columns:
        return
    names = [c.name for c in report.columns]
    chosen = st.selectbox("Column", names, key=f"{key}.chosen")
    render_column(report.column(chosen or names[0]), key=f"{key}.detail")


def render_column(column: ColumnProfile, key: str) -> None:
    left, right = st.columns(2)
    if column.histogram:
        left.plotly_chart(histogram(column.histogram, f"{column.name}: histogram (all rows)"), key=f"{key}.histogram")
    if column.top_values:
        right.plotly_chart(values_bar(column.top_values, f"{column.name}: top values (all rows)"), key=f"{key}.top")
    if column.quantiles:
        st.caption("Quantiles (approximate): " + " · ".join(f"p{round(q * 100)} = {v:,.4g}" for q, v in column.quantiles))
    if column.outliers is not None:
        o = column.outliers
        examples = f" — e.g. {', '.join(f'{v:,.4g}' for v in o.examples)}" if o.examples else ""
        st.caption(f"Outliers (IQR rule, sample of {o.sample_rows:,}): {o.count:,} outside "
                   f"[{o.low_fence:,.4g}, {o.high_fence:,.4g}]{examples}")
    if column.text is not None:
        t = column.text
        st.caption(f"Text length {t.length_min or 0:,.0f}–{t.length_max or 0:,.0f} characters (mean {t.length_mean or 0:,.1f}) · "
                   f"{t.empty:,} empty · {t.very_short:,} shorter than {t.short_length}")
        left, right = st.columns(2)
        if t.length_histogram:
            left.plotly_chart(histogram(t.length_histogram, f"{column.name}: text length (all rows)"), key=f"{key}.lengths")
        if t.top_words:
            right.plotly_chart(values_bar(t.top_words, f"{column.name}: top words (sample of {t.sample_rows:,})"), key=f"{key}.words")


def render_target(report: QualityReport, key: str) -> None:
    target = report.target
    if target is None:
        st.info("Pick a target column and build the report again to see its balance, target leakage and a Quick Model.")
        return
    st.markdown(f"**{target.column}** · {target.problem_type or 'fewer than two values'}")
    if target.classes:
        st.plotly_chart(values_bar(target.classes, f"{target.column}: class balance"), key=f"{key}.balance")
    elif target.histogram:
        st.plotly_chart(histogram(target.histogram, f"{target.column}: distribution"), key=f"{key}.distribution")
    if report.leakage:
        st.subheader("Target leakage")
        st.caption("Each feature alone, cross-validated on the sample. Power: 0 = no better than the majority class (or the "
                   "mean), 1 = perfect. A near-perfect feature is usually derived from the target.")
        frame = pd.DataFrame([{"feature": s.feature, "model": s.method, "metric": s.metric, "score": s.score,
                               "baseline": s.baseline, "power": s.power, "leak?": "near-perfect" if s.flagged else ""}
                              for s in report.leakage])
        st.dataframe(frame, hide_index=True, width="stretch", key=f"{key}.leakage")


def render_quick_model(report: QualityReport, key: str) -> None:
    model = report.quick_model
    if model is None:
        st.info("The Quick Model needs a target column with at least two values and 20 rows.")
        return
    left, right = st.columns(2)
    left.metric(f"Test {model.metric}", f"{model.score:.4f}")
    right.metric("Train / test rows", f"{model.train_rows:,} / {model.test_rows:,}")
    names = [name for name, _ in model.importances][:20]
    figure = go.Figure(go.Bar(x=[v for _, v in model.importances][:20][::-1], y=names[::-1], orientation="h"))
    figure.update_layout(title="Feature importance", height=max(240, 28 * len(names)), margin={"l": 10, "r": 10, "t": 40, "b": 10})
    st.plotly_chart(figure, key=f"{key}.importance")


def histogram(bins: tuple[Bin, ...], title: str) -> go.Figure:
    figure = go.Figure(go.Bar(x=[(b.low + b.high) / 2 for b in bins], y=[b.count for b in bins],
                              width=[b.high - b.low for b in bins], hovertext=[f"{b.low:,.4g} – {b.high:,.4g}" for b in bins]))
    figure.update_layout(title=title, height=280, margin={"l": 10, "r": 10, "t": 40, "b": 10}, bargap=0.05)
    return figure


def values_bar(values: tuple[ValueCount, ...], title: str) -> go.Figure:
    figure = go.Figure(go.Bar(x=[v.count for v in values][::-1], y=[v.value[:40] for v in values][::-1], orientation="h"))
    figure.update_layout(title=title, height=max(240, 26 * len(values)), margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return figure


def _text(value: object) -> str:
    return "" if value is None else str(value)
