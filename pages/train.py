"""Train: Autopilot, a built-in algorithm, your own script, or a tuning job — on any catalog table."""

from __future__ import annotations

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
    render_script_form,
    render_tuning_form,
)
from services.errors import ServiceError
from services.models import Column, DataSource

ensure_app_navigation("pages/train.py")
st.title("Train")
services = get_services()


def pick_table() -> tuple[str, list[Column]]:
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
        return "", []
    found = services.catalog.get_table(database, table)
    return found.qualified_name, list(found.all_columns)


def open_job(name: str) -> None:
    st.session_state[keys.JOBS_SELECTED] = name
    st.switch_page("pages/jobs.py")


qualified, columns = pick_table()
if not qualified:
    st.info("Import or crawl a table on the Catalog page first.")
    st.stop()
source = DataSource(table=qualified)
with st.expander(f"Columns of {qualified}", icon=":material/schema:"):
    st.dataframe(pd.DataFrame([(c.name, c.type) for c in columns], columns=["column", "type"]), hide_index=True)

autopilot_tab, builtin_tab, script_tab, tuning_tab = st.tabs(["Autopilot (AutoML)", "Built-in algorithm", "Your script", "Tuning"])
rules = services.debugger.rule_catalog()
try:
    with autopilot_tab:
        # SageMaker Autopilot (CreateAutoMLJobV2) takes no Debugger rules; the local one evaluates them per candidate
        request = render_autopilot_form(source, columns, key="train.autopilot", rules=rules if services.is_local else None)
        if request is not None:
            open_job(services.training.start_autopilot_job(request))
    with builtin_tab:
        builtin = render_builtin_form(source, columns, key="train.builtin", rules=rules)
        if builtin is not None:
            open_job(services.training.start_training_job(builtin))
    with script_tab:
        script = render_script_form(default_source_dir=str(Path.cwd()), key="train.script", rules=rules)
        if script is not None:
            open_job(services.training.start_script_job(script))
    with tuning_tab:
        tuning = render_tuning_form(source, columns, key="train.tuning")
        if tuning is not None:
            open_job(services.training.start_tuning_job(tuning))
except ServiceError as error:
    show_error(error)
