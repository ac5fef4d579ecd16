"""Shared fixtures: local services on an empty workspace, and on a copy of one seeded workspace.

Seeding takes a couple of seconds, so it happens once per session (``seeded_home``); each test
that needs the demo tables gets its own copy (``seeded_services``) and may change it freely.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from services.config import Settings  # noqa: E402
from services.registry import Services, build_services  # noqa: E402


def close_services(services: Services) -> None:
    """Release the workspace's SQLite file so it can be copied or removed."""
    store = getattr(services.catalog, "store", None)
    if store is not None:
        store.close()


@pytest.fixture(scope="session")
def seeded_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One workspace seeded with the demo tables, built once per session. Do not modify it."""
    home = tmp_path_factory.mktemp("seeded") / "workspace"
    services = build_services(Settings(home=home, seed_on_start=True))
    close_services(services)
    return home


@pytest.fixture
def seeded_services(seeded_home: Path, tmp_path: Path) -> Services:
    """Local services on a private copy of the seeded workspace."""
    home = tmp_path / "seeded-copy"
    shutil.copytree(seeded_home, home)
    return build_services(Settings(home=home, seed_on_start=False))


@pytest.fixture
def services(tmp_path: Path) -> Services:
    """Local services on an empty workspace (no demo data)."""
    return build_services(Settings(home=tmp_path / "workspace", seed_on_start=False))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A folder outside the workspace for files to import."""
    folder = tmp_path / "incoming"
    folder.mkdir()
    return folder
