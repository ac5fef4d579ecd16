"""Retention of what the local backend piles up on disk: stored query results and endpoint data capture.

Planning is pure: files as (path, size, mtime), the time now, a maximum age and a size cap give the
paths to delete — every file older than the age, then the oldest of the rest until what is left fits
under the cap. Protected files (a running query's result, the capture file being written) are never
planned for deletion but still count towards the cap. The ``apply_*`` functions around the plan stat
the files, delete them, mark expired results in the query history and remove emptied folders;
``start_retention`` runs them once at start and then hourly on a daemon thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from services.config import Settings
from services.embedded.metadata import MetadataStore
from services.embedded.workspace import Workspace
from services.query.history import QueryHistory

DAY_SECONDS = 86_400.0
MB = 1024 * 1024
EVERY_SECONDS = 3600.0
# A capture writer may still append records of the hour that just ended for a moment after it ends.
RECENTLY_WRITTEN_SECONDS = 120.0

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredFile:
    path: Path
    size: int
    mtime: float


@dataclass
class RetentionReport:
    """What one retention round deleted (paths as strings, for JSON)."""

    results: list[str] = field(default_factory=list)
    capture: list[str] = field(default_factory=list)
    table_versions: list[str] = field(default_factory=list)


# -- planning (pure) ----------------------------------------------------------------------------------------


def plan_deletions(
    files: Sequence[StoredFile],
    now: float,
    max_age_seconds: float,
    max_bytes: float,
    protected: Iterable[Path] = (),
) -> list[Path]:
    """Paths to delete: unprotected files older than ``max_age_seconds``, then unprotected files oldest
    first until the remaining total is at most ``max_bytes``. Oldest first, ties by path."""
    keep = set(protected)
    ordered = sorted(files, key=lambda f: (f.mtime, str(f.path)))
    doomed = [f for f in ordered if f.path not in keep and now - f.mtime > max_age_seconds]
    gone = {f.path for f in doomed}
    remaining = sum(f.size for f in ordered if f.path not in gone)
    for candidate in ordered:
        if remaining <= max_bytes:
            break
        if candidate.path in gone or candidate.path in keep:
            continue
        doomed.append(candidate)
        gone.add(candidate.path)
        remaining -= candidate.size
    return [f.path for f in doomed]


def capture_hour_folder(when: float) -> str:
    """``YYYY/MM/DD/HH`` of the UTC hour of ``when``: where capture records of that hour are written."""
    return datetime.fromtimestamp(when, UTC).strftime("%Y/%m/%d/%H")


def protected_capture(files: Sequence[StoredFile], now: float) -> list[Path]:
    """Capture files that may be being written: those of the current UTC hour, and any written moments ago."""
    hour = capture_hour_folder(now)
    return [f.path for f in files
            if f.path.parent.as_posix().endswith(hour) or now - f.mtime < RECENTLY_WRITTEN_SECONDS]


# -- applying the plans ----------------------------------------------------------------------------------


def apply_result_retention(workspace: Workspace, history: QueryHistory, settings: Settings,
                           now: float | None = None) -> list[Path]:
    """Delete stored query results past the age or beyond the size cap, except running queries'; the
    history then says each deleted result expired."""
    now = time.time() if now is None else now
    files = _stat_files(p for p in workspace.results.glob("*.parquet"))
    running = history.unfinished_ids()
    protected = [f.path for f in files if f.path.stem in running]
    doomed = plan_deletions(files, now, settings.result_retention_days * DAY_SECONDS,
                            settings.result_max_mb * MB, protected)
    deleted = _delete(doomed)
    history.mark_results_expired([p.stem for p in deleted])
    return deleted


def apply_capture_retention(home: Path, settings: Settings, now: float | None = None) -> list[Path]:
    """Delete endpoint data-capture files (``endpoints/<name>/capture/<variant>/YYYY/MM/DD/HH/*.jsonl``)
    past the age or beyond the size cap — never the current hour's — and the folders they leave empty."""
    now = time.time() if now is None else now
    roots = sorted(p for p in (home / "endpoints").glob("*/capture") if p.is_dir())
    files = _stat_files(path for root in roots for path in root.rglob("*.jsonl"))
    doomed = plan_deletions(files, now, settings.capture_retention_days * DAY_SECONDS,
                            settings.capture_max_mb * MB, protected_capture(files, now))
    deleted = _delete(doomed)
    for path in deleted:
        _remove_empty_folders(path.parent, stop=next(r for r in roots if r in path.parents))
    return deleted


def apply_retention(settings: Settings, now: float | None = None) -> RetentionReport:
    """One round over the workspace in ``settings.home``: query results, data capture and old table versions."""
    workspace = Workspace(settings.home).create()
    store = MetadataStore(workspace.metadata_path)
    try:
        report = RetentionReport()
        report.results = [str(p) for p in apply_result_retention(workspace, QueryHistory(store), settings, now)]
        report.capture = [str(p) for p in apply_capture_retention(settings.home, settings, now)]
        report.table_versions = _prune_table_versions(workspace, store, settings, now)
        return report
    finally:
        store.close()


def _prune_table_versions(workspace: Workspace, store: MetadataStore, settings: Settings,
                          now: float | None) -> list[str]:
    """The data of replaced catalog table versions past ``settings.table_version_retention_days``."""
    from services.catalog.local import prune_table_versions  # the catalog's own rule for its folders

    return [str(p) for p in prune_table_versions(workspace, store, settings, now)]


def _stat_files(paths: Iterable[Path]) -> list[StoredFile]:
    found = []
    for path in paths:
        try:
            stat = path.stat()
        except FileNotFoundError:  # deleted meanwhile (another process's round)
            continue
        if path.is_file():
            found.append(StoredFile(path, stat.st_size, stat.st_mtime))
    return found


def _delete(paths: Iterable[Path]) -> list[Path]:
    deleted = []
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        deleted.append(path)
    return deleted


def _remove_empty_folders(folder: Path, stop: Path) -> None:
    """Remove ``folder`` and its parents up to (not including) ``stop`` while they are empty."""
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:  # not empty (or already gone): the folders above are not empty either
            return
        folder = folder.parent


# -- on a schedule ---------------------------------------------------------------------------------------


class RetentionSchedule:
    """A daemon thread applying retention at once and then every ``every_seconds`` until ``stop()``."""

    def __init__(self, settings: Settings, every_seconds: float = EVERY_SECONDS) -> None:
        self.settings = settings
        self.every_seconds = every_seconds
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="retention", daemon=True)

    def _loop(self) -> None:
        while True:
            try:
                apply_retention(self.settings)
            except Exception:  # noqa: BLE001 - the schedule outlives one bad round; the traceback goes to the log
                log.exception("A retention round failed")
            if self._stop.wait(self.every_seconds):
                return

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=5)


def start_retention(settings: Settings, every_seconds: float = EVERY_SECONDS) -> RetentionSchedule:
    """Apply retention now and hourly while the process runs (local backend only)."""
    schedule = RetentionSchedule(settings, every_seconds)
    schedule.thread.start()
    return schedule
