"""Settings and workspaces for tests: import roots, closing a workspace's SQLite file, safe copies."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from services.config import Settings
from services.registry import Services
from services.runs.tracking import configure


def settings_for_tests(**fields: object) -> Settings:
    """Settings for a test: the given fields, with the import roots of WORKBENCH_IMPORT_ROOTS unless given."""
    return Settings(**{"import_roots": Settings.from_env().import_roots, **fields})  # type: ignore[arg-type]


def close_services(services: Services) -> None:
    """Release the workspace's SQLite file so it can be copied or removed."""
    services.stack.store.close()


def copy_workspace(source: Path, target: Path) -> None:
    """Copy a workspace safely while other connections or processes may hold its SQLite files (the metadata store,
    the feature store's online store): fold each WAL into its database first, then leave the -wal/-shm files (which
    can change or vanish mid-copy) behind."""
    for database in sorted(source.rglob("*.sqlite")):
        with closing(sqlite3.connect(database)) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.sqlite-wal", "*.sqlite-shm"))


def copy_empty_mlflow_store(tmp_path_factory: pytest.TempPathFactory, home: Path) -> None:
    """Put an empty MLflow store in ``home``. Creating one runs MLflow's schema migrations, a commit
    each, which takes seconds on a slow disk, so it is done once per session and copied."""
    template = tmp_path_factory.getbasetemp() / "mlflow-template" / "mlflow.db"
    if not template.exists():
        import mlflow

        previous = mlflow.get_tracking_uri()
        template.parent.mkdir(parents=True, exist_ok=True)
        configure(Settings(home=template.parent, seed_on_start=False)).MlflowClient().search_experiments()
        mlflow.set_tracking_uri(previous)  # the template is no test's store
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, home / "mlflow.db")
