"""The equivalent AWS code of a page's main action, in an expander (``st.code`` has a copy button)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from services.errors import ServiceError

LABEL = "Show the code"
RequestT = TypeVar("RequestT")


def show_code(code: str, label: str = LABEL, nested: bool = False) -> None:
    """An expander holding ``code`` (Python), closed until opened, copyable; ``nested``: a popover instead, for a
    form that already sits in an expander (Streamlit does not nest expanders)."""
    with _box(label, nested):
        st.caption("The same action on AWS: awswrangler and the SageMaker Python SDK 3.x, with this form's values.")
        st.code(code, language="python")


def _box(label: str, nested: bool) -> Any:
    return st.popover(label, icon=":material/code:") if nested else st.expander(label, icon=":material/code:")


def show_code_of(build: Callable[[], str], label: str = LABEL, nested: bool = False) -> None:
    """``show_code`` for code built from a form's values; a value the form would refuse shows why, not code."""
    try:
        code = build()
    except ServiceError as error:
        with _box(label, nested):
            st.caption(f"Fix the form to see its code: {error.message}")
        return
    show_code(code, label, nested)


def request_with_code(submitted: bool, build: Callable[[], RequestT], code: Callable[[RequestT], str],
                      nested: bool = False) -> RequestT | None:
    """For a form: show the code of its current values (``code(build())``); return ``build()`` once it was submitted,
    else None. Building before submission only previews: a value the form refuses shows in the expander."""
    show_code_of(lambda: code(build()), nested=nested)
    return build() if submitted else None
