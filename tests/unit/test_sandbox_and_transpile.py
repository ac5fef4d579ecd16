"""What the editor may run (refusals with reasons) and Athena → DuckDB transpiling."""

from __future__ import annotations

import duckdb
import pytest
import sqlglot

from services.bias.models import BiasRequest
from services.demo.seed import REVIEWS_SENTIMENT_SQL
from services.errors import InvalidInput, QueryFailed, QueryRefused
from services.explain.quick_model import DataAccess, read_sample
from services.models import DataSource
from services.query.allowed_functions import ALLOWED_FUNCTIONS, ALLOWED_TABLE_FUNCTIONS, SYNTAX
from services.query.sandbox import (
    CatalogCommand,
    catalog_command,
    catalog_references,
    check_engine_sql,
    check_read_only,
)
from services.query.transpile import to_duckdb
from services.registry import Services
from tests.helpers.sql import REFUSED


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


# -- the local engine's allow-lists (issue 9, finding 4) -----------------------------------------


def check_local(sql: str) -> None:
    """The local engine's checks without a catalog: every table reference counts as a catalog table."""
    statement = check_read_only(sql)
    tables = {f"{t.db}.{t.name}".lower() for t in catalog_references(statement)}
    check_engine_sql(to_duckdb(statement), tables)


REFUSED_LOCALLY = {
    # the reproduced gaps: SQL the check never saw, file readers missing from the old deny-list
    "serialized-sql": ("SELECT json_execute_serialized_sql(json_serialize_sql('SELECT 1'))",
                       r"json_execute_serialized_sql\(\) reaches engine internals"),
    "serialized-sql-as-table": ("SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT 1'))",
                                "json_execute_serialized_sql"),
    "read_json_objects_auto": ("SELECT * FROM read_json_objects_auto('/etc/passwd')",
                               r"read_json_objects_auto\(\) reads files directly"),
    "parquet_bloom_probe": ("SELECT * FROM parquet_bloom_probe('x.parquet', 'a', 1)",
                            r"parquet_bloom_probe\(\) reads files directly"),
    # anything off the allow-list, whatever it is
    "unknown-function": ("SELECT sleep_ms(100000)", r"sleep_ms\(\) is not one of the functions the local engine allows"),
    "getvariable": ("SELECT getvariable('x')", r"getvariable\(\) reaches engine internals"),
    "list_aggregate-by-name": ("SELECT list_aggregate(array[1, 2], 'min')", r"list_aggregate\(\) is not one"),
    "pragma-function": ("SELECT * FROM pragma_table_info('demo.reviews')", r"pragma_table_info\(\) cannot be read"),
    "table-function": ("SELECT * FROM duckdb_functions()", r"duckdb_functions\(\) cannot be read as a table"),
    "repeat-as-table": ("SELECT * FROM repeat(1, 10)", r"repeat\(\) cannot be read as a table"),
    # nested and disguised spellings
    "quoted-name": ("SELECT \"sleep_ms\"(100000)", r"sleep_ms\(\) is not one"),
    "quoted-table-function": ("SELECT * FROM \"read_json_objects_auto\"('/etc/passwd')", "reads files directly"),
    "schema-qualified": ("SELECT * FROM main.parquet_bloom_probe('x.parquet', 'a', 1)", "reads files directly"),
    "schema-qualified-scalar": ("SELECT main.upper('x')", "qualified name"),
    "method-call": ("SELECT 'x'.upper()", "qualified name"),
    "upper-case": ("SELECT * FROM READ_JSON_OBJECTS_AUTO('/etc/passwd')", "reads files directly"),
    "in-subquery": ("SELECT * FROM (SELECT * FROM (SELECT sleep_ms(1) AS x) a) b", r"sleep_ms\(\)"),
    "in-lateral-join": ("SELECT * FROM (VALUES 1) t(x) CROSS JOIN LATERAL (SELECT sleep_ms(1) AS y) l", r"sleep_ms\(\)"),
    "in-order-by": ("SELECT 1 AS x ORDER BY sleep_ms(1)", r"sleep_ms\(\)"),
    "in-lambda": ("SELECT transform(array['x'], v -> getvariable(v)) AS x", r"getvariable\(\)"),
    "in-where-exists": ("SELECT 1 WHERE EXISTS (SELECT 1 FROM parquet_full_metadata('x.parquet'))",
                        "reads files directly"),
    "in-cte": ("WITH t AS (SELECT * FROM parquet_bloom_probe('x.parquet', 'a', 1)) SELECT * FROM t",
               "parquet_bloom_probe"),
    # tables: DuckDB's own catalog and file paths are not catalog tables
    "system-view": ("SELECT * FROM duckdb_tables", "engine's system tables"),
    "system-view-in-main": ("SELECT * FROM main.duckdb_tables", "engine's system tables"),
    "information-schema": ("SELECT * FROM information_schema.tables", "engine's system tables"),
    "pg-catalog": ("SELECT * FROM pg_class", "engine's system tables"),
    "sqlite-master": ("SELECT * FROM sqlite_master", "engine's system tables"),
    "other-catalog": ("SELECT * FROM system.main.duckdb_tables", "only AwsDataCatalog"),
    "temp-schema": ("SELECT * FROM temp.main.t", "only AwsDataCatalog"),
    "cte-named-like-a-system-view": ("WITH duckdb_tables AS (SELECT 1 AS x) SELECT * FROM duckdb_tables",
                                     "may not be named 'duckdb_tables'"),
}


@pytest.mark.parametrize("case", sorted(REFUSED_LOCALLY))
def test_the_local_engine_refuses_what_is_not_on_its_allow_lists(case: str) -> None:
    sql, message = REFUSED_LOCALLY[case]
    with pytest.raises(QueryRefused, match=message) as caught:
        check_local(sql)
    assert caught.value.hint, "a refusal must say what to do instead"


def test_a_refused_function_points_to_the_list_of_allowed_ones() -> None:
    with pytest.raises(QueryRefused) as caught:
        check_local("SELECT levenshtein(title, 'dress'), current_setting('threads') FROM demo.reviews")
    assert "current_setting()" in caught.value.message
    with pytest.raises(QueryRefused) as caught:
        check_local("SELECT url_extract_host('https://example.com/')")
    assert caught.value.message == "url_extract_host() is not one of the functions the local engine allows."
    assert "services/query/allowed_functions.py" in caught.value.hint and "README" in caught.value.hint


def test_a_cte_is_visible_only_in_its_own_scope() -> None:
    statement = sqlglot.parse_one(
        "SELECT (SELECT count(*) FROM (WITH r AS (SELECT 1 AS x) SELECT * FROM r) t) AS inner_rows, "
        "(SELECT count(*) FROM r) AS outer_rows, "
        "(WITH s AS (SELECT 2 AS y) SELECT count(*) FROM s WHERE y IN (SELECT y FROM s)) AS nested_rows",
        read="athena",
    )
    assert [t.sql() for t in catalog_references(statement)] == ["r"]  # the second r; s is visible in both places


def test_cte_names_match_case_insensitively_and_later_ctes_are_not_visible_earlier() -> None:
    statement = sqlglot.parse_one('WITH "Recent" AS (SELECT * FROM later), later AS (SELECT 1) SELECT * FROM recent',
                                  read="athena")
    assert [t.sql() for t in catalog_references(statement)] == ["later"]


def test_engine_sql_reads_only_the_tables_it_was_planned_with() -> None:
    check_engine_sql("SELECT * FROM demo.reviews", {"demo.reviews"})
    with pytest.raises(QueryRefused, match="not a catalog table"):
        check_engine_sql("SELECT * FROM demo.reviews, duckdb_tables", {"demo.reviews"})
    with pytest.raises(QueryRefused, match="not a catalog table"):
        check_engine_sql("SELECT * FROM '/etc/passwd'", {"demo.reviews"})


def test_every_allowed_name_is_a_duckdb_function_of_that_kind() -> None:
    functions = duckdb.sql("SELECT DISTINCT function_name, function_type FROM duckdb_functions()").fetchall()
    scalars = {name for name, kind in functions if kind not in ("table", "table_macro")}
    tables = {name for name, kind in functions if kind in ("table", "table_macro")}
    assert ALLOWED_FUNCTIONS - SYNTAX - scalars == set()
    assert ALLOWED_TABLE_FUNCTIONS - tables == set()


# Athena functions a course or an analyst uses, as written in Athena; each must pass the local check.
ATHENA_EXPRESSIONS = [
    "date_add('day', 3, DATE '2024-01-31')", "date_add('month', 1, current_date)",
    "date_diff('day', DATE '2024-01-01', current_date)", "date_trunc('month', current_timestamp)",
    "date_format(current_timestamp, '%Y-%m-%d')", "date_parse('2024-01-02', '%Y-%m-%d')",
    "from_unixtime(1700000000)", "to_unixtime(current_timestamp)", "from_iso8601_timestamp('2024-01-01T00:00:00Z')",
    "from_iso8601_date('2024-01-01')", "year(current_date)", "month(current_date)", "day(current_date)",
    "day_of_week(current_date)", "day_of_year(current_date)", "week(current_date)", "quarter(current_date)",
    "hour(current_timestamp)", "extract(year FROM current_date)", "last_day_of_month(current_date)", "now()",
    "regexp_like(title, 'dress')", "regexp_extract(title, '(\\w+)', 1)", "regexp_replace(title, '\\s+', ' ')",
    "regexp_extract_all(review_text, '\\w+')", "split(review_text, ' ')", "split_part(title, ' ', 1)",
    "element_at(split(review_text, ' '), 1)", "cardinality(split(review_text, ' '))",
    "lower(title)", "upper(title)", "length(review_text)", "substr(title, 1, 5)", "trim(title)", "ltrim(title)",
    "rtrim(title)", "lpad(title, 20, '.')", "rpad(title, 20, '.')", "replace(title, 'a', 'b')", "reverse(title)",
    "strpos(title, 'a')", "position('a' IN title)", "starts_with(title, 'A')", "concat(title, '!')",
    "concat_ws(' ', title, review_text)", "title || '!'", "chr(65)", "levenshtein_distance(title, 'dress')",
    "md5(to_utf8(title))", "sha256(to_utf8(title))", "to_hex(to_utf8(title))", "to_base64(to_utf8(title))",
    "json_extract_scalar('{\"a\": 1}', '$.a')", "json_extract('{\"a\": [1]}', '$.a')", "json_parse('[1, 2]')",
    "json_format(json_parse('[1]'))", "json_array_length(json_parse('[1, 2]'))",
    "abs(age - 40)", "ceil(age / 3.0)", "floor(age / 3.0)", "round(age / 3.0, 2)", "truncate(age / 3.0)",
    "sqrt(age)", "cbrt(age)", "power(age, 2)", "exp(1)", "ln(age)", "log10(age)", "log2(age)", "mod(age, 7)",
    "sign(age - 40)", "greatest(age, rating)", "least(age, rating)", "rand()", "random()", "pi()", "is_nan(1.0)",
    "sin(age)", "atan2(age, rating)", "radians(age)", "degrees(age)",
    "coalesce(title, '')", "nullif(rating, 3)", "if(rating > 3, 'positive', 'other')", "try(age / 0)",
    "try_cast(title AS integer)", "CAST(age AS double)", "CAST(age AS varchar)", "typeof(age)",
    "CASE WHEN rating <= 2 THEN -1 WHEN rating = 3 THEN 0 ELSE 1 END", "rating BETWEEN 1 AND 3",
    "rating IN (1, 2)", "title LIKE '%dress%'", "title IS NULL", "NOT (rating > 3)",
    "array[1, 2, 3]", "contains(array[1, 2], rating)", "array_join(array['a', 'b'], ',')",
    "array_distinct(array[1, 1])", "array_sort(array[2, 1])", "array_max(array[1, 2])", "array_min(array[1, 2])",
    "array_position(array[1, 2], 2)", "array_remove(array[1, 2], 1)", "array_intersect(array[1, 2], array[2])",
    "array_except(array[1, 2], array[2])", "slice(array[1, 2, 3], 1, 2)", "flatten(array[array[1], array[2]])",
    "transform(array[1, 2], x -> x * rating)", "filter(array[1, 2], x -> x > 1)",
    "reduce(array[1, 2], 0, (s, x) -> s + x, s -> s)", "sequence(1, 5)",
    "map(array['a'], array[1])", "map_keys(map(array['a'], array[1]))", "map_values(map(array['a'], array[1]))",
    "element_at(map(array['a'], array[1]), 'a')", "map_from_entries(array[('a', 1)])",
    "ROW(1, 'a')", "CAST(ROW(1, 'a') AS ROW(n integer, s varchar))",
    "row_number() OVER (ORDER BY age)", "rank() OVER (PARTITION BY division_name ORDER BY age)",
    "dense_rank() OVER (ORDER BY age)", "percent_rank() OVER (ORDER BY age)", "cume_dist() OVER (ORDER BY age)",
    "ntile(4) OVER (ORDER BY age)", "lag(age, 1) OVER (ORDER BY age)", "lead(age) OVER (ORDER BY age)",
    "first_value(age) OVER (ORDER BY age)", "last_value(age) OVER (ORDER BY age)",
    "nth_value(age, 2) OVER (ORDER BY age)",
    "sum(age) OVER (PARTITION BY rating ORDER BY age ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)",
    "avg(age) OVER (PARTITION BY rating)",
]
ATHENA_AGGREGATES = [
    "count(*)", "count(DISTINCT age)", "count_if(rating > 3)", "sum(age)", "avg(age)", "min(age)", "max(age)",
    "min_by(title, age)", "max_by(title, age)", "arbitrary(title)", "any_value(title)",
    "bool_and(rating > 0)", "bool_or(rating > 4)", "array_agg(rating)", "array_agg(rating ORDER BY age)",
    "listagg(title, ', ') WITHIN GROUP (ORDER BY title)", "string_agg(title, ',')", "approx_distinct(age)",
    "approx_percentile(age, 0.5)", "approx_percentile(age, array[0.25, 0.75])", "stddev(age)", "stddev_samp(age)",
    "stddev_pop(age)", "variance(age)", "var_samp(age)", "var_pop(age)", "corr(age, rating)",
    "covar_samp(age, rating)", "covar_pop(age, rating)", "regr_slope(rating, age)", "regr_intercept(rating, age)",
    "kurtosis(age)", "skewness(age)", "geometric_mean(age)", "histogram(rating)",
    "bitwise_and_agg(age)", "count(*) FILTER (WHERE rating > 3)",
]
ATHENA_QUERIES = [
    REVIEWS_SENTIMENT_SQL,
    "SELECT rating, count(*) AS reviews, avg(age) AS avg_age\nFROM demo.reviews\nGROUP BY rating\nORDER BY rating",
    "SELECT * FROM demo.reviews_sentiment",
    "SELECT * FROM reviews LIMIT 10",
    'SELECT *\nFROM "demo"."reviews_by_division"\nWHERE "division" = \'General\'\nLIMIT 100',
    "SELECT * FROM AwsDataCatalog.demo.wine",
    "SELECT CAST(sentiment AS varchar) AS predicted, count(*) AS rows FROM demo.reviews_sentiment GROUP BY 1 ORDER BY 1",
    "SELECT \"age\" AS value, count(*) AS n FROM (SELECT * FROM demo.reviews_sentiment) AS source_rows "
    "WHERE \"age\" IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 51",
    "SELECT (CASE WHEN (CASE WHEN \"age\" >= 0 THEN floor(\"age\") ELSE ceil(\"age\") END) > 40 THEN 1 ELSE 0 END) "
    "AS facet, (CASE WHEN \"sentiment\" IN (1) THEN 1 ELSE 0 END) AS label, count(*) AS n "
    "FROM (WITH s AS (SELECT * FROM demo.reviews_sentiment) SELECT * FROM s) AS source_rows GROUP BY 1, 2",
    "SELECT \"age\", \"sentiment\" FROM demo.reviews_sentiment ORDER BY rand() LIMIT 100",
    "SELECT max(\"age\") AS facet FROM demo.reviews_sentiment",
    "WITH by_class AS (SELECT class_name, avg(rating) AS mean_rating FROM demo.reviews GROUP BY class_name) "
    "SELECT * FROM by_class WHERE mean_rating > (SELECT avg(mean_rating) FROM by_class) ORDER BY 2 DESC",
    "WITH a AS (SELECT 1 AS x), b AS (SELECT x + 1 AS y FROM a) SELECT * FROM b",
    "SELECT r.title, w.alcohol FROM demo.reviews r JOIN demo.wine w ON r.age = w.target LIMIT 5",
    "SELECT title, word FROM demo.reviews CROSS JOIN UNNEST(split(review_text, ' ')) AS t(word) LIMIT 20",
    "SELECT n FROM UNNEST(sequence(1, 10)) AS t(n)",
    "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS t(id, name)",
    "VALUES (1, 'a')",
    "SELECT rating FROM demo.reviews UNION ALL SELECT rating FROM demo.reviews_by_division",
    "SELECT rating FROM demo.reviews INTERSECT SELECT rating FROM demo.reviews_sentiment",
    "SELECT division_name, department_name, count(*) FROM demo.reviews GROUP BY GROUPING SETS "
    "((division_name), (division_name, department_name))",
    "SELECT rating, count(*) FROM demo.reviews GROUP BY ROLLUP (rating)",
    "SELECT * FROM demo.reviews WHERE rating IN (SELECT rating FROM demo.reviews_sentiment WHERE sentiment = 1)",
    "SELECT * FROM demo.reviews r WHERE EXISTS (SELECT 1 FROM demo.wine w WHERE w.target = r.rating)",
    "SELECT * FROM demo.reviews ORDER BY age DESC NULLS LAST LIMIT 10 OFFSET 5",
    "SELECT DISTINCT division_name FROM demo.reviews",
    "SELECT age, count(*) FROM demo.reviews GROUP BY age HAVING count(*) > 10",
    "SELECT r.* FROM demo.reviews r, LATERAL (SELECT r.rating * 2 AS doubled) l WHERE l.doubled > 6",
    "SELECT target, avg(alcohol) FROM demo.wine TABLESAMPLE BERNOULLI (50) GROUP BY target",
    "SELECT 1",
]


def test_athena_functions_pass_the_local_checks() -> None:
    expressions = [f"SELECT {e} AS value FROM demo.reviews" for e in ATHENA_EXPRESSIONS + ATHENA_AGGREGATES]
    refused = {}
    for sql in expressions:
        try:
            check_local(sql)
        except QueryRefused as exc:
            refused[sql] = str(exc)
    assert refused == {}


def test_realistic_athena_queries_pass_the_local_engine_planning(seeded_services: Services) -> None:
    refused = {}
    for sql in ATHENA_QUERIES:
        try:
            seeded_services.query.estimate(sql, "demo")
        except QueryRefused as exc:
            refused[sql] = str(exc)
    assert refused == {}


def test_allowed_athena_functions_run_on_the_local_engine(seeded_services: Services) -> None:
    sql = ("SELECT approx_distinct(rating) AS ratings, count_if(regexp_like(title, 'a')) > 0 AS some_a, "
           "arbitrary(rating) BETWEEN 1 AND 5 AS any_rating, max(cardinality(split(review_text, ' '))) > 1 AS words, "
           "sum(if(rating > 3, 1, 0)) > 0 AS positives FROM demo.reviews")
    frame = seeded_services.query.run(sql, "demo").frame
    assert frame.iloc[0].tolist() == [5, True, True, True, True]


def test_a_cte_is_not_visible_in_another_subquery_when_run(seeded_services: Services) -> None:
    sql = ("SELECT (SELECT count(*) FROM (WITH wine AS (SELECT 1 AS x) SELECT * FROM wine) t) AS cte_rows, "
           "(SELECT count(*) FROM wine) AS table_rows")
    assert seeded_services.query.run(sql, "demo").frame.iloc[0].tolist() == [1, 178]


def test_a_system_view_is_not_reached_through_a_cte_of_another_scope(seeded_services: Services) -> None:
    sql = ("SELECT (SELECT count(*) FROM (WITH duckdb_tables AS (SELECT 1 AS x) SELECT * FROM duckdb_tables) t) AS a, "
           "(SELECT count(*) FROM duckdb_tables) AS b")
    with pytest.raises(QueryRefused):
        seeded_services.query.run(sql, "demo")
    with pytest.raises(QueryRefused, match="engine's system tables"):
        seeded_services.query.run("SELECT count(*) FROM (SELECT * FROM pg_class) t", "demo")


@pytest.mark.parametrize("sql", [
    "SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT 42 AS answer'))",
    "SELECT * FROM read_json_objects_auto('reviews.json')",
    "SELECT * FROM parquet_bloom_probe('part-00000.parquet', 'rating', 5)",
])
def test_every_path_that_runs_user_sql_refuses_the_reproduced_gaps(seeded_services: Services, sql: str) -> None:
    query = seeded_services.query
    for run in (lambda: query.run(sql, "demo"), lambda: query.estimate(sql, "demo"),
                lambda: query.start_query(sql, "demo"),
                lambda: seeded_services.bias.distinct_values(BiasRequest(source=DataSource(), sql=sql, label="x",
                                                                          facet="x"), "x"),
                lambda: read_sample(DataAccess(query, seeded_services.storage, seeded_services.settings), DataSource(), sql)):
        with pytest.raises(QueryRefused):
            run()
