"""The session export, composed over the query, bias, jobs, training, runs and endpoints ports (the page and the
CLI call ``build_export``; reading is in ``collect``, the document in ``render``, charts in ``svg``).

The file is bounded: each section keeps its newest items up to a cap (``collect.MAX_*``), long SQL and reviews
are cut, and the file says where it left something out.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.export.collect import SessionSources, collect_session
from services.export.data import SectionSummary, SessionExport
from services.export.render import render_html, section_summaries

__all__ = ["SectionSummary", "SessionExport", "SessionSources", "build_export", "export_file_name", "export_session"]


def build_export(sources: SessionSources, backend: str = "local", now: datetime | None = None) -> SessionExport:
    """Read every section now and render the document."""
    created_at = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    data = collect_session(sources, created_at, backend)
    return SessionExport(html=render_html(data), sections=section_summaries(data), created_at=created_at)


def export_session(sources: SessionSources, backend: str = "local", now: datetime | None = None) -> str:
    """The session as one self-contained HTML document."""
    return build_export(sources, backend, now).html


def export_file_name(day: date) -> str:
    """``workbench-session-YYYY-MM-DD.html``."""
    return f"workbench-session-{day.isoformat()}.html"
