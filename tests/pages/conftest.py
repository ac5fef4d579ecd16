"""Page tests: each test gets its own copy of one seeded workspace and fresh Streamlit caches."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from services.config import Settings
from services.registry import build_services

APP = Path(__file__).resolve().parents[2] / "app.py"


@pytest.fixture(scope="session")
def seeded_page_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("page-seed")
    build_services(Settings(home=home, seed_on_start=True))
    return home


@pytest.fixture(autouse=True)
def clear_streamlit_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def workspace(seeded_page_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "workspace"
    shutil.copytree(seeded_page_home, home)
    for name in ("WORKBENCH_BACKEND", "WORKBENCH_QUERY_TIMEOUT_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.setenv("WORKBENCH_SEED_ON_START", "false")
    return home


@pytest.fixture
def app(workspace: Path) -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=60)


def open_page(app: AppTest, page: str) -> AppTest:
    app.run()
    app.switch_page(f"pages/{page}.py").run()
    assert not app.exception, app.exception
    return app


def texts(elements) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(str(e.value) for e in elements)


def sidebar_text(app: AppTest) -> str:
    return "\n".join(str(getattr(e, "value", "")) for e in app.sidebar.children.values())


def frame_with(app: AppTest, column: str):  # type: ignore[no-untyped-def]
    """The first dataframe on the page that has ``column`` (display frames are not keyed widgets)."""
    for element in app.dataframe:
        if column in element.value.columns:
            return element.value
    raise AssertionError(f"no dataframe with column {column!r}")
