"""The Label page's widgets: one item to label with a button (and a key) per class, progress, agreement, imports."""

from __future__ import annotations

import getpass
from collections.abc import Callable

import pandas as pd
import streamlit as st

from components.score_views import label_name
from services.labels.models import ImportResult, LabelItem, LabelProgress

MAX_SHORTCUTS = 9  # classes 1…9 get a number key; more classes are labelled by click only
MAX_LISTED = 1_000  # unknown event ids and unreadable lines listed after an import (all are counted)


def default_labeller() -> str:
    """The OS user's name, or "me" when the system has none to give."""
    try:
        return getpass.getuser() or "me"
    except (OSError, KeyError):  # no USER/LOGNAME and no passwd entry (e.g. some containers)
        return "me"


def class_shortcut(position: int) -> str | None:
    """The number key of the class at ``position`` (0-based): "1", "2", … "9", then none."""
    return str(position + 1) if position < MAX_SHORTCUTS else None


def render_item(item: LabelItem, classes: tuple[str, ...], *, show_prediction: bool,
                on_label: Callable[[str, str], None], on_skip: Callable[[str], None], key: str) -> None:
    """The item, big, and its buttons: ``on_label(item_id, class)`` on a class, ``on_skip(item_id)`` on Skip.

    Callbacks bind the item shown, so a press labels what the user saw even if the queue moved meanwhile."""
    with st.container(border=True):
        st.markdown(f"### {item.text}" if "\n" not in item.text else item.text)
        if show_prediction and item.prediction:
            shown = f"**{label_name(item.prediction, classes)}**" + (f" ({item.probability:.0%})" if item.probability is not None else "")
            st.caption(f"The model said {shown}")
        details = [f"captured {item.captured_at}" if item.captured_at else "", f"id {item.item_id}"]
        if item.labels:
            details.append(f"labelled by {len(item.labels)} other(s)")
        st.caption(" · ".join(d for d in details if d))
    if not classes:
        st.caption("No classes yet: type the first one below.")
    buttons = st.columns(len(classes) + 1)
    for position, name in enumerate(classes):
        buttons[position].button(label_name(name, classes), key=f"{key}.class.{position}", type="primary",
                                 shortcut=class_shortcut(position), on_click=on_label, args=(item.item_id, name),
                                 width="stretch")
    buttons[-1].button("Skip", key=f"{key}.skip", shortcut="S", icon=":material/skip_next:",
                       on_click=on_skip, args=(item.item_id,), width="stretch")


def render_new_class(item: LabelItem, *, on_label: Callable[[str, str], None], key: str) -> None:
    """A class typed by hand (table sources, whose classes are the labels given so far): ``on_label(item_id, text)``
    when submitted (a callback, so it labels the item shown; the text stays in the box)."""
    text_key = f"{key}.text"

    def submitted() -> None:
        on_label(item.item_id, str(st.session_state.get(text_key, "")).strip())

    with st.form(key=key, clear_on_submit=False, border=False):
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        left.text_input("Another class", key=text_key, max_chars=128)
        right.form_submit_button("Label with it", icon=":material/new_label:", on_click=submitted)


def render_undo(*, on_undo: Callable[[], None], key: str) -> None:
    """Undo (key U): takes back this labeller's latest label or skip."""
    st.button("Undo", key=key, shortcut="U", icon=":material/undo:", on_click=on_undo)


def agreement_frame(progress: LabelProgress) -> pd.DataFrame:
    """One row per pair of labellers: items both labelled, percent agreement and Cohen's kappa."""
    rows = [{"labeller A": pair["a"], "labeller B": pair["b"], "items": pair["items"],
             "agreement %": round(float(pair["percent"]), 1),
             "kappa": None if pair.get("kappa") is None else round(float(pair["kappa"]), 3)}
            for pair in progress.agreement]
    return pd.DataFrame(rows, columns=["labeller A", "labeller B", "items", "agreement %", "kappa"])


def render_progress(progress: LabelProgress, labeller: str, *, key: str) -> None:
    """Labelled / total as a bar, this labeller's count, agreement between labellers and the label distribution."""
    fraction = progress.labelled / progress.total if progress.total else 0.0
    st.progress(min(fraction, 1.0), text=f"Labelled {progress.labelled:,} of {progress.total:,}")
    left, right = st.columns(2)
    left.metric("Your labels", f"{progress.by_labeller.get(labeller, 0):,}")
    right.metric("Labellers", f"{len(progress.by_labeller):,}")
    if progress.agreement:
        st.caption("Agreement between labellers (items both labelled)")
        st.dataframe(agreement_frame(progress), hide_index=True, key=f"{key}.agreement")
    elif len(progress.by_labeller) < 2:
        st.caption("Agreement shows once two people have labelled the same items.")
    if progress.distribution:
        st.caption("Ground truth by label (each item's majority label)")
        st.bar_chart(pd.Series(progress.distribution, name="items"), horizontal=True)


def render_import_result(result: ImportResult, *, key: str) -> None:
    """"Imported n, unknown event ids m", with the unknown ids and unreadable lines listed (never dropped silently)."""
    unknown = len(result.unknown_event_ids)
    message = f"Imported {result.imported:,}, unknown event ids {unknown:,}"
    if unknown or result.bad_lines:
        st.warning(message, icon=":material/warning:")
    else:
        st.success(message, icon=":material/check_circle:")
    if unknown:
        st.caption("These event ids match no captured request of the endpoint, so they were not stored"
                   + (f" (the first {MAX_LISTED:,} of {unknown:,}):" if unknown > MAX_LISTED else ":"))
        st.dataframe(pd.DataFrame({"unknown event id": list(result.unknown_event_ids[:MAX_LISTED])}), hide_index=True,
                     key=f"{key}.unknown")
    if result.bad_lines:
        bad = len(result.bad_lines)
        st.caption("Lines that could not be read" + (f" (the first {MAX_LISTED:,} of {bad:,}):" if bad > MAX_LISTED else ":"))
        st.code("\n".join(result.bad_lines[:MAX_LISTED]), language=None)
