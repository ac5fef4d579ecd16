"""S3 helpers the aws adapters share: URIs, hidden keys, reading a table's files, and the names the
catalog gave a file's columns."""

from __future__ import annotations

from collections.abc import Callable

import awswrangler as wr
import boto3
import pandas as pd

from services.models import Column


def split_s3_uri(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def hidden_key(relative: str) -> bool:
    return any(part.startswith(("_", ".")) for part in relative.split("/"))


def catalog_names(columns: tuple[Column, ...], headers: list[str]) -> dict[str, str]:
    """``{file header: catalog column}`` for headers that differ (the catalog sanitises names)."""
    by_header = {(c.comment or c.name).lower(): c.name for c in columns} | {c.name.lower(): c.name for c in columns}
    return {h: by_header[str(h).lower()] for h in headers if str(h).lower() in by_header and by_header[str(h).lower()] != h}


def original_name(columns: tuple[Column, ...], name: str) -> str:
    """The column's name in the file (kept as its comment when the catalog sanitised it)."""
    for column in columns:
        if column.name == name:
            return column.comment or column.name
    return name


def _read_csv(uri: str, session: boto3.Session) -> pd.DataFrame:
    return wr.s3.read_csv(path=uri, dataset=True, boto3_session=session)


def _read_tsv(uri: str, session: boto3.Session) -> pd.DataFrame:
    return wr.s3.read_csv(path=uri, sep="\t", dataset=True, boto3_session=session)


def _read_parquet(uri: str, session: boto3.Session) -> pd.DataFrame:
    return wr.s3.read_parquet(path=uri, dataset=True, boto3_session=session)


def _read_json(uri: str, session: boto3.Session) -> pd.DataFrame:
    return wr.s3.read_json(path=uri, lines=True, dataset=True, boto3_session=session)


S3_READERS: dict[str, Callable[[str, boto3.Session], pd.DataFrame]] = {
    "csv": _read_csv, "tsv": _read_tsv, "parquet": _read_parquet, "json": _read_json}
