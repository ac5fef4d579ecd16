"""Rows to ingest, a batch at a time: from a file (CSV/TSV, JSON lines, Parquet; a file or a folder of them), or
from a catalog table or SQL result through the query port. Nothing reads a source whole.

A query's full result is streamed (``QueryPort.export_chunks``) into a temporary Parquet file, then read back a
batch at a time. Files keep the catalog's sanitised column names (``Star Rating`` → ``star_rating``), so a file
and the same file imported as a table give the same columns; CSV values are read as text and cast by the
feature checks, so a stray value fails its row rather than the whole file.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from services.catalog.files import BLOCK_SIZE, DELIMITERS, inspect_path
from services.errors import InvalidInput
from services.features.models import IngestSource
from services.models import Column
from services.query.base import QueryPort

CHUNK_ROWS = 50_000


@dataclass(frozen=True)
class SourceRows:
    """A source opened for reading: its column names, its row count and its rows in chunks."""

    label: str
    columns: tuple[str, ...]
    total: int
    chunks: Iterator[pa.Table]


def table_sql(table: str) -> str:
    database, _, name = table.partition(".")
    if not database or not name:
        raise InvalidInput(f"{table!r} is not DATABASE.TABLE.", hint="Write it as e.g. demo.reviews.")
    return f'SELECT * FROM "{database.lower()}"."{name.lower()}"'


def source_sql(source: IngestSource) -> str:
    return source.sql.strip().rstrip(";") if source.sql else table_sql(source.table)


@contextmanager
def open_source(source: IngestSource, query: QueryPort, temp_folder: Path, chunk_rows: int = CHUNK_ROWS) -> Iterator[SourceRows]:
    """The source's rows; a file's path must already be checked against the import roots."""
    if source.path:
        yield file_rows(Path(source.path), chunk_rows)
        return
    temp_folder.mkdir(parents=True, exist_ok=True)
    temp = temp_folder / f"_ingest-{uuid.uuid4().hex}.parquet"
    try:
        yield query_rows(source, query, temp, chunk_rows)
    finally:
        temp.unlink(missing_ok=True)


def query_rows(source: IngestSource, query: QueryPort, temp: Path, chunk_rows: int) -> SourceRows:
    query_id = query.start_query(source_sql(source))
    query.get_result(query_id, max_rows=1)  # waits, and raises the query's error
    with temp.open("wb") as handle:
        for chunk in query.export_chunks(query_id, "parquet"):
            handle.write(chunk)
    parquet = pq.ParquetFile(temp)
    batches = parquet.iter_batches(batch_size=chunk_rows)
    return SourceRows(source.label, tuple(parquet.schema_arrow.names), parquet.metadata.num_rows,
                      rechunk((pa.Table.from_batches([b]) for b in batches), chunk_rows))


def file_rows(path: Path, chunk_rows: int) -> SourceRows:
    inspected = inspect_path(path)
    columns = tuple(c.name for c in inspected.columns)
    total = inspected.row_count if inspected.row_count is not None else _parquet_rows(inspected.files)
    chunks = (chunk for file in inspected.files
              for chunk in rechunk(_file_tables(file, inspected.format, inspected.columns, chunk_rows), chunk_rows))
    return SourceRows(str(path), columns, total, chunks)


def _parquet_rows(files: Iterable[Path]) -> int:
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files)


def _file_tables(file: Path, fmt: str, columns: tuple[Column, ...], chunk_rows: int) -> Iterator[pa.Table]:
    """The file's rows with the catalog's column names."""
    originals = [c.comment or c.name for c in columns]
    names = [c.name for c in columns]
    for batch in _file_batches(file, fmt, originals, chunk_rows):
        yield pa.Table.from_batches([batch]).select(originals).rename_columns(names)


def _file_batches(file: Path, fmt: str, originals: list[str], chunk_rows: int) -> Iterator[pa.RecordBatch]:
    try:
        if fmt == "parquet":
            yield from pq.ParquetFile(file).iter_batches(batch_size=chunk_rows)
        elif fmt == "json":
            yield from pa_json.open_json(file, read_options=pa_json.ReadOptions(block_size=BLOCK_SIZE))
        else:
            yield from pa_csv.open_csv(
                file, read_options=pa_csv.ReadOptions(block_size=BLOCK_SIZE),
                parse_options=pa_csv.ParseOptions(delimiter=DELIMITERS[fmt], newlines_in_values=True),
                convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(originals, pa.string()),
                                                      strings_can_be_null=True))
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise InvalidInput(f"{file.name} could not be read ({str(exc).splitlines()[0][:200]}).",
                           hint="Check the file's format; it was readable when the ingestion started.") from exc


def rechunk(tables: Iterable[pa.Table], rows: int) -> Iterator[pa.Table]:
    """Tables of ``rows`` rows (the last one shorter) from tables of any size with one schema."""
    pending: list[pa.Table] = []
    count = 0
    for table in tables:
        if table.num_rows == 0:
            continue
        pending.append(table)
        count += table.num_rows
        while count >= rows:
            joined = pa.concat_tables(pending)
            yield joined.slice(0, rows)
            rest = joined.slice(rows)
            pending, count = ([rest] if rest.num_rows else []), rest.num_rows
    if count:
        yield pa.concat_tables(pending)
