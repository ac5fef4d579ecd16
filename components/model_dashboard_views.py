"""Widgets of the model dashboard: the groups table (status badges, formatted metrics), the filters and one group's
detail (every version, the endpoints serving it, an approval action)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from services.dashboard.models import APPROVAL_STATUSES, NOT_DEPLOYED, ModelGroupRow, package_arn
from services.endpoints.models import NOT_ENOUGH_TRAFFIC
from services.models import ModelRecord

APPROVAL_COLORS = {"Approved": "green", "PendingManualApproval": "orange", "Rejected": "red"}
DRIFT_COLORS = {"OK": "green", "Violations": "red", "Failed": "red", "No report yet": "gray", NOT_ENOUGH_TRAFFIC: "gray",
                NOT_DEPLOYED: "gray"}
DRIFT_STATES = ("OK", "Violations", "Failed", "No report yet", NOT_ENOUGH_TRAFFIC, "Pending", "InProgress", "Stopping",
                "Stopped", NOT_DEPLOYED)
DEPLOYMENT_FILTERS = {"all": "All", "deployed": "Deployed", "not_deployed": "Not deployed"}
ALL = "All"


@dataclass(frozen=True)
class DashboardFilters:
    approval: str  # "" for every status
    deployed: bool | None
    no_monitor_only: bool


def render_filters(*, key: str) -> DashboardFilters:
    """Approval status of the latest version, deployed or not, "no monitor" only."""
    approval, deployed, monitor = st.columns([2, 2, 1.3], vertical_alignment="bottom")
    status = approval.selectbox("Latest version's approval", [ALL, *APPROVAL_STATUSES], key=f"{key}.approval")
    where = deployed.segmented_control("Deployment", list(DEPLOYMENT_FILTERS), format_func=DEPLOYMENT_FILTERS.__getitem__,
                                       default="all", key=f"{key}.deployed") or "all"
    unwatched = monitor.checkbox("No monitor only", key=f"{key}.no_monitor",
                                 help="Deployed on an endpoint that no monitor watches (data capture off / no schedule).")
    return DashboardFilters("" if status == ALL else status, {"all": None, "deployed": True, "not_deployed": False}[where],
                            unwatched)


def metric_text(row: ModelGroupRow) -> str:
    return ", ".join(f"{m.name} {m.value:.3f} {'↑' if m.goal == 'Maximize' else '↓'}" for m in row.metrics[1:])


def counts_text(row: ModelGroupRow) -> str:
    return " · ".join(f"{status} {row.status_counts[status]}" for status in APPROVAL_STATUSES if status in row.status_counts)


def dashboard_frame(rows: list[ModelGroupRow]) -> pd.DataFrame:
    """One line per group; approval and drift as one-item lists, which the table draws as coloured badges."""
    objective = [r.metrics[0] if r.metrics else None for r in rows]
    return pd.DataFrame({
        "group": [r.group for r in rows], "latest": [r.latest.version for r in rows],
        "approval": [[r.latest.approval_status] for r in rows], "versions by status": [counts_text(r) for r in rows],
        "objective": [f"{m.name} {'↑' if m.goal == 'Maximize' else '↓'}" if m else "" for m in objective],
        "value": [m.value if m else None for m in objective], "other metrics": [metric_text(r) for r in rows],
        "endpoints": [", ".join(r.endpoints) or NOT_DEPLOYED for r in rows],
        "variants": [", ".join(f"{s.endpoint}/{s.variant} v{s.model_id.rsplit('/', 1)[-1]}"
                               f"{' (shadow)' if s.shadow else f' {s.traffic_share:.0%}'}" for s in r.serving) for r in rows],
        "drift": [[r.drift] for r in rows], "no monitor": [r.no_monitor for r in rows],
        "created (UTC)": [r.latest.created_at[:19].replace("T", " ") for r in rows],
    })


def render_dashboard_table(rows: list[ModelGroupRow]) -> None:
    st.dataframe(dashboard_frame(rows), hide_index=True, width="stretch", height=min(36 * (len(rows) + 1) + 2, 560),
                 column_config={
                     "approval": st.column_config.MultiselectColumn(
                         "approval", options=list(APPROVAL_COLORS), color=list(APPROVAL_COLORS.values()),
                         help="The latest version's ModelApprovalStatus"),
                     "drift": st.column_config.MultiselectColumn(
                         "drift", options=list(DRIFT_STATES), color=[DRIFT_COLORS.get(s, "blue") for s in DRIFT_STATES],
                         help="The latest drift report of the endpoints serving the group (the worst of them)"),
                     "value": st.column_config.NumberColumn("value", format="%.3f", help="The latest version's objective"),
                     "latest": st.column_config.NumberColumn("latest", format="v%d"),
                     "no monitor": st.column_config.CheckboxColumn("no monitor", help="Deployed, but no monitor watches it"),
                 })


def versions_frame(versions: tuple[ModelRecord, ...]) -> pd.DataFrame:
    return pd.DataFrame({
        "version": [m.version for m in versions], "approval": [[m.approval_status] for m in versions],
        "metrics": [", ".join(f"{k} {v:.3f}" for k, v in m.metrics.items()) for m in versions],
        "framework": [m.framework for m in versions], "job": [m.job_name for m in versions],
        "created (UTC)": [m.created_at[:19].replace("T", " ") for m in versions],
        "ModelPackageArn": [package_arn(m) for m in versions],
    })


def serving_frame(row: ModelGroupRow) -> pd.DataFrame:
    status = {m.endpoint: m for m in row.monitoring}
    return pd.DataFrame({
        "endpoint": [s.endpoint for s in row.serving], "variant": [s.variant for s in row.serving],
        "model": [s.model_id for s in row.serving],
        "traffic": ["shadow (copies)" if s.shadow else f"{s.traffic_share:.0%}" for s in row.serving],
        "monitored": [status[s.endpoint].monitored for s in row.serving],
        "latest drift report": [status[s.endpoint].latest_status for s in row.serving],
        "report time (UTC)": [status[s.endpoint].report_time[:19].replace("T", " ") for s in row.serving],
        "detail": [status[s.endpoint].detail for s in row.serving],
    })


def render_group_detail(row: ModelGroupRow, *, key: str) -> tuple[str, str] | None:
    """Every version of the group and where it serves; returns (model id, approval status) when the user sets one."""
    st.dataframe(versions_frame(row.versions), hide_index=True, width="stretch", column_config={
        "approval": st.column_config.MultiselectColumn("approval", options=list(APPROVAL_COLORS),
                                                       color=list(APPROVAL_COLORS.values()))})
    if row.serving:
        st.dataframe(serving_frame(row), hide_index=True, width="stretch")
    else:
        st.caption("Not deployed: no endpoint serves a version of this group.")
    if row.no_monitor:
        st.warning("Deployed without a monitor: turn data capture on for its endpoints (or add a monitoring schedule on "
                   "AWS) so drift reports watch the traffic.", icon=":material/visibility_off:")
    return render_approval(row, key=key)


def render_approval(row: ModelGroupRow, *, key: str) -> tuple[str, str] | None:
    version, approve, reject, pending = st.columns([2, 1, 1, 1.4], vertical_alignment="bottom")
    chosen = version.selectbox("Version", [m.model_id for m in row.versions], key=f"{key}.version")
    if approve.button("Approve", icon=":material/check_circle:", key=f"{key}.approve"):
        return chosen, "Approved"
    if reject.button("Reject", icon=":material/cancel:", key=f"{key}.reject"):
        return chosen, "Rejected"
    if pending.button("Back to pending", icon=":material/pending:", key=f"{key}.pending"):
        return chosen, "PendingManualApproval"
    return None
