"""Query history and saved queries: searchable lists the user picks from."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.formatting import human_bytes, human_ms
from services.models import HistoryEntry, SavedQuery


def _one_line(sql: str, width: int = 70) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _rows(entry: HistoryEntry) -> str:
    """A failed, cancelled or running execution has no row count: "—", not "None"."""
    return "—" if entry.rows is None else f"{entry.rows:,}"


def history_frame(entries: list[HistoryEntry]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "status": [e.status for e in entries],
            "submitted (UTC)": [e.submitted_at.replace("T", " ")[:19] for e in entries],
            "query": [_one_line(e.sql) for e in entries],
            "database": [e.database for e in entries],
            "rows": [_rows(e) for e in entries],
            "run time": [human_ms(e.elapsed_ms) for e in entries],
            "scanned": [human_bytes(e.bytes_scanned) for e in entries],
            "error": [e.error for e in entries],
        }
    )


def render_history(entries: list[HistoryEntry], *, key: str) -> HistoryEntry | None:
    """The history as a table and a picker; returns the picked entry. Failed and refused statements are listed
    too, with the reason in the error column (as Athena lists failed executions with their StateChangeReason)."""
    if not entries:
        st.caption("No queries match.")
        return None
    st.dataframe(history_frame(entries), hide_index=True, width="stretch", key=f"{key}.table",
                 column_config={"error": st.column_config.TextColumn(width="large")})
    labels = [f"{e.submitted_at[:19].replace('T', ' ')} · {e.status} · {_one_line(e.sql, 60)}" for e in entries]
    index = st.selectbox("Pick a query", range(len(entries)), format_func=labels.__getitem__, key=f"{key}.pick")
    return entries[index] if index is not None else None


def render_saved_queries(saved: list[SavedQuery], *, key: str) -> SavedQuery | None:
    """Saved queries with their descriptions; returns the picked one."""
    if not saved:
        st.caption("No saved queries yet. Write a query and use 'Save query' under the editor.")
        return None
    names = [s.name for s in saved]
    name = st.selectbox("Saved query", names, key=f"{key}.pick")
    chosen = saved[names.index(name)] if name in names else None
    if chosen is not None:
        st.caption(chosen.description or "No description.")
        st.code(chosen.sql, language="sql")
    return chosen
