"""The local backend's folder: lake, metadata store, query results."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

LAKE_BUCKET = "workbench-lake"


@dataclass(frozen=True)
class Workspace:
    """Paths inside ``WORKBENCH_HOME``. ``lake/<bucket>/<prefix>/…`` is laid out like S3."""

    home: Path

    @property
    def lake(self) -> Path:
        return self.home / "lake"

    @property
    def metadata_path(self) -> Path:
        return self.home / "metadata.sqlite"

    @property
    def results(self) -> Path:
        return self.home / "query-results"

    def table_folder(self, database: str, table: str) -> Path:
        return self.lake / LAKE_BUCKET / database / table

    def create(self) -> Workspace:
        for folder in (self.home, self.lake / LAKE_BUCKET, self.results):
            folder.mkdir(parents=True, exist_ok=True)
        return self

    def to_uri(self, path: Path) -> str:
        """``lake/<bucket>/<key>`` → ``s3://<bucket>/<key>``, Glue's way of writing a location."""
        relative = path.resolve().relative_to(self.lake.resolve())
        return "s3://" + relative.as_posix()

    def from_uri(self, uri: str) -> Path:
        """``s3://<bucket>/<key>`` (or a path under the lake) → the folder in the lake."""
        if uri.startswith("s3://"):
            return self.lake / uri[len("s3://"):].strip("/")
        path = Path(uri)
        return path if path.is_absolute() else self.lake / path
