"""Make every page run through app.py's st.navigation, even when opened by a deep link.

Streamlit treats an app with a ``pages/`` folder as a legacy multipage app until the entry
script has called ``st.navigation`` once in this server process. A first request for
``/catalog`` would then run the page alone: no sidebar, no page config. The guard flips the
flag once and re-enters through app.py. AppTest resets the flag before every run (and a
re-entry there would drop the run's button clicks), so the guard only acts for browser
sessions, which send HTTP headers.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def ensure_app_navigation(page: str) -> None:
    """Call first on every page with the page's own path, e.g. ``"pages/query.py"``."""
    if PagesManager.uses_pages_directory and st.context.headers:
        PagesManager.uses_pages_directory = False
        st.switch_page(page)
