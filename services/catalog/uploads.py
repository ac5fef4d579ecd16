"""Uploaded files are staged on this machine before an import copies them into the lake."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

from services.catalog.files import EXTENSIONS
from services.config import Settings
from services.errors import InvalidInput
from services.models import Table

CHUNK = 4 * 1024 * 1024


def upload_staging_root(settings: Settings) -> Path:
    """Where uploads are staged (``<workspace>/uploads``): the one folder outside the import roots that
    ``import_path`` reads, since the app itself wrote its files from the uploaded bytes."""
    return settings.home / "uploads"


def stage_upload(staging_root: Path, filename: str, stream: BinaryIO) -> Path:
    """Write an uploaded stream to a new folder under ``staging_root`` and return the file's path."""
    name = Path(filename).name
    if Path(name).suffix.lower() not in EXTENSIONS:
        raise InvalidInput(
            f"{name} has an extension the catalog does not read.",
            hint="Upload a .csv, .tsv, .json/.jsonl (JSON lines) or .parquet file.",
        )
    staging_root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=staging_root))
    with (folder / name).open("wb") as target:
        shutil.copyfileobj(stream, target, CHUNK)
    return folder / name


def discard_upload(path: Path) -> None:
    shutil.rmtree(path.parent, ignore_errors=True)


class _Importer(Protocol):
    def import_path(self, path: Path, database: str, table: str) -> Table: ...


def import_staged_upload(catalog: _Importer, settings: Settings, filename: str, stream: BinaryIO, database: str,
                  table: str) -> Table:
    """Both adapters' ``import_upload``: stage the stream, import the staged file, discard it."""
    path = stage_upload(upload_staging_root(settings), filename, stream)
    try:
        return catalog.import_path(path, database, table)
    finally:
        discard_upload(path)
