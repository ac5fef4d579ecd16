"""Tour: being built (issue 14)."""

import streamlit as st

from components.navigation import ensure_app_navigation

ensure_app_navigation("pages/tour.py")
st.title("Tour")
st.info("This page is being built.")
