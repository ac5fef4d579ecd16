"""Compare runs: every run across experiments and jobs, side by side."""

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
    metric_goal,
    metric_names,
    run_kind,
    runs_frame,
    seed_groups,
)

ensure_app_navigation("pages/compare.py")
st.title("Compare runs")
services = get_services()


@st.cache_data(ttl=10, show_spinner="Reading runs…")
def load_runs(experiment: str, backend_label: str) -> list[RunSummary]:
    return get_services().runs.list_runs(experiment, limit=5000)


def pick_runs(runs: list[RunSummary]) -> list[RunSummary]:
    """The runs the user picked, or the top three of the leaderboard when none are picked."""
    labels = {f"{r.name} · {r.run_id[:8]}": r for r in runs}
    chosen = st.multiselect("Runs to compare", list(labels), key="compare.selected",
                            placeholder="the top 3 of the leaderboard until you pick runs")
    return [labels[c] for c in chosen] or runs[:3]


try:
    experiments = services.runs.list_experiments()
    top = st.columns([2, 2, 2])
    experiment = top[0].selectbox("Experiment", ["(all)"] + experiments, key="compare.experiment")
    text = top[1].text_input("Filter", key=keys.COMPARE_FILTER, placeholder="run, job, input table or algorithm")
    all_runs = load_runs("" if experiment == "(all)" else experiment, services.backend_label)
    kinds = top[2].multiselect("Kinds", sorted({run_kind(r) for r in all_runs}), key="compare.kinds")
    runs = filter_runs(all_runs, text, kinds)
except ServiceError as error:
    show_error(error)
    st.stop()

if not runs:
    st.info("No runs yet. Train a model or start an Autopilot job on the Train page; every job logs its runs here.")
    st.stop()

metrics = metric_names(runs)
board_metric = st.selectbox("Leaderboard metric", metrics, key="compare.board_metric")
higher = st.toggle("Higher is better", value=metric_goal(board_metric or "") == "Maximize", key="compare.higher")
st.caption(f"{len(runs):,} runs")
board = leaderboard(runs, board_metric, higher) if board_metric else runs_frame(runs)
st.dataframe(board, hide_index=True, width="stretch", height=320, column_config={"run_id": None})
ranked = leaderboard(runs, board_metric, higher)["run_id"].tolist() if board_metric else []
by_id = {r.run_id: r for r in runs}
selected = pick_runs([by_id[i] for i in ranked] + [r for r in runs if r.run_id not in set(ranked)])
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
    render_curves(selected, metric_names(selected), services.runs.metric_history, key="compare.curves")
with tabs[5]:
    render_confusions(selected, services.runs.run_artifact, key="compare.confusion")
with tabs[6]:
    seeds = seed_groups(runs, metric_names(runs)[:4])
    if seeds.empty:
        st.caption("No runs differ only by their seed. Train the same configuration with other seeds to see mean ± std.")
    else:
        st.dataframe(seeds, hide_index=True, width="stretch")
with tabs[7]:
    render_fairness(fairness_frame(runs), key="compare.fairness")
