"""Bias page (being written)."""

import streamlit as st

from components.navigation import ensure_app_navigation

ensure_app_navigation("pages/bias.py")
st.title("Bias")
