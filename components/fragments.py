"""Fragments that watch work in the background.

A ``@st.fragment(run_every=…)`` body runs two ways: on its own (its timer or its own widget), and inline, as part of
a full run of the page. Rerunning the whole app from the inline case restarts the run before the rest of the page is
drawn, which drops whatever the user just did further down (a form's submit, and the error it showed).
"""

from __future__ import annotations

from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx


def fragment_ran_alone() -> bool:
    """True when this run is a fragment's own rerun; False in a full run of the page (or outside a session)."""
    context = get_script_run_ctx()
    return bool(context and context.fragment_ids_this_run)
