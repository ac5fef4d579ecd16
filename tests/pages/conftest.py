"""Page tests: each test gets its own copy of the session's seeded workspace and fresh Streamlit caches.

Page and helper functions (open_page, texts, frame_with, ...) live in tests/helpers/pages.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from services.models import DataSource, TrainingRequest
from services.registry import build_services
from tests.helpers.pages import APP, REVIEW_MODEL
from tests.helpers.workspace import close_services, copy_workspace, settings_for_tests


@pytest.fixture(scope="session")
def seeded_page_home(seeded_home: Path) -> Path:
    """The session's seeded workspace (built once for every test directory, its store closed). Do not modify it."""
    return seeded_home


@pytest.fixture(scope="session")
def review_model_home(seeded_page_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded workspace plus REVIEW_MODEL (text-tfidf on demo.reviews_sentiment -> sentiment), trained once
    per session for the page modules that need a review model (explain, endpoints, score). Do not modify it."""
    home = tmp_path_factory.mktemp("review-model") / "workspace"
    copy_workspace(seeded_page_home, home)
    services = build_services(settings_for_tests(home=home, seed_on_start=False))
    job = services.jobs.wait_for_job(services.training.start_training_job(TrainingRequest(
        algorithm="text-tfidf", source=DataSource(table="demo.reviews_sentiment"), target="sentiment")), 240)
    assert job.status == "Completed", job.failure_reason
    assert job.model_id == REVIEW_MODEL, job.model_id
    close_services(services)
    return home


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
