"""Forms that ask for an import or a crawl. They return the user's request; pages act on it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from components.code_views import request_with_code
from services.codegen.models import catalog_import_code, crawl_code


@dataclass(frozen=True)
class ImportRequest:
    database: str
    table: str
    path: Path | None = None  # a file or folder on this machine
    upload: Any = None  # a Streamlit UploadedFile


@dataclass(frozen=True)
class CrawlRequest:
    location: str
    database: str
    table_prefix: str


def render_import_form(*, default_database: str, key: str) -> ImportRequest | None:
    """Upload a file, or name a file/folder on this machine (folders may be hive-partitioned)."""
    with st.form(key, clear_on_submit=False, enter_to_submit=True):
        upload = st.file_uploader(
            "Upload a file", type=["csv", "tsv", "json", "jsonl", "parquet"], key=f"{key}.upload"
        )
        path = st.text_input(
            "…or a file or folder on this machine", key=f"{key}.path",
            placeholder="/data/sales/ (CSV, TSV, JSON lines or Parquet; key=value sub-folders become partitions)",
        )
        left, right = st.columns(2)
        database = left.text_input("Database", value=default_database, key=f"{key}.database")
        table = right.text_input("Table name", key=f"{key}.table", placeholder="defaults to the file or folder name")
        submitted = st.form_submit_button("Import", type="primary", icon=":material/upload:")
    name = table.strip() or _default_table_name(upload, path)
    return request_with_code(
        submitted, lambda: ImportRequest(database.strip(), name, Path(path.strip()) if path.strip() else None, upload),
        _import_code)


def _import_code(request: ImportRequest) -> str:
    source = request.upload.name if request.upload is not None else str(request.path or "data.csv")
    return catalog_import_code(source, request.database, request.table or Path(source).stem)


def _default_table_name(upload: Any, path: str) -> str:
    if upload is not None:
        return Path(upload.name).stem
    return Path(path.strip().rstrip("/")).stem if path.strip() else ""


def render_crawl_form(*, default_location: str, default_database: str, key: str) -> CrawlRequest | None:
    """A crawler run: every folder of data files under the location becomes (or updates) a table."""
    with st.form(key, enter_to_submit=True):
        location = st.text_input("Lake location", value=default_location, key=f"{key}.location")
        left, right = st.columns(2)
        database = left.text_input("Into database", value=default_database, key=f"{key}.database")
        prefix = right.text_input("Table name prefix", key=f"{key}.prefix", placeholder="optional, e.g. raw_")
        submitted = st.form_submit_button("Run crawler", icon=":material/travel_explore:")
    return request_with_code(submitted, lambda: CrawlRequest(location.strip(), database.strip(), prefix.strip()),
                             lambda crawl: crawl_code(crawl.location, crawl.database, crawl.table_prefix))
