"""Retention: the pure plan, and applying it to real workspaces (query results, data capture, the CLI)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.cli import main
from services.config import Settings
from services.embedded.retention import (
    DAY_SECONDS,
    MB,
    StoredFile,
    apply_capture_retention,
    apply_result_retention,
    apply_retention,
    capture_hour_folder,
    plan_deletions,
)
from services.embedded.workspace import Workspace
from services.errors import NotFound
from services.query.history import QueryHistory
from services.registry import Services

NOW = datetime(2026, 6, 15, 12, 30, tzinfo=UTC).timestamp()
HOUR = 3600.0


def f(name: str, size: int, age_days: float) -> StoredFile:
    return StoredFile(Path(name), size, NOW - age_days * DAY_SECONDS)


FILES = [f("a", 100, 10), f("b", 100, 5), f("c", 100, 2), f("d", 100, 0.5)]


@pytest.mark.parametrize(
    ("files", "max_age_days", "max_bytes", "protected", "expected"),
    [
        ([], 7, 1000, (), []),
        (FILES, 30, 1000, (), []),  # young and small: nothing goes
        (FILES, 7, 1000, (), ["a"]),  # older than the age
        (FILES, 1, 1000, (), ["a", "b", "c"]),  # oldest first
        (FILES, 30, 250, (), ["a", "b"]),  # size cap: oldest first until under it
        (FILES, 30, 400, (), []),  # exactly at the cap is fine
        (FILES, 7, 150, (), ["a", "b", "c"]),  # the age first, then the cap on what is left
        (FILES, 7, 1000, ("a",), []),  # protected files are never deleted…
        (FILES, 30, 250, ("a",), ["b", "c"]),  # …but count towards the cap
        (FILES, 30, 50, ("a", "b", "c", "d"), []),  # all protected: over the cap, nothing to delete
        ([f("y", 10, 9), f("x", 10, 9)], 7, 1000, (), ["x", "y"]),  # same age: by path
        ([f("big", 500, 1), f("small", 10, 2)], 30, 100, (), ["small", "big"]),  # the oldest, not the largest
        (FILES, 30, 0, (), ["a", "b", "c", "d"]),
    ],
)
def test_plan_deletions(files: list[StoredFile], max_age_days: float, max_bytes: float, protected: tuple[str, ...],
                        expected: list[str]) -> None:
    planned = plan_deletions(files, NOW, max_age_days * DAY_SECONDS, max_bytes, [Path(p) for p in protected])
    assert planned == [Path(p) for p in expected]


def test_capture_hour_folder_is_the_writers_utc_hour() -> None:
    assert capture_hour_folder(NOW) == "2026/06/15/12"


# -- query results ---------------------------------------------------------------------------------------


def age(path: Path, days: float, now: float = NOW) -> None:
    os.utime(path, (now - days * DAY_SECONDS, now - days * DAY_SECONDS))


def test_old_results_are_deleted_fresh_and_running_ones_kept(services: Services) -> None:
    query = services.query
    old, fresh = query.run("SELECT 1 AS x").query_id, query.run("SELECT 2 AS x").query_id
    results = Workspace(services.settings.home).results
    history = QueryHistory(query.history_store.store)  # type: ignore[attr-defined]
    history.record_start("running-elsewhere", "SELECT 3", "", status="RUNNING")  # another process's query
    (results / "running-elsewhere.parquet").write_bytes(b"being written")
    for path in (results / f"{old}.parquet", results / "running-elsewhere.parquet"):
        age(path, 30)
    age(results / f"{fresh}.parquet", 1)
    (results / "orphan.parquet").write_bytes(b"no history entry")
    age(results / "orphan.parquet", 30)

    deleted = apply_result_retention(Workspace(services.settings.home), history, Settings(home=services.settings.home), NOW)

    assert sorted(p.name for p in deleted) == sorted([f"{old}.parquet", "orphan.parquet"])
    assert sorted(p.name for p in results.iterdir()) == sorted([f"{fresh}.parquet", "running-elsewhere.parquet"])
    assert query.query_status(old).result_expired_at
    assert query.query_status(old).status == "SUCCEEDED"  # the query did succeed; only its stored result went
    assert not query.query_status(fresh).result_expired_at
    assert query.get_result(fresh).frame["x"].tolist() == [2]


def test_an_expired_result_says_so_and_how_to_get_it_back(services: Services) -> None:
    query = services.query
    query_id = query.run("SELECT 1 AS x").query_id
    age(Workspace(services.settings.home).results / f"{query_id}.parquet", 30)
    apply_result_retention(Workspace(services.settings.home), query.history_store,  # type: ignore[attr-defined]
                           services.settings, NOW)
    for read in (lambda: query.get_result(query_id), lambda: query.export_chunks(query_id, "csv"),
                 lambda: query.export_result(query_id, "parquet")):
        with pytest.raises(NotFound, match="expired") as raised:
            read()
        assert "Run the query again" in raised.value.hint


def test_size_cap_deletes_the_oldest_results_first(services: Services) -> None:
    query = services.query
    ids = [query.run(f"SELECT {n} AS x").query_id for n in range(3)]
    results = Workspace(services.settings.home).results
    for days, query_id in zip((3, 2, 1), ids):
        age(results / f"{query_id}.parquet", days)
    sizes = sorted(p.stat().st_size for p in results.iterdir())
    cap_mb = (sizes[-1] + sizes[-2]) / MB  # room for two of them

    deleted = apply_result_retention(Workspace(services.settings.home), query.history_store,  # type: ignore[attr-defined]
                                     Settings(home=services.settings.home, result_max_mb=cap_mb), NOW)

    assert [p.stem for p in deleted] == [ids[0]]
    assert [bool(query.query_status(i).result_expired_at) for i in ids] == [True, False, False]


# -- data capture -----------------------------------------------------------------------------------------


def capture_file(home: Path, hour: float, name: str = "123-abcd.jsonl", size: int = 100,
                 endpoint: str = "reviews", variant: str = "AllTraffic") -> Path:
    path = home / "endpoints" / endpoint / "capture" / variant / capture_hour_folder(hour) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x" * (size - 1) + "\n")
    os.utime(path, (hour + 60, hour + 60))
    return path


def test_capture_older_than_retention_is_deleted_with_its_folders_current_hour_kept(tmp_path: Path) -> None:
    home = tmp_path / "workspace"
    old = capture_file(home, NOW - 40 * DAY_SECONDS)
    recent = capture_file(home, NOW - 2 * DAY_SECONDS, endpoint="other", variant="Shadow")
    current = capture_file(home, NOW - 10)
    os.utime(current, (NOW - 40 * DAY_SECONDS,) * 2)  # even an odd mtime does not expose the file being written

    deleted = apply_capture_retention(home, Settings(home=home, capture_retention_days=30), NOW)

    assert deleted == [old]
    assert recent.exists() and current.exists()
    variant = home / "endpoints" / "reviews" / "capture" / "AllTraffic"
    assert not (variant / capture_hour_folder(NOW - 40 * DAY_SECONDS)[:7]).exists()  # its MM/DD/HH folders went
    assert (variant / capture_hour_folder(NOW)).is_dir()
    assert (home / "endpoints" / "reviews" / "capture").is_dir()


def test_capture_size_cap_deletes_oldest_first_across_endpoints(tmp_path: Path) -> None:
    home = tmp_path / "workspace"
    oldest = capture_file(home, NOW - 5 * HOUR, size=1000)
    older = capture_file(home, NOW - 4 * HOUR, size=1000, endpoint="other")
    newer = capture_file(home, NOW - 3 * HOUR, size=1000)
    current = capture_file(home, NOW, size=1000, name="456-ef01.jsonl")

    deleted = apply_capture_retention(home, Settings(home=home, capture_max_mb=2500 / MB), NOW)

    assert deleted == [oldest, older]
    assert newer.exists() and current.exists()


def test_retention_command_applies_now_and_prints_what_went(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "workspace"
    now = datetime.now(UTC).timestamp()
    old = capture_file(home, now - 60 * DAY_SECONDS)
    kept = capture_file(home, now - HOUR)
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.setenv("WORKBENCH_SEED_ON_START", "false")
    monkeypatch.delenv("WORKBENCH_BACKEND", raising=False)

    assert main(["retention"]) == 0

    printed = json.loads(capsys.readouterr().out)
    assert printed["capture"] == [str(old)]
    assert printed["results"] == []
    assert "table_versions" in printed
    assert kept.exists() and not old.exists()


def test_retention_runs_at_every_cli_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "workspace"
    old = capture_file(home, datetime.now(UTC).timestamp() - 60 * DAY_SECONDS)
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.setenv("WORKBENCH_SEED_ON_START", "false")
    monkeypatch.delenv("WORKBENCH_BACKEND", raising=False)

    assert main(["catalog", "databases"]) == 0

    assert json.loads(capsys.readouterr().out) == []
    assert not old.exists()


def test_apply_retention_on_an_empty_workspace_deletes_nothing(tmp_path: Path) -> None:
    report = apply_retention(Settings(home=tmp_path / "workspace"))
    assert (report.results, report.capture) == ([], [])
