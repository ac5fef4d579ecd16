"""Inspect data files the way a Glue crawler does: format, schema with Glue types, partitions.

Shared by both catalog adapters. Files are streamed batch by batch, never read whole, so
a file larger than memory can be inspected; every row is checked so a ragged line or a
non-UTF-8 byte deep in a file is found at import, not at the first query.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from services.errors import InvalidInput, NotFound
from services.models import Column

EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".json": "json", ".jsonl": "json",
              ".ndjson": "json", ".parquet": "parquet", ".pq": "parquet"}
DELIMITERS = {"csv": ",", "tsv": "\t"}
BLOCK_SIZE = 8 * 1024 * 1024
HIVE_SEGMENT = re.compile(r"^([^=/]+)=([^/]*)$")
PANDAS_PLACEHOLDER = re.compile(r"Unnamed: \d+(_level_\d+)?")


@dataclass(frozen=True)
class InspectedData:
    """What a crawl found under a path: one table's worth of files."""

    format: str
    columns: tuple[Column, ...]
    partition_keys: tuple[Column, ...]
    files: tuple[Path, ...]
    root: Path
    row_count: int | None
    size_bytes: int


def sanitize_column_name(name: str) -> str:
    """awswrangler's ``sanitize_column_name``: accents stripped, non-alphanumerics to ``_``, lower case."""
    name = "".join(c for c in unicodedata.normalize("NFD", name) if unicodedata.category(c) != "Mn")
    return re.sub(r"[^A-Za-z0-9_]+", "_", name).lower()


def sanitize_table_name(name: str) -> str:
    """Glue table and database names: sanitised, never empty, not starting with a digit."""
    clean = sanitize_column_name(name.strip()).strip("_")
    if not clean:
        raise InvalidInput(f"{name!r} cannot be used as a name.", hint="Use letters, digits and underscores.")
    return clean


def glue_columns(headers: list[str], types: list[str]) -> tuple[Column, ...]:
    """Sanitised columns keeping the original header as comment (the name to read the file by); a
    blank header, or pandas' placeholder for one, becomes col<i> as Glue's crawler names it."""
    names = [f"col{i}" if unnamed_header(h) else sanitize_column_name(h) for i, h in enumerate(headers)]
    _reject_duplicates(headers, names)
    return tuple(Column(n, t, h) for n, t, h in zip(names, types, headers))


def unnamed_header(header: str) -> bool:
    """A header with no name: blank, or ``Unnamed: 0`` (``Unnamed: 0_level_0``), which pandas writes
    in place of a blank one (e.g. a frame read from a CSV with an index column, saved again)."""
    return not header.strip() or PANDAS_PLACEHOLDER.fullmatch(header) is not None


def _reject_duplicates(headers: list[str], names: list[str]) -> None:
    seen: dict[str, str] = {}
    for header, name in zip(headers, names):
        if name in seen:
            raise InvalidInput(
                f"Columns {seen[name]!r} and {header!r} both become {name!r} in the catalog.",
                hint="Column names must be unique ignoring case and punctuation; rename one and import again.",
            )
        seen[name] = header


def glue_type(arrow_type: pa.DataType) -> str:
    """The Glue/Hive type a crawler would record for an Arrow type."""
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_int8(arrow_type):
        return "tinyint"
    if pa.types.is_int16(arrow_type):
        return "smallint"
    if pa.types.is_int32(arrow_type) or pa.types.is_uint8(arrow_type) or pa.types.is_uint16(arrow_type):
        return "int"
    if pa.types.is_integer(arrow_type):
        return "bigint"
    if pa.types.is_float32(arrow_type):
        return "float"
    if pa.types.is_floating(arrow_type):
        return "double"
    if pa.types.is_decimal(arrow_type):
        return f"decimal({arrow_type.precision},{arrow_type.scale})"
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp"
    return _glue_nested_type(arrow_type)


def _glue_nested_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return f"array<{glue_type(arrow_type.value_type)}>"
    if pa.types.is_struct(arrow_type):
        fields = ",".join(f"{sanitize_column_name(f.name)}:{glue_type(f.type)}" for f in arrow_type)
        return f"struct<{fields}>"
    if pa.types.is_map(arrow_type):
        return f"map<{glue_type(arrow_type.key_type)},{glue_type(arrow_type.item_type)}>"
    if pa.types.is_binary(arrow_type) or pa.types.is_large_binary(arrow_type):
        return "binary"
    return "string"


def inspect_path(path: Path) -> InspectedData:
    """Inspect a file, or a folder of files of one format (hive ``key=value`` folders allowed)."""
    path = Path(path)
    if not path.exists():
        raise NotFound(f"{path} does not exist.", hint="Check the path; it must be a file or folder on this machine.")
    files = data_files(path)
    fmt = _single_format(path, files)
    root = path if path.is_dir() else path.parent
    partition_keys = _partition_keys(root, files)
    columns, rows = _inspect_files(fmt, files)
    _reject_partition_overlap(columns, partition_keys)
    size = sum(f.stat().st_size for f in files)
    return InspectedData(fmt, columns, partition_keys, tuple(files), root, rows, size)


def data_files(path: Path) -> list[Path]:
    """The data files under ``path``: hidden files, ``_SUCCESS`` markers and checksums skipped."""
    candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p.relative_to(path)))
    if not candidates:
        raise InvalidInput(f"{path} holds no data files.", hint="Put CSV, TSV, JSON lines or Parquet files in it.")
    return candidates


def _hidden(relative: Path) -> bool:
    return any(part.startswith((".", "_")) or part.endswith(".crc") for part in relative.parts)


def file_format(path: Path) -> str:
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise InvalidInput(
            f"{path.name} has an extension the catalog does not read ({path.suffix or 'none'}).",
            hint="Use .csv, .tsv, .json/.jsonl (JSON lines) or .parquet.",
        )
    return fmt


def _single_format(path: Path, files: list[Path]) -> str:
    formats = {file_format(f) for f in files}
    if len(formats) > 1:
        raise InvalidInput(
            f"{path} mixes formats ({', '.join(sorted(formats))}).",
            hint="A table's files must share one format; import each format as its own table.",
        )
    return formats.pop()


def _partition_keys(root: Path, files: list[Path]) -> tuple[Column, ...]:
    layouts = {tuple(_hive_keys(f.parent.relative_to(root))) for f in files}
    if len(layouts) > 1:
        raise InvalidInput(
            f"The partition folders under {root} are not consistent ({len(layouts)} layouts).",
            hint="Every file must sit at the same depth of key=value folders, e.g. year=2024/month=01/.",
        )
    keys = layouts.pop()
    return tuple(Column(sanitize_column_name(k), "string", k) for k in keys)


def _hive_keys(relative_folder: Path) -> list[str]:
    keys = []
    for part in relative_folder.parts:
        match = HIVE_SEGMENT.match(part)
        if match is None:
            raise InvalidInput(
                f"Folder {part!r} is not a partition folder (key=value).",
                hint="Import the table's own folder; sub-folders must be hive partitions like division=General.",
            )
        keys.append(match.group(1))
    return keys


def partition_values(root: Path, file: Path) -> tuple[str, ...]:
    """The partition values of ``file`` read from its ``key=value`` folders."""
    return tuple(HIVE_SEGMENT.match(p).group(2) for p in file.parent.relative_to(root).parts)  # type: ignore[union-attr]


def _reject_partition_overlap(columns: tuple[Column, ...], keys: tuple[Column, ...]) -> None:
    overlap = {c.name for c in columns} & {k.name for k in keys}
    if overlap:
        raise InvalidInput(
            f"Partition key(s) {', '.join(sorted(overlap))} also appear as columns in the files.",
            hint="Drop the column from the files or rename the partition folders.",
        )


def _inspect_files(fmt: str, files: list[Path]) -> tuple[tuple[Column, ...], int]:
    schemas = []
    rows = 0
    for file in files:
        headers, types, count = _inspect_file(fmt, file)
        schemas.append((headers, types))
        rows += count
    headers, types = _merge_schemas(schemas, files)
    return glue_columns(headers, types), rows


def _merge_schemas(schemas: list[tuple[list[str], list[str]]], files: list[Path]) -> tuple[list[str], list[str]]:
    """Union the files' columns in order of appearance; a column typed two ways becomes string."""
    merged: dict[str, str] = {}
    for headers, types in schemas:
        for header, type_ in zip(headers, types):
            if merged.get(header, type_) != type_:
                type_ = "string"
            merged[header] = type_
    if len(files) > 1 and files[0].suffix.lower() in (".csv", ".tsv", ".tab"):
        _require_same_headers(schemas, files)
    return list(merged), list(merged.values())


def _require_same_headers(schemas: list[tuple[list[str], list[str]]], files: list[Path]) -> None:
    first = schemas[0][0]
    for (headers, _), file in zip(schemas, files):
        if headers != first:
            raise InvalidInput(
                f"{file.name} has different columns from {files[0].name}.",
                hint="CSV files of one table must share the same header row.",
            )


def _inspect_file(fmt: str, file: Path) -> tuple[list[str], list[str], int]:
    if file.stat().st_size == 0:
        raise InvalidInput(f"{file.name} is empty.", hint="Choose a file with a header row and data.")
    if fmt == "parquet":
        return _inspect_parquet(file)
    _reject_binary(file)
    if fmt == "json":
        return _inspect_json(file)
    return _inspect_delimited(file, DELIMITERS[fmt])


def _inspect_parquet(file: Path) -> tuple[list[str], list[str], int]:
    try:
        parquet = pq.ParquetFile(file)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidInput(
            f"{file.name} is not a readable Parquet file ({exc}).",
            hint="Check that the file was written completely, or export it again as Parquet.",
        ) from exc
    schema = parquet.schema_arrow
    return list(schema.names), [glue_type(f.type) for f in schema], parquet.metadata.num_rows


def _reject_binary(file: Path) -> None:
    with file.open("rb") as handle:
        head = handle.read(64 * 1024)
    if b"\x00" in head:
        raise InvalidInput(
            f"{file.name} is not a text file (it contains binary data).",
            hint="Choose a CSV/TSV/JSON lines text file, or a .parquet file for binary columnar data.",
        )


def _inspect_delimited(file: Path, delimiter: str) -> tuple[list[str], list[str], int]:
    """Infer types from the first block, then stream every row to validate and count them."""
    forced_string: set[str] = set()
    for _ in range(1000):
        try:
            return _scan_delimited(file, delimiter, forced_string)
        except _ConversionError as exc:
            forced_string.add(exc.column)  # a later block disagreed with the inferred type
    raise InvalidInput(f"Could not infer column types of {file.name}.", hint="Check the file's contents.")


class _ConversionError(Exception):
    def __init__(self, column: str) -> None:
        self.column = column


def _scan_delimited(file: Path, delimiter: str, forced_string: set[str]) -> tuple[list[str], list[str], int]:
    reader = _open_delimited(file, delimiter, forced_string)
    headers = list(reader.schema.names)
    _reject_non_utf8_columns(file, reader.schema)
    rows = sum(batch.num_rows for batch in _batches(file, reader, headers))
    return headers, [glue_type(f.type) for f in reader.schema], rows


def _open_delimited(file: Path, delimiter: str, forced_string: set[str]) -> pa_csv.CSVStreamingReader:
    try:
        return pa_csv.open_csv(
            file,
            read_options=pa_csv.ReadOptions(block_size=BLOCK_SIZE),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(column_types={c: pa.string() for c in forced_string}),
        )
    except pa.ArrowInvalid as exc:
        raise _csv_error(file, exc) from exc


def _batches(file: Path, reader: pa_csv.CSVStreamingReader, headers: list[str]) -> Iterator[pa.RecordBatch]:
    while True:
        try:
            yield reader.read_next_batch()
        except StopIteration:
            return
        except pa.ArrowInvalid as exc:
            column = _failed_column(str(exc), headers)
            if column is not None and "conversion error" in str(exc) and "UTF8" not in str(exc):
                raise _ConversionError(column) from exc
            raise _csv_error(file, exc) from exc


def _failed_column(message: str, headers: list[str]) -> str | None:
    match = re.search(r"column #(\d+)", message)
    return headers[int(match.group(1))] if match and int(match.group(1)) < len(headers) else None


def _reject_non_utf8_columns(file: Path, schema: pa.Schema) -> None:
    if any(pa.types.is_binary(f.type) for f in schema):
        raise _not_utf8(file)


def _not_utf8(file: Path) -> InvalidInput:
    return InvalidInput(
        f"{file.name} is not UTF-8 text.",
        hint="Save it as UTF-8 (e.g. in Excel: 'CSV UTF-8'; or `iconv -f latin1 -t utf-8`) and import again.",
    )


def _csv_error(file: Path, exc: pa.ArrowInvalid) -> InvalidInput:
    message = str(exc).split("\n")[0]
    if "UTF8" in message or "utf8" in message.lower():
        return _not_utf8(file)
    if "Expected" in message and "columns" in message:
        detail = message.replace("CSV parse error: ", "")
        return InvalidInput(
            f"{file.name} has rows with the wrong number of fields ({detail[:160]}).",
            hint="Every row needs as many fields as the header; quote values that contain the delimiter.",
        )
    if "Empty CSV file" in message:
        return InvalidInput(f"{file.name} is empty.", hint="Choose a file with a header row and data.")
    return InvalidInput(f"{file.name} could not be read as CSV ({message[:200]}).", hint="Check the file's format.")


def _inspect_json(file: Path) -> tuple[list[str], list[str], int]:
    try:
        reader = pa_json.open_json(file, read_options=pa_json.ReadOptions(block_size=BLOCK_SIZE))
        rows = sum(batch.num_rows for batch in reader)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise InvalidInput(
            f"{file.name} is not JSON lines ({str(exc).splitlines()[0][:200]}).",
            hint="Each line must be one JSON object, e.g. {\"id\": 1, \"name\": \"a\"}; arrays of objects are not read.",
        ) from exc
    schema = reader.schema
    return list(schema.names), [glue_type(f.type) for f in schema], rows
