"""Score views: the review and record forms, one prediction with its words, the session's history,
batch-scoring charts and the drift report.

``*_frame``/``*_figure`` helpers are pure; ``render_*`` functions put them on the page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from components.endpoint_views import model_summary
from components.explain_views import EXAMPLE_REVIEWS, shaded_review_html
from services.endpoints.models import DriftReport, Endpoint, ScoreResult, traffic_shortfall
from services.explain.base import TokenAttribution
from services.label_map import LabelMap, label_map
from services.models import Column, DataSource

if TYPE_CHECKING:  # pandas' Styler module imports matplotlib (~1.5 s): only when a table is styled
    from pandas.io.formats.style import Styler

EXAMPLES = {**EXAMPLE_REVIEWS, "Neutral": "It's okay. The color is nice but the fit is just average; nothing special for the price."}
SENTIMENT_COLOURS = {"negative (-1)": "#dc2626", "neutral (0)": "#a3a3a3", "positive (1)": "#16a34a"}
NUMERIC_TYPES = ("tinyint", "smallint", "int", "integer", "bigint", "float", "double", "real", "decimal")
INTEGER_TYPES = ("tinyint", "smallint", "int", "integer", "bigint")
PSI_ALARM = 0.2  # the usual rule of thumb: PSI above 0.2 is a significant shift
VIOLATION_STYLE = "background-color: rgba(220, 38, 38, 0.15)"
MAX_HISTORY = 50
HISTORY_COLUMNS = ("scored at (UTC)", "endpoint", "review", "label", "probability", "latency (ms)", "variant")


def label_name(label: str, classes: Iterable[str] = ()) -> str:
    """``1`` → ``positive (1)`` among the sentiment classes; anything else unchanged (``services.label_map``'s rule,
    for views that know a model's classes but not its record)."""
    return label_map(classes).display(label)


def names_for(labels: LabelMap | None, classes: Iterable[str]) -> LabelMap:
    """The model's label map when the page has it, else the map of the classes a result carries."""
    return labels if labels is not None and labels.classes else label_map(classes)


# -- picking an endpoint ------------------------------------------------------------------------------------------


def render_endpoint_picker(endpoints: list[Endpoint], *, key: str) -> Endpoint | None:
    by_name = {e.name: e for e in endpoints}
    chosen = st.selectbox("Endpoint (in service)", list(by_name), key=key)
    endpoint = by_name.get(chosen) if chosen else None
    if endpoint is not None:
        kind = "reviews (text)" if endpoint.text_model else f"a record of {len(endpoint.input_columns)} columns"
        st.caption(f"{model_summary(endpoint)} · scores {kind} · {endpoint.problem_type} · {endpoint.url}")
    return endpoint


# -- one review / one record --------------------------------------------------------------------------------------


def render_review_form(*, key: str) -> str | None:
    """A review box (Ctrl+Enter submits) and example buttons that fill it; returns the text when submitted."""
    st.caption("Start from an example:")
    for column, (name, text) in zip(st.columns(len(EXAMPLES)), EXAMPLES.items()):
        column.button(name, key=f"{key}.example.{name.lower()}", on_click=st.session_state.__setitem__,
                      args=(f"{key}.text", text), width="stretch")
    with st.form(key):
        text = st.text_area("Review", key=f"{key}.text", height=110, placeholder="Type or paste a product review, then Ctrl+Enter")
        submitted = st.form_submit_button("Score", type="primary", icon=":material/bolt:")
    return text if submitted else None


def is_numeric(column_type: str) -> bool:
    return column_type.lower().split("(")[0].strip() in NUMERIC_TYPES


def render_record_form(columns: list[Column], *, key: str) -> dict[str, object] | None:
    """One input per column of the model's input schema: numbers for numeric columns, text for the rest."""
    with st.form(key):
        cells = st.columns(min(3, max(1, len(columns))))
        record: dict[str, object] = {}
        for index, column in enumerate(columns):
            cell = cells[index % len(cells)]
            if is_numeric(column.type):
                integer = column.type.lower().split("(")[0] in INTEGER_TYPES
                record[column.name] = cell.number_input(f"{column.name} ({column.type})", value=0 if integer else 0.0,
                                                        step=1 if integer else None, format=None if integer else "%.4f",
                                                        key=f"{key}.{column.name}")
            else:
                record[column.name] = cell.text_input(f"{column.name} ({column.type})", key=f"{key}.{column.name}")
        submitted = st.form_submit_button("Predict", type="primary", icon=":material/bolt:")
    return record if submitted else None


def probabilities_figure(probabilities: dict[str, float], predicted: str, labels: LabelMap | None = None) -> go.Figure:
    """One horizontal bar per class (named by the model's label map), the predicted one highlighted."""
    classes = list(probabilities)
    names = names_for(labels, classes)
    figure = go.Figure(go.Bar(
        x=[probabilities[c] for c in classes], y=[names.display(c) for c in classes], orientation="h",
        marker_color=["#2563eb" if c == predicted else "#94a3b8" for c in classes],
        text=[f"{probabilities[c]:.1%}" for c in classes], textposition="auto",
    ))
    figure.update_xaxes(range=[0, 1], tickformat=".0%", title="probability")
    figure.update_yaxes(type="category", autorange="reversed")
    return figure.update_layout(title="Class probabilities", height=110 + 40 * len(classes), margin=dict(t=50, b=40))


def render_prediction(result: ScoreResult, labels: LabelMap | None = None, *, key: str) -> None:
    """The label (big), its probability, latency and variant, and a probability bar per class."""
    names = names_for(labels, result.probabilities)
    cols = st.columns([2, 1, 1, 1])
    cols[0].metric("Predicted label", names.display(result.predicted_label))
    cols[1].metric("Probability", "–" if result.probability is None else f"{result.probability:.1%}")
    cols[2].metric("Latency", f"{result.latency_ms:,.1f} ms")
    cols[3].metric("Variant", result.variant or "–")
    if result.probabilities:
        st.plotly_chart(probabilities_figure(result.probabilities, result.predicted_label, names), key=f"{key}.probabilities")


def render_review_words(result: ScoreResult, text: str, labels: LabelMap | None = None, *, key: str) -> None:
    """The review with each word shaded by its contribution to a class (the predicted one by default)."""
    classes = list(result.token_scores)
    if not result.tokens or not classes:
        st.caption("The endpoint returned no word attributions for this review.")
        return
    names = names_for(labels, classes)
    default = result.predicted_label if result.predicted_label in classes else classes[0]
    label = st.segmented_control("Words that pushed towards class", classes, default=default,
                                 format_func=names.display, key=f"{key}.class") or default
    attribution = TokenAttribution(model_id="", text=text, predicted_label=result.predicted_label,
                                   probabilities=result.probabilities, tokens=result.tokens, scores=result.token_scores,
                                   base_values={})
    st.markdown(shaded_review_html(attribution, label), unsafe_allow_html=True)
    st.caption(f"Green words push the review towards **{names.display(label)}**, red words push it away. "
               "Hover a word for its contribution.")


def history_entry(endpoint: str, text: str, result: ScoreResult, labels: LabelMap | None = None) -> dict[str, object]:
    names = names_for(labels, result.probabilities)
    return {"scored at (UTC)": datetime.now(UTC).strftime("%H:%M:%S"), "endpoint": endpoint,
            "review": text if len(text) <= 90 else text[:87] + "…", "label": names.display(result.predicted_label),
            "probability": result.probability, **names.display_keys(result.probabilities),
            "latency (ms)": round(result.latency_ms, 1), "variant": result.variant}


def add_to_history(history: list[dict[str, object]], entry: dict[str, object]) -> list[dict[str, object]]:
    """Newest first, at most ``MAX_HISTORY`` entries (session state holds small values only)."""
    return [entry, *history][:MAX_HISTORY]


def render_history(history: list[dict[str, object]], *, key: str) -> None:
    """The session's scored reviews; the probability and each class's probability as small bars."""
    if not history:
        return
    st.markdown("**This session's reviews** (newest first)")
    frame = pd.DataFrame(history)
    bars = [c for c in frame.columns if c not in HISTORY_COLUMNS or c == "probability"]
    st.dataframe(frame, hide_index=True, width="stretch", key=f"{key}.grid",
                 column_config={c: st.column_config.ProgressColumn(c, min_value=0.0, max_value=1.0, format="percent")
                                for c in bars})


# -- batch scoring ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchRequest:
    source: DataSource
    sql: str
    output_table: str


def render_batch_form(tables: list[str], default_table: str, default_output: str, *, key: str) -> BatchRequest | None:
    """A catalog table or a SQL query, and the table the scored rows go to; returns the request on submit."""
    mode = st.segmented_control("Rows to score", ["Catalog table", "SQL"], default="Catalog table", key=f"{key}.mode")
    with st.form(key):
        if mode == "SQL":
            sql = st.text_area("SQL (Athena dialect; every row of its result is scored)", key=f"{key}.sql", height=100,
                               placeholder=f"SELECT * FROM {default_table or 'demo.reviews_sentiment'} LIMIT 1000")
            table = ""
        else:
            index = tables.index(default_table) if default_table in tables else 0
            table = st.selectbox("Table", tables, index=index, key=f"{key}.table") or ""
            sql = ""
        output = st.text_input("Output table (database.table)", value=default_output, key=f"{key}.output",
                               help="Created in the catalog with every input column plus the predictions.")
        submitted = st.form_submit_button("Score every row", type="primary", icon=":material/playlist_play:")
    if not submitted:
        return None
    return BatchRequest(source=DataSource(table=table), sql=sql.strip(), output_table=output.strip())


def batch_figure(spec: dict[str, str], frame: pd.DataFrame, labels: LabelMap | None = None) -> go.Figure:
    """Counts of each predicted label; split by a column as each group's share, so small groups compare with big ones;
    or each class's mean probability. Classes are named by the model's label map."""
    if spec["kind"] == "probabilities":
        return class_probabilities_figure(frame, labels)
    names = names_for(labels, frame["predicted"].astype(str).unique())
    frame = frame.assign(predicted=frame["predicted"].map(names.display))
    order = {"predicted": sorted(frame["predicted"].unique(), key=_label_order)}
    if spec["x"] == "predicted":
        figure = px.bar(frame, x="predicted", y="rows", color="predicted", title=spec["title"], text_auto=",",
                        color_discrete_map=SENTIMENT_COLOURS, category_orders=order)
        return figure.update_layout(height=360, showlegend=False)
    frame = frame.assign(share=frame["rows"] / frame.groupby(spec["x"])["rows"].transform("sum"))
    if spec["kind"] == "line":
        figure = px.line(frame, x=spec["x"], y="share", color="predicted", markers=True, title=spec["title"],
                         hover_data=["rows"], color_discrete_map=SENTIMENT_COLOURS, category_orders=order)
    else:
        figure = px.bar(frame, x=spec["x"], y="share", color="predicted", title=spec["title"], hover_data=["rows"],
                        color_discrete_map=SENTIMENT_COLOURS, category_orders=order)
        figure.update_xaxes(type="category", categoryorder="category ascending")
    figure.update_yaxes(tickformat=".0%", title="share of rows")
    return figure.update_layout(height=360)


def class_probabilities_figure(frame: pd.DataFrame, labels: LabelMap | None = None) -> go.Figure:
    """A small bar per class: its mean probability over every scored row, and over the rows predicted as it
    (a class predicted with low probabilities is one the model is unsure of)."""
    names = names_for(labels, frame["class"].astype(str))
    order = {c: i for i, c in enumerate(names.classes)}
    frame = frame.assign(class_order=frame["class"].astype(str).map(lambda c: order.get(c, len(order))))
    frame = frame.sort_values(["class_order", "class"]).assign(**{"class": lambda f: f["class"].map(names.display)})
    long = frame.melt(id_vars=["class"], value_vars=["all_rows", "predicted_rows"], var_name="rows", value_name="probability")
    long["rows"] = long["rows"].map({"all_rows": "every row", "predicted_rows": "rows predicted as the class"})
    figure = px.bar(long, x="probability", y="class", color="rows", barmode="group", orientation="h", text_auto=".0%",
                    title="Class probabilities (mean)")
    figure.update_xaxes(range=[0, 1], tickformat=".0%")
    figure.update_yaxes(type="category", autorange="reversed", title=None)
    return figure.update_layout(height=140 + 50 * len(frame), legend_title=None)


def _label_order(label: str) -> tuple[int, str]:
    position = list(SENTIMENT_COLOURS).index(label) if label in SENTIMENT_COLOURS else len(SENTIMENT_COLOURS)
    return position, label


def render_batch_charts(figures: list[go.Figure], *, key: str) -> None:
    if not figures:
        st.caption("The scored table has no prediction column to chart.")
        return
    for start in range(0, len(figures), 2):
        for offset, (column, figure) in enumerate(zip(st.columns(2), figures[start:start + 2])):
            column.plotly_chart(figure, key=f"{key}.chart.{start + offset}")


# -- monitoring -----------------------------------------------------------------------------------------------------


def drift_frame(report: DriftReport) -> pd.DataFrame:
    rows = [*report.features, *([report.prediction_drift] if report.prediction_drift else [])]
    return pd.DataFrame({
        "feature": [f.feature for f in rows], "kind": [f.kind for f in rows],
        "PSI": [f.psi for f in rows], "KS": [f.ks for f in rows], "JS": [f.js for f in rows],
        "cosine distance": [f.distance for f in rows], "violation": [f.violation for f in rows],
    })


def styled_drift(frame: pd.DataFrame) -> Styler:
    """Figures as text (a missing one as "–"), rows that break the baseline's constraints in red."""
    def highlight(row: pd.Series) -> list[str]:
        return [VIOLATION_STYLE if row["violation"] else "" for _ in row]
    shown = frame.assign(**{name: frame[name].map(lambda v: "–" if v is None or pd.isna(v) else f"{v:.4f}")
                            for name in ("PSI", "KS", "JS", "cosine distance")})
    return shown.style.apply(highlight, axis=1)


def over_time_frame(report: DriftReport) -> pd.DataFrame:
    """``over_time`` (one dict per hour with ``psi_<feature>`` keys) as long rows: hour, feature, PSI."""
    frame = pd.DataFrame(list(report.over_time))
    psi_columns = [c for c in frame.columns if str(c).startswith("psi_")]
    if frame.empty or "hour" not in frame or not psi_columns:
        return pd.DataFrame(columns=["hour", "feature", "PSI"])
    long = frame.melt(id_vars=["hour"], value_vars=psi_columns, var_name="feature", value_name="PSI")
    return long.assign(feature=long["feature"].str.removeprefix("psi_")).dropna(subset=["PSI"])


def over_time_figure(frame: pd.DataFrame) -> go.Figure:
    figure = px.line(frame, x="hour", y="PSI", color="feature", markers=True, title="PSI per hour of captured traffic")
    figure.add_hline(y=PSI_ALARM, line_dash="dash", line_color="#b91c1c", annotation_text=f"PSI {PSI_ALARM} (significant shift)")
    return figure.update_layout(height=360)


def render_drift_report(report: DriftReport, *, key: str) -> None:
    cols = st.columns(3)
    cols[0].metric("Captured rows compared", f"{report.rows:,}")
    cols[1].metric("Violations", len(report.violations))
    prediction = report.prediction_drift
    cols[2].metric("Predicted-label PSI", "–" if prediction is None or prediction.psi is None else f"{prediction.psi:.4f}")
    st.caption(f"Baseline: the training data of **{report.baseline_model_id or 'the model'}**.")
    for note in report.notes:
        st.info(note, icon=":material/info:")
    shortfall = traffic_shortfall(report.rows)
    if shortfall:  # too few rows for a verdict either way
        st.info(shortfall, icon=":material/hourglass_top:")
    elif report.violations:
        st.warning("**Drift detected**\n\n" + "\n".join(f"- {v}" for v in report.violations), icon=":material/warning:")
    else:
        st.success("Live traffic is within the training baseline's constraints.", icon=":material/check_circle:")
    st.dataframe(styled_drift(drift_frame(report)), hide_index=True, width="stretch", key=f"{key}.features")
    over_time = over_time_frame(report)
    if over_time["hour"].nunique() >= 2:
        st.plotly_chart(over_time_figure(over_time), key=f"{key}.over_time")
    else:
        st.caption("PSI over time appears once the captured traffic spans two hours or more.")
    st.caption("PSI: population stability index (above 0.1 a moderate, above 0.2 a significant shift); "
               "KS: Kolmogorov-Smirnov statistic for numbers; JS: Jensen-Shannon distance for categories and binned values; "
               "cosine distance: 1 − cosine similarity of the captured and the training texts' embedding centroids (text-minilm)."
               + (f" Report computed {report.created_at[:19].replace('T', ' ')} UTC." if report.created_at else ""))
