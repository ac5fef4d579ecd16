"""What the SQL editor may run: one read-only statement over catalog tables. Each refusal says why.

The engine is locked down too (see services/embedded/duckdb_engine.py); this check comes first
so the user gets a plain explanation instead of an engine error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from services.errors import InvalidInput, QueryFailed, QueryRefused

READ_ONLY_HINT = "The editor runs read-only queries (SELECT, WITH, VALUES, SHOW, DESCRIBE)."
SAVE_HINT = "To keep a result, run the query and use 'Save results as table'."

REFUSED_KEYWORDS = {
    "copy": ("COPY writes or reads files directly.", SAVE_HINT),
    "install": ("Installing engine extensions is not allowed.", READ_ONLY_HINT),
    "load": ("Loading engine extensions is not allowed.", READ_ONLY_HINT),
    "attach": ("ATTACH would open another database file.", "Import data on the Catalog page instead."),
    "detach": ("DETACH changes the engine's databases.", READ_ONLY_HINT),
    "pragma": ("PRAGMA changes or inspects engine settings.", READ_ONLY_HINT),
    "set": ("SET changes engine settings (memory, threads, file access).", "Settings are fixed by the workbench."),
    "reset": ("RESET changes engine settings.", "Settings are fixed by the workbench."),
    "call": ("CALL runs engine procedures.", READ_ONLY_HINT),
    "export": ("EXPORT writes files.", SAVE_HINT),
    "import": ("IMPORT reads files directly.", "Import data on the Catalog page instead."),
    "checkpoint": ("CHECKPOINT writes to the engine's storage.", READ_ONLY_HINT),
    "vacuum": ("VACUUM changes the engine's storage.", READ_ONLY_HINT),
    "use": ("USE changes the session's database.", "Pick the database in the database selector."),
    "create": ("CREATE is DDL, which changes the catalog.", SAVE_HINT + " Import or crawl data on the Catalog page."),
    "drop": ("DROP is DDL, which changes the catalog.", "Tables are managed on the Catalog page."),
    "alter": ("ALTER is DDL, which changes the catalog.", "Tables are managed on the Catalog page."),
    "insert": ("INSERT changes data; the lake is read-only from the editor.", SAVE_HINT),
    "update": ("UPDATE changes data; the lake is read-only from the editor.", SAVE_HINT),
    "delete": ("DELETE changes data; the lake is read-only from the editor.", SAVE_HINT),
    "merge": ("MERGE changes data; the lake is read-only from the editor.", SAVE_HINT),
    "truncate": ("TRUNCATE changes data; the lake is read-only from the editor.", SAVE_HINT),
    "unload": ("UNLOAD writes files.", SAVE_HINT),
    "msck": ("MSCK REPAIR TABLE changes the catalog.", "Use Crawl on the Catalog page to pick up new partitions."),
    "grant": ("GRANT changes permissions.", READ_ONLY_HINT),
    "revoke": ("REVOKE changes permissions.", READ_ONLY_HINT),
    "begin": ("Transactions are not needed for read-only queries.", READ_ONLY_HINT),
    "commit": ("Transactions are not needed for read-only queries.", READ_ONLY_HINT),
    "rollback": ("Transactions are not needed for read-only queries.", READ_ONLY_HINT),
    "explain": ("EXPLAIN is not supported in the editor.", "Run the query itself; the statistics show rows and bytes scanned."),
}

# Table functions and functions that reach the file system, the environment or engine internals.
FILE_FUNCTIONS = {
    "read_csv", "read_csv_auto", "read_parquet", "parquet_scan", "read_json", "read_json_auto",
    "read_ndjson", "read_ndjson_auto", "read_json_objects", "read_text", "read_blob", "glob",
    "sniff_csv", "parquet_metadata", "parquet_schema", "parquet_file_metadata", "parquet_kv_metadata",
    "read_xlsx", "st_read", "iceberg_scan", "delta_scan", "read_ndjson_objects",
}
ENGINE_FUNCTIONS = {
    "getenv", "current_setting", "query", "query_table", "duckdb_settings", "duckdb_extensions",
    "duckdb_secrets", "which_secret", "duckdb_databases", "pragma_database_list", "load_extension",
}
FILE_CLASSES = (exp.ReadCSV, exp.ReadParquet)
ALLOWED_ROOTS = (exp.Select, exp.SetOperation, exp.Values, exp.Subquery)


@dataclass(frozen=True)
class CatalogCommand:
    """A statement answered from the catalog: SHOW DATABASES/TABLES/PARTITIONS/COLUMNS, DESCRIBE."""

    kind: str  # databases | tables | partitions | describe
    target: str = ""  # database for `tables`, table (maybe qualified) otherwise
    pattern: str = ""


CATALOG_PATTERNS = (
    (re.compile(r"^show\s+(?:databases|schemas)(?:\s+like\s+'([^']*)')?$", re.I), "databases"),
    (re.compile(r"^show\s+tables(?:\s+(?:in|from)\s+([\w\"`.]+))?(?:\s+(?:like\s+)?'([^']*)')?$", re.I), "tables"),
    (re.compile(r"^show\s+partitions\s+([\w\"`.]+)$", re.I), "partitions"),
    (re.compile(r"^(?:describe|desc)\s+(?:formatted\s+|extended\s+)?([\w\"`.]+)$", re.I), "describe"),
    (re.compile(r"^show\s+columns\s+(?:in|from)\s+([\w\"`.]+)$", re.I), "describe"),
)


def strip_sql(sql: str) -> str:
    """The statement without comments, surrounding blanks and trailing semicolons."""
    text = re.sub(r"/\*.*?\*/", " ", sql, flags=re.S)
    text = re.sub(r"--[^\n]*", " ", text)
    return text.strip().rstrip(";").strip()


def catalog_command(sql: str) -> CatalogCommand | None:
    """The catalog command ``sql`` is, or None for an ordinary query."""
    text = " ".join(strip_sql(sql).split())
    for pattern, kind in CATALOG_PATTERNS:
        match = pattern.match(text)
        if match:
            groups = [g or "" for g in match.groups()] + [""]
            target = groups[0].replace('"', "").replace("`", "")
            pattern_text = groups[1] if kind in ("databases", "tables") else ""
            if kind == "databases":
                target, pattern_text = "", groups[0]
            return CatalogCommand(kind, target, pattern_text)
    return None


def check_read_only(sql: str) -> exp.Expr:
    """Parse ``sql`` (Athena dialect) and return it if the editor may run it; raise otherwise."""
    text = strip_sql(sql)
    if not text:
        raise InvalidInput("There is no SQL to run.", hint="Write a query, e.g. SELECT * FROM demo.reviews LIMIT 10.")
    _refuse_keyword(text)
    _refuse_file_function_text(text)
    statement = _parse_single(sql)
    if not isinstance(statement, ALLOWED_ROOTS):
        raise QueryRefused(
            f"{statement.key.upper()} statements are not allowed from the editor.", hint=READ_ONLY_HINT
        )
    _refuse_file_access(statement)
    return statement


def _refuse_keyword(text: str) -> None:
    first = re.match(r"[A-Za-z_]+", text)
    keyword = first.group(0).lower() if first else ""
    if keyword in REFUSED_KEYWORDS:
        reason, hint = REFUSED_KEYWORDS[keyword]
        raise QueryRefused(f"{keyword.upper()} is not allowed: {reason}", hint=hint)


def _refuse_file_function_text(text: str) -> None:
    # Some of these (glob) do not even parse in Athena's dialect; catch them by name first.
    names = "|".join(sorted(FILE_FUNCTIONS | ENGINE_FUNCTIONS))
    match = re.search(rf"\b({names})\s*\(", text, re.I)
    if match:
        raise _function_refusal(match.group(1).lower())


def _function_refusal(name: str) -> QueryRefused:
    if name in ENGINE_FUNCTIONS:
        return QueryRefused(f"{name}() reaches engine internals or the environment.", hint=READ_ONLY_HINT)
    return QueryRefused(
        f"{name or 'This function'}() reads files directly, which the editor does not allow.",
        hint="Query catalog tables (e.g. demo.reviews); add files with Import on the Catalog page.",
    )


def _parse_single(sql: str) -> exp.Expr:
    try:
        statements = [s for s in sqlglot.parse(sql, read="athena") if s is not None]
    except ParseError as exc:
        raise QueryFailed(f"Syntax error: {_parse_message(exc)}", hint="Fix the SQL at the position shown.") from exc
    if len(statements) > 1:
        raise QueryRefused(
            f"The editor runs one statement at a time; this text has {len(statements)}.",
            hint="Select or keep one statement, or remove the extra semicolons.",
        )
    if not statements:
        raise InvalidInput("There is no SQL to run.", hint="Write a query, e.g. SELECT 1.")
    return statements[0]


def _parse_message(exc: ParseError) -> str:
    error = exc.errors[0] if exc.errors else {}
    description = str(error.get("description", exc)).split(". Line")[0]
    line, col = error.get("line"), error.get("col")
    where = f" (line {line}, column {col})" if line else ""
    return f"{description}{where}"


def _refuse_file_access(statement: exp.Expr) -> None:
    for node in statement.find_all(exp.Func):
        name = _function_name(node)
        if isinstance(node, FILE_CLASSES) or name in FILE_FUNCTIONS | ENGINE_FUNCTIONS:
            raise _function_refusal(name)
    for table in statement.find_all(exp.Table):
        if _looks_like_path(table.name):
            raise QueryRefused(
                f"Reading the file {table.name!r} directly is not allowed.",
                hint="Query catalog tables; add files with Import on the Catalog page.",
            )


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return node.sql_name().lower()


def _looks_like_path(name: str) -> bool:
    return "/" in name or "\\" in name or bool(re.search(r"\.(csv|tsv|parquet|json|jsonl|txt|db|duckdb)$", name, re.I))
