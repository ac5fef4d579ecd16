"""Explain: SHAP importances for any registered model — global, per row, and which words moved a review."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from components import keys
from components.explain_views import (
    importance_frame,
    render_beeswarm,
    render_dependence,
    render_explain_form,
    render_explain_job_picker,
    render_explanation_summary,
    render_global_importance,
    render_model_picker,
    render_quick_model,
    render_quick_model_form,
    render_review_form,
    render_review_rows,
    render_shap_download,
    render_token_attribution,
    render_top_words,
    render_waterfall,
)
from components.job_views import render_job_status
from components.navigation import ensure_app_navigation
from components.services import get_services, show_error, warm_up_word_explanations
from components.state import keep, restore
from services.errors import ServiceError
from services.explain.base import Explanation
from services.explain.models import EXPLAIN_KIND, LISTED_JOBS, estimate, jobs_of_model, trained_on_table, was_reused
from services.label_map import LabelMap, model_label_map
from services.models import Job, ModelRecord

ensure_app_navigation("pages/explain.py")


st.title("Explain")
st.caption("SHAP importances for any registered model: which features matter overall, for each row, "
           "and — for review models — which words pushed a review towards each class.")
services = get_services()
warm_up_word_explanations()


@st.cache_data(ttl=600, show_spinner="Reading the explanation…")
def load_explanation(name: str, backend_label: str) -> Explanation:
    return get_services().explain.explanation(name)


@st.cache_data(ttl=600, show_spinner="Reading the SHAP values…")
def load_shap_frames(name: str, backend_label: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    return get_services().explain.shap_frames(name)


@st.fragment(run_every=2.0)
def live_panel(name: str) -> None:
    """Refreshes every 2 s while SHAP runs; a full rerun shows the results."""
    job = services.jobs.describe_job(name)
    if job.finished:
        st.rerun()
    render_job_status(job)


def training_table(model: ModelRecord) -> str:
    """The catalog table the model was trained on, when its job recorded one (the form's default)."""
    if not model.job_name:
        return ""
    try:
        return trained_on_table(services.jobs.describe_job(model.job_name))
    except ServiceError:
        return ""  # the training job is gone or unreadable: no default table


def explain_jobs() -> list[Job]:
    return services.jobs.list_jobs(kind=EXPLAIN_KIND, limit=LISTED_JOBS)


def start_explanation(model: ModelRecord, tables: list[str], earlier: list[Job]) -> bool:
    """The form; True when it started (or reused) a job. ``earlier``: the explain jobs listed before it."""
    plan = services.explain.plan(model)
    own = jobs_of_model(earlier, model.model_id)
    request = render_explain_form(model, tables, training_table(model), plan,
                                  lambda rows, background: estimate(own, plan.explainer, rows, background), key="explain.form")
    if request is None:
        return False
    with st.spinner("Starting the explanation…"):
        name = services.explain.start_job(request)
    st.session_state[keys.EXPLAIN_JOB] = name
    if was_reused(name, earlier):  # the finished job with the same model, data version and settings
        st.session_state[keys.EXPLAIN_REUSED] = name
    return True


def shap_results(job: Job, model: ModelRecord) -> None:
    labels = model_label_map(model)
    explanation = load_explanation(job.name, services.backend_label)
    render_explanation_summary(explanation, labels)
    values, features = load_shap_frames(job.name, services.backend_label)
    render_shap_download(lambda: values, job_name=job.name, key="explain.download")
    if is_text(model) or explanation.top_words:
        review_results(explanation, values, features, labels)
        return
    order = importance_frame(explanation.global_importance)["feature"].tolist()
    global_tab, beeswarm_tab, dependence_tab, row_tab = st.tabs(["Global importance", "Beeswarm", "Dependence", "Per row"])
    with global_tab:
        render_global_importance(explanation, labels, key="explain.global")
    with beeswarm_tab:
        render_beeswarm(values, features, order, key="explain.beeswarm")
    with dependence_tab:
        render_dependence(values, features, order, key="explain.dependence")
    with row_tab:
        render_waterfall(values, features, explanation, labels, key="explain.waterfall")


def review_results(explanation: Explanation, values: pd.DataFrame, features: pd.DataFrame, labels: LabelMap) -> None:
    """A review model's SHAP job: words instead of columns."""
    words_tab, classes_tab, reviews_tab = st.tabs(["Global importance (words)", "Top words per class", "Per review"])
    with words_tab:
        render_global_importance(explanation, labels, key="explain.global")
    with classes_tab:
        render_top_words(explanation.top_words, labels, key="explain.top_words")
    with reviews_tab:
        render_review_rows(values, features, explanation.explained_output, labels, key="explain.reviews")


def shap_section(model: ModelRecord) -> None:
    tables = [t.qualified_name for d in services.catalog.list_databases() for t in services.catalog.list_tables(d.name)]
    listed = explain_jobs()
    started = start_explanation(model, tables, listed)
    jobs = jobs_of_model(explain_jobs() if started else listed, model.model_id)  # listed again only when one started
    if not jobs:
        st.caption("No explanations of this model yet: pick the data and press **Explain**.")
        return
    if st.session_state.get(keys.EXPLAIN_JOB) not in [j.name for j in jobs]:
        st.session_state[keys.EXPLAIN_JOB] = jobs[0].name
    job = render_explain_job_picker(jobs, key=keys.EXPLAIN_JOB)
    if job is None:
        return
    if job.name == st.session_state.get(keys.EXPLAIN_REUSED):
        st.info(f"Reused **{job.name}**: this model was already explained on this data version with these settings.",
                icon=":material/cached:")
    if not job.finished:
        live_panel(job.name)
    elif job.status != "Completed":
        render_job_status(job)
    else:
        shap_results(job, model)


def review_section(model: ModelRecord) -> None:
    if not is_text(model):
        st.caption(f"**{model.model_id}** reads table columns. Word attributions need a review model that reads one text "
                   "column (text-tfidf or text-minilm): train one on demo.reviews_sentiment on the Train page.")
    submitted = render_review_form(key="explain.review")
    if submitted is not None:
        st.session_state.pop(keys.EXPLAIN_ATTRIBUTION, None)
        with st.spinner("Explaining the review…"):
            st.session_state[keys.EXPLAIN_ATTRIBUTION] = services.explain.explain_text(model.model_id, *submitted)
        st.session_state[keys.EXPLAIN_EXPLAINED] = st.session_state.get(keys.EXPLAIN_EXPLAINED, 0) + 1
    attribution = st.session_state.get(keys.EXPLAIN_ATTRIBUTION)
    if attribution is not None and attribution.model_id == model.model_id:
        count = st.session_state.get(keys.EXPLAIN_EXPLAINED, 0)  # each attribution's class picker starts at its prediction
        render_token_attribution(attribution, model_label_map(model), key=f"explain.tokens.{count}")


def quick_model_section(default_table: str) -> None:
    st.caption("Data Wrangler's Quick Model: a fast random forest on a seeded 70/30 split — how predictable is a target, "
               "and from which columns? Nothing is registered.")
    tables = [t for d in services.catalog.list_databases() for t in services.catalog.list_tables(d.name)]
    submitted = render_quick_model_form(tables, default_table, key="explain.quick")
    if submitted is not None:
        source, target, sql = submitted
        st.session_state.pop(keys.EXPLAIN_QUICK_RESULT, None)
        with st.spinner("Fitting a quick model…"):
            st.session_state[keys.EXPLAIN_QUICK_RESULT] = services.explain.quick_model(source, target, sql)
    result = st.session_state.get(keys.EXPLAIN_QUICK_RESULT)
    if result is not None:
        render_quick_model(result, key="explain.quick_result")


def is_text(model: ModelRecord) -> bool:
    return model.text_model


def guarded(section: Callable[..., None], *args: object) -> None:
    """One section's expected failure is shown in that section; the others still render."""
    try:
        section(*args)
    except ServiceError as error:
        show_error(error)


try:
    models = services.training.list_models()
except ServiceError as error:
    show_error(error)
    st.stop()
if not models:
    st.info("No registered models yet. Every completed training or Autopilot job registers one — a built-in algorithm "
            "on demo.wine or demo.reviews_sentiment takes seconds. You can still try a Quick Model below.",
            icon=":material/model_training:")
    st.page_link("pages/train.py", label="Train a model", icon=":material/model_training:")
    st.subheader("Quick Model")
    guarded(quick_model_section, "demo.wine")
    st.stop()

restore(keys.EXPLAIN_MODEL, models[0].model_id)
if st.session_state[keys.EXPLAIN_MODEL] not in [m.model_id for m in models]:
    st.session_state[keys.EXPLAIN_MODEL] = models[0].model_id
model = render_model_picker(models, key=keys.EXPLAIN_MODEL)
keep(keys.EXPLAIN_MODEL)
if model is not None:
    shap_tab, review_tab, quick_tab = st.tabs(["SHAP importances", "Review words", "Quick Model"])
    with shap_tab:
        guarded(shap_section, model)
    with review_tab:
        guarded(review_section, model)
    with quick_tab:
        guarded(quick_model_section, training_table(model))
