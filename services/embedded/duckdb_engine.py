"""A locked-down in-memory DuckDB database exposing catalog tables as ``database.table`` views.

Locked down: file access only under the workspace lake, no extension installs or loads,
a memory limit, and the configuration locked so SQL cannot undo any of it.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from services.embedded.workspace import Workspace
from services.models import Column, Table

SIMPLE_TYPES = {
    "boolean": "BOOLEAN", "tinyint": "TINYINT", "smallint": "SMALLINT", "int": "INTEGER",
    "integer": "INTEGER", "bigint": "BIGINT", "float": "FLOAT", "real": "FLOAT", "double": "DOUBLE",
    "string": "VARCHAR", "varchar": "VARCHAR", "char": "VARCHAR", "date": "DATE",
    "timestamp": "TIMESTAMP", "binary": "BLOB",
}
ATHENA_TYPE_NAMES = {"VARCHAR": "varchar", "INTEGER": "integer", "FLOAT": "real", "BLOB": "varbinary",
                     "HUGEINT": "decimal(38,0)", "TIMESTAMP WITH TIME ZONE": "timestamp with time zone"}


def duckdb_type(glue_type: str) -> str:
    """The DuckDB type for a Glue/Hive type such as ``array<struct<a:int>>``."""
    text = glue_type.strip()
    lower = text.lower()
    if lower.startswith("array<"):
        return duckdb_type(text[6:-1]) + "[]"
    if lower.startswith("map<"):
        key, value = split_top_level(text[4:-1])
        return f"MAP({duckdb_type(key)}, {duckdb_type(value)})"
    if lower.startswith("struct<"):
        fields = [f.split(":", 1) for f in split_top_level(text[7:-1])]
        return "STRUCT(" + ", ".join(f"{quote(n.strip())} {duckdb_type(t)}" for n, t in fields) + ")"
    if lower.startswith(("decimal", "varchar(", "char(")):
        return text.upper() if lower.startswith("decimal") else "VARCHAR"
    return SIMPLE_TYPES.get(lower, "VARCHAR")


def athena_type_name(duckdb_type_name: str) -> str:
    """Athena's spelling of a result column type."""
    upper = duckdb_type_name.upper()
    if upper.endswith("[]"):
        return f"array({athena_type_name(upper[:-2])})"
    if upper.startswith("STRUCT"):
        return "row"
    return ATHENA_TYPE_NAMES.get(upper, upper.lower())


def split_top_level(text: str, brackets: str = "<>") -> list[str]:
    """Split on commas that are not inside ``brackets`` (``<…>`` for Glue types, ``(…)`` for Athena's)."""
    parts: list[str] = []
    depth, current = 0, ""
    for char in text:
        depth += {brackets[0]: 1, brackets[1]: -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return parts + [current]


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def open_sandbox(workspace: Workspace, tables: list[Table], memory_limit: str, threads: int) -> duckdb.DuckDBPyConnection:
    """A new in-memory database with one view per table, then locked."""
    conn = duckdb.connect(":memory:", config={"threads": threads, "memory_limit": memory_limit})
    lake = str(workspace.lake.resolve()) + "/"
    conn.execute(f"SET allowed_directories = [{literal(lake)}]")
    conn.execute("SET enable_external_access = false")
    conn.execute("SET autoinstall_known_extensions = false")
    conn.execute("SET autoload_known_extensions = false")
    for database in sorted({t.database for t in tables}):
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(database)}")
    for table in tables:
        conn.execute(f"CREATE OR REPLACE VIEW {quote(table.database)}.{quote(table.name)} AS {view_sql(workspace, table)}")
    conn.execute("SET lock_configuration = true")
    return conn


def view_sql(workspace: Workspace, table: Table) -> str:
    """SELECT over the table's files that yields the catalog's (sanitised) column names and types."""
    folder = workspace.from_uri(table.location)
    sources = "[" + ", ".join(literal(g) for g in file_globs(folder, len(table.partition_keys))) + "]"
    hive = _hive_options(table.partition_keys)
    if table.format in ("csv", "tsv"):
        delimiter = "\\t" if table.format == "tsv" else ","
        columns = _struct_literal(table.columns, by_comment=False)
        reader = (f"read_csv({sources}, header = true, delim = E'{delimiter}', quote = '\"', "
                  f"escape = '\"', columns = {columns}, auto_detect = false{hive})")
        return f"SELECT {_renamed_columns(table, by_comment=False)} FROM {reader}"
    if table.format == "json" and any(not c.comment for c in table.columns):
        return _json_objects_sql(sources, hive, table)
    if table.format == "json":
        reader = (f"read_json({sources}, format = 'newline_delimited', "
                  f"columns = {_struct_literal(table.columns, by_comment=True)}{hive})")
    else:
        reader = f"read_parquet({sources}, union_by_name = true{hive})"
    return f"SELECT {_renamed_columns(table, by_comment=True)} FROM {reader}"


def file_globs(folder: Path, partition_depth: int) -> list[str]:
    """Globs for a table's files, one per extension found, at the partition depth."""
    pattern = "*/" * partition_depth
    suffixes = sorted({p.suffix for p in folder.glob(pattern + "*") if p.is_file() and not p.name.startswith((".", "_"))})
    return [f"{folder.resolve()}/{pattern}*{suffix}" for suffix in suffixes] or [f"{folder.resolve()}/{pattern}*"]


def _hive_options(keys: tuple[Column, ...]) -> str:
    if not keys:
        return ", hive_partitioning = false"
    types = ", ".join(f"{literal(k.comment or k.name)}: 'VARCHAR'" for k in keys)
    return f", hive_partitioning = true, hive_types = {{{types}}}, hive_types_autocast = false"


def _struct_literal(columns: tuple[Column, ...], by_comment: bool) -> str:
    items = ", ".join(f"{literal(c.comment if by_comment and c.comment else c.name)}: {literal(duckdb_type(c.type))}"
                      for c in columns)
    return "{" + items + "}"


def _renamed_columns(table: Table, by_comment: bool) -> str:
    """File names → catalog names; partition keys always come from folder names (the comments)."""
    columns = [_file_column(table, i, c) if by_comment else c.name for i, c in enumerate(table.columns)]
    sources = columns + [k.comment or k.name for k in table.partition_keys]
    return ", ".join(f"{quote(s)} AS {quote(c.name)}" for s, c in zip(sources, table.all_columns))


def _file_column(table: Table, index: int, column: Column) -> str:
    """The name a column has in the files: the header kept as comment; a blank Parquet name is one
    DuckDB cannot quote, so it calls it C<position>."""
    if column.comment:
        return column.comment
    return f"C{index}" if table.format == "parquet" else column.name


def _json_objects_sql(sources: str, hive: str, table: Table) -> str:
    """DuckDB's JSON reader cannot name a blank key, so whole objects are read and each key is picked
    by its JSON pointer (RFC 6901: ``/`` is the blank key)."""
    picked = [f"{_json_value(c)} AS {quote(c.name)}" for c in table.columns]
    keys = [f"{quote(k.comment or k.name)} AS {quote(k.name)}" for k in table.partition_keys]
    return f"SELECT {', '.join(picked + keys)} FROM read_json_objects({sources}, format = 'newline_delimited'{hive})"


def _json_value(column: Column) -> str:
    pointer = literal("/" + column.comment.replace("~", "~0").replace("/", "~1"))
    type_ = duckdb_type(column.type)
    if type_ == "VARCHAR":  # a JSON string cast to VARCHAR would keep its quotes
        return f"json_extract_string(json, {pointer})"
    return f"CAST(json_extract(json, {pointer}) AS {type_})"


def friendly_engine_message(message: str) -> str:
    """DuckDB's first line without its error-class prefix."""
    first = message.strip().split("\n")[0]
    return re.sub(r"^[A-Za-z ]+ Error: ", "", first)
