from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers.pages import APP, open_page, sidebar_text, texts
from tests.helpers.workspace import copy_workspace


def test_home_shows_the_seeded_workspace(app: AppTest) -> None:
    app.run()  # Home is the default page
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Databases"] == "1"
    assert metrics["Tables"] == "4"
    assert "Local" in sidebar_text(app)


def test_home_has_a_card_with_a_link_for_every_page_of_the_navigation_in_its_sections(app: AppTest) -> None:
    app.run()
    navigation = APP.read_text()
    pages = [p for p in re.findall(r'st\.Page\("pages/(\w+)\.py"', navigation) if p != "home"]
    sections = re.findall(r'^\s+"(\w+)": \[', navigation, flags=re.MULTILINE)
    linked = [link.proto.page for link in app.get("page_link")]
    assert sorted(linked) == sorted(pages) and len(pages) >= 17
    assert [s.value for s in app.subheader if s.value in sections] == sections  # grouped as the navigation is
    metrics = {m.label: m.value for m in app.metric}
    assert (metrics["Saved queries"], metrics["Training jobs"], metrics["In service"], metrics["Labels given"]) == \
        ("0", "0", "0", "0")


def test_home_counts_a_trained_model(review_model_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "workspace"
    copy_workspace(review_model_home, home)
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.setenv("WORKBENCH_SEED_ON_START", "false")
    app = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not app.exception, app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert (metrics["Training jobs"], metrics["Jobs with runs"], metrics["Models registered"], metrics["Model groups"]) == \
        ("1", "1", "1", "1")
    assert "0 approved" in texts(app.caption)


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
    assert "1 in the history" in texts(app.caption)
