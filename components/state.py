"""Keep widget values across page switches.

Streamlit drops a widget's state when a run does not render it (e.g. on another page), so the
Query page would lose the user's SQL. A shadow copy outside the widget's key survives.
"""

from __future__ import annotations

from typing import Any

import streamlit as st


def _shadow(key: str) -> str:
    return f"_kept.{key}"


def restore(key: str, default: Any) -> None:
    """Before the widget renders: bring back its last value (or a hand-off value set under ``key``)."""
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get(_shadow(key), default)


def keep(key: str) -> None:
    """After the widget renders: remember its value for the next visit."""
    if key in st.session_state:
        st.session_state[_shadow(key)] = st.session_state[key]


def hand_off(key: str, value: Any) -> None:
    """Set another page's widget value before switching to it (and keep it for later visits)."""
    st.session_state[key] = st.session_state[_shadow(key)] = value
