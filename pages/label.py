"""Label (being built)."""

from __future__ import annotations

import streamlit as st

from components.navigation import ensure_app_navigation

ensure_app_navigation("pages/label.py")
st.title("Label")
