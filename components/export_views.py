"""The Export page's views: what the file will hold (a count per section), the download button and a preview."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from services.export.models import SectionSummary, SessionExport

PREVIEW_HEIGHT = 720


def sections_frame(sections: tuple[SectionSummary, ...]) -> pd.DataFrame:
    """One row per section: its items in the file and a note (left out by the cap, nothing yet, unreadable)."""
    def note(section: SectionSummary) -> str:
        if section.error:
            return f"could not be read: {section.error}"
        if section.more:
            return "the newest only (older ones left out)"
        return "nothing yet" if section.count == 0 else ""
    return pd.DataFrame({"section": [s.title for s in sections], "items": [s.count for s in sections],
                         "note": [note(s) for s in sections]})


def render_export(exported: SessionExport, file_name: str, *, key: str) -> None:
    """The counts, the download button and the document in a frame (the same bytes the button gives)."""
    st.markdown("**What the file includes**")
    st.dataframe(sections_frame(exported.sections), hide_index=True, width="stretch", key=f"{key}.sections")
    st.download_button("Download the session (HTML)", data=exported.html, file_name=file_name, mime="text/html",
                       key=key, type="primary", icon=":material/download:")
    st.caption(f"{file_name} · {exported.size_bytes / 1024:,.0f} KB · read {exported.created_at[:19].replace('T', ' ')} UTC · "
               "opens in any browser with the network off: no script, no external file.")
    with st.expander("Preview", expanded=True):
        st.iframe(exported.html, height=PREVIEW_HEIGHT)
