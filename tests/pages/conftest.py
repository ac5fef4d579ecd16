"""Page tests: each test gets its own copy of the session's seeded workspace and fresh Streamlit caches.

Page and helper functions (open_page, texts, frame_with, ...) live in tests/helpers/pages.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.helpers.pages import APP
from tests.helpers.workspace import copy_workspace


@pytest.fixture(scope="session")
def seeded_page_home(seeded_home: Path) -> Path:
    """The session's seeded workspace (built once for every test directory, its store closed). Do not modify it."""
    return seeded_home


@pytest.fixture(autouse=True)
def clear_streamlit_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def workspace(seeded_page_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "workspace"
    copy_workspace(seeded_page_home, home)
    for name in ("WORKBENCH_BACKEND", "WORKBENCH_QUERY_TIMEOUT_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.setenv("WORKBENCH_SEED_ON_START", "false")
    return home


@pytest.fixture
def app(workspace: Path) -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=60)
