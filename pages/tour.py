"""Tour: the practical data-science loop in seven steps on the demo reviews — each a real action with one button,
its result, and the equivalent code on AWS beside it. Steps remember their results for the later ones."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import streamlit as st

import services.tour.models as tour
from components import keys
from components.navigation import ensure_app_navigation
from components.services import get_services, show_error
from components.tour_views import (
    render_bias,
    render_endpoint,
    render_endpoint_progress,
    render_explanation,
    render_job_progress,
    render_query,
    render_ranking,
    render_score,
    render_step,
    render_training,
)
from services.errors import ServiceError

UNFINISHED_JOB = ("InProgress", "Stopping")
SETTLED_ENDPOINT = ("InService", "Failed", "OutOfService")

ensure_app_navigation("pages/tour.py")
st.title("Tour")
st.caption("The practical data-science loop on the demo reviews, in seven steps: query → bias → train → compare → "
           "explain → deploy → score. Click them in order; each does the real thing, and the code beside it does the "
           "same on AWS.")
services = get_services()
results: dict[str, Any] = st.session_state.setdefault(keys.TOUR_RESULTS, {})
errors: dict[str, ServiceError] = st.session_state.setdefault(keys.TOUR_ERRORS, {})
started: dict[str, float] = st.session_state.setdefault(keys.TOUR_STARTED, {})


def memory() -> tour.TourMemory:
    return st.session_state.setdefault(keys.TOUR_MEMORY, tour.TourMemory())


def remember(**fields: str) -> None:
    st.session_state[keys.TOUR_MEMORY] = memory().remember(**fields)


def run_train() -> None:
    name = services.training.start_training_job(tour.TRAINING_REQUEST)
    remember(job=name, model_id="", run_id="")
    results.pop("train", None)
    started["train"] = time.monotonic()


def run_explain() -> None:
    model_id = tour.review_model(services.training.list_models(), memory())
    remember(model_id=model_id)
    results["explain"] = services.explain.explain_text(model_id, tour.REVIEW, max_evals=tour.EXPLAIN_EVALS)


def run_deploy() -> None:
    model_id = tour.review_model(services.training.list_models(), memory())
    remember(model_id=model_id, endpoint="")
    plan = tour.deploy_plan(services.endpoints.list_endpoints(), model_id)
    if plan == "deploy":
        results["deploy"] = services.endpoints.deploy(tour.deploy_request(model_id))
    elif plan == "update":
        results["deploy"] = services.endpoints.update_endpoint(tour.ENDPOINT, tour.variants(model_id))
    else:
        results["deploy"] = services.endpoints.describe_endpoint(tour.ENDPOINT)
    started["deploy"] = time.monotonic()


def run_score() -> None:
    endpoint = tour.tour_endpoint(services.endpoints.list_endpoints(), memory())
    results["score"] = (endpoint, services.endpoints.score_text(endpoint, tour.REVIEW))


ACTIONS: dict[str, Callable[[], None]] = {
    "query": lambda: results.__setitem__("query", services.query.run(tour.SQL, tour.DATABASE)),
    "bias": lambda: results.__setitem__("bias", services.bias.analyze(tour.BIAS_REQUEST)),
    "train": run_train,
    "compare": lambda: results.__setitem__("compare", tour.ranking(services.runs.list_runs("", limit=1000))),
    "explain": run_explain,
    "deploy": run_deploy,
    "score": run_score,
}


def act(key: str) -> None:
    """Run step ``key``; an expected failure is kept and shown under its button."""
    errors.pop(key, None)
    try:
        ACTIONS[key]()
    except ServiceError as error:
        errors[key] = error


@st.fragment(run_every=1.0)
def follow_training(name: str) -> None:
    job = services.jobs.describe_job(name)
    if job.status in UNFINISHED_JOB:
        render_job_progress(job, time.monotonic() - started.get("train", time.monotonic()))
        return
    results["train"] = job
    remember(model_id=job.model_id, run_id=job.run_id)
    st.rerun()


@st.fragment(run_every=1.0)
def follow_endpoint(name: str) -> None:
    endpoint = services.endpoints.describe_endpoint(name)
    if endpoint.status not in SETTLED_ENDPOINT:
        render_endpoint_progress(endpoint, time.monotonic() - started.get("deploy", time.monotonic()))
        return
    results["deploy"] = endpoint
    if endpoint.status == "InService":
        remember(endpoint=endpoint.name)
    st.rerun()


RENDERERS: dict[str, Callable[[Any], None]] = {
    "query": render_query,
    "bias": render_bias,
    "train": render_training,
    "compare": lambda board: render_ranking(board, memory().run_id),
    "explain": render_explanation,
    "deploy": render_endpoint,
    "score": lambda scored: render_score(scored[1], tour.REVIEW, scored[0]),
}


def show_result(key: str) -> None:
    """A step's result, its error, or its progress while it runs in the background."""
    found: Any = results.get(key)
    if key in errors:
        show_error(errors[key])
    elif key == "train" and memory().job and found is None:
        follow_training(memory().job)
    elif key == "deploy" and found is not None and found.status not in SETTLED_ENDPOINT:
        follow_endpoint(found.name)
    elif found is not None:
        RENDERERS[key](found)


def is_done(key: str) -> bool:
    found: Any = results.get(key)
    if key in errors or found is None:
        return False
    if key == "train":
        return bool(found.status == "Completed")
    return key != "deploy" or bool(memory().endpoint)


for step in tour.STEPS:
    clicked = render_step(step, tour.step_code(step.key, memory()), run=lambda key=step.key: act(key),
                          result=lambda key=step.key: show_result(key), done=is_done(step.key),
                          key=f"{keys.TOUR_STEP}.{step.key}")
    if clicked:
        st.rerun()
