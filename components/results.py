"""Query results: statistics, the capped grid, downloads, a quick chart, and the scan estimate."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlparse

import pandas as pd
import plotly.express as px
import streamlit as st

from components.formatting import human_bytes, human_cost, human_ms
from services.models import DownloadTicket, QueryResult, ScanEstimate, athena_cost_usd
from services.query.models import chart_defaults, minimum_charge_note

CHART_KINDS = ("bar", "line", "scatter", "histogram")
WILDCARD_HOSTS = ("", "0.0.0.0", "::")


def render_estimate(estimate: ScanEstimate, warning: str) -> None:
    """Bytes to scan and the Athena price of it, before anything runs."""
    tables = ", ".join(estimate.tables) or "no tables"
    st.caption(
        f":material/database: Will scan about **{human_bytes(estimate.bytes_to_scan)}** from {tables} "
        f"— on Athena ≈ **{human_cost(estimate.athena_cost_usd)}** at $5 per TB."
    )
    note = minimum_charge_note(estimate.bytes_to_scan)
    if note:
        st.caption(f":material/info: {note}")
    if estimate.unfiltered_partitioned_tables:
        st.warning(warning, icon=":material/warning:")


def render_result(result: QueryResult, *, key: str, download_url: Callable[[str], str]) -> None:
    """Statistics, notices, the grid and links that stream the full result (``download_url(fmt)``)."""
    stats = result.statistics
    cols = st.columns(4)
    cols[0].metric("Rows", f"{stats.rows:,}")
    cols[1].metric("Run time", human_ms(stats.elapsed_ms))
    cols[2].metric("Data scanned", human_bytes(stats.bytes_scanned))
    cols[3].metric("Athena cost", human_cost(athena_cost_usd(stats.bytes_scanned)),
                   help=minimum_charge_note(stats.bytes_scanned) or "At $5 per TB scanned.")
    for notice in result.notices:
        st.info(notice, icon=":material/info:")
    st.dataframe(result.frame, hide_index=True, width="stretch", key=f"{key}.grid")
    left, right, _ = st.columns([1, 1, 3])
    # Links, not st.download_button: Streamlit keeps a download's whole bytes in memory. Each link works
    # once, so clicking reruns the page for fresh ones.
    left.link_button("Download CSV", download_url("csv"), icon=":material/download:", key=f"{key}.csv",
                     on_click="rerun")
    right.link_button("Download Parquet", download_url("parquet"), icon=":material/download:",
                      key=f"{key}.parquet", on_click="rerun")


def browser_url(ticket: DownloadTicket) -> str:
    """A one-time download link as the browser must write it."""
    host = ticket.host
    if host in WILDCARD_HOSTS:  # bound everywhere: the browser reaches it where it reached the app
        host = urlparse(st.context.url or "").hostname or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{ticket.port}{ticket.path}"


def render_quick_chart(frame: pd.DataFrame, *, key: str) -> None:
    """A plotly chart of the result from columns the user picks; it starts with a grouping key on x and the
    first measure that is not a grouping key on y (``chart_defaults``)."""
    if frame.empty:
        st.caption("No rows to chart.")
        return
    columns = [str(c) for c in frame.columns]
    numeric = [c for c in columns if pd.api.types.is_numeric_dtype(frame[c])]
    defaults = chart_defaults(frame)
    kind = st.segmented_control("Chart", CHART_KINDS, default="bar", key=f"{key}.kind") or "bar"
    left, middle, right = st.columns(3)
    x = left.selectbox("X axis", columns, index=columns.index(defaults.x), key=f"{key}.x")
    y_choices = numeric if kind != "histogram" else ["(count)"] + numeric
    y = middle.selectbox("Y axis", y_choices, index=_default_y(y_choices, x, defaults.y if kind != "histogram" else None),
                         key=f"{key}.y")
    color = right.selectbox("Colour by", ["(none)"] + columns, key=f"{key}.color")
    if kind != "histogram" and not numeric:
        st.caption("Pick a result with a numeric column to chart it.")
        return
    st.plotly_chart(_figure(frame, kind, x, y, None if color == "(none)" else color), key=f"{key}.figure")


def _default_y(choices: list[str], x: str, measure: str | None) -> int:
    if measure in choices and measure != x:
        return choices.index(measure)
    others = [i for i, c in enumerate(choices) if c != x]
    return others[0] if others else 0


def _figure(frame: pd.DataFrame, kind: str, x: str, y: str | None, color: str | None):  # type: ignore[no-untyped-def]
    if kind == "histogram":
        return px.histogram(frame, x=x, y=None if y == "(count)" else y, color=color)
    draw = {"bar": px.bar, "line": px.line, "scatter": px.scatter}[kind]
    return draw(frame, x=x, y=y, color=color)
