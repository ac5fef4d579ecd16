"""Widgets that show catalog objects: table lists, schemas, versions, partitions, properties."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.formatting import human_bytes
from services.models import Partition, Table


def render_table_summary(tables: list[Table], *, key: str) -> None:
    """Every table of a database at a glance: format, rows, size, partitioning, version."""
    summary = pd.DataFrame(
        {
            "table": [t.name for t in tables],
            "format": [t.format for t in tables],
            "rows": [int(t.parameters.get("recordCount", "-1")) for t in tables],
            "size": [human_bytes(int(t.parameters.get("sizeKey", "0"))) for t in tables],
            "partitioned by": [", ".join(k.name for k in t.partition_keys) or "–" for t in tables],
            "version": [t.version_id for t in tables],
            "location": [t.location for t in tables],
        }
    )
    st.dataframe(summary, hide_index=True, width="stretch", key=key)


def render_table_picker(tables: list[Table], *, key: str) -> Table | None:
    """A picker over the database's tables; returns the chosen table."""
    if not tables:
        st.info("This database has no tables yet. Import a file or crawl a lake folder below.")
        return None
    names = [t.name for t in tables]
    chosen = st.selectbox("Table", names, key=key)
    return next((t for t in tables if t.name == chosen), None)


def schema_frame(table: Table) -> pd.DataFrame:
    rows = [(c.name, c.type, c.comment, "") for c in table.columns]
    rows += [(k.name, k.type, k.comment, "partition key") for k in table.partition_keys]
    return pd.DataFrame(rows, columns=["column", "type", "comment (original header)", "role"])


def render_schema(table: Table, *, key: str) -> None:
    st.dataframe(schema_frame(table), hide_index=True, width="stretch", key=key)


def render_properties(table: Table, *, key: str) -> None:
    left, right = st.columns(2)
    left.markdown(f"**Location**  \n`{table.location}`")
    left.markdown(f"**Format**  \n{table.format} ({table.table_type})")
    left.markdown(f"**Created** {table.created_at or '–'}  \n**Updated** {table.updated_at or '–'}")
    right.markdown("**Parameters**")
    right.dataframe(
        pd.DataFrame(sorted(table.parameters.items()), columns=["parameter", "value"]),
        hide_index=True, width="stretch", key=key,
    )


def versions_diff(old: Table, new: Table) -> pd.DataFrame:
    """Columns side by side across two versions, with what changed."""
    old_types = {c.name: c.type for c in old.all_columns}
    new_types = {c.name: c.type for c in new.all_columns}
    names = list(old_types) + [n for n in new_types if n not in old_types]
    rows = []
    for name in names:
        before, after = old_types.get(name), new_types.get(name)
        change = "added" if before is None else "removed" if after is None else "type changed" if before != after else ""
        rows.append((name, before or "–", after or "–", change))
    return pd.DataFrame(rows, columns=["column", f"version {old.version_id}", f"version {new.version_id}", "change"])


def render_versions(versions: list[Table], *, key: str) -> Table | None:
    """Pick two versions and see their schemas side by side; returns the older one picked, or
    ``None`` when there is only one version."""
    if len(versions) < 2:
        st.caption(f"Only version {versions[0].version_id} exists; a schema change on import or crawl adds one.")
        render_schema(versions[0], key=f"{key}.only")
        return None
    ids = [v.version_id for v in versions]
    left, right = st.columns(2)
    old_id = left.selectbox("Compare version", ids, index=1, key=f"{key}.old")
    new_id = right.selectbox("with version", ids, index=0, key=f"{key}.new")
    by_id = {v.version_id: v for v in versions}
    diff = versions_diff(by_id[old_id], by_id[new_id])
    st.dataframe(diff, hide_index=True, width="stretch", key=f"{key}.diff")
    return by_id[old_id]


def render_version_rows(version: Table, frame: pd.DataFrame, *, key: str) -> None:
    """The first rows of one (possibly replaced) version, as it was imported."""
    st.caption(f"Version {version.version_id} (written {version.updated_at or '–'}): first {len(frame)} rows "
               f"from `{version.location}`")
    st.dataframe(frame, hide_index=True, width="stretch", key=key)


def render_partitions(partitions: list[Partition], keys: list[str], *, key: str) -> Partition | None:
    """Partitions with file counts and sizes; returns the one picked for preview."""
    if not partitions:
        st.caption("This table is not partitioned.")
        return None
    frame = pd.DataFrame(
        {
            "partition": ["/".join(f"{k}={v}" for k, v in zip(keys, p.values)) for p in partitions],
            "files": [p.file_count for p in partitions],
            "size": [human_bytes(p.size_bytes) for p in partitions],
            "location": [p.location for p in partitions],
        }
    )
    st.dataframe(frame, hide_index=True, width="stretch", key=f"{key}.table")
    labels = list(frame["partition"])
    chosen = st.selectbox("Partition", labels, key=f"{key}.pick")
    return partitions[labels.index(chosen)] if chosen in labels else None


def columns_frame(tables: list[Table]) -> pd.DataFrame:
    rows = [(t.name, c.name, c.type + (" (partition)" if c in t.partition_keys else "")) for t in tables for c in t.all_columns]
    return pd.DataFrame(rows, columns=["table", "column", "type"])


def render_schema_browser(database: str, tables: list[Table], *, key: str) -> None:
    """Every column of the database's tables, filterable: what to type in the editor."""
    with st.expander(f"Tables and columns in {database}", icon=":material/schema:"):
        needle = st.text_input("Filter", key=f"{key}.filter", placeholder="table or column name")
        frame = columns_frame(tables)
        if needle:
            mask = frame["table"].str.contains(needle, case=False) | frame["column"].str.contains(needle, case=False)
            frame = frame[mask]
        st.dataframe(frame, hide_index=True, width="stretch", height=240)
