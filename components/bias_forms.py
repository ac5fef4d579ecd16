"""The bias configuration: label and positive outcome, facet and its mode, group, predictions.

Column pickers offer only the data's columns and value pickers the values that occur (most
frequent first), so most mistakes cannot be typed; what remains is reported by the service.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from components.code_views import request_with_code
from components.state import keep, restore
from services.bias.base import BiasPort
from services.bias.models import METRIC_NAMES, BiasRequest
from services.codegen.models import bias_code
from services.models import ModelRecord

NONE = "(none)"
VALUES, THRESHOLD, EACH = "Values", "Threshold", "Each value (one-vs-all)"
NO_PREDICTIONS, PREDICTION_COLUMN, MODEL = "None (pre-training only)", "A column with predictions", "Score with a registered model"
MISSING = {"facet": f"Pick the sensitive (d) value(s), or choose '{EACH}' to compare every value with the rest.",
           "label": "Pick the positive label value(s), or use a threshold."}


@st.cache_data(ttl=60, show_spinner=False)
def _distinct(_bias: BiasPort, request: BiasRequest, column: str) -> tuple[list[Any], bool]:
    return _bias.distinct_values(request, column)


def _kept_selectbox(label: str, options: list[Any], key: str, default: Any = None, **kwargs: Any) -> Any:
    if st.session_state.get(key) not in options:
        st.session_state.pop(key, None)
    restore(key, default if default in options else (options[0] if options else None))
    value = st.selectbox(label, options, key=key, **kwargs)
    keep(key)
    return value


def _positive_rule(bias: BiasPort, base: BiasRequest, column: str, kind: str, role: str,
                   modes: list[str]) -> tuple[tuple[str, ...], float | None, str]:
    """(values, threshold, what is missing) for the label or the facet. In the Values mode at least one value
    is needed: with none, the request would silently mean one-vs-all (facet) or be refused (label)."""
    numeric = kind in ("integer", "float")
    options = modes if numeric else [m for m in modes if m != THRESHOLD]
    mode_key = f"bias.{role}.mode.{column}"
    if st.session_state.get(mode_key) not in options:
        st.session_state.pop(mode_key, None)
    restore(mode_key, options[0])
    mode = st.radio(f"{role.capitalize()} mode", options, key=mode_key, horizontal=True)
    keep(mode_key)
    if mode == THRESHOLD:
        threshold_key = f"bias.{role}.threshold.{column}"
        restore(threshold_key, 0.0)
        value = st.number_input(f"{role.capitalize()} threshold (strictly above = {'d' if role == 'facet' else 'positive'})",
                                key=threshold_key, step=1.0)
        keep(threshold_key)
        return (), float(value), ""
    if mode == EACH:
        return (), None, ""
    values, more = _distinct(bias, base, column)
    if more:
        text_key = f"bias.{role}.text.{column}"
        restore(text_key, "")
        text = st.text_input(f"{role.capitalize()} values (comma-separated)", key=text_key,
                             help="The column has many distinct values; type the ones you mean.")
        keep(text_key)
        chosen: tuple[str, ...] = tuple(v.strip() for v in text.split(",") if v.strip())
    else:
        values_key = f"bias.{role}.values.{column}"
        restore(values_key, [_positive_guess(values)] if role == "label" and values else [])
        st.session_state[values_key] = [v for v in st.session_state[values_key] if v in values]  # kept from another table
        picked = st.multiselect(f"{'Positive label' if role == 'label' else 'Sensitive (d)'} values", values, key=values_key)
        keep(values_key)
        chosen = tuple(str(v) for v in picked)
    return chosen, None, "" if chosen else MISSING[role]


def _positive_guess(values: list[Any]) -> Any:
    """1, true or yes when the label has it, else its most frequent value."""
    for value in values:
        if str(value).strip().lower() in ("1", "true", "yes", ">50k", "positive"):
            return value
    return values[0]


def render_bias_form(bias: BiasPort, base: BiasRequest, kinds: dict[str, str],
                     models: list[ModelRecord]) -> BiasRequest | None:
    """The configuration widgets; returns the request when the user asks for the report."""
    columns = list(kinds)
    left, right = st.columns(2)
    with left:
        label = _kept_selectbox("Label (outcome)", columns, "bias.label", "sentiment")
        label_values, label_threshold, label_missing = _positive_rule(bias, base, label, kinds[label], "label", [VALUES, THRESHOLD])
    with right:
        facet_options = [c for c in columns if c != label]
        facet = _kept_selectbox("Facet (sensitive attribute)", facet_options, "bias.facet", "product_category")
        facet_values, facet_threshold, facet_missing = _positive_rule(bias, base, facet, kinds[facet], "facet",
                                                                      [VALUES, THRESHOLD, EACH])
    others = [c for c in columns if c not in (label, facet)]
    group = _kept_selectbox("Group variable for CDD (optional)", [NONE, *others], "bias.group", NONE)
    predicted, predicted_threshold, model_id = _prediction_choice(others, kinds, models)
    with st.popover("Metrics and options", icon=":material/tune:"):  # the form itself sits in an expander
        methods = st.multiselect("Metrics", list(METRIC_NAMES), default=[], key="bias.methods",
                                 placeholder="All metrics", help="Leave empty for every metric Clarify computes.")
        bootstrap = st.number_input("Bootstrap resamples for 95 % intervals", 0, 2000, 200, step=50, key="bias.bootstrap")
        numeric = [c for c in others if kinds[c] in ("integer", "float", "boolean") and c != predicted and not c.lower().endswith("id")]
        ft_features = st.multiselect("FlipTest features", others, default=numeric, key=f"bias.ft.{label}.{facet}",
                                     help="Clarify uses every other column; only numeric ones work.")
        ft_rows = st.number_input("FlipTest sample rows", 100, 1_000_000, 10_000, step=1000, key="bias.ft_rows")
    missing = [m for m in (label_missing, facet_missing) if m]
    for hint in missing:
        st.caption(f":material/info: {hint}")
    clicked = st.button("Compute bias report", type="primary", icon=":material/balance:", key="bias.run", disabled=bool(missing),
                        help=" ".join(missing) or None)
    return request_with_code(clicked, lambda: BiasRequest(
        source=base.source, sql=base.sql, label=label, label_values=label_values, label_threshold=label_threshold,
        facet=facet, facet_values=facet_values, facet_threshold=facet_threshold,
        group="" if group == NONE else group, predicted=predicted, predicted_threshold=predicted_threshold,
        model_id=model_id, methods=tuple(methods) or ("all",), bootstrap=int(bootstrap),
        flip_test_features=tuple(ft_features), flip_test_rows=int(ft_rows)), bias_code, nested=True)


def _prediction_choice(others: list[str], kinds: dict[str, str], models: list[ModelRecord]) -> tuple[str, float | None, str]:
    """(prediction column, its score threshold, model id) for the post-training metrics."""
    mode = st.radio("Post-training metrics", [NO_PREDICTIONS, PREDICTION_COLUMN, MODEL], key="bias.post_mode", horizontal=True)
    if mode == PREDICTION_COLUMN and others:
        left, right = st.columns(2)
        column = left.selectbox("Prediction column", others, key="bias.predicted")
        numeric = kinds.get(column) in ("integer", "float")
        scores = right.checkbox("It holds scores: use a threshold", key="bias.scores", disabled=not numeric)
        threshold = right.number_input("Score threshold", value=0.5, key="bias.score_threshold") if scores else None
        return column, threshold, ""
    if mode == MODEL:
        if not models:
            st.info("No registered models yet: train one on the Train page.", icon=":material/info:")
            return "", None, ""
        model = st.selectbox("Registered model", [m.model_id for m in models], key="bias.model",
                             help="The data is scored with the model first (a job), then its predictions are analysed.")
        return "", None, model or ""
    return "", None, ""
