"""Versioned table folders of the local catalog, and which folders a table owns.

An import never touches a table's current files: it writes ``<table folder>/_v<time>-<random>/``
(hidden from readers of the table folder, as ``_`` folders are) and the catalog then points the
table's location at it in one transaction. Replaced versions stay until ``plan_version_pruning``
says they are past the retention. Everything here is pure: paths, times and table rows in, paths out.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from services.models import Table

VERSION_FOLDER = re.compile(r"^_v(\d{8}T\d{12})-[0-9a-f]{8}$")
# Glue crawlers mark the tables they write with this parameter; so does the local crawler.
CRAWLER_PARAMETER = "UPDATED_BY_CRAWLER"
LOCAL_CRAWLER = "workbench-local-crawler"
# A folder no version points at is an import still copying, or one that crashed: wait at least this long.
ABANDONED_GRACE_SECONDS = 86_400.0


def new_version_folder(table_folder: Path, now: datetime) -> Path:
    """A folder for one import's files, unique even for two imports in the same microsecond."""
    return table_folder / f"_v{now.astimezone(UTC):%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}"


def is_version_folder(path: Path) -> bool:
    return VERSION_FOLDER.match(path.name) is not None


def version_folder_time(path: Path) -> float:
    """When the version folder was made (from its name), in seconds since the epoch."""
    match = VERSION_FOLDER.match(path.name)
    if match is None:
        raise ValueError(f"{path} is not a version folder")
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC).timestamp()


def is_crawled(table: Table) -> bool:
    """Whether a crawler wrote the table (its files belong to whoever fills the crawled folder)."""
    return CRAWLER_PARAMETER in table.parameters


def owned_folder(location: Path) -> Path:
    """The folder a table's data lives in: the table folder holding a version folder, else the location."""
    return location.parent if is_version_folder(location) else location


def overlaps(one: Path, other: Path) -> bool:
    """Whether one folder is the other or lies inside it (either way round)."""
    return one == other or one.is_relative_to(other) or other.is_relative_to(one)


@dataclass(frozen=True)
class VersionRow:
    """One catalog version of a table: its number, the folder it reads and when it was written (epoch seconds)."""

    version: int
    folder: Path
    created_at: float


def plan_version_pruning(folders: Sequence[Path], rows: Sequence[VersionRow], current: Path, now: float,
                         retention_seconds: float) -> list[Path]:
    """Version folders to delete: not the current one, and replaced (or, if no version points at them,
    made) longer ago than the retention. A replaced folder's age counts from the next version's write."""
    doomed = []
    for folder in sorted(folders):
        if folder == current:
            continue
        since = _replaced_at(folder, rows)
        if since is None:
            since, wait = version_folder_time(folder), max(retention_seconds, ABANDONED_GRACE_SECONDS)
        else:
            wait = retention_seconds
        if now - since > wait:
            doomed.append(folder)
    return doomed


def _replaced_at(folder: Path, rows: Sequence[VersionRow]) -> float | None:
    """When the last version reading ``folder`` was replaced by a later one; ``None`` if none reads it."""
    ordered = sorted(rows, key=lambda r: r.version)
    last = max((i for i, row in enumerate(ordered) if row.folder == folder), default=None)
    if last is None:
        return None
    later = ordered[last + 1:]
    return later[0].created_at if later else None
