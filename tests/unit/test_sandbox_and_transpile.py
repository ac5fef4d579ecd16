"""What the editor may run (refusals with reasons) and Athena → DuckDB transpiling."""

from __future__ import annotations

import duckdb
import pytest
import sqlglot

from services.errors import InvalidInput, QueryFailed, QueryRefused
from services.query.sandbox import CatalogCommand, catalog_command, check_read_only
from services.query.transpile import to_duckdb

REFUSED = {
    "read_csv": ("SELECT * FROM read_csv('/etc/passwd')", r"read_csv\(\) reads files directly"),
    "read_csv_auto": ("select * from read_csv_auto('/etc/passwd')", "reads files directly"),
    "read_parquet": ("SELECT * FROM read_parquet('/tmp/x.parquet')", "reads files directly"),
    "read_text": ("SELECT * FROM read_text('/etc/passwd')", "reads files directly"),
    "from-path": ("SELECT * FROM '/etc/passwd'", "Reading the file '/etc/passwd' directly"),
    "from-quoted-path": ('SELECT * FROM "/etc/passwd"', "directly is not allowed"),
    "from-csv-file": ("SELECT * FROM 'data.csv'", "directly is not allowed"),
    "glob": ("SELECT * FROM glob('/etc/*')", r"glob\(\) reads files directly"),
    "file-function-in-subquery": ("SELECT (SELECT count(*) FROM read_csv('/etc/passwd')) AS n",
                                  "reads files directly"),
    "getenv": ("SELECT getenv('HOME')", "environment"),
    "current_setting": ("SELECT current_setting('memory_limit')", "engine internals"),
    "copy": ("COPY (SELECT 1) TO '/tmp/out.csv'", "COPY is not allowed"),
    "install": ("INSTALL httpfs", "INSTALL is not allowed"),
    "load": ("LOAD httpfs", "LOAD is not allowed"),
    "attach": ("ATTACH '/tmp/other.db' AS other", "ATTACH is not allowed"),
    "pragma": ("PRAGMA database_list", "PRAGMA is not allowed"),
    "set": ("SET memory_limit = '100GB'", "SET is not allowed"),
    "create": ("CREATE TABLE demo.x AS SELECT 1", "CREATE is not allowed"),
    "create-view": ("create view v as select 1", "CREATE is not allowed"),
    "drop": ("DROP TABLE demo.reviews", "DROP is not allowed"),
    "alter": ("ALTER TABLE demo.reviews ADD COLUMNS (x int)", "ALTER is not allowed"),
    "insert": ("INSERT INTO demo.reviews SELECT * FROM demo.reviews", "INSERT is not allowed"),
    "update": ("UPDATE demo.reviews SET rating = 5", "UPDATE is not allowed"),
    "delete": ("DELETE FROM demo.reviews", "DELETE is not allowed"),
    "two-statements": ("SELECT 1; SELECT 2", "one statement at a time"),
    "select-then-drop": ("SELECT 1; DROP TABLE demo.reviews", "one statement at a time"),
    "comment-then-drop": ("/* harmless */ -- still harmless\n DROP TABLE demo.reviews", "DROP is not allowed"),
    "lower-case-leading-space": ("   delete from demo.reviews", "DELETE is not allowed"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_statements_say_why(case: str) -> None:
    sql, message = REFUSED[case]
    with pytest.raises(QueryRefused, match=message) as caught:
        check_read_only(sql)
    assert caught.value.hint, "a refusal must say what to do instead"


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1",
        "select * from demo.reviews where rating > 3",
        "WITH r AS (SELECT * FROM demo.reviews) SELECT count(*) FROM r",
        "SELECT 1 UNION ALL SELECT 2",
        "VALUES (1, 'a')",
        "SELECT 'read_csv is just text; DROP TABLE x' AS note",
        "SELECT 1;",
        "-- a comment\nSELECT 1 -- trailing\n",
        "SELECT * FROM AwsDataCatalog.demo.reviews",
        "SELECT * FROM (SELECT 1 AS x) t",
    ],
)
def test_read_only_statements_pass(sql: str) -> None:
    assert check_read_only(sql) is not None


@pytest.mark.parametrize("sql", ["", "   ", "-- only a comment", ";"])
def test_empty_sql_is_invalid_input(sql: str) -> None:
    with pytest.raises(InvalidInput, match="no SQL"):
        check_read_only(sql)


def test_syntax_error_says_where() -> None:
    with pytest.raises(QueryFailed, match=r"Syntax error.*line 1") as caught:
        check_read_only("SELECT FROM WHERE (")
    assert "Fix the SQL" in caught.value.hint


@pytest.mark.parametrize(
    "sql, expected",
    [
        ("SHOW DATABASES", CatalogCommand("databases")),
        ("show schemas like 'de%'", CatalogCommand("databases", "", "de%")),
        ("SHOW TABLES", CatalogCommand("tables")),
        ("SHOW TABLES IN demo", CatalogCommand("tables", "demo")),
        ("show tables from demo like 'rev*'", CatalogCommand("tables", "demo", "rev*")),
        ("DESCRIBE demo.reviews", CatalogCommand("describe", "demo.reviews")),
        ('describe "demo"."reviews";', CatalogCommand("describe", "demo.reviews")),
        ("SHOW COLUMNS IN demo.reviews", CatalogCommand("describe", "demo.reviews")),
        ("SHOW PARTITIONS demo.reviews_by_division", CatalogCommand("partitions", "demo.reviews_by_division")),
        ("SELECT 1", None),
        ("SHOW CREATE TABLE demo.reviews", None),
    ],
)
def test_catalog_commands_are_recognised(sql: str, expected: CatalogCommand | None) -> None:
    assert catalog_command(sql) == expected


def duck(sql: str, date_columns: frozenset[str] = frozenset()) -> duckdb.DuckDBPyRelation:
    return duckdb.sql(to_duckdb(sqlglot.parse_one(sql, read="athena"), date_columns))


def test_date_add_of_a_date_stays_a_date() -> None:
    relation = duck("SELECT date_add('day', 3, DATE '2024-02-27') AS d")
    assert [str(t) for t in relation.types] == ["DATE"]
    assert str(relation.fetchall()[0][0]) == "2024-03-01"


def test_date_add_months_on_a_date_column_stays_a_date() -> None:
    sql = "SELECT date_add('month', 1, day) AS d FROM (SELECT DATE '2024-01-31' AS day) t"
    relation = duck(sql, frozenset({"day"}))
    assert [str(t) for t in relation.types] == ["DATE"]
    assert str(relation.fetchall()[0][0]) == "2024-02-29"


def test_date_add_hours_on_a_timestamp_stays_a_timestamp() -> None:
    relation = duck("SELECT date_add('hour', 2, TIMESTAMP '2024-01-01 23:00:00') AS t")
    assert [str(t) for t in relation.types] == ["TIMESTAMP"]
    assert str(relation.fetchall()[0][0]) == "2024-01-02 01:00:00"


def test_unaliased_expressions_are_named_like_athena() -> None:
    relation = duck("SELECT 1 + 1, x, upper('a'), x AS named, count(*) FROM (SELECT 5 AS x) t GROUP BY x")
    assert relation.columns == ["_col0", "x", "_col2", "named", "_col4"]


def test_union_columns_are_named_by_the_first_branch() -> None:
    relation = duck("SELECT 1 + 1 UNION ALL SELECT 3")
    assert relation.columns == ["_col0"]


def test_aws_data_catalog_prefix_is_dropped() -> None:
    sql = to_duckdb(sqlglot.parse_one("SELECT * FROM AwsDataCatalog.demo.reviews", read="athena"))
    assert "awsdatacatalog" not in sql.lower()
    assert "demo.reviews" in sql


def test_athena_functions_are_translated() -> None:
    relation = duck("SELECT approx_distinct(x) AS n, element_at(array[1, 2, 3], 2) AS second, "
                    "cardinality(array[1, 2]) AS c FROM (VALUES (1), (2), (2)) AS t(x)")
    assert relation.fetchall()[0] == (2, 2, 2)
