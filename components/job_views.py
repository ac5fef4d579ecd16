"""Widgets for jobs: the list, status, live curves, leaderboards, insights and trials."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pandas as pd
import plotly.express as px
import streamlit as st

from services.label_map import label_map
from services.models import Candidate, Job, ModelRecord
from services.runs.models import metric_label

STATUS_ICONS = {"InProgress": ":material/progress_activity:", "Completed": ":material/check_circle:",
                "Failed": ":material/error:", "Stopping": ":material/pause_circle:", "Stopped": ":material/stop_circle:"}


def duration(job: Job) -> str:
    if not job.started_at:
        return "–"
    end = datetime.fromisoformat(job.ended_at) if job.ended_at else datetime.now(datetime.fromisoformat(job.started_at).tzinfo)
    seconds = (end - datetime.fromisoformat(job.started_at)).total_seconds()
    return f"{seconds:,.0f} s" if seconds < 120 else f"{seconds / 60:,.1f} min"


def jobs_frame(jobs: list[Job]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "job": [j.name for j in jobs], "kind": [j.kind for j in jobs], "status": [j.status for j in jobs],
            "stage": [j.secondary_status for j in jobs], "created (UTC)": [j.created_at[:19].replace("T", " ") for j in jobs],
            "duration": [duration(j) for j in jobs], "model": [j.model_id for j in jobs],
            "input": [(j.config.get("source") or {}).get("table", "") if isinstance(j.config.get("source"), dict) else "" for j in jobs],
        }
    )


def render_jobs_table(jobs: list[Job]) -> None:
    """Every job's status, stage and duration as of ``jobs`` (the same snapshot the job's detail shows)."""
    st.dataframe(jobs_frame(jobs), hide_index=True, width="stretch", height=min(38 * (len(jobs) + 1), 300))


def render_job_status(job: Job) -> None:
    icon = STATUS_ICONS.get(job.status, "")
    st.markdown(f"### {icon} {job.name}")
    cols = st.columns(4)
    cols[0].metric("Status", job.status)
    cols[1].metric("Stage", job.secondary_status)
    cols[2].metric("Duration", duration(job))
    cols[3].metric("Kind", job.kind)
    progress = job.result.get("progress")
    if progress is not None and not job.finished:
        st.progress(min(1.0, float(progress)), text=job.result.get("progress_message") or None)
    if job.failure_reason:
        st.error(job.failure_reason, icon=":material/error:")


def render_transitions(transitions: list[dict[str, str]]) -> None:
    frame = pd.DataFrame(transitions)
    if not frame.empty:
        frame["at"] = frame["at"].str.slice(11, 19)
        st.dataframe(frame, hide_index=True, width="stretch")


def render_metric_points(points: list[dict[str, Any]], *, key: str) -> None:
    """Live curves of what the job reported, one line per metric."""
    if not points:
        st.caption("No metrics reported yet.")
        return
    frame = pd.DataFrame(points)
    frame["x"] = frame["step"].fillna(frame["seconds"]) if "step" in frame else frame["seconds"]
    names = sorted(frame["name"].unique())
    chosen = st.multiselect("Metrics", names, default=names[:4], key=f"{key}.names")
    shown = frame[frame["name"].isin(chosen)]
    if not shown.empty:
        st.plotly_chart(px.line(shown, x="x", y="value", color="name", markers=len(shown) < 50,
                                labels={"x": "step"}), key=f"{key}.chart")


def render_metrics(metrics: dict[str, float], job_kind: str = "") -> None:
    """A job's final metrics, each named with the split it was measured on ("Accuracy (validation)")."""
    if not metrics:
        return
    items = list(metrics.items())[:8]
    cols = st.columns(min(4, len(items)))
    for index, (name, value) in enumerate(items):
        cols[index % len(cols)].metric(metric_label(name, job_kind), f"{value:.4f}" if isinstance(value, float) else value)


def render_leaderboard(candidates: list[Candidate]) -> None:
    if not candidates:
        st.caption("No candidates yet.")
        return
    objective = f"{candidates[0].objective_name or 'objective'} (validation)"  # Autopilot ranks on the validation split
    frame = pd.DataFrame(
        [{"rank": i + 1, "candidate": c.name, "algorithm": c.algorithm, objective: c.objective_value,
          "training time (s)": round(c.training_seconds, 1), "model": c.model_id} for i, c in enumerate(candidates)]
    )
    st.dataframe(frame, hide_index=True, width="stretch")
    best = candidates[0]
    st.success(f"Best candidate: **{best.name}** ({best.algorithm}) — {objective} = {best.objective_value}",
               icon=":material/emoji_events:")


def render_insights(insights: dict[str, Any], *, key: str) -> None:
    """Model insights of the best candidate: confusion matrix, ROC / PR curves, or residuals."""
    matrix = insights.get("confusion_matrix")
    if isinstance(matrix, dict) and matrix.get("matrix"):
        labels = label_map(matrix.get("labels") or matrix.get("classes") or []).displays()  # "negative (-1)", as every page
        figure = px.imshow(matrix["matrix"], x=labels or None, y=labels or None, text_auto=True,
                           color_continuous_scale="Blues", labels=dict(x="predicted", y="actual"), title="Confusion matrix")
        figure.update_xaxes(type="category").update_yaxes(type="category")  # class labels like "-1" are not numbers
        st.plotly_chart(figure, key=f"{key}.cm")
    for name, x_key, y_key in (("roc_curve", "fpr", "tpr"), ("precision_recall_curve", "recall", "precision")):
        curve = insights.get(name)
        if isinstance(curve, dict) and curve.get(x_key):
            st.plotly_chart(px.line(x=curve[x_key], y=curve[y_key], labels={"x": x_key, "y": y_key},
                                    title=name.replace("_", " ").capitalize()), key=f"{key}.{name}")
    residuals = insights.get("residuals")
    if isinstance(residuals, dict) and residuals.get("predicted"):
        st.plotly_chart(px.scatter(x=residuals["predicted"], y=residuals["residual"],
                                   labels={"x": "predicted", "y": "residual"}, title="Residuals"), key=f"{key}.res")


def render_importance(explainability: dict[str, Any], *, key: str) -> None:
    """Which columns the best candidate relies on (permutation importance on the test rows)."""
    importance = explainability.get("importance") or {}
    if not importance:
        return
    frame = pd.DataFrame(sorted(importance.items(), key=lambda kv: kv[1]), columns=["column", "importance"])
    title = f"Feature importance ({explainability.get('method', 'permutation')}, {explainability.get('objective', '')})"
    st.plotly_chart(px.bar(frame, x="importance", y="column", orientation="h", title=title), key=f"{key}.chart")


def render_notebooks(job_name: str, notebooks: dict[str, str], bundle: Callable[[], bytes], *, key: str) -> None:
    """Autopilot's two notebooks as one zip, made when the button is pressed (``bundle``): locally run top to bottom
    with their data; SageMaker's (``s3://`` locations, also named here) as it wrote them."""
    if not notebooks:
        return
    on_s3 = all(path.startswith("s3://") for path in notebooks.values())
    for label, path in notebooks.items():
        if on_s3:
            st.caption(f"{label.replace('_', ' ').capitalize()} notebook: `{path}`")
    st.download_button("Download the notebooks" + ("" if on_s3 else " (run, with their data)"), data=bundle,
                       file_name=f"{job_name}-notebooks.zip", mime="application/zip", key=f"{key}.bundle",
                       icon=":material/description:", on_click="ignore")
    if not on_s3:
        st.caption("Data exploration and candidate definition, with every output and the data/ folder they read. "
                   "The first download runs them (about half a minute); unzip and open them in Jupyter.")


def render_trials(result: dict[str, Any]) -> None:
    trials = result.get("trials") or []
    if not trials:
        return
    best = result.get("best_trial")
    frame = pd.DataFrame([{**{k: v for k, v in t.items() if k != "hyperparameters"}, **(t.get("hyperparameters") or {})}
                          for t in trials])
    frame.insert(0, "best", ["★" if t.get("number") == best else "" for t in trials])
    st.dataframe(frame, hide_index=True, width="stretch")


def render_processing_outputs(outputs: list[dict[str, Any]], tables: list[str], *, key: str) -> None:
    """A processing job's outputs: where each goes (S3 URI; locally its lake folder) and how many files arrived,
    and the catalog tables made from them (the built-in templates)."""
    st.markdown("**Outputs**")
    frame = pd.DataFrame(outputs)
    frame["files"] = frame["files"].map(lambda count: "–" if count is None else str(count))
    st.dataframe(frame, hide_index=True, width="stretch", key=f"{key}.outputs")
    if tables:
        st.caption("Registered as tables: " + ", ".join(f"`{table}`" for table in tables))


def models_frame(models: list[ModelRecord]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model": [m.model_id for m in models], "framework": [m.framework for m in models],
            "problem": [m.problem_type for m in models], "target": [m.target for m in models],
            "approval": [m.approval_status for m in models],
            "metrics": [", ".join(f"{metric_label(k, '')}={v:.3f}" for k, v in list(m.metrics.items())[:3]) for m in models],
            "job": [m.job_name for m in models], "created (UTC)": [m.created_at[:19].replace("T", " ") for m in models],
        }
    )
