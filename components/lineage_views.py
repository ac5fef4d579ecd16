"""Lineage views: the graph (Graphviz, drawn offline by Streamlit), the table view and the plain-words answer."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from services.lineage.models import (
    CODE,
    DATASET,
    ENDPOINT,
    IMAGE,
    MODEL,
    PROCESSING_JOB,
    TRAINING_JOB,
    TRANSFORM_JOB,
    TYPE_COLOURS,
    LineageGraph,
)

GRAPH_LIMIT = 60  # more vertices than this are unreadable as a drawing: the table view only
JOB_TYPES = (TRAINING_JOB, PROCESSING_JOB, TRANSFORM_JOB)


def render_lineage(graph: LineageGraph, *, key: str) -> None:
    """The answer in words, then the graph and the table view in tabs."""
    render_summary(graph)
    if graph.truncated:
        st.warning(f"More entities are connected than the {len(graph.vertices)} shown. Lower the depth, or use the "
                   "CLI (`python -m services lineage … --max-vertices N`) for all of them.", icon=":material/warning:")
    drawing, table = st.tabs(["Graph", "Table"])
    with drawing:
        if len(graph.vertices) > GRAPH_LIMIT:
            st.info(f"{len(graph.vertices)} entities are too many to draw; the Table tab lists them all.",
                    icon=":material/table:")
        else:
            st.graphviz_chart(graph.to_dot(), width="stretch")
            render_legend(graph)
    with table:
        st.dataframe(pd.DataFrame(graph.vertex_rows()), hide_index=True, key=f"{key}.vertices")
        if graph.edges:
            st.dataframe(pd.DataFrame(graph.edge_rows()), hide_index=True, key=f"{key}.edges")


def render_summary(graph: LineageGraph) -> None:
    """What the graph says, in the two questions the page answers."""
    data = _names(graph, DATASET)
    code = _names(graph, CODE, IMAGE)
    jobs = _names(graph, *JOB_TYPES)
    lines = []
    if graph.direction in ("Ascendants", "Both") and (data or jobs):
        lines.append(f"**Built from** data {_listed(data)}; code and images {_listed(code)}; jobs {_listed(jobs)}.")
    if graph.direction in ("Descendants", "Both"):
        downstream = graph.of_type(MODEL, ENDPOINT, *JOB_TYPES)
        if downstream:
            lines.append(f"**Downstream:** {len(downstream)} jobs, models and endpoints — "
                         f"models {_listed(_names(graph, MODEL))}; endpoints {_listed(_names(graph, ENDPOINT))}.")
    for line in lines:
        st.markdown(line)


def render_legend(graph: LineageGraph) -> None:
    types = sorted({v.type for v in graph.vertices if v.type})
    st.caption("  ".join(f"<span style='background:{TYPE_COLOURS.get(t, '#eeeeee')};padding:0 6px;"
                         f"border-radius:4px'>{t}</span>" for t in types), unsafe_allow_html=True)


def _names(graph: LineageGraph, *types: str) -> list[str]:
    return [v.name or v.arn for v in graph.of_type(*types)]


def _listed(names: list[str]) -> str:
    if not names:
        return "none recorded"
    shown = ", ".join(f"`{n}`" for n in names[:8])
    return shown + (f" and {len(names) - 8} more" if len(names) > 8 else "")
