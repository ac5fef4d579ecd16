"""The data quality & insights report on any backend: aggregation queries through the query port, plus one sample.

Queries (Athena SQL; DuckDB locally after transpiling, Athena on AWS), each over every row:

1. ``SELECT * … LIMIT 0``: the columns and their types (bad SQL and unknown columns fail here).
2. One aggregate row: the row count and, per column, non-missing count, approximate distinct count
   (HyperLogLog), min / max / mean / approximate quantiles, text lengths, empty and very short texts.
3. The number of distinct rows (→ duplicate rows): started first and read last, as it takes the longest.
4. Histograms of every numeric column and text length in one scan (``GROUPING SETS`` over the bins, whose
   edges come from 2's min and max), top values of every column that is not free text or mostly unique,
   and the sample: started together once 2 has answered.

The sample (``SELECT * … WHERE rand() < p``, or every row when the data is small) feeds the parts an
aggregate cannot give: outliers (Tukey's fences from 2's quartiles), top words, target leakage and the
Quick Model. Only the sample and aggregates are ever held in memory.
"""

from __future__ import annotations

import contextlib
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from services.catalog.base import CatalogPort
from services.errors import InvalidInput, QueryFailed, QueryRefused, QueryTimeout, ServiceError
from services.models import QueryResult
from services.quality import leakage as leak
from services.quality.base import Progress
from services.quality.models import (
    BOOLEAN,
    CATEGORICAL,
    DATETIME,
    NUMERIC,
    OTHER,
    QUANTILES,
    TEXT,
    Bin,
    ColumnProfile,
    LeakageScore,
    Outliers,
    QualityReport,
    QualityRequest,
    QuickModelSummary,
    TargetSummary,
    TextProfile,
    ValueCount,
)
from services.quality.quick_model import TREES, quick_model
from services.quality.warnings import report_warnings
from services.query.base import QueryPort

INTEGER_TYPES = ("tinyint", "smallint", "int", "integer", "bigint")
FLOAT_TYPES = ("double", "float", "real", "decimal")
TEXT_TYPES = ("varchar", "string", "char")
DATETIME_TYPES = ("date", "timestamp")
TEXT_MIN_AVERAGE_LENGTH = 30  # as the built-in featuriser: longer (and varied) strings are free text
TEXT_MIN_DISTINCT = 20
SHORT_TEXT = 3  # characters: a text shorter than this (not blank) is "very short"
HISTOGRAM_BINS = 20
TOP_VALUES = 10
TARGET_CLASSES = 50
MOSTLY_UNIQUE = 0.9  # distinct / non-missing above this (with more than TOP_VALUE_LIMIT values): no top values
TOP_VALUE_LIMIT = 1000
TOP_WORDS = 20
TEXT_SAMPLE_ROWS = 20_000
OUTLIER_EXAMPLES = 5
MAX_COLUMNS = 200
MIN_SAMPLE = 1_000
STOP_WORDS = frozenset({"a", "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be",
    "been", "but", "by", "can", "could", "did", "do", "does", "doesn't", "don't", "for", "from", "had", "has",
    "have", "he", "her", "here", "hers", "him", "his", "how", "i", "i'm", "if", "in", "into", "is", "isn't", "it",
    "it's", "its", "just", "me", "more", "most", "my", "no", "not", "of", "on", "or", "our", "out", "over", "she",
    "so", "some", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "to",
    "too", "up", "us", "very", "was", "wasn't", "we", "were", "what", "when", "which", "who", "why", "will", "with",
    "would", "you", "your"})


@dataclass(frozen=True)
class Column:
    position: int
    name: str
    type: str
    kind: str  # numeric | string | boolean | datetime | other (string becomes categorical or text)

    @property
    def alias(self) -> str:
        return f"c{self.position}"


@dataclass
class Run:
    """The queries one report sends, through the query port, and what they scanned."""

    query: QueryPort
    database: str | None
    source: str  # the FROM clause
    sql: str = ""  # the user's own SQL, when the source is a SQL result
    sent: list[str] = field(default_factory=list)
    bytes_scanned: int = 0

    def start(self, sql: str) -> str:
        self.sent.append(sql)
        return self.query.start_query(sql, self.database)

    def result(self, query_id: str, max_rows: int) -> QueryResult:
        result = self.query.get_result(query_id, max_rows)
        self.bytes_scanned += result.statistics.bytes_scanned
        return result

    def run(self, sql: str, max_rows: int = 1) -> QueryResult:
        return self.result(self.start(sql), max_rows)


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# -- the source and its columns -------------------------------------------------------------------


def source_sql(request: QualityRequest, catalog: CatalogPort) -> str:
    """The FROM clause: the SQL as a subquery, or the catalog table (``NotFound`` when it does not exist)."""
    if bool(request.table.strip()) == bool(request.sql.strip()):
        raise InvalidInput("Give either a catalog table or a SQL query.", hint="Pick a table, or write a query.")
    if request.sql.strip():
        return f"({request.sql.strip().rstrip(';')}) AS source_rows"
    database, _, table = request.table.strip().partition(".")
    if not database or not table:
        raise InvalidInput(f"{request.table!r} is not DATABASE.TABLE.", hint="Write it as e.g. demo.reviews.")
    catalog.get_table(database, table)  # NotFound with a hint
    return f"{quote(database)}.{quote(table)}"


def column_kind(type_name: str) -> str:
    base = type_name.lower().split("(")[0].strip()
    if base in INTEGER_TYPES or base in FLOAT_TYPES:
        return NUMERIC
    if base == "boolean":
        return BOOLEAN
    if base in TEXT_TYPES:
        return "string"
    return DATETIME if base.startswith(DATETIME_TYPES) else OTHER


def read_columns(run: Run) -> list[Column]:
    try:
        head = run.run(f"SELECT * FROM {run.source} LIMIT 0")
    except (QueryFailed, QueryRefused):
        if run.sql:  # the same error found in the user's own SQL (planned, not run), so positions point into it
            run.query.estimate(run.sql, run.database)
        raise
    columns = [Column(i, c.name, c.type, column_kind(c.type)) for i, c in enumerate(head.columns)]
    if len(columns) > MAX_COLUMNS:
        raise InvalidInput(f"The data has {len(columns)} columns; the report handles up to {MAX_COLUMNS}.",
                           hint="Select the columns you want profiled in a SQL query.")
    return columns


def columns(request: QualityRequest, query: QueryPort, catalog: CatalogPort) -> dict[str, str]:
    """A table's columns from the catalog (no query, so a page can ask on every rerun); a SQL result's from a
    ``LIMIT 0`` query."""
    source = source_sql(request, catalog)
    if request.table.strip():
        database, _, table = request.table.strip().partition(".")
        return {c.name: c.type for c in catalog.get_table(database, table).all_columns}
    return {c.name: c.type for c in read_columns(Run(query, request.database or None, source, request.sql.strip()))}


# -- 2. the aggregate row ---------------------------------------------------------------------------


def stats_sql(source: str, columns: list[Column]) -> str:
    parts = ["count(*) AS row_count"]
    for c in columns:
        name, a = quote(c.name), c.alias
        parts.append(f"count({name}) AS {a}_n")
        if c.kind != OTHER:
            parts.append(f"approx_distinct({name}) AS {a}_d")
        if c.kind in (NUMERIC, DATETIME):
            parts += [f"min({name}) AS {a}_min", f"max({name}) AS {a}_max"]
        if c.kind == NUMERIC:
            number = f"CAST({name} AS double)"
            parts.append(f"avg({number}) AS {a}_mean")
            parts.append(f"approx_percentile({number}, ARRAY[{', '.join(map(str, QUANTILES))}]) AS {a}_q")  # one digest each
        if c.kind == "string":
            length = f"length({name})"
            parts += [f"min({length}) AS {a}_lmin", f"max({length}) AS {a}_lmax", f"avg(CAST({length} AS double)) AS {a}_lmean",
                      f"count_if(length(trim({name})) = 0) AS {a}_empty",
                      f"count_if(length(trim({name})) BETWEEN 1 AND {SHORT_TEXT - 1}) AS {a}_short"]
    return f"SELECT {', '.join(parts)} FROM {source}"


def duplicates_sql(source: str, columns: list[Column]) -> str:
    names = ", ".join(quote(c.name) for c in columns if c.kind != OTHER) or "1"
    return f"SELECT count(*) AS distinct_rows FROM (SELECT DISTINCT {names} FROM {source}) AS distinct_rows"


def first_row(frame: pd.DataFrame) -> dict[str, Any]:
    """Column by column: ``frame.iloc[0]`` would turn every integer into a float when all columns are numbers."""
    return {str(name): frame[name].iloc[0] for name in frame.columns}


def value(row: Mapping[str, Any], key: str) -> Any:
    found = row.get(key)
    if isinstance(found, (list, np.ndarray)):
        return list(found)
    if found is None or (not isinstance(found, str) and pd.isna(found)):
        return None
    return found.item() if hasattr(found, "item") else found


def number(row: Mapping[str, Any], key: str) -> float | None:
    found = value(row, key)
    return None if found is None else float(found)


def numbers(found: Any) -> list[float]:
    """An array of numbers: a list locally, Athena's text ``[1.0, 2.5]`` on AWS; nothing when missing."""
    if found is None:
        return []
    if isinstance(found, str):
        found = [part for part in found.strip("[] ").split(",") if part.strip()]
    values = [float(v) for v in found if v is not None]
    return [] if any(math.isnan(v) for v in values) else values


def refine_kind(column: Column, row: Mapping[str, Any]) -> str:
    """Strings are free text when long on average and varied (the built-in featuriser's rule), else categorical."""
    if column.kind != "string":
        return column.kind
    mean_length, distinct = number(row, f"{column.alias}_lmean"), value(row, f"{column.alias}_d") or 0
    return TEXT if (mean_length or 0) >= TEXT_MIN_AVERAGE_LENGTH and distinct >= TEXT_MIN_DISTINCT else CATEGORICAL


# -- 4. histograms and top values ---------------------------------------------------------------------


@dataclass(frozen=True)
class Binning:
    """Equal-width bins over [low, low + count·width]; integers with a small range get one bin per value."""

    column: Column
    expression: str  # the value binned (the column, or its text length)
    low: float
    width: float
    count: int

    def sql(self) -> str:
        offset = f"(CAST({self.expression} AS double) - {self.low!r}) / {self.width!r}"
        return f"least(CAST(floor({offset}) AS bigint), {self.count - 1}) AS h{self.column.position}"

    def bins(self, counts: dict[int, int]) -> tuple[Bin, ...]:
        return tuple(Bin(self.low + i * self.width, self.low + (i + 1) * self.width, counts.get(i, 0)) for i in range(self.count))


def binning(column: Column, expression: str, low: float | None, high: float | None, integers: bool) -> Binning | None:
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return None
    if integers and high - low < HISTOGRAM_BINS * 1.5:
        return Binning(column, expression, low, 1.0, int(high - low) + 1)
    if high == low:
        return Binning(column, expression, low, 1.0, 1)
    return Binning(column, expression, low, (high - low) / HISTOGRAM_BINS, HISTOGRAM_BINS)


def _integers(column: Column) -> bool:
    return column.type.lower().split("(")[0] in INTEGER_TYPES


def binnings(columns: list[Column], kinds: dict[str, str], row: Mapping[str, Any]) -> list[Binning]:
    found = []
    for c in columns:
        a = c.alias
        if kinds[c.name] == NUMERIC:
            found.append(binning(c, quote(c.name), number(row, f"{a}_min"), number(row, f"{a}_max"), _integers(c)))
        elif kinds[c.name] == TEXT:
            found.append(binning(c, f"length({quote(c.name)})", number(row, f"{a}_lmin"), number(row, f"{a}_lmax"), True))
    return [b for b in found if b is not None]


def histogram_sql(source: str, bins: list[Binning]) -> str:
    aliases = [f"h{b.column.position}" for b in bins]
    sets = ", ".join(f"({a})" for a in aliases)
    return (f"SELECT {', '.join(aliases)}, count(*) AS n FROM (SELECT {', '.join(b.sql() for b in bins)} FROM {source}) "
            f"AS binned GROUP BY GROUPING SETS ({sets})")


def read_histograms(frame: pd.DataFrame, bins: list[Binning]) -> dict[str, tuple[Bin, ...]]:
    """One row per (set, bin): the set's own column holds the bin; rows of missing values (all NULL) are dropped."""
    histograms = {}
    for b in bins:
        alias = f"h{b.column.position}"
        rows = frame[frame[alias].notna()]
        counts = {int(k): int(n) for k, n in zip(rows[alias], rows["n"], strict=True)}
        histograms[b.column.name] = b.bins(counts)
    return histograms


def top_value_columns(columns: list[Column], kinds: dict[str, str], row: Mapping[str, Any], target: str) -> list[Column]:
    chosen = []
    for c in columns:
        present, distinct = value(row, f"{c.alias}_n") or 0, value(row, f"{c.alias}_d") or 0
        mostly_unique = distinct > TOP_VALUE_LIMIT and distinct > MOSTLY_UNIQUE * present
        if c.name == target or (kinds[c.name] not in (TEXT, OTHER) and present and not mostly_unique):
            chosen.append(c)
    return chosen


def top_values_sql(source: str, chosen: list[Column], target: str) -> str:
    branches = []
    for c in chosen:
        limit = TARGET_CLASSES if c.name == target else TOP_VALUES
        name = quote(c.name)
        inner = (f"SELECT CAST({name} AS varchar) AS value, count(*) AS n FROM {source} WHERE {name} IS NOT NULL "
                 f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {limit}")
        branches.append(f"SELECT {c.position} AS column_index, value, n FROM ({inner}) AS top_{c.position}")
    return " UNION ALL ".join(branches)


def read_top_values(frame: pd.DataFrame, chosen: list[Column]) -> dict[str, tuple[ValueCount, ...]]:
    names = {c.position: c.name for c in chosen}
    found: dict[str, list[ValueCount]] = {}
    for position, text, n in zip(frame["column_index"], frame["value"], frame["n"], strict=True):
        found.setdefault(names[int(position)], []).append(ValueCount(str(text), int(n)))
    return {name: tuple(sorted(values, key=lambda v: (-v.count, v.value))) for name, values in found.items()}


def sample_sql(source: str, rows: int, wanted: int) -> str:
    if rows <= wanted:
        return f"SELECT * FROM {source}"
    return f"SELECT * FROM {source} WHERE rand() < {min(1.0, wanted / rows)!r}"


# -- the sampled parts --------------------------------------------------------------------------------


def outliers(sample: pd.Series, q1: float | None, q3: float | None) -> Outliers | None:
    values = pd.to_numeric(sample, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    values = values[~np.isnan(values)]
    if q1 is None or q3 is None or not len(values):
        return None
    spread = q3 - q1
    low, high = q1 - 1.5 * spread, q3 + 1.5 * spread
    outside = values[(values < low) | (values > high)]
    furthest = outside[np.argsort(-np.abs(outside - (q1 + q3) / 2), kind="stable")][:OUTLIER_EXAMPLES]
    examples = tuple(round(float(v), 6) for v in furthest)
    return Outliers(round(low, 6), round(high, 6), int(len(outside)), int(len(values)), examples)


def top_words(texts: pd.Series) -> tuple[ValueCount, ...]:
    counts: Counter[str] = Counter()
    for text in texts.dropna().astype(str).head(TEXT_SAMPLE_ROWS):
        counts.update(w for w in re.findall(r"[a-z][a-z']+", text.lower()) if w not in STOP_WORDS)
    return tuple(ValueCount(word, n) for word, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_WORDS])


def problem_type(sample: pd.Series) -> str | None:
    """Autopilot's rule (``services.training.problem_type``); ``None`` when the target has fewer than two values."""
    from services.training.problem_type import infer_problem_type

    values = sample.dropna()
    if values.nunique() < 2:
        return None
    return infer_problem_type(values)


# -- the report ---------------------------------------------------------------------------------------


@dataclass
class Parts:
    """What the queries and the sample produced, before it becomes the report."""

    rows: int = 0
    distinct_rows: int | None = 0  # None when the engine could not count them (e.g. out of memory)
    notes: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    histograms: dict[str, tuple[Bin, ...]] = field(default_factory=dict)
    top_values: dict[str, tuple[ValueCount, ...]] = field(default_factory=dict)
    sample: pd.DataFrame = field(default_factory=pd.DataFrame)


SampleReader = Callable[[Run, str, int], pd.DataFrame]  # (run, the sample query's id, rows wanted) -> the rows


def result_sample(run: Run, query_id: str, rows: int) -> pd.DataFrame:
    """The sample as the query port returns results (locally: read from the result's Parquet file)."""
    return run.result(query_id, rows).frame


def report(request: QualityRequest, query: QueryPort, catalog: CatalogPort, progress: Progress | None = None,
           read_sample: SampleReader = result_sample) -> QualityReport:
    """The report for ``request`` (see the module docstring for the queries); ``read_sample`` fetches the sample's rows."""
    started = time.perf_counter()
    say = progress or (lambda fraction, text: None)
    if request.sample_rows < 1:
        raise InvalidInput("The sample needs at least one row.", hint=f"Use e.g. {MIN_SAMPLE:,} rows or more.")
    run = Run(query, request.database or None, source_sql(request, catalog), request.sql.strip())
    say(0.05, "Reading the columns")
    cols = read_columns(run)
    target = _checked_target(request.target, cols)
    say(0.15, "Counting rows, missing and distinct values and quantiles")
    # Duplicates take the longest (every distinct row is kept): counted while everything else is done.
    duplicates_id = run.start(duplicates_sql(run.source, cols))
    try:
        parts = _aggregate(run, cols)
        say(0.4, "Histograms, top values and the sample")
        _distributions(run, cols, parts, target, request.sample_rows, read_sample)
        say(0.6, "Outliers, text, target leakage and the Quick Model")
        profiles = tuple(_profile(c, parts) for c in cols)
        summary, scores, model = _target_parts(target, parts, profiles)
    except BaseException:
        with contextlib.suppress(ServiceError):  # the report's own error is the one to show
            query.cancel(duplicates_id)
        raise
    say(0.85, "Counting duplicate rows")
    _count_duplicates(run, duplicates_id, parts)
    say(1.0, "Done")
    return _assemble(request, parts, profiles, summary, scores, model, run, time.perf_counter() - started)


def _checked_target(target: str, cols: list[Column]) -> str:
    target = target.strip()
    if target and target not in {c.name for c in cols}:
        raise InvalidInput(f"The target column {target!r} is not in the data.",
                           hint=f"Pick one of: {', '.join(c.name for c in cols[:30])}.")
    return target


def _aggregate(run: Run, cols: list[Column]) -> Parts:
    stats = first_row(run.result(run.start(stats_sql(run.source, cols)), 1).frame)
    kinds = {c.name: refine_kind(c, stats) for c in cols}
    return Parts(rows=int(value(stats, "row_count") or 0), stats=stats, kinds=kinds)


def _count_duplicates(run: Run, duplicates_id: str, parts: Parts) -> None:
    try:
        parts.distinct_rows = int(value(first_row(run.result(duplicates_id, 1).frame), "distinct_rows") or 0)
    except (QueryFailed, QueryTimeout) as error:
        # Exact duplicates need every distinct row in the engine's memory; the rest of the report does not.
        parts.distinct_rows = None
        parts.notes.append(f"Duplicate rows were not counted: {error.message} {error.hint}".strip())


def _distributions(run: Run, cols: list[Column], parts: Parts, target: str, sample_rows: int,
                   read_sample: SampleReader) -> None:
    bins = binnings(cols, parts.kinds, parts.stats) if parts.rows else []
    chosen = top_value_columns(cols, parts.kinds, parts.stats, target) if parts.rows else []
    histogram_id = run.start(histogram_sql(run.source, bins)) if bins else None
    top_id = run.start(top_values_sql(run.source, chosen, target)) if chosen else None
    sample_id = run.start(sample_sql(run.source, parts.rows, sample_rows)) if parts.rows else None
    if histogram_id:
        parts.histograms = read_histograms(run.result(histogram_id, len(bins) * (HISTOGRAM_BINS * 2 + 2)).frame, bins)
    if top_id:
        parts.top_values = read_top_values(run.result(top_id, len(chosen) * TARGET_CLASSES).frame, chosen)
    if sample_id:
        parts.sample = read_sample(run, sample_id, sample_rows)


def _profile(c: Column, parts: Parts) -> ColumnProfile:
    row, a, kind = parts.stats, c.alias, parts.kinds[c.name]
    present = int(value(row, f"{a}_n") or 0)
    profile: dict[str, Any] = {"name": c.name, "type": c.type, "kind": kind, "missing": parts.rows - present,
                               "distinct": min(present, int(value(row, f"{a}_d") or 0)),  # HyperLogLog may overshoot
                               "histogram": parts.histograms.get(c.name, ()) if kind == NUMERIC else (),
                               "top_values": parts.top_values.get(c.name, ())}
    if kind in (NUMERIC, DATETIME):
        profile |= {"minimum": value(row, f"{a}_min"), "maximum": value(row, f"{a}_max")}
    if kind == NUMERIC:
        quantiles = tuple(zip(QUANTILES, numbers(value(row, f"{a}_q")), strict=False))
        profile |= {"mean": number(row, f"{a}_mean"), "quantiles": quantiles}
        codes = _integers(c) and profile["distinct"] <= leak.MAX_VALUES_AS_CATEGORIES  # ratings, flags: no outliers
        if c.name in parts.sample and not codes:
            profile["outliers"] = outliers(parts.sample[c.name], dict(quantiles).get(0.25), dict(quantiles).get(0.75))
    if kind == TEXT:
        profile["text"] = _text_profile(c, parts)
    return ColumnProfile(**profile)


def _text_profile(c: Column, parts: Parts) -> TextProfile:
    row, a = parts.stats, c.alias
    words = top_words(parts.sample[c.name]) if c.name in parts.sample else ()
    return TextProfile(number(row, f"{a}_lmin"), number(row, f"{a}_lmean"), number(row, f"{a}_lmax"),
                       parts.histograms.get(c.name, ()), int(value(row, f"{a}_empty") or 0),
                       int(value(row, f"{a}_short") or 0), SHORT_TEXT, words, min(len(parts.sample), TEXT_SAMPLE_ROWS))


def _target_parts(target: str, parts: Parts, profiles: tuple[ColumnProfile, ...]
                  ) -> tuple[TargetSummary | None, tuple[LeakageScore, ...], QuickModelSummary | None]:
    if not target or target not in parts.sample:
        return None, (), None
    kind = problem_type(parts.sample[target])
    profile = next(p for p in profiles if p.name == target)
    if kind is None:
        return TargetSummary(target, "", classes=profile.top_values), (), None
    classification = kind != "Regression"
    summary = TargetSummary(target, kind, classes=profile.top_values if classification else (),
                            histogram=() if classification else profile.histogram)
    features = {p.name: "numeric" if p.kind == NUMERIC else "categorical"
                for p in profiles if p.name != target and p.kind in (NUMERIC, CATEGORICAL, BOOLEAN)}
    scores = tuple(leak.leakage_scores(parts.sample, target, features, classification))
    usable = [p.name for p in profiles if p.name != target and p.kind in (NUMERIC, CATEGORICAL, BOOLEAN, TEXT, DATETIME)]
    return summary, scores, quick_model(parts.sample, target, usable, kind)


def _assemble(request: QualityRequest, parts: Parts, profiles: tuple[ColumnProfile, ...], summary: TargetSummary | None,
              scores: tuple[LeakageScore, ...], model: QuickModelSummary | None, run: Run, seconds: float) -> QualityReport:
    sample_rows = len(parts.sample)
    sampled = sample_rows < parts.rows
    aggregations = len(run.sent) - (2 if parts.rows else 1)  # not the columns query, not the sample
    notes = ["Row counts, missing and distinct values (approximate), quantiles (approximate), histograms, top values and "
             f"duplicates come from {aggregations} aggregation queries over all {parts.rows:,} rows (see Query history).",
             *parts.notes]
    if parts.rows:
        which = f"a random sample of {sample_rows:,} of the {parts.rows:,} rows" if sampled else f"all {sample_rows:,} rows"
        notes.append(f"Outliers, top words, target leakage and the Quick Model use {which}.")
    if model is not None:
        notes.append(f"Quick Model: a {TREES}-tree random forest trained on {model.train_rows:,} and tested on "
                     f"{model.test_rows:,} sampled rows.")
    duplicates = None if parts.distinct_rows is None else max(0, parts.rows - parts.distinct_rows)
    report = QualityReport(source=request.source_label, rows=parts.rows, duplicate_rows=duplicates,
                           columns=profiles, sample_rows=sample_rows, sampled=sampled, target=summary, leakage=scores,
                           quick_model=model, notes=tuple(notes), queries=tuple(run.sent), bytes_scanned=run.bytes_scanned,
                           seconds=round(seconds, 3), sql=request.sql)
    return _with_warnings(report)


def _with_warnings(report: QualityReport) -> QualityReport:
    from dataclasses import replace

    return replace(report, warnings=tuple(report_warnings(report)))
