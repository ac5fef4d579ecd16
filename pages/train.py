"""Train: Autopilot, a built-in algorithm, your own script, or a tuning job — on any catalog table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st

from components import keys
from components.navigation import ensure_app_navigation
from components.services import get_services, show_error
from components.state import keep, restore
from components.train_forms import (
    render_autopilot_form,
    render_builtin_form,
    render_leakage_warning,
    render_script_form,
    render_target_picker,
    render_tuning_form,
)
from services.errors import ServiceError
from services.models import Column, DataSource
from services.training.models import LeakageCheck, leakage_check

ensure_app_navigation("pages/train.py")
st.title("Train")
services = get_services()


def pick_table() -> tuple[str, str, list[Column]]:
    databases = [d.name for d in services.catalog.list_databases()]
    restore(keys.TRAIN_DATABASE, "demo" if "demo" in databases else (databases[0] if databases else None))
    left, right = st.columns(2)
    database = left.selectbox("Database", databases, key=keys.TRAIN_DATABASE)
    tables = [t.name for t in services.catalog.list_tables(database)] if database else []
    if st.session_state.get(keys.TRAIN_TABLE) not in tables:
        st.session_state.pop(keys.TRAIN_TABLE, None)
    restore(keys.TRAIN_TABLE, "reviews_sentiment" if "reviews_sentiment" in tables else (tables[0] if tables else None))
    table = right.selectbox("Table", tables, key=keys.TRAIN_TABLE)
    keep(keys.TRAIN_DATABASE)
    keep(keys.TRAIN_TABLE)
    if not database or not table:
        return "", "", []
    found = services.catalog.get_table(database, table)
    return found.qualified_name, found.version_id, list(found.all_columns)


@st.cache_data(ttl=600, show_spinner="Checking the columns for target leakage…", max_entries=64)
def leakage(table: str, version: str, target: str) -> LeakageCheck:
    """The leakage check of ``table`` at ``version`` for ``target`` (the version keys the cache: new data, new check)."""
    return leakage_check(services.query, DataSource(table=table, table_version=version), target)


def pick_target(key: str) -> str:
    """The target picker of one form, with the leakage warning for it right below."""
    target = render_target_picker(columns, key=key)
    try:
        render_leakage_warning(leakage(qualified, version, target))
    except ServiceError as error:  # the check is advice: a refused sample read must not block training
        st.caption(f"Could not check for target leakage: {error.message}")
    return target


def start_and_open(what: str, start: Callable[[], str]) -> None:
    """Start a job with its progress shown at once, then open it on the Jobs page."""
    with st.status(f"Starting the {what}…", expanded=False) as status:
        name = start()
        status.update(label=f"Started {name}; opening it on Jobs & models…", state="complete")
    st.session_state[keys.JOBS_SELECTED] = name
    st.switch_page("pages/jobs.py")


qualified, version, columns = pick_table()
if not qualified:
    st.info("No tables yet: training reads a catalog table. Import a file or crawl a lake folder on the Catalog page.",
            icon=":material/dataset:")
    st.page_link("pages/catalog.py", label="Import or crawl a table", icon=":material/dataset:")
    st.stop()
source = DataSource(table=qualified)
with st.expander(f"Columns of {qualified}", icon=":material/schema:"):
    st.dataframe(pd.DataFrame([(c.name, c.type) for c in columns], columns=["column", "type"]), hide_index=True)

autopilot_tab, builtin_tab, script_tab, tuning_tab = st.tabs(["Autopilot (AutoML)", "Built-in algorithm", "Your script", "Tuning"])
rules = services.debugger.rule_catalog()
try:
    with autopilot_tab:
        # SageMaker Autopilot (CreateAutoMLJobV2) takes no Debugger rules; the local one evaluates them per candidate
        target = pick_target("train.autopilot.target")
        request = render_autopilot_form(source, target, key="train.autopilot", rules=rules if services.is_local else None)
        if request is not None:
            start_and_open("Autopilot job", lambda: services.training.start_autopilot_job(request))
    with builtin_tab:
        target = pick_target("train.builtin.target")
        builtin = render_builtin_form(source, columns, target, key="train.builtin", rules=rules)
        if builtin is not None:
            start_and_open("training job", lambda: services.training.start_training_job(builtin))
    with script_tab:
        script = render_script_form(default_source_dir=str(Path.cwd()), key="train.script", rules=rules)
        if script is not None:
            start_and_open("script job", lambda: services.training.start_script_job(script))
    with tuning_tab:
        target = pick_target("train.tuning.target")
        tuning = render_tuning_form(source, target, key="train.tuning")
        if tuning is not None:
            start_and_open("tuning job", lambda: services.training.start_tuning_job(tuning))
except ServiceError as error:
    show_error(error)
