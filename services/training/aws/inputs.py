"""Where a training job's data comes from: a catalog table's S3 location or a local file (uploaded), read
whole when the built-in algorithms need it encoded."""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from services.aws.encoding import csv_rows
from services.aws.s3 import S3_READERS, catalog_names, hidden_key, original_name, split_s3_uri
from services.aws.sagemaker import BUCKET_HINT, ROLE_HINT, SageMakerClients
from services.catalog.base import CatalogPort
from services.catalog.files import data_files, inspect_path
from services.config import Settings
from services.errors import BackendUnavailable, InvalidInput, NotFound
from services.models import Column, DataSource
from services.training.data import read_file, split_table_name


@dataclass(frozen=True)
class S3Input:
    """A job's input in S3: a prefix, its format and the columns the catalog gives it."""

    uri: str
    format: str
    columns: tuple[Column, ...]
    source: DataSource



def input_schema(columns: tuple[Column, ...], target: str) -> list[dict[str, str]]:
    return [{"Name": c.name, "Type": c.type, "Comment": c.comment} for c in columns if c.name != target]


class S3Inputs(SageMakerClients):
    """The adapter's inputs in S3 and its bucket and role settings."""

    settings: Settings
    catalog: CatalogPort

    def _require_setup(self) -> tuple[str, str]:
        if not self.settings.s3_bucket:
            raise BackendUnavailable("No S3 bucket is configured for SageMaker's data and models.", hint=BUCKET_HINT)
        if not self.settings.sagemaker_role:
            raise BackendUnavailable("No IAM role is configured for SageMaker jobs.", hint=ROLE_HINT)
        return self.settings.s3_bucket, self.settings.sagemaker_role

    def _input(self, source: DataSource) -> S3Input:
        """A catalog table's S3 location and columns, or a local file's (``file://``) ones."""
        if bool(source.table) == bool(source.path):
            raise InvalidInput("Give either a catalog table or a data file.", hint="Use --table DB.TABLE or --data FILE.")
        if source.table:
            table = self.catalog.get_table(*split_table_name(source.table))
            pinned = replace(source, table=table.qualified_name, table_version=table.version_id)
            return S3Input(table.location.rstrip("/") + "/", table.format, table.all_columns, pinned)
        path = Path(source.path).expanduser().resolve()
        if not path.exists():
            raise NotFound(f"{source.path} does not exist.", hint="Check the path of the data file.")
        inspected = inspect_path(path)
        return S3Input(path.as_uri(), inspected.format, inspected.columns, replace(source, path=str(path)))

    def _staged(self, data: S3Input, prefix: str) -> S3Input:
        """The input in S3: a table as it is, a local file (or folder) uploaded under ``prefix``."""
        if not data.source.path:
            return data
        root = Path(data.source.path)
        for file in [root] if root.is_file() else data_files(root):
            relative = file.name if root.is_file() else file.relative_to(root).as_posix()
            self._s3.upload_file(str(file), *split_s3_uri(prefix + relative))
        return replace(data, uri=prefix)

    def _read_frame(self, data: S3Input) -> pd.DataFrame:
        """All rows of the input with the catalog's column names (read whole: fine for workbench-sized tables)."""
        if data.source.path:
            return read_file(Path(data.source.path))
        frame = S3_READERS[data.format](data.uri, self.session)
        return frame.rename(columns=catalog_names(data.columns, list(frame.columns)))

    def _header_name(self, data: S3Input, column: str) -> str:
        """The target as the file spells it: Glue lower-cases crawled CSV headers, Autopilot matches exactly."""
        if data.format != "csv" or data.source.path:
            return original_name(data.columns, column)
        header = self._csv_header(data.uri)
        matches = [h for h in header if h.lower() == original_name(data.columns, column).lower() or h.lower() == column]
        return matches[0] if matches else original_name(data.columns, column)

    def _csv_header(self, uri: str) -> list[str]:
        bucket, prefix = split_s3_uri(uri)
        listed = self._s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=100).get("Contents", [])
        keys = [o["Key"] for o in listed if not o["Key"].endswith("/") and not hidden_key(o["Key"][len(prefix):])]
        if not keys:
            raise NotFound(f"No data files under {uri}.", hint="Check the table's location holds CSV files.")
        head = self._s3.get_object(Bucket=bucket, Key=keys[0], Range="bytes=0-65535")["Body"].read()
        first_line = head.split(b"\n", 1)[0].decode(errors="replace")
        return next(csv.reader([first_line]), [])

    def _put_csv(self, frame: pd.DataFrame, uri: str, fill: bool) -> None:
        """CSV without header or index, as SageMaker's built-in algorithms read it."""
        body = csv_rows(frame, fill)
        self._upload_bytes(body, uri)

    def _upload_bytes(self, body: bytes, uri: str) -> str:
        bucket, key = split_s3_uri(uri)
        self._s3.put_object(Bucket=bucket, Key=key, Body=body)
        return uri

    def _upload_channel(self, path: str, prefix: str) -> str:
        if path.startswith("s3://"):
            return path
        local = Path(path).expanduser().resolve()
        if not local.exists():
            raise NotFound(f"Channel input {path} does not exist.", hint="Give NAME=PATH with an existing file or folder.")
        for file in [local] if local.is_file() else sorted(p for p in local.rglob("*") if p.is_file()):
            relative = file.name if local.is_file() else file.relative_to(local).as_posix()
            self._s3.upload_file(str(file), *split_s3_uri(prefix + relative))
        return prefix
