"""The Tour's pieces: a step's card (title, two lines, button, result) with its AWS code beside it, and the
compact result of each step. Plain data in; ``render_step`` returns whether the step's button was clicked."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from components.formatting import human_ms
from services.bias.models import BiasReport
from services.endpoints.models import Endpoint, ScoreResult
from services.explain.base import TokenAttribution
from services.label_map import label_map
from services.models import Job, QueryResult
from services.tour.models import TARGET, Step, bias_headline, bias_table, top_words


def render_step(step: Step, code: str, *, run: Callable[[], None], result: Callable[[], None] | None, done: bool,
                key: str) -> bool:
    """One step: what it does, its button (which calls ``run`` under a spinner), its result (``result`` draws it)
    and, beside it, the AWS code. Returns whether the button was clicked (the page then shows the new state)."""
    with st.container(border=True):
        left, right = st.columns([3, 2], gap="medium")
        with left:
            st.subheader(step.title + (" ✓" if done else ""), anchor=False)
            first, second = step.explanation.split("\n", 1)
            st.markdown(first)
            st.caption(second)
            clicked = st.button(step.button, key=f"{key}.run", type="secondary" if done else "primary")
            if clicked:
                with st.spinner(f"{step.button}…"):
                    run()
            elif result is not None:
                result()
        with right:
            st.caption("The same on AWS")
            st.code(code, language="python", height=260)
    return clicked


def render_query(result: QueryResult) -> None:
    st.dataframe(result.frame, hide_index=True, height=220)
    st.caption(f"{result.statistics.rows:,} rows · {human_ms(result.statistics.elapsed_ms)}")


def render_bias(report: BiasReport) -> None:
    st.markdown(bias_headline(report))
    st.dataframe(bias_table(report), hide_index=True, column_config={
        "CI": st.column_config.NumberColumn(format="%.3f", help="Class imbalance: 0 = the group is half the data"),
        "DPL": st.column_config.NumberColumn(format="%+.3f", help="Positive rate of the rest minus the group's"),
    })


def render_training(job: Job) -> None:
    metrics = ", ".join(f"{name} {value:.3f}" for name, value in sorted(job.metrics.items())[:4])
    if job.status == "Completed":
        st.success(f"Job `{job.name}` completed: model `{job.model_id}`" + (f" — {metrics}" if metrics else ""))
    else:
        st.error(f"Job `{job.name}` ended {job.status}: {job.failure_reason or 'no reason given'}")


def render_job_progress(job: Job, seconds: float) -> None:
    """A job still running: its status and the time it has taken so far."""
    st.status(f"Training job `{job.name}`: {job.secondary_status or job.status} · {seconds:,.0f} s", state="running")


def render_ranking(board: pd.DataFrame, highlight_run: str) -> None:
    shown = board.drop(columns=[c for c in ("run_id", "started", "experiment") if c in board.columns])
    st.dataframe(shown, hide_index=True, height=200)
    if highlight_run and "run_id" in board.columns:
        place = board.index[board["run_id"] == highlight_run].tolist()
        if place:
            st.caption(f"The tour's run is ranked {board.loc[place[0], 'rank']} of {len(board)}.")
    if len(board) < 2:
        st.caption("Only one run so far: train again with other hyperparameters on the Train page to compare.")


def render_explanation(attribution: TokenAttribution) -> None:
    labels = label_map(attribution.probabilities, TARGET)
    st.markdown(f"> {attribution.text}")
    st.markdown(f"Predicted **{labels.display(attribution.predicted_label)}**; the words that pushed hardest:")
    st.dataframe(top_words(attribution), hide_index=True,
                 column_config={"contribution": st.column_config.NumberColumn(format="%+.3f")})


def render_endpoint(endpoint: Endpoint) -> None:
    served = ", ".join(v.model_id for v in endpoint.variants)
    if endpoint.status == "InService":
        st.success(f"Endpoint `{endpoint.name}` is InService, serving `{served}`.")
    else:
        st.error(f"Endpoint `{endpoint.name}` is {endpoint.status}: {endpoint.failure_reason or 'no reason given'}")


def render_endpoint_progress(endpoint: Endpoint, seconds: float) -> None:
    st.status(f"Endpoint `{endpoint.name}`: {endpoint.status} · {seconds:,.0f} s", state="running")


def render_score(result: ScoreResult, text: str, endpoint: str) -> None:
    labels = label_map(result.probabilities, TARGET)
    st.markdown(f"> {text}")
    left, right = st.columns(2)
    left.metric("Predicted sentiment", labels.display(result.predicted_label))
    right.metric("Latency", human_ms(result.latency_ms))
    st.dataframe(pd.DataFrame({"class": labels.displays(), "probability": list(result.probabilities.values())}),
                 hide_index=True, column_config={"probability": st.column_config.ProgressColumn(min_value=0, max_value=1,
                                                                                                 format="%.2f")})
    st.caption(f"Scored by endpoint `{endpoint}`.")
