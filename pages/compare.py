"""Compare runs: every run across experiments and jobs, side by side, ranked on one metric name."""

from __future__ import annotations

import streamlit as st

from components import keys
from components.compare_views import (
    render_confusions,
    render_curves,
    render_fairness,
    render_metric_bars,
    render_parallel,
    render_param_diff,
    render_scatter,
)
from components.navigation import ensure_app_navigation
from components.services import get_services, show_error
from services.errors import ServiceError
from services.models import RunSummary
from services.runs.models import (
    fairness_frame,
    filter_runs,
    leaderboard,
    logged_metric_names,
    metric_goal,
    metric_names,
    ranked_runs,
    run_confusions,
    run_kind,
    seed_groups,
)

ensure_app_navigation("pages/compare.py")
st.title("Compare runs")
services = get_services()


@st.cache_data(ttl=10, show_spinner=False)
def load_experiments(backend_label: str) -> list[str]:
    return get_services().runs.list_experiments()


@st.cache_data(ttl=10, show_spinner=False)
def load_runs(experiment: str, backend_label: str) -> list[RunSummary]:
    return get_services().runs.list_runs(experiment, limit=5000)


def pick_runs(runs: list[RunSummary]) -> list[RunSummary]:
    """The runs the user picked, or the top three of the leaderboard when none are picked."""
    labels = {f"{r.name} · {r.run_id[:8]}": r for r in runs}
    chosen = st.multiselect("Runs to compare", list(labels), key="compare.selected",
                            placeholder="the top 3 of the leaderboard until you pick runs")
    return [labels[c] for c in chosen] or runs[:3]


def no_runs_yet() -> None:
    """The empty store's first screen: what to do next, and a button that does it."""
    st.info("No runs yet. Every training, Autopilot and tuning job logs its runs here (metrics, parameters, "
            "confusion matrices); train a model to get the first one.", icon=":material/compare:")
    if st.button("Train a model", icon=":material/model_training:", type="primary", key=keys.COMPARE_TRAIN):
        st.switch_page("pages/train.py")
    st.stop()


def show_leaderboard(runs: list[RunSummary], metric: str, higher: bool) -> None:
    """Rank and the ranked metric pinned on the left, so they stay in view however wide the table is."""
    board = leaderboard(runs, metric, higher)
    st.dataframe(board, hide_index=True, width="stretch", height=320, column_config={
        "run_id": None,
        "rank": st.column_config.NumberColumn("rank", pinned=True),
        metric: st.column_config.NumberColumn(metric, format="%.4f", pinned=True,
                                              help=f"{metric_goal(metric)}d; ties go to the run that ended first"),
        "measured on": st.column_config.TextColumn("measured on", pinned=True,
                                                   help="The data split the value was computed on"),
    })
    missing = len(runs) - len(board)
    if missing:
        st.caption(f"{missing:,} of {len(runs):,} runs did not log {metric} and are not ranked.")


try:
    with st.spinner("Reading runs from the tracking store (MLflow)…"):
        experiments = load_experiments(services.backend_label)
        top = st.columns([2, 2, 2])
        experiment = top[0].selectbox("Experiment", ["(all)"] + experiments, key="compare.experiment")
        all_runs = load_runs("" if experiment == "(all)" else experiment, services.backend_label)
    text = top[1].text_input("Filter", key=keys.COMPARE_FILTER, placeholder="run, job, input table or algorithm")
    kinds = top[2].multiselect("Kinds", sorted({run_kind(r) for r in all_runs}), key="compare.kinds")
    runs = filter_runs(all_runs, text, kinds)
except ServiceError as error:
    show_error(error)
    st.stop()

if not all_runs and experiment == "(all)":
    no_runs_yet()
if not runs:
    st.info("No run matches the filter and kinds above. Clear them to see every run.", icon=":material/filter_alt_off:")
    st.stop()

metrics = metric_names(runs)
board_metric = st.selectbox("Leaderboard metric", metrics, key="compare.board_metric",
                            help="One name per metric: SageMaker's Accuracy, validation:accuracy and our jobs' "
                                 "accuracy are all 'accuracy'.")
higher = st.toggle("Higher is better", value=metric_goal(board_metric or "") == "Maximize", key="compare.higher")
st.caption(f"{len(runs):,} runs")
if board_metric:
    show_leaderboard(runs, board_metric, higher)
selected = pick_runs(ranked_runs(runs, board_metric or "", higher))
tabs = st.tabs(["Parameters", "Metrics", "Parallel coordinates", "Scatter", "Curves", "Confusion matrices", "Across seeds",
                "Fairness"])
with tabs[0]:
    render_param_diff(selected, key="compare.params")
with tabs[1]:
    render_metric_bars(selected, metric_names(selected), key="compare.bars")
with tabs[2]:
    render_parallel(selected, metric_names(selected), key="compare.parallel")
with tabs[3]:
    render_scatter(selected, metric_names(selected), key="compare.scatter")
with tabs[4]:
    render_curves(selected, logged_metric_names(selected), services.runs.metric_history, key="compare.curves")
with tabs[5]:
    render_confusions(*run_confusions(selected, all_runs, services.runs.run_artifact), key="compare.confusion")
with tabs[6]:
    seeds = seed_groups(runs, metric_names(runs)[:4])
    if seeds.empty:
        st.caption("No runs differ only by their seed. Train the same configuration with other seeds to see mean ± std.")
    else:
        st.dataframe(seeds, hide_index=True, width="stretch")
with tabs[7]:
    render_fairness(fairness_frame(runs), key="compare.fairness")
