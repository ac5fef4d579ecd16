"""What the SQL editor may run: one read-only statement over catalog tables. Each refusal says why.

``check_read_only`` is shared by both backends. The local engine adds two allow-lists: every table a
query reads is a CTE visible where it is named or a catalog table (``catalog_references``), and the
DuckDB SQL it runs calls only functions in allowed_functions.py (``check_engine_sql``). The engine is
locked down too (see services/embedded/duckdb_engine.py); these checks come first so the user gets
a plain explanation instead of an engine error.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError
from sqlglot.optimizer.scope import traverse_scope

from services.errors import InvalidInput, QueryFailed, QueryRefused
from services.query.allowed_functions import ALLOWED_FUNCTIONS, ALLOWED_TABLE_FUNCTIONS

READ_ONLY_HINT = "The editor runs read-only queries (SELECT, WITH, VALUES, SHOW, DESCRIBE)."
SAVE_HINT = "To keep a result, run the query and use 'Save results as table'."
FUNCTIONS_HINT = ("The local engine runs the Athena functions listed in services/query/allowed_functions.py "
                  "(README: 'The editor is read-only and sandboxed').")
CATALOG_HINT = "Query catalog tables (database.table); SHOW TABLES IN <database> lists them."
AWS_CATALOG = "awsdatacatalog"
# DuckDB's own schemas, and name prefixes of its system views (duckdb_tables, pg_class, sqlite_master…).
SYSTEM_SCHEMAS = frozenset({"system", "temp", "pg_catalog", "information_schema"})
SYSTEM_PREFIXES = ("duckdb_", "pg_", "pragma_", "sqlite_")
CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\(")

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

# Well-known unsafe names, refused on both backends with a specific reason. They are not what keeps
# the local engine safe: there every function must be on the allow-list (allowed_functions.py).
FILE_FUNCTIONS = {
    "read_csv", "read_csv_auto", "read_parquet", "parquet_scan", "read_json", "read_json_auto",
    "read_ndjson", "read_ndjson_auto", "read_json_objects", "read_json_objects_auto", "read_text",
    "read_blob", "glob", "sniff_csv", "parquet_metadata", "parquet_schema", "parquet_file_metadata",
    "parquet_kv_metadata", "parquet_full_metadata", "parquet_bloom_probe", "parquet_page_index",
    "read_xlsx", "st_read", "iceberg_scan", "delta_scan", "read_ndjson_objects", "read_duckdb",
}
ENGINE_FUNCTIONS = {
    "getenv", "current_setting", "getvariable", "query", "query_table", "duckdb_settings",
    "duckdb_extensions", "duckdb_secrets", "which_secret", "duckdb_databases", "pragma_database_list",
    "load_extension", "json_execute_serialized_sql", "json_serialize_sql", "json_deserialize_sql",
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
    if name in FILE_FUNCTIONS:
        return QueryRefused(
            f"{name}() reads files directly, which the editor does not allow.",
            hint="Query catalog tables (e.g. demo.reviews); add files with Import on the Catalog page.",
        )
    return QueryRefused(f"{name}() is not one of the functions the local engine allows.", hint=FUNCTIONS_HINT)


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


# -- the local engine's allow-lists -----------------------------------------------------------


def catalog_references(statement: exp.Expr) -> list[exp.Table]:
    """The statement's references to catalog tables: every table reference except a CTE visible in
    the reference's own scope. Refuses table functions off the allow-list, file paths, other
    catalogs, DuckDB's system tables and CTEs named like them."""
    _refuse_system_cte_names(statement)
    ctes = cte_references(statement)
    references = []
    for table in statement.find_all(exp.Table):
        if id(table) in ctes:
            continue
        if isinstance(table.this, exp.Func):
            _check_table_function(_function_name(table.this))
            continue
        _check_catalog_name(table)
        references.append(table)
    return references


def cte_references(statement: exp.Expr) -> set[int]:
    """``id()`` of each table reference that names a CTE visible in its scope. A CTE defined in one
    subquery is not visible from another, so the same name there is a table like any other."""
    found: set[int] = set()
    try:
        scopes = traverse_scope(statement)
    except SqlglotError:
        return found  # no scopes: every reference must then be a catalog table
    for scope in scopes:
        visible = {name.lower() for name in scope.cte_sources}
        for table in scope.tables:
            bare = not table.args.get("db") and not table.args.get("catalog")
            if bare and isinstance(table.this, exp.Identifier) and table.name.lower() in visible:
                found.add(id(table))
    return found


def _refuse_system_cte_names(statement: exp.Expr) -> None:
    # Such a CTE could only be meant to shadow a system view; refusing it keeps the two apart even
    # where sqlglot's and DuckDB's ideas of CTE scope might differ.
    for cte in statement.find_all(exp.CTE):
        if cte.alias_or_name.lower().startswith(SYSTEM_PREFIXES):
            raise QueryRefused(
                f"A WITH query may not be named {cte.alias_or_name!r}: that is the name of an engine system table.",
                hint="Choose another name for it.",
            )


def _check_table_function(name: str) -> None:
    if name in ALLOWED_TABLE_FUNCTIONS:
        return
    if name in FILE_FUNCTIONS | ENGINE_FUNCTIONS:
        raise _function_refusal(name)
    raise QueryRefused(f"{name}() cannot be read as a table in the editor.",
                       hint="Read catalog tables, VALUES or CROSS JOIN UNNEST(array). " + FUNCTIONS_HINT)


def _check_catalog_name(table: exp.Table) -> None:
    if not isinstance(table.this, exp.Identifier) or _looks_like_path(table.name):
        raise QueryRefused(
            f"Reading the file {table.name!r} directly is not allowed.",
            hint="Query catalog tables; add files with Import on the Catalog page.",
        )
    catalog, database, name = table.catalog.lower(), table.db.lower(), table.name.lower()
    if catalog and catalog != AWS_CATALOG:
        raise QueryRefused(f"{table.sql()} is not a catalog table: only AwsDataCatalog is known here.", hint=CATALOG_HINT)
    if database in SYSTEM_SCHEMAS or (database in ("", "main") and name.startswith(SYSTEM_PREFIXES)):
        raise QueryRefused(f"{table.sql()} is one of the engine's system tables, which the editor does not read.",
                           hint=CATALOG_HINT)


def check_engine_sql(duckdb_sql: str, tables: Collection[str]) -> None:
    """Refuse DuckDB SQL that calls a function off the allow-list, or reads anything but CTEs, UNNEST,
    VALUES and ``tables`` (``database.table``, lower case). Run on the exact text the engine gets."""
    try:
        statement = sqlglot.parse_one(duckdb_sql, read="duckdb")
    except SqlglotError as exc:
        raise QueryFailed("The query could not be checked before running.",
                          hint="Simplify the query; the editor runs Athena SQL.") from exc
    for function in statement.find_all(exp.Func):
        _check_function(function)
    ctes = cte_references(statement)
    for table in statement.find_all(exp.Table):
        if id(table) in ctes or isinstance(table.this, exp.Func):
            continue
        if f"{table.db}.{table.name}".lower() not in tables or table.catalog:
            raise QueryRefused(f"{table.sql()} is not a catalog table.", hint=CATALOG_HINT)


def _check_function(function: exp.Func) -> None:
    if isinstance(function.parent, exp.Dot) and function.arg_key == "expression":
        raise QueryRefused(f"{function.parent.sql()} calls a function by a qualified name, which the editor does not allow.",
                           hint="Call functions by their plain name, e.g. upper(x). " + FUNCTIONS_HINT)
    name = _called_name(function)
    if name is None:
        return  # written as an operator (a || b, x[1], CASE …); its operands are checked on their own
    if isinstance(function.parent, (exp.Table, exp.From, exp.Join)):
        _check_table_function(name)
    elif name not in ALLOWED_FUNCTIONS:
        raise _function_refusal(name)


def _called_name(function: exp.Func) -> str | None:
    """The name DuckDB calls: as written for a function sqlglot does not know, else as sqlglot writes it."""
    if isinstance(function, exp.Anonymous):
        return str(function.name).lower()
    match = CALL.match(function.sql(dialect="duckdb"))
    return match.group(1).lower() if match else None
