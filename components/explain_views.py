"""SHAP views: global importance, beeswarm, dependence, per-row waterfall, review words, Quick Model.

The ``*_figure`` and ``*_html`` functions build plain plotly figures / HTML from the port's models and
frames; the ``render_*`` functions put them on the page with the user's choices.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from components.code_views import request_with_code
from components.formatting import human_ms
from services.codegen.models import explain_model_code
from services.explain.base import AGGREGATIONS, ExplainPlan, ExplainRequest, Explanation, QuickModelResult, TokenAttribution
from services.explain.models import Estimate
from services.label_map import LabelMap, label_map
from services.models import DataSource, Job, ModelRecord, Table

AGGREGATION_LABELS = {"mean_abs": "mean |SHAP| (mean_abs)", "mean_sq": "mean SHAP² (mean_sq)", "median": "median |SHAP| (median)"}
POSITIVE_RGB = "22, 163, 74"  # green: pushes towards the shown class
NEGATIVE_RGB = "220, 38, 38"  # red: pushes away from it
MAX_BEESWARM_FEATURES = 15
MAX_WATERFALL_STEPS = 12
SHAP_COLOURS = [[0.0, "#008bfb"], [1.0, "#ff0052"]]  # shap's own blue (low) → red (high)
LINE_BREAK = re.compile("\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


# -- figures ------------------------------------------------------------------------------------------------------


def aggregation_label(aggregation: str) -> str:
    return AGGREGATION_LABELS.get(aggregation, aggregation)


def importance_frame(importance: dict[str, float]) -> pd.DataFrame:
    """Features with their aggregated SHAP value, largest first."""
    frame = pd.DataFrame(list(importance.items()), columns=["feature", "importance"])
    return frame.sort_values("importance", ascending=False, ignore_index=True)


def importance_figure(importance: dict[str, float], title: str, top: int = 25) -> go.Figure:
    """A horizontal bar chart, the most important feature on top."""
    frame = importance_frame(importance).head(top).iloc[::-1]
    figure = px.bar(frame, x="importance", y="feature", orientation="h", title=title)
    return figure.update_layout(height=max(260, 26 * len(frame) + 120), yaxis_title=None)


def normalised_values(features: pd.DataFrame) -> pd.DataFrame:
    """Every feature scaled to 0–1 (categories by their codes); missing values sit in the middle."""
    scaled = {}
    for column in features.columns:
        values = features[column]
        numbers = pd.to_numeric(values, errors="coerce") if pd.api.types.is_numeric_dtype(values) else None
        if numbers is None or numbers.isna().all():
            numbers = pd.Series(pd.Categorical(values.astype(str)).codes, index=values.index, dtype=float)
        span = numbers.max() - numbers.min()
        scaled[column] = ((numbers - numbers.min()) / span if span > 0 else numbers * 0).fillna(0.5)
    return pd.DataFrame(scaled, index=features.index)


def beeswarm_figure(values: pd.DataFrame, features: pd.DataFrame, order: list[str], seed: int = 0) -> go.Figure:
    """One jittered dot per row and feature: SHAP value across, feature down, colour = the feature's value."""
    shown = [f for f in order if f in values.columns and f in features.columns][:MAX_BEESWARM_FEATURES]
    colours = normalised_values(features[shown]) if shown else pd.DataFrame()
    random = np.random.default_rng(seed)
    rows = len(values)
    figure = go.Figure()
    for position, feature in enumerate(reversed(shown)):
        figure.add_trace(go.Scatter(
            x=values[feature], y=position + random.uniform(-0.3, 0.3, rows), mode="markers", name=feature, showlegend=False,
            marker=dict(size=5, opacity=0.7, color=colours[feature], colorscale=SHAP_COLOURS, cmin=0, cmax=1,
                        showscale=position == 0, colorbar=dict(title="feature value", tickvals=[0, 1], ticktext=["low", "high"])),
            customdata=features[feature].astype(str), hovertemplate=f"{feature}=%{{customdata}}<br>SHAP=%{{x:.4f}}<extra></extra>",
        ))
    figure.update_yaxes(tickvals=list(range(len(shown))), ticktext=list(reversed(shown)))
    figure.add_vline(x=0, line_width=1, line_color="grey")
    return figure.update_layout(title="SHAP values per row (beeswarm)", xaxis_title="SHAP value (impact on the output)",
                                height=max(300, 30 * len(shown) + 140))


def dependence_figure(values: pd.DataFrame, features: pd.DataFrame, feature: str, colour_by: str | None) -> go.Figure:
    """A feature's value against its SHAP value, coloured by another feature (interactions show as bands)."""
    frame = pd.DataFrame({feature: features[feature], f"SHAP {feature}": values[feature]})
    if colour_by:
        frame[colour_by] = features[colour_by]
    return px.scatter(frame, x=feature, y=f"SHAP {feature}", color=colour_by or None, opacity=0.75,
                      title=f"Dependence: {feature}", color_continuous_scale=[c for _, c in SHAP_COLOURS])


def waterfall_steps(contributions: pd.Series, limit: int = MAX_WATERFALL_STEPS) -> pd.Series:
    """The largest contributions of one row, the rest summed as 'other features'."""
    ranked = contributions.reindex(contributions.abs().sort_values(ascending=False).index)
    steps = ranked.head(limit)
    rest = ranked.iloc[limit:]
    if len(rest):
        steps = pd.concat([steps, pd.Series({f"{len(rest)} other features": rest.sum()})])
    return steps


def waterfall_figure(contributions: pd.Series, row_values: pd.Series, base_value: float, output_name: str,
                     title: str = "") -> go.Figure:
    """Base value → each feature's contribution → the model's output for this row."""
    steps = waterfall_steps(contributions)
    labels = [f"{name} = {short_value(row_values[name])}" if name in row_values.index else str(name) for name in steps.index]
    output = base_value + float(contributions.sum())
    figure = go.Figure(go.Waterfall(
        orientation="h", measure=["absolute", *["relative"] * len(steps), "total"],
        y=["base value", *labels, "output"], x=[base_value, *steps.tolist(), output],
        text=[f"{base_value:.4f}", *[f"{v:+.4f}" for v in steps], f"{output:.4f}"], textposition="outside",
        increasing=dict(marker=dict(color=f"rgb({POSITIVE_RGB})")), decreasing=dict(marker=dict(color=f"rgb({NEGATIVE_RGB})")),
        totals=dict(marker=dict(color="rgb(59, 130, 246)")),
    ))
    figure.update_yaxes(autorange="reversed")
    return figure.update_layout(title=title or f"Row {contributions.name} — {output_name}: from the base value to this row's output",
                                height=max(320, 28 * len(steps) + 160))


def short_value(value: object) -> str:
    """A feature value short enough for an axis label."""
    return f"{value:.4g}" if isinstance(value, float | np.floating) else str(value)


def shaded_review_html(attribution: TokenAttribution, label: str) -> str:
    """The review with each token's background shaded by its contribution to ``label``."""
    scores = attribution.scores.get(label, ())
    largest = max((abs(s) for s in scores), default=0.0) or 1.0
    spans = []
    for token, score in zip(attribution.tokens, scores):
        rgb = POSITIVE_RGB if score > 0 else NEGATIVE_RGB
        alpha = min(1.0, abs(score) / largest) * 0.85
        spans.append(f'<span title="{score:+.4f}" style="background: rgba({rgb}, {alpha:.2f}); border-radius: 3px; '
                     f'padding: 1px 0">{html_text(token)}</span>')
    return f'<div style="line-height: 2; font-size: 1.05rem">{"".join(spans)}</div>'


def html_text(text: str) -> str:
    """Text safe inside one markdown HTML block: escaped, every line break (CR LF, a lone CR or LF, U+2028,
    …: whatever ``str.splitlines`` splits on) as ``<br>`` so no blank line ends the block, no $ (math)."""
    return LINE_BREAK.sub("<br>", html.escape(text).replace("$", "&#36;"))


def token_frame(attribution: TokenAttribution, label: str, top: int = 10) -> pd.DataFrame:
    """The words that mattered most for ``label``, strongest first."""
    pairs = [(t.strip(), s) for t, s in zip(attribution.tokens, attribution.scores.get(label, ())) if t.strip()]
    frame = pd.DataFrame(pairs, columns=["word", "contribution"])
    return frame.reindex(frame["contribution"].abs().sort_values(ascending=False).index).head(top).reset_index(drop=True)


LOG_ODDS = " (log-odds)"


def output_label(output: str, labels: LabelMap) -> str:
    """An explanation's explained output with its class named: ``1`` → ``positive (1)``, ``1 (log-odds)`` →
    ``positive (1) (log-odds)``; ``prediction`` (regression) unchanged."""
    if output.endswith(LOG_ODDS):
        return labels.display(output.removesuffix(LOG_ODDS)) + LOG_ODDS
    return labels.display(output)


# -- results of a SHAP job ----------------------------------------------------------------------------------------


def render_explanation_summary(explanation: Explanation, labels: LabelMap) -> None:
    """Which explainer ran, what it explains, on how many rows and how fast."""
    cols = st.columns([1, 2, 1, 1, 1])
    cols[0].metric("Explainer", explanation.explainer)
    cols[1].metric("Explained output", output_label(explanation.explained_output, labels))
    cols[2].metric("Rows explained", f"{explanation.rows:,}")
    cols[3].metric("Base value", f"{explanation.base_value:.4f}")
    cols[4].metric("Run time", human_ms(explanation.seconds * 1000))
    for note in explanation.notes:
        st.info(note, icon=":material/info:")


def render_global_importance(explanation: Explanation, labels: LabelMap, *, key: str) -> None:
    """The aggregated importances as a sorted bar chart and a table; any aggregation the job computed."""
    available = [a for a in AGGREGATIONS if a in explanation.importances] or [explanation.aggregation]
    default = explanation.aggregation if explanation.aggregation in available else available[0]
    aggregation = st.segmented_control("Aggregation", available, default=default, format_func=aggregation_label,
                                       key=f"{key}.aggregation") or default
    importance = explanation.importances.get(aggregation) or explanation.global_importance
    if not importance:
        st.caption("This explanation has no feature importances.")
        return
    title = f"Global SHAP importance — {aggregation_label(aggregation)}, output {output_label(explanation.explained_output, labels)}"
    st.plotly_chart(importance_figure(importance, title), key=f"{key}.chart")
    with st.expander("As a table", icon=":material/table:"):
        st.dataframe(importance_frame(importance), hide_index=True, width="stretch")


def render_beeswarm(values: pd.DataFrame, features: pd.DataFrame, order: list[str], *, key: str) -> None:
    if values.empty:
        st.caption("No per-row SHAP values to plot.")
        return
    st.plotly_chart(beeswarm_figure(values, features, order), key=f"{key}.chart")
    st.caption("Red dots are rows with a high value of the feature, blue a low one; "
               "right of zero pushes the output up, left pushes it down.")


def render_dependence(values: pd.DataFrame, features: pd.DataFrame, order: list[str], *, key: str) -> None:
    """Pick a feature (and one to colour by) and see how its value drives its SHAP value."""
    ranked = [f for f in order if f in values.columns and f in features.columns]
    if not ranked:
        st.caption("No per-row SHAP values to plot.")
        return
    left, right = st.columns(2)
    feature = left.selectbox("Feature", ranked, key=f"{key}.feature")
    others = ["(none)", *[f for f in ranked if f != feature]]
    colour_by = right.selectbox("Colour by", others, index=1 if len(others) > 1 else 0, key=f"{key}.colour")
    if feature is None:
        return
    chosen = None if colour_by in (None, "(none)") else colour_by
    st.plotly_chart(dependence_figure(values, features, feature, chosen), key=f"{key}.chart")


def render_waterfall(values: pd.DataFrame, features: pd.DataFrame, explanation: Explanation, labels: LabelMap, *,
                     key: str) -> None:
    """Pick a row and see how the features move it from the base value to the model's output."""
    if values.empty:
        st.caption("No per-row SHAP values to plot.")
        return
    position = st.columns(3)[0].number_input(f"Row (0–{len(values) - 1})", 0, len(values) - 1, 0, key=f"{key}.row")
    contributions = values.iloc[int(position)]
    row_values = features.iloc[int(position)] if len(features) == len(values) else pd.Series(dtype=object)
    output = output_label(explanation.explained_output, labels)
    title = f"Row {int(position)} (data row {contributions.name}) — {output}: base value → output"
    st.plotly_chart(waterfall_figure(contributions, row_values, explanation.base_value, output, title),
                    key=f"{key}.chart")
    with st.expander("This row's feature values", icon=":material/table_rows:"):
        st.dataframe(pd.DataFrame({"value": row_values.astype(str), "SHAP": contributions}), width="stretch")


def render_shap_download(values: Callable[[], pd.DataFrame], *, job_name: str, key: str) -> None:
    """The per-row SHAP values as CSV (Clarify's out.csv), built only when clicked."""
    st.download_button("Download per-row SHAP values (shap.csv)", data=lambda: values().to_csv(index=False).encode(),
                       file_name="shap.csv", mime="text/csv", icon=":material/download:", key=f"{key}.csv",
                       on_click="ignore", help=f"One row per explained row of job {job_name}, one column per feature.")


def render_top_words(top_words: dict[str, list[tuple[str, float]]], labels: LabelMap, *, key: str) -> None:
    """A text model's most influential words per class, over every explained review."""
    if not top_words:
        st.caption("This explanation has no top words (only review models have them).")
        return
    columns = st.columns(min(3, len(top_words)))
    for index, (label, words) in enumerate(top_words.items()):
        frame = pd.DataFrame(words, columns=["word", "contribution"]).iloc[::-1]
        figure = px.bar(frame, x="contribution", y="word", orientation="h", title=f"Class {labels.display(label)}")
        figure.update_traces(marker_color=[f"rgb({POSITIVE_RGB})" if v > 0 else f"rgb({NEGATIVE_RGB})" for v in frame["contribution"]])
        columns[index % len(columns)].plotly_chart(figure.update_layout(height=max(260, 24 * len(frame) + 100), yaxis_title=None),
                                                   key=f"{key}.{index}")


def render_review_rows(values: pd.DataFrame, features: pd.DataFrame, output_name: str, labels: LabelMap, *,
                       key: str) -> None:
    """A review model's explained rows: each review with the sum of its words' SHAP values, strongest first."""
    if values.empty or features.empty:
        st.caption("No explained reviews to list.")
        return
    column = values.columns[0]
    frame = pd.DataFrame({"review": features[column].astype(str), f"SHAP towards {output_label(output_name, labels)}": values.sum(axis=1)})
    frame = frame.reindex(frame.iloc[:, 1].abs().sort_values(ascending=False).index)
    st.dataframe(frame, hide_index=True, width="stretch", key=f"{key}.table",
                 column_config={"review": st.column_config.TextColumn(width="large")})


# -- review words -------------------------------------------------------------------------------------------------


def render_token_attribution(attribution: TokenAttribution, labels: LabelMap, *, key: str) -> None:
    """The review with its words shaded for a class the user picks (the predicted one first), the prediction and
    the probabilities, every class named by the model's label map. ``key`` must be new for each attribution, so
    the class picker starts from that attribution's prediction."""
    classes = list(attribution.scores) or list(attribution.probabilities)
    if not classes:
        st.caption("The model returned no attributions.")
        return
    names = labels if labels.classes else label_map(classes)
    cols = st.columns(3)
    cols[0].metric("Predicted label", names.display(attribution.predicted_label))
    cols[1].metric("Probability", f"{attribution.probabilities.get(attribution.predicted_label, 0.0):.1%}")
    cols[2].metric("Run time", human_ms(attribution.seconds * 1000))
    default = attribution.predicted_label if attribution.predicted_label in classes else classes[-1]
    label = st.segmented_control("Show contributions to class", classes, default=default, format_func=names.display,
                                 key=f"{key}.class") or default
    st.markdown(shaded_review_html(attribution, label), unsafe_allow_html=True)
    st.caption(f"Green words push the review towards **{names.display(label)}**, red words push it away. "
               "Hover a word for its SHAP value.")
    left, right = st.columns(2)
    probabilities = pd.DataFrame({"class": [names.display(c) for c in attribution.probabilities],
                                  "probability": list(attribution.probabilities.values())})
    figure = px.bar(probabilities, x="probability", y="class", orientation="h", range_x=[0, 1], title="Probabilities")
    left.plotly_chart(figure.update_yaxes(type="category").update_layout(height=260), key=f"{key}.probabilities")
    right.dataframe(token_frame(attribution, label), hide_index=True, width="stretch")


# -- Quick Model ----------------------------------------------------------------------------------------------------


def render_quick_model(result: QuickModelResult, *, key: str) -> None:
    """Data Wrangler's Quick Model: how predictable the target is, and from which columns."""
    cols = st.columns(4)
    cols[0].metric(f"{result.metric_name} ({'test' if result.test_rows else 'train'})", f"{result.score:.4f}")
    cols[1].metric("Train rows", f"{result.train_rows:,}")
    cols[2].metric("Test rows", f"{result.test_rows:,}")
    cols[3].metric("Run time", human_ms(result.seconds * 1000))
    st.caption(f"Target **{result.target}** · {result.problem_type}")
    for note in result.notes:
        st.info(note, icon=":material/info:")
    if result.importances:
        st.plotly_chart(importance_figure(result.importances, "Quick Model feature importance"), key=f"{key}.chart")


# -- forms --------------------------------------------------------------------------------------------------------

EXAMPLE_REVIEWS = {
    "Positive": "I absolutely love this dress! The fabric is buttery soft, the color is gorgeous and it is so flattering.",
    "Negative": "Very disappointed. The material feels cheap, it runs huge and made me look like I was wearing a sack. Returned it.",
    "Mixed": "Really cute top, but the sleeves are a bit long and the fabric is thinner than I expected. Keeping it for now.",
}


AUTOMATIC = "(automatic)"
EXPLAINED_CLASS_HELP = ("The class whose probability SHAP explains. Automatic: the positive (last) class of a binary model, "
                        "the class predicted most often among the explained rows of a multi-class one.")


def model_label(model: ModelRecord) -> str:
    return f"{model.model_id} · {model.framework} · {model.problem_type}"


def render_model_picker(models: list[ModelRecord], *, key: str) -> ModelRecord | None:
    """Any registered model, newest first; shows what it predicts from which columns."""
    ids = [m.model_id for m in models]
    by_id = {m.model_id: m for m in models}
    chosen = st.selectbox("Model", ids, format_func=lambda i: model_label(by_id[i]), key=key)
    model = by_id.get(chosen) if chosen else None
    if model is not None:
        columns = ", ".join(c.name for c in model.input_schema[:12]) + (" …" if len(model.input_schema) > 12 else "")
        classes = f" · classes {', '.join(label_map(model.classes, model.target).displays())}" if model.classes else ""
        st.caption(f"Predicts **{model.target}** from {columns}{classes}")
    return model


def render_explain_form(model: ModelRecord, tables: list[str], default_table: str, plan: ExplainPlan,
                        estimate_for: Callable[[int, int], Estimate | None], *, key: str) -> ExplainRequest | None:
    """Data, sample sizes, Clarify's aggregation and the explained class; returns the request when submitted.

    The sample sizes start at the plan's (the default explainer's) and each explainer keeps its own, so a slow
    explainer's small sample is not carried over to a fast one. Above the form: the explainer, why, and how long
    it should take (from this model's last explanation)."""
    slug = re.sub(r"\W+", "-", plan.explainer.lower()).strip("-")  # "tree", "permutation", "kernelshap-clarify"
    if st.session_state.get(f"{key}.for_model") != model.model_id or st.session_state.get(f"{key}.table") not in tables:
        st.session_state[f"{key}.for_model"] = model.model_id  # a newly picked model starts from its own training table
        st.session_state[f"{key}.table"] = default_table if default_table in tables else (tables[0] if tables else None)
    rows_key, background_key = f"{key}.rows.{slug}", f"{key}.background.{slug}"
    shown = (int(st.session_state.get(rows_key, plan.rows)), int(st.session_state.get(background_key, plan.background_rows)))
    st.caption(plan_text(plan, estimate_for(*shown), *shown))
    with st.form(key):
        left, right = st.columns(2)
        table = left.selectbox("Table", tables, key=f"{key}.table", help="Defaults to the table the model was trained on.")
        path = right.text_input("… or a file (CSV / Parquet)", key=f"{key}.path", placeholder="used instead of the table when filled")
        cols = st.columns(4)
        rows = cols[0].number_input("Rows to explain", 1, 100_000, plan.rows, step=10, key=rows_key,
                                    help="A seeded sample when the data has more rows.")
        background = cols[1].number_input("Background rows", 1, 10_000, plan.background_rows, step=10, key=background_key,
                                          help="The baseline sample the explainer compares each row against.")
        aggregation = cols[2].selectbox("Aggregation", list(AGGREGATIONS), format_func=aggregation_label, key=f"{key}.aggregation")
        names = label_map(model.classes, model.target)
        explained = cols[3].selectbox("Explained class", [AUTOMATIC, *model.classes], key=f"{key}.class.{model.model_id}",
                                      format_func=names.display, disabled=not model.classes, help=EXPLAINED_CLASS_HELP)
        submitted = st.form_submit_button("Explain", type="primary", icon=":material/insights:")
    source = DataSource(path=path.strip()) if path.strip() else DataSource(table=table or "")
    return request_with_code(submitted, lambda: ExplainRequest(
        model_id=model.model_id, source=source, rows=int(rows), background_rows=int(background), aggregation=aggregation or "mean_abs",
        explained_class="" if explained in (None, AUTOMATIC) else explained), lambda request: explain_model_code(request, model))


def plan_text(plan: ExplainPlan, expected: Estimate | None, rows: int, background_rows: int) -> str:
    """The explainer, why, and the expected run time (or that the job will tell once its first rows are done)."""
    text = f"Explainer: **{plan.explainer}** — {plan.reason}."
    if expected is None:
        return text + " The job shows its progress and time left once its first rows are done."
    return (text + f" Expected: **{human_ms(expected.seconds * 1000)}** for {rows:,} rows over {background_rows:,} background "
            f"rows (job {expected.job_name} took {human_ms(expected.job_seconds * 1000)} for {expected.rows:,}).")


def job_choice_label(job: Job) -> str:
    """A job as the picker lists it: name and start time only. Nothing that changes while the page is open — a keyed
    selectbox keeps showing the option text it was first drawn with when only ``format_func``'s text changes
    (streamlit/streamlit#13788), so a status in it stayed "InProgress" after the job completed."""
    return f"{job.name} · started {job.created_at[:19].replace('T', ' ')}"


def render_explain_job_picker(jobs: list[Job], *, key: str) -> Job | None:
    """Earlier explanations of the chosen model, newest first; the chosen one's current status beside the picker."""
    by_name = {j.name: j for j in jobs}
    chosen = st.selectbox("Explanation", list(by_name), key=key, format_func=lambda n: job_choice_label(by_name[n]))
    job = by_name.get(chosen) if chosen else None
    if job is not None:
        st.caption(f"Status: **{job.status}**" + (f" · {job.secondary_status}" if job.secondary_status else ""))
    return job


def render_review_form(*, key: str) -> tuple[str, int] | None:
    """A review to explain (or one of the examples); returns (text, model evaluations) when submitted."""
    st.caption("Start from an example:")
    for column, (name, text) in zip(st.columns(len(EXAMPLE_REVIEWS)), EXAMPLE_REVIEWS.items()):
        column.button(name, key=f"{key}.example.{name.lower()}", on_click=st.session_state.__setitem__,
                      args=(f"{key}.text", text), width="stretch")
    with st.form(key):
        text = st.text_area("Review", key=f"{key}.text", height=110, placeholder="Type or paste a product review")
        evaluations = st.columns(3)[0].number_input(
            "Model evaluations", 10, 5000, 300, step=50, key=f"{key}.evals",
            help="How many masked versions of the review SHAP scores: more is more precise and slower.")
        submitted = st.form_submit_button("Explain this review", type="primary", icon=":material/text_fields:")
    return (text, int(evaluations)) if submitted else None


def render_quick_model_form(tables: list[Table], default_table: str, *, key: str) -> tuple[DataSource, str, str] | None:
    """A table and its target (or SQL and a target column); returns (source, target, sql) when submitted."""
    mode = st.segmented_control("Data", ["Catalog table", "SQL"], default="Catalog table", key=f"{key}.mode") or "Catalog table"
    if mode == "SQL":
        with st.form(f"{key}.sql_form"):
            sql = st.text_area("SQL (Athena dialect)", key=f"{key}.sql", height=100, placeholder="SELECT * FROM demo.wine")
            target = st.text_input("Target column", key=f"{key}.sql_target")
            submitted = st.form_submit_button("Run Quick Model", type="primary", icon=":material/bolt:")
        return (DataSource(), target.strip(), sql) if submitted else None
    by_name = {t.qualified_name: t for t in tables}
    names = list(by_name)
    name = st.selectbox("Table", names, index=names.index(default_table) if default_table in names else 0, key=f"{key}.table")
    if name is None:
        st.caption("No tables yet: import one on the Catalog page.")
        return None
    columns = [c.name for c in by_name[name].all_columns]
    with st.form(f"{key}.form"):
        target = st.selectbox("Target column", columns, index=_guess_target(columns), key=f"{key}.target.{name}")
        submitted = st.form_submit_button("Run Quick Model", type="primary", icon=":material/bolt:")
    return (DataSource(table=name), target or "", "") if submitted else None


def _guess_target(columns: list[str]) -> int:
    for guess in ("sentiment", "target", "label", "y"):
        if guess in columns:
            return columns.index(guess)
    return len(columns) - 1
