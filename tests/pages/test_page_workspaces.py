"""The page tests' workspaces: one seeded template per session, copied for each test without a live WAL.

A workspace's metadata store runs SQLite in WAL mode. A template whose connection is still open has
``-wal``/``-shm`` files that vanish whenever that connection is closed (by the garbage collector, at
any moment); copying them then fails, or gives a copy without the latest commits."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from tests.helpers.workspace import copy_workspace

LIVE_FILES = ("metadata.sqlite-wal", "metadata.sqlite-shm")


def test_the_page_template_is_closed_before_tests_copy_it(seeded_page_home: Path) -> None:
    assert [name for name in LIVE_FILES if (seeded_page_home / name).exists()] == []


def test_each_page_workspace_is_a_whole_copy_without_live_files(workspace: Path, seeded_page_home: Path) -> None:
    assert [name for name in LIVE_FILES if (workspace / name).exists()] == []
    with closing(sqlite3.connect(workspace / "metadata.sqlite")) as copy, \
            closing(sqlite3.connect(seeded_page_home / "metadata.sqlite")) as template:
        query = "SELECT database, name, current_version FROM tables ORDER BY 1, 2"
        assert copy.execute(query).fetchall() == template.execute(query).fetchall() != []


def test_a_workspace_copied_while_its_store_is_open_keeps_every_commit(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    live = sqlite3.connect(source / "metadata.sqlite", isolation_level=None)
    live.execute("PRAGMA journal_mode=WAL")
    live.execute("PRAGMA wal_autocheckpoint=0")  # the commits stay in the -wal file, as in a busy store
    live.execute("CREATE TABLE t (n INTEGER)")
    live.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(50)])
    assert (source / "metadata.sqlite-wal").stat().st_size > 0
    try:
        copy_workspace(source, tmp_path / "copy")
    finally:
        live.close()
    assert [name for name in LIVE_FILES if (tmp_path / "copy" / name).exists()] == []
    with closing(sqlite3.connect(tmp_path / "copy" / "metadata.sqlite")) as copy:
        assert copy.execute("SELECT count(*) FROM t").fetchone() == (50,)
