"""Lineage: which data and code built a model, what is downstream of a table — around any table, model, endpoint or job."""

from __future__ import annotations

import streamlit as st

from components import keys
from components.lineage_views import render_lineage
from components.navigation import ensure_app_navigation
from components.services import get_services, show_error
from services.errors import NotFound, ServiceError
from services.lineage.models import MAX_DEPTH, LineageStart

ensure_app_navigation("pages/lineage.py")
st.title("Lineage")
st.caption("Every job, table version, registered model, deploy and monitoring report is recorded in SageMaker's lineage "
           "model: artifacts, actions, contexts and jobs, linked by ContributedTo, Produced, DerivedFrom and AssociatedWith.")
services = get_services()
KINDS = {"table": "Table", "model": "Model", "endpoint": "Endpoint", "job": "Job", "arn": "ARN"}
DIRECTIONS = {"upstream": "Upstream", "downstream": "Downstream", "both": "Both"}


def entity_widget(kind: str) -> str:
    return f"lineage.entity.{kind}"


def take_hand_over() -> None:
    """A (kind, entity) another page handed over: selected before the pickers exist."""
    handed = st.session_state.pop(keys.LINEAGE_START, None)
    if handed:
        kind, entity = handed
        st.session_state[keys.LINEAGE_KIND] = kind
        widget = "lineage.arn" if kind == "arn" else entity_widget(kind)
        st.session_state[widget] = entity


def entity_options(kind: str) -> list[str]:
    """What the picker offers for ``kind``, from the ports that own those entities."""
    if kind == "table":
        return [t.qualified_name for d in services.catalog.list_databases() for t in services.catalog.list_tables(d.name)]
    if kind == "model":
        return [m.model_id for m in services.training.list_models()]
    if kind == "endpoint":
        return [e.name for e in services.endpoints.list_endpoints()]
    return [j.name for j in services.jobs.list_jobs(status="Completed", limit=100)]


def ask(direction: str) -> None:
    """A one-click question: the whole way (MaxDepth 10) in one direction."""
    st.session_state[keys.LINEAGE_DIRECTION] = direction
    st.session_state[keys.LINEAGE_DEPTH] = MAX_DEPTH


take_hand_over()
kind = st.segmented_control("Start from", list(KINDS), format_func=KINDS.__getitem__, key=keys.LINEAGE_KIND,
                            default="model") or "model"
try:
    options = [] if kind == "arn" else entity_options(kind)
except ServiceError as error:
    show_error(error)
    st.stop()
if kind == "arn":
    entity = st.text_input("ARN", key="lineage.arn", placeholder="arn:aws:sagemaker:…:artifact/…").strip()
elif options:
    entity = st.selectbox(KINDS[kind], options, key=entity_widget(kind)) or ""
else:
    entity = ""
    st.info(f"No {KINDS[kind].lower()}s yet. Lineage appears when a job runs: train a model on the Train page, "
            "import a table on the Catalog page or deploy a model on the Endpoints page.", icon=":material/account_tree:")
    st.page_link("pages/train.py", label="Train a model", icon=":material/model_training:")
left, right = st.columns(2)
direction = left.segmented_control("Direction", list(DIRECTIONS), format_func=DIRECTIONS.__getitem__,
                                   key=keys.LINEAGE_DIRECTION, default="both") or "both"
depth = right.slider("Depth (hops)", 1, MAX_DEPTH, 3, key=keys.LINEAGE_DEPTH)
one, two = st.columns(2)
one.button("Which data and code built this model?", icon=":material/north_west:", key="lineage.built_from",
           on_click=ask, args=("upstream",), disabled=kind != "model" or not entity)
two.button("What is downstream of this table?", icon=":material/south_east:", key="lineage.downstream",
           on_click=ask, args=("downstream",), disabled=kind != "table" or not entity)

if entity:
    try:
        graph = services.lineage.query_lineage(LineageStart(kind, entity), direction, depth)
    except NotFound as error:
        st.info(f"{error.message} {error.hint}", icon=":material/account_tree:")
    except ServiceError as error:
        show_error(error)
    else:
        if graph.empty:
            st.info(f"Nothing is linked to {entity} {DIRECTIONS[direction].lower()} yet. Lineage grows as jobs run: "
                    "train on it, register or deploy a model, score a batch.", icon=":material/account_tree:")
        render_lineage(graph, key="lineage.view")
