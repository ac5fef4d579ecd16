"""Label: ground truth for an endpoint's captured requests (or any table's rows), one item at a time, by keyboard."""

from __future__ import annotations

import streamlit as st

from components import keys
from components.label_views import (
    default_labeller,
    render_import_result,
    render_item,
    render_new_class,
    render_progress,
    render_undo,
)
from components.navigation import ensure_app_navigation
from components.score_views import label_name
from components.services import get_services, show_error
from components.state import hand_off, keep, restore
from services.errors import ServiceError
from services.labels.models import MAX_IMPORT_BYTES, QUEUE_ORDERS, LabelSource
from services.models import DataSource

ensure_app_navigation("pages/label.py")
st.title("Label")
st.caption("Give captured requests their true labels — the ground truth the model-quality monitor compares predictions "
           "with. Keys 1, 2, 3… pick a class, S skips, U undoes. Several people can label; their agreement is shown.")
services = get_services()
labels = services.labels
ENDPOINT, TABLE = "Endpoint", "Catalog table"
NONE = "(none)"


# -- the source and the settings ----------------------------------------------------------------------------------


def kept_selectbox(label: str, options: list[str], key: str, default: str | None, **kwargs: object) -> str | None:
    """A selectbox whose value survives page switches; a kept value no longer offered falls back to ``default``."""
    restore(key, default)
    if st.session_state.get(key) not in options:
        st.session_state[key] = default if default in options else (options[0] if options else None)
    value = st.selectbox(label, options, key=key, **kwargs)  # type: ignore[call-overload]
    keep(key)
    return value  # type: ignore[no-any-return]


def pick_endpoint() -> LabelSource | None:
    try:
        names = [e.name for e in services.endpoints.list_endpoints() if e.capture_percent > 0]
    except ServiceError as error:
        show_error(error)
        return None
    if not names:
        st.info("No endpoint captures its requests yet. Deploy a model on the Endpoints page with data capture on "
                "(a capture percentage above 0), score a few reviews, and they appear here to label.",
                icon=":material/label_off:")
        if st.button("Open the Endpoints page", key=keys.LABEL_OPEN_ENDPOINTS, icon=":material/dns:"):
            st.switch_page("pages/endpoints.py")
        return None
    name = kept_selectbox("Endpoint (its captured requests)", names, keys.LABEL_ENDPOINT, names[0])
    return LabelSource(endpoint=name) if name else None


def pick_table() -> LabelSource | None:
    databases = [d.name for d in services.catalog.list_databases()]
    left, right = st.columns(2)
    with left:
        database = kept_selectbox("Database", databases, keys.LABEL_DATABASE, "demo")
    tables = [t.name for t in services.catalog.list_tables(database)] if database else []
    with right:
        table = kept_selectbox("Table", tables, keys.LABEL_TABLE, "reviews_sentiment")
    if not (database and table):
        return None
    columns = [c.name for c in services.catalog.get_table(database, table).all_columns]
    cells = st.columns(4)
    with cells[0]:
        id_column = kept_selectbox("Id column", columns, keys.LABEL_ID_COLUMN, "review_id")
    with cells[1]:
        text_column = kept_selectbox("Text column", columns, keys.LABEL_TEXT_COLUMN, "review_body")
    with cells[2]:
        prediction = kept_selectbox("Prediction column (optional)", [NONE, *columns], keys.LABEL_PREDICTION_COLUMN, NONE)
    with cells[3]:
        probability = kept_selectbox("Probability column (optional)", [NONE, *columns], keys.LABEL_PROBABILITY_COLUMN, NONE)
    return LabelSource(database=database, table=table, id_column=id_column or "", text_column=text_column or "",
                       prediction_column="" if prediction == NONE else prediction or "",
                       probability_column="" if probability == NONE else probability or "")


def pick_source() -> LabelSource | None:
    restore(keys.LABEL_SOURCE_KIND, ENDPOINT)
    kind = st.radio("Label", [ENDPOINT, TABLE], key=keys.LABEL_SOURCE_KIND, horizontal=True)
    keep(keys.LABEL_SOURCE_KIND)
    return pick_endpoint() if kind == ENDPOINT else pick_table()


def pick_settings() -> tuple[str, bool, str]:
    """(order, show the model's prediction, labeller)."""
    left, middle, right = st.columns([2, 2, 3])
    restore(keys.LABEL_ORDER, QUEUE_ORDERS[0])
    order = left.radio("Order", QUEUE_ORDERS, key=keys.LABEL_ORDER, horizontal=True,
                       help="uncertainty: the model's least sure predictions first; random: a fair sample")
    restore(keys.LABEL_SHOW_PREDICTION, False)
    show = middle.toggle("Show the model's prediction", key=keys.LABEL_SHOW_PREDICTION)
    restore(keys.LABEL_LABELLER, default_labeller())
    labeller = right.text_input("Labeller", key=keys.LABEL_LABELLER, max_chars=64)
    for key in (keys.LABEL_ORDER, keys.LABEL_SHOW_PREDICTION, keys.LABEL_LABELLER):
        keep(key)
    return order, show, labeller.strip()


# -- actions (button callbacks: they run before the page, on the item the user saw) --------------------------------


def give_label(source: LabelSource, labeller: str, item_id: str, label: str, classes: tuple[str, ...]) -> None:
    try:
        given = labels.submit(source, item_id, label, labeller)
    except ServiceError as error:
        st.session_state[keys.LABEL_ERROR] = error
    else:
        st.session_state[keys.LABEL_NOTICE] = f"Labelled {given.item_id} as {label_name(given.label, classes)}."


def skip(source: LabelSource, labeller: str, item_id: str) -> None:
    try:
        labels.skip(source, item_id, labeller)
    except ServiceError as error:
        st.session_state[keys.LABEL_ERROR] = error
    else:
        st.session_state[keys.LABEL_NOTICE] = f"Skipped {item_id}."


def undo(source: LabelSource, labeller: str) -> None:
    try:
        taken = labels.undo(source, labeller)
    except ServiceError as error:
        st.session_state[keys.LABEL_ERROR] = error
        return
    st.session_state[keys.LABEL_NOTICE] = (f"Took back {taken.item_id} = {taken.label}; it is first in the queue again."
                                           if taken else "Took back your last action.")


def show_last_action() -> None:
    error = st.session_state.pop(keys.LABEL_ERROR, None)
    if error is not None:
        show_error(error)
    notice = st.session_state.pop(keys.LABEL_NOTICE, None)
    if notice:
        st.caption(notice)


# -- import, export, retrain ---------------------------------------------------------------------------------------


def import_labels(endpoint: str) -> None:
    st.caption("Model Monitor's ground-truth JSON lines, a CSV with `eventId` (or `event_id`) and `label` columns, "
               "or a SageMaker Ground Truth output manifest.")
    upload = st.file_uploader("Labels file", type=["jsonl", "json", "csv", "manifest"], key=keys.LABEL_IMPORT_FILE)
    if st.button("Import labels", key=keys.LABEL_IMPORT_RUN, disabled=upload is None, icon=":material/upload:"):
        assert upload is not None  # the button is disabled without a file
        try:
            upload.seek(0)
            result = labels.import_labels(endpoint, upload.name, upload.read(MAX_IMPORT_BYTES + 1))  # over: refused
        except ServiceError as error:
            st.session_state.pop(keys.LABEL_IMPORT_RESULT, None)
            show_error(error)
        else:
            st.session_state[keys.LABEL_IMPORT_RESULT] = (endpoint, result)
    shown = st.session_state.get(keys.LABEL_IMPORT_RESULT)
    if shown and shown[0] == endpoint:
        render_import_result(shown[1], key=keys.LABEL_IMPORT_VIEW)


def export_labels(endpoint: str) -> None:
    st.download_button("Download the ground truth (JSON lines)", data=lambda: labels.export_labels(endpoint),
                       file_name=f"{endpoint}-ground-truth.jsonl", mime="application/jsonlines",
                       key=keys.LABEL_EXPORT, icon=":material/download:", on_click="ignore")


def retrain(source: LabelSource) -> None:
    st.caption("Append the labelled items (text and majority label) to a training table as a new version of it.")
    databases = [d.name for d in services.catalog.list_databases()]
    cells = st.columns(4)
    with cells[0]:
        database = kept_selectbox("Database", databases, keys.LABEL_RETRAIN_DATABASE, "demo")
    tables = [t.name for t in services.catalog.list_tables(database)] if database else []
    with cells[1]:
        table = kept_selectbox("Training table", tables, keys.LABEL_RETRAIN_TABLE, "reviews_sentiment")
    columns = [c.name for c in services.catalog.get_table(database, table).columns] if database and table else []
    with cells[2]:
        text_column = kept_selectbox("Text column", columns, keys.LABEL_RETRAIN_TEXT_COLUMN, "review_body")
    with cells[3]:
        label_column = kept_selectbox("Label column", columns, keys.LABEL_RETRAIN_LABEL_COLUMN, "sentiment")
    if st.button("Append the labelled items", key=keys.LABEL_RETRAIN_RUN, icon=":material/playlist_add:",
                 disabled=not (table and text_column and label_column)):
        try:
            rows = labels.append_to_table(source, DataSource(table=f"{database}.{table}"), text_column or "",
                                          label_column or "")
        except ServiceError as error:
            st.session_state.pop(keys.LABEL_RETRAINED, None)
            show_error(error)
        else:
            st.session_state[keys.LABEL_RETRAINED] = (database, table, rows)
    done = st.session_state.get(keys.LABEL_RETRAINED)
    if done:
        st.success(f"Appended {done[2]:,} labelled rows to {done[0]}.{done[1]}.", icon=":material/check_circle:")
        if st.button("Train on it", key=keys.LABEL_RETRAIN_TRAIN, type="primary", icon=":material/model_training:"):
            hand_off(keys.TRAIN_DATABASE, done[0])
            hand_off(keys.TRAIN_TABLE, done[1])
            st.switch_page("pages/train.py")


# -- the page ------------------------------------------------------------------------------------------------------


def label_queue(source: LabelSource, order: str, show: bool, labeller: str) -> None:
    queue = labels.queue(source, order=order, labeller=labeller, limit=1)
    for note in queue.notes:  # e.g. only the first 50,000 items are offered
        st.caption(note)
    if queue.items:
        item = queue.items[0]
        render_item(item, queue.classes, show_prediction=show, key=keys.LABEL_ITEM,
                    on_label=lambda item_id, label: give_label(source, labeller, item_id, label, queue.classes),
                    on_skip=lambda item_id: skip(source, labeller, item_id))
        if queue.open_classes:  # a table without a label column, a model without classes: any label is taken
            render_new_class(item, key=keys.LABEL_NEW_CLASS,
                             on_label=lambda item_id, label: give_label(source, labeller, item_id, label, queue.classes))
    elif not queue.total:
        st.info(f"{source.label} has no rows to label. Pick another table, or an endpoint's captured requests.",
                icon=":material/label_off:")
    else:
        st.success(f"Nothing left for {labeller} to label in {source.label}: every item has your label or was "
                   "skipped.", icon=":material/task_alt:")
        if source.is_endpoint and st.button("Open Monitoring (model quality)", key=keys.LABEL_OPEN_MONITORING,
                                            icon=":material/monitor_heart:"):
            hand_off(keys.MONITORING_ENDPOINT, source.endpoint)
            st.switch_page("pages/monitoring.py")
    render_undo(on_undo=lambda: undo(source, labeller), key=keys.LABEL_UNDO)
    render_progress(labels.progress(source), labeller, key=keys.LABEL_PROGRESS)


try:
    source = pick_source()
except ServiceError as error:  # e.g. the table was deleted while the page was open
    show_error(error)
    st.stop()
if source is None:
    st.stop()
order, show, labeller = pick_settings()
if not labeller:
    st.warning("Type your name as labeller: labels are kept per person.", icon=":material/person:")
    st.stop()
show_last_action()
try:
    label_queue(source, order, show, labeller)
except ServiceError as error:
    show_error(error)
    st.stop()
st.divider()
tabs = st.tabs(["Import labels", "Export", "Retrain with the new labels"])
with tabs[0]:
    if source.is_endpoint:
        import_labels(source.endpoint)
    else:
        st.caption("Imports match captured event ids: pick an endpoint as the source to import labels for it.")
with tabs[1]:
    if source.is_endpoint:
        export_labels(source.endpoint)
    else:
        st.caption("The ground truth files are an endpoint's: pick an endpoint to export them.")
with tabs[2]:
    try:
        retrain(source)
    except ServiceError as error:  # the catalog could not list the tables or columns to append to
        show_error(error)
