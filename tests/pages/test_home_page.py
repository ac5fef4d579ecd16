from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers.pages import open_page, sidebar_text, texts


def test_home_shows_the_seeded_workspace(app: AppTest) -> None:
    app.run()  # Home is the default page
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Databases"] == "1"
    assert metrics["Tables"] == "4"
    assert "Local" in sidebar_text(app)


def test_home_reports_a_bad_backend_setting_without_crashing(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_BACKEND", "gcp")
    app.run()
    assert not app.exception
    assert "WORKBENCH_BACKEND" in texts(app.error)
    assert "local" in texts(app.error)


def test_home_lists_recent_queries(app: AppTest) -> None:
    open_page(app, "query")
    app.button(key="FormSubmitter:query.editor-Run").click().run()
    app.switch_page("pages/home.py").run()
    assert "Recent queries" in texts(app.subheader)
