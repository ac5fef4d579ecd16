"""The equivalent AWS code of a page's main action, in an expander (``st.code`` has a copy button)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from services.errors import ServiceError

LABEL = "Show the code"


def show_code(code: str, label: str = LABEL) -> None:
    """An expander holding ``code`` (Python), closed until opened, copyable."""
    with st.expander(label, icon=":material/code:"):
        st.caption("The same action on AWS: awswrangler and the SageMaker Python SDK 3.x, with this form's values.")
        st.code(code, language="python")


def show_code_of(build: Callable[[], str], label: str = LABEL) -> None:
    """``show_code`` for code built from a form's values; a value the form would refuse shows why, not code."""
    try:
        code = build()
    except ServiceError as error:
        with st.expander(label, icon=":material/code:"):
            st.caption(f"Fix the form to see its code: {error.message}")
        return
    show_code(code, label)
