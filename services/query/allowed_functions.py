"""The functions the local SQL editor may call: data, not code.

Names are DuckDB's, because the check reads the DuckDB SQL that ``transpile.to_duckdb`` produces from
Athena (Trino) SQL; e.g. Athena's ``regexp_like`` arrives as ``regexp_matches``, ``approx_distinct`` as
``approx_count_distinct``, ``approx_percentile`` as ``approx_quantile``, ``cardinality`` as
``array_length``, ``from_unixtime`` as ``to_timestamp``, ``date_format`` as ``strftime``, ``split`` as
``str_split``, ``sequence`` as ``generate_series``, ``arbitrary`` as ``any_value``. A name missing here is
refused, whatever it does; tests/unit/test_sandbox_and_transpile.py checks each name exists in DuckDB.

Deliberately absent: everything that reads files or other databases (``read_*``, ``glob``, ``parquet_*``,
``sniff_csv``, ``query``, ``query_table``), executes serialized SQL (``json_execute_serialized_sql``),
reaches engine settings, variables, secrets or the environment (``current_setting``, ``getvariable``,
``getenv``, ``duckdb_*``, ``pragma_*``, ``pg_*``), changes engine state (``enable_*``, ``disable_*``,
``checkpoint``, ``setseed``, ``nextval``) or stalls it (``sleep_ms``, ``pg_sleep``), and functions that
call other functions by a name given as a string (``list_aggregate``).
"""

from __future__ import annotations

# Keywords DuckDB writes like calls; they evaluate their arguments and nothing else.
SYNTAX = frozenset({"cast", "try_cast", "try", "extract", "exists", "coalesce", "nullif", "grouping", "row", "unnest"})

STRINGS = frozenset({
    "lower", "upper", "lcase", "ucase", "length", "len", "char_length", "character_length", "strlen",
    "octet_length", "bit_length", "substring", "substr", "trim", "ltrim", "rtrim", "lpad", "rpad",
    "replace", "reverse", "strpos", "position", "instr", "starts_with", "ends_with", "prefix", "suffix",
    "contains", "concat", "concat_ws", "chr", "ascii", "unicode", "ord", "left", "right", "repeat",
    "split_part", "str_split", "string_split", "string_to_array", "split", "translate", "format", "printf",
    "levenshtein", "damerau_levenshtein", "hamming", "jaccard", "jaro_similarity", "jaro_winkler_similarity",
    "regexp_matches", "regexp_full_match", "regexp_extract", "regexp_extract_all", "regexp_replace",
    "regexp_split_to_array", "str_split_regex", "string_split_regex", "regexp_escape",
    "strip_accents", "nfc_normalize", "url_encode", "url_decode", "md5", "sha1", "sha256", "hash",
    "encode", "decode", "hex", "unhex", "to_hex", "from_hex", "to_base64", "base64", "from_base64",
    "uuid", "gen_random_uuid", "uuidv4", "typeof",
})

JSON = frozenset({
    "json", "json_extract", "json_extract_string", "json_extract_path", "json_extract_path_text",
    "json_value", "json_exists", "json_array_length", "json_keys", "json_type", "json_valid",
    "json_contains", "json_structure", "to_json", "json_object", "json_array", "json_quote", "from_json",
    "json_transform", "json_group_array", "json_group_object",
})

MATH = frozenset({
    "abs", "ceil", "ceiling", "floor", "round", "round_even", "trunc", "sqrt", "cbrt", "power", "pow",
    "exp", "ln", "log", "log10", "log2", "mod", "fmod", "sign", "signbit", "greatest", "least", "random",
    "pi", "isnan", "isinf", "isfinite", "sin", "cos", "tan", "cot", "asin", "acos", "atan", "atan2",
    "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "radians", "degrees", "factorial", "gcd", "lcm",
    "gamma", "lgamma", "even", "bit_count", "xor", "divide", "multiply", "add", "subtract",
})

CONDITIONAL = frozenset({"if"})

DATES = frozenset({
    "current_date", "now", "today", "get_current_timestamp", "date_add", "date_sub",
    "date_diff", "datediff", "date_part", "datepart", "date_trunc", "datetrunc", "strftime", "strptime",
    "try_strptime", "epoch", "epoch_ms", "epoch_us", "epoch_ns", "to_timestamp", "make_date", "make_time",
    "make_timestamp", "make_timestamptz", "year", "month", "day", "dayofmonth", "dayofweek", "dayofyear",
    "isodow", "isoyear", "week", "weekofyear", "weekday", "yearweek", "quarter", "hour", "minute",
    "second", "millisecond", "microsecond", "nanosecond", "decade", "century", "millennium", "era",
    "last_day", "dayname", "monthname", "age", "time_bucket", "timezone", "timezone_hour",
    "timezone_minute", "to_days", "to_hours", "to_minutes", "to_seconds", "to_milliseconds",
    "to_microseconds", "to_weeks", "to_months", "to_quarters", "to_years",
})

LISTS_AND_MAPS = frozenset({
    "list_value", "array_value", "array_length", "cardinality", "array_extract", "list_extract",
    "list_element", "element_at", "array_contains", "list_contains", "list_has", "array_has",
    "array_position", "list_position", "list_indexof", "array_indexof", "array_to_string",
    "list_distinct", "array_distinct", "list_unique", "array_unique", "list_sort", "array_sort",
    "list_reverse_sort", "array_reverse_sort", "list_reverse", "array_reverse", "list_max", "list_min",
    "list_sum", "list_avg", "list_count", "list_product", "list_filter", "array_filter", "filter",
    "list_transform", "array_transform", "list_apply", "array_apply", "apply", "list_reduce",
    "array_reduce", "reduce", "list_slice", "array_slice", "flatten", "list_concat", "array_concat",
    "list_cat", "array_cat", "list_append", "array_append", "array_push_back", "list_prepend",
    "array_prepend", "array_push_front", "list_intersect", "array_intersect", "list_has_any",
    "array_has_any", "list_has_all", "array_has_all", "list_zip", "array_zip", "list_select",
    "array_select", "list_where", "array_where", "list_first", "list_last", "generate_series", "range",
    "map", "map_from_entries", "map_entries", "map_keys", "map_values", "map_extract",
    "map_extract_value", "map_contains", "map_concat", "struct_pack", "struct_extract",
})

AGGREGATES = frozenset({
    "count", "count_star", "count_if", "countif", "sum", "avg", "mean", "min", "max", "min_by", "max_by",
    "arg_min", "arg_max", "argmin", "argmax", "any_value", "arbitrary", "first", "last", "bool_and",
    "bool_or", "array_agg", "list", "listagg", "string_agg", "group_concat", "stddev", "stddev_samp",
    "stddev_pop", "variance", "var_samp", "var_pop", "corr", "covar_samp", "covar_pop", "regr_slope",
    "regr_intercept", "regr_r2", "regr_count", "regr_avgx", "regr_avgy", "regr_sxx", "regr_syy",
    "regr_sxy", "kurtosis", "kurtosis_pop", "skewness", "geometric_mean", "geomean", "median", "mode",
    "quantile", "quantile_cont", "quantile_disc", "approx_count_distinct", "approx_quantile",
    "approx_top_k", "reservoir_quantile", "histogram", "bit_and", "bit_or", "bit_xor", "product",
    "entropy", "mad", "sem", "fsum", "kahan_sum", "sumkahan",
})

WINDOWS = frozenset({
    "row_number", "rank", "dense_rank", "rank_dense", "percent_rank", "cume_dist", "ntile", "lag", "lead",
    "first_value", "last_value", "nth_value",
})

ALLOWED_FUNCTIONS = SYNTAX | STRINGS | JSON | MATH | CONDITIONAL | DATES | LISTS_AND_MAPS | AGGREGATES | WINDOWS

# In FROM / JOIN position: UNNEST (Athena's ``CROSS JOIN UNNEST(...)``) and number series; VALUES is syntax, and
# catalog tables are views the workbench creates itself.
ALLOWED_TABLE_FUNCTIONS = frozenset({"unnest", "generate_series", "range"})
