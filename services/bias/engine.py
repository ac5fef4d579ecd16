"""Bias reports: configuration → counts → metrics → Clarify's report, on any backend.

Two ways in, one way out:

* ``analyze(request, query, catalog, settings)`` — tables and SQL results. One aggregation query through the
  query port (DuckDB locally, Athena on AWS) returns the row counts per (facet value or facet
  group, label positive, prediction positive, group-variable value); a table larger than memory
  is never loaded. FlipTest alone reads rows: a random sample of ``flip_test_rows``.
* ``report_from_frame(frame, request)`` — a DataFrame in memory (files, the batch-prediction job).

Both build the same counts table, then every metric, bootstrap interval and count comes from it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from services.bias import metrics as m
from services.bias.flip_test import flip_test
from services.bias.models import BiasReport, BiasRequest, FacetEntry, MetricValue, StageReport
from services.bias.rules import EACH, THRESHOLD, Rule, make_rule, quote, series_kind, type_kind
from services.catalog.base import CatalogPort
from services.config import Settings
from services.errors import InvalidInput
from services.paths import readable_path
from services.query.base import QueryPort

MAX_FACET_VALUES = 100  # one-vs-all entries
MAX_CELLS = 200_000
KEY, LABEL, PREDICTED, GROUP, COUNT = "facet_key", "label_positive", "predicted_positive", "group_value", "n"


@dataclass(frozen=True)
class Plan:
    """A request checked against the data's columns, with its rules typed."""

    request: BiasRequest
    facet: Rule
    label: Rule
    predicted: Rule | None
    kinds: dict[str, str]
    pre_methods: tuple[str, ...]
    post_methods: tuple[str, ...]

    @property
    def ft_features(self) -> list[str]:
        if self.request.flip_test_features:
            return list(self.request.flip_test_features)
        used = {self.request.facet, self.request.label, self.request.predicted}
        return [c for c in self.kinds if c not in used]


@dataclass
class Counts:
    """The aggregation result, plus what the interval texts and FlipTest need."""

    cells: pd.DataFrame  # KEY, LABEL, PREDICTED, GROUP, COUNT
    maxima: dict[str, Any] = field(default_factory=dict)
    sample: pd.DataFrame | None = None  # rows for FlipTest
    notes: list[str] = field(default_factory=list)


# -- planning -------------------------------------------------------------------------------------


def make_plan(request: BiasRequest, kinds: dict[str, str]) -> Plan:
    for role, column in (("label", request.label), ("facet", request.facet)):
        if not column:
            raise InvalidInput(f"Choose the {role} column.", hint=f"Pick the {role} from the data's columns.")
    for role, column in (("label", request.label), ("facet", request.facet), ("group", request.group),
                         ("prediction", request.predicted), *(("FlipTest feature", c) for c in request.flip_test_features)):
        if column and column not in kinds:
            raise InvalidInput(f"The {role} column {column!r} is not in the data.", hint=f"Pick one of: {', '.join(list(kinds)[:30])}.")
    if request.facet == request.label:
        raise InvalidInput("The facet and the label are the same column.", hint="The facet is the sensitive attribute, e.g. age.")
    label = make_rule(request.label, kinds[request.label], request.label_values, request.label_threshold, "label")
    if label.mode == EACH:
        raise InvalidInput("Say which label values count as the positive outcome.",
                           hint="Give label values (e.g. 1) or a label threshold (positive = above it).")
    facet = make_rule(request.facet, kinds[request.facet], request.facet_values, request.facet_threshold, "facet")
    predicted = _prediction_rule(request, label, kinds) if request.predicted else None
    pre, post = _methods(request.methods, bool(request.predicted or request.model_id), bool(request.group))
    return Plan(request, facet, label, predicted, kinds, pre, post)


def _prediction_rule(request: BiasRequest, label: Rule, kinds: dict[str, str]) -> Rule:
    kind = kinds[request.predicted]
    if request.predicted_threshold is not None:
        return make_rule(request.predicted, kind, (), request.predicted_threshold, "prediction")
    if label.mode == THRESHOLD:
        if kind not in ("integer", "float"):
            raise InvalidInput(f"The prediction column {request.predicted!r} is not numeric, but the label uses a threshold.",
                               hint="Pick a numeric prediction column, or give label values instead of a threshold.")
        return Rule(request.predicted, THRESHOLD, threshold=label.threshold, truncate=kinds[request.label] == "integer" and kind == "float")
    return make_rule(request.predicted, kind, tuple(str(v) for v in label.values), None, "prediction")


def _methods(requested: tuple[str, ...], post_training: bool, has_group: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    names = [m.ALIASES.get(n.strip().upper(), n.strip().upper()) for n in requested if n.strip()]
    if not names or "ALL" in names:
        pre, post = m.every_metric(has_group)
        return pre, (post if post_training else ())
    unknown = [n for n in names if n not in m.DESCRIPTIONS]
    if unknown:
        raise InvalidInput(f"Unknown bias metric(s): {', '.join(unknown)}.",
                           hint=f"Use all or some of: {', '.join((*m.ALL_PRE, *m.ALL_POST))}.")
    post = tuple(n for n in m.ALL_POST if n in names) if post_training else ()
    return tuple(n for n in m.ALL_PRE if n in names), post


# -- in memory ------------------------------------------------------------------------------------


def report_from_frame(frame: pd.DataFrame, request: BiasRequest) -> BiasReport:
    """The report for a DataFrame held in memory."""
    started = time.perf_counter()
    plan = make_plan(request, {str(c): series_kind(frame[c]) for c in frame.columns})
    counts = Counts(_frame_cells(frame, plan), _frame_maxima(frame, plan))
    if "FT" in plan.post_methods:
        counts.sample = _sample(frame, request)
        if len(counts.sample) < len(frame):
            counts.notes.append(f"FlipTest ran on a random sample of {len(counts.sample):,} of {len(frame):,} rows.")
    return assemble(plan, counts, time.perf_counter() - started)


def _frame_cells(frame: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    request = plan.request
    facet = frame[request.facet]
    columns = {
        KEY: facet if plan.facet.mode == EACH else plan.facet.mask(facet).astype(int),
        LABEL: plan.label.mask(frame[request.label]).astype(int),
        PREDICTED: plan.predicted.mask(frame[request.predicted]).astype(int) if plan.predicted else 0,
        GROUP: frame[request.group] if request.group else 0,
    }
    keys = pd.DataFrame(columns, index=frame.index)
    grouped = keys.groupby([KEY, LABEL, PREDICTED, GROUP], dropna=False, sort=False).size()
    return grouped.rename(COUNT).reset_index()


def _frame_maxima(frame: pd.DataFrame, plan: Plan) -> dict[str, Any]:
    maxima: dict[str, Any] = {}
    if plan.facet.mode == THRESHOLD:
        maxima["facet"] = frame[plan.request.facet].max()
    if plan.label.mode == THRESHOLD:
        values = [frame[plan.request.label].max()]
        if plan.predicted is not None and plan.request.predicted_threshold is None:
            predictions = frame[plan.request.predicted]
            values.append(np.trunc(predictions.max()) if plan.predicted.truncate else predictions.max())
        maxima["label"] = _max(values)
    return maxima


def _max(values: list[Any]) -> Any:
    present = [v for v in values if v is not None and not pd.isna(v)]
    return max(present) if present else None


def _sample(frame: pd.DataFrame, request: BiasRequest) -> pd.DataFrame:
    if len(frame) <= request.flip_test_rows:
        return frame
    return frame.sample(n=request.flip_test_rows, random_state=request.seed)


# -- through the query engine ---------------------------------------------------------------------


def analyze(request: BiasRequest, query: QueryPort, catalog: CatalogPort, settings: Settings) -> BiasReport:
    """The report for a catalog table, a SQL result or a file, counting in the query engine (``query``);
    ``catalog`` says whether a table exists, ``settings`` where a file may be read from."""
    if request.model_id:
        raise InvalidInput("Scoring the data with a model first runs as a job.",
                           hint="Start it as a job, or give a column that already holds the predictions.")
    if request.source.path and not request.sql:
        from services.training.data import read_file

        return report_from_frame(read_file(readable_path(request.source.path, settings)), request)
    started = time.perf_counter()
    source = source_sql(request, catalog)
    head = query.run(f"SELECT * FROM {source} LIMIT 0", max_rows=1)
    plan = make_plan(request, {c.name: type_kind(c.type) for c in head.columns})
    counts = Counts(_query_cells(query, plan, source), _query_maxima(query, plan, source))
    if "FT" in plan.post_methods:
        counts.sample, note = _query_sample(query, plan, source, int(counts.cells[COUNT].sum()))
        counts.notes.append(note)
    counts.notes.append("Counts computed by one aggregation query (see Query history).")
    return assemble(plan, counts, time.perf_counter() - started)


def source_sql(request: BiasRequest, catalog: CatalogPort) -> str:
    """The FROM clause of the request's rows: its SQL as a subquery, or its catalog table (``NotFound`` when missing)."""
    if request.sql:
        return f"({request.sql.strip().rstrip(';')}) AS source_rows"
    if not request.source.table:
        raise InvalidInput("Choose a table, a SQL query or a data file.", hint="Use --table DB.TABLE or --data FILE.")
    database, _, table = request.source.table.partition(".")
    catalog.get_table(database, table)  # NotFound with a hint when missing
    return f"{quote(database)}.{quote(table)}"


def _query_cells(query: QueryPort, plan: Plan, source: str) -> pd.DataFrame:
    request = plan.request
    select = [f"{quote(request.facet) if plan.facet.mode == EACH else plan.facet.sql()} AS {KEY}",
              f"{plan.label.sql()} AS {LABEL}"]
    if plan.predicted is not None:
        select.append(f"{plan.predicted.sql()} AS {PREDICTED}")
    if request.group:
        select.append(f"{quote(request.group)} AS {GROUP}")
    positions = ", ".join(str(i + 1) for i in range(len(select)))
    sql = f"SELECT {', '.join(select)}, count(*) AS {COUNT} FROM {source} GROUP BY {positions}"
    result = query.run(sql, max_rows=MAX_CELLS + 1)
    if result.truncated or len(result.frame) > MAX_CELLS:
        raise InvalidInput("The facet and group variable have too many distinct values to analyse.",
                           hint="Give facet values or a threshold, or a group variable with fewer values.")
    cells = result.frame.copy()
    for column in (PREDICTED, GROUP):
        if column not in cells:
            cells[column] = 0
    cells[COUNT] = cells[COUNT].astype(np.int64)
    return cells.sort_values(COUNT, ascending=False, kind="stable")[[KEY, LABEL, PREDICTED, GROUP, COUNT]]


def _query_maxima(query: QueryPort, plan: Plan, source: str) -> dict[str, Any]:
    request, parts = plan.request, {}
    if plan.facet.mode == THRESHOLD:
        parts["facet"] = f"max({quote(request.facet)})"
    if plan.label.mode == THRESHOLD:
        parts["label"] = f"max({quote(request.label)})"
        if plan.predicted is not None and request.predicted_threshold is None:
            parts["prediction"] = f"max({quote(request.predicted)})"
    if not parts:
        return {}
    row = query.run(f"SELECT {', '.join(f'{v} AS {k}' for k, v in parts.items())} FROM {source}").frame.iloc[0]
    maxima = {k: (None if pd.isna(row[k]) else row[k].item() if hasattr(row[k], "item") else row[k]) for k in parts}
    if "prediction" in maxima:
        prediction = maxima.pop("prediction")
        if plan.predicted is not None and plan.predicted.truncate and prediction is not None:
            prediction = int(np.trunc(prediction))
        maxima["label"] = _max([maxima.get("label"), prediction])
    return maxima


def _query_sample(query: QueryPort, plan: Plan, source: str, rows: int) -> tuple[pd.DataFrame, str]:
    request = plan.request
    columns = list(dict.fromkeys([request.facet, request.predicted, *plan.ft_features]))
    limit = request.flip_test_rows
    order = "" if rows <= limit else " ORDER BY rand()"
    sql = f"SELECT {', '.join(quote(c) for c in columns)} FROM {source}{order} LIMIT {limit}"
    sample = query.run(sql, max_rows=limit).frame
    if rows <= limit:
        return sample, f"FlipTest ran on all {rows:,} rows."
    return sample, f"FlipTest ran on a random sample of {len(sample):,} of {rows:,} rows."


# -- from counts to the report --------------------------------------------------------------------


@dataclass(frozen=True)
class Groups:
    """Each cell's group-variable slot: sorted values first, then one slot for missing values."""

    codes: np.ndarray
    slots: int
    valid: np.ndarray
    has_group: bool
    error: str = ""


def group_slots(cells: pd.DataFrame, plan: Plan) -> Groups:
    if not plan.request.group:
        return Groups(np.zeros(len(cells), dtype=int), 1, np.array([True]), False)
    values = cells[GROUP]
    missing = values.isna().to_numpy()
    distinct = np.unique(values[~missing].to_numpy())
    codes = np.where(missing, len(distinct), np.searchsorted(distinct, values.where(~missing, distinct[0] if len(distinct) else 0)))
    valid = np.append(np.ones(len(distinct), dtype=bool), False)
    error = ""
    if missing.any() and plan.kinds.get(plan.request.group) in ("string", "other"):
        error = (f"The group variable {plan.request.group!r} is text with missing values, which Clarify cannot sort "
                 "('<' not supported between float and str); fill or filter them.")
    return Groups(codes.astype(int), len(distinct) + 1, valid, True, error)


def tally_for(cells: pd.DataFrame, in_d: np.ndarray, groups: Groups) -> m.Tally:
    array = np.zeros((groups.slots, 2, 2, 2), dtype=np.int64)
    np.add.at(array, (groups.codes, in_d.astype(int), cells[LABEL].to_numpy(dtype=int), cells[PREDICTED].to_numpy(dtype=int)),
              cells[COUNT].to_numpy(dtype=np.int64))
    return m.Tally(array, groups.valid, groups.has_group, groups.error)


def facet_groups(cells: pd.DataFrame, plan: Plan, counts: Counts) -> list[tuple[str, np.ndarray, Any]]:
    """(value_or_threshold, which cells are in d, the facet value for one-vs-all) per entry."""
    keys = cells[KEY]
    if plan.facet.mode != EACH:
        return [(plan.facet.describe(counts.maxima.get("facet")), keys.to_numpy(dtype=int) == 1, None)]
    distinct = list(dict.fromkeys(None if pd.isna(k) else k for k in keys))
    if len(distinct) > MAX_FACET_VALUES:
        raise InvalidInput(f"The facet {plan.request.facet!r} has {len(distinct):,} distinct values; one-vs-all is limited "
                           f"to {MAX_FACET_VALUES}.", hint="Give the sensitive values or a threshold.")
    # Athena's integer columns arrive nullable (Int64): a missing key compares as <NA>, which is not in d.
    return [("nan" if v is None else str(v),
             np.zeros(len(keys), dtype=bool) if v is None else (keys == v).to_numpy(dtype=bool, na_value=False), v)
            for v in distinct]


def assemble(plan: Plan, counts: Counts, seconds: float) -> BiasReport:
    started = time.perf_counter()
    groups = group_slots(counts.cells, plan)
    pre_entries, post_entries, warnings = [], [], _warnings(plan, counts)
    post_error = _post_error(counts) if plan.post_methods else ""
    rng = np.random.default_rng(plan.request.seed)
    for text, in_d, value in facet_groups(counts.cells, plan, counts):
        tally = tally_for(counts.cells, in_d, groups)
        entry_counts = _entry_counts(tally, bool(plan.post_methods))
        pre_entries.append(FacetEntry(text, _metrics(plan.pre_methods, m.PRE_TRAINING, tally, plan, rng), entry_counts))
        if plan.post_methods and not post_error:
            post_metrics = _metrics(plan.post_methods, m.POST_TRAINING, tally, plan, rng)
            if "FT" in plan.post_methods:
                post_metrics = tuple(sorted((*post_metrics, _flip_test(plan, counts.sample, value)), key=lambda x: x.name))
            post_entries.append(FacetEntry(text, post_metrics, entry_counts))
    label_text = plan.label.describe(counts.maxima.get("label"))
    pre = StageReport(plan.request.label, label_text, plan.request.facet, tuple(pre_entries))
    post = StageReport(plan.request.label, label_text, plan.request.facet, tuple(post_entries), post_error) if plan.post_methods else None
    if plan.request.bootstrap:
        counts.notes.append(f"95 % intervals from {plan.request.bootstrap} bootstrap resamples of the counts.")
    return BiasReport(pre, post, rows=int(counts.cells[COUNT].sum()), notes=tuple(counts.notes), warnings=tuple(warnings),
                      config=_config(plan.request), seconds=round(seconds + time.perf_counter() - started, 3))


def _metrics(names: tuple[str, ...], table: dict[str, Any], tally: m.Tally, plan: Plan,
             rng: np.random.Generator) -> tuple[MetricValue, ...]:
    chosen = [n for n in names if n in table]
    resamples = _resample(tally, plan.request.bootstrap, rng)
    values = []
    for name in chosen:
        value, error = m.evaluate(table[name], tally)
        low, high = _interval(table[name], resamples) if value is not None else (None, None)
        values.append(MetricValue(name, m.DESCRIPTIONS[name], value, error, low, high))
    return tuple(values)


def _resample(tally: m.Tally, times: int, rng: np.random.Generator) -> list[m.Tally]:
    total = int(tally.cells.sum())
    if not times or total == 0:
        return []
    flat = tally.cells.ravel().astype(float)
    draws = rng.multinomial(total, flat / flat.sum(), size=times)
    return [tally.with_cells(d.reshape(tally.cells.shape)) for d in draws]


def _interval(metric: Any, resamples: list[m.Tally]) -> tuple[float | None, float | None]:
    values = [v for v, _ in (m.evaluate(metric, t) for t in resamples) if v is not None]
    if not resamples or len(values) < len(resamples) / 2:
        return None, None
    low, high = np.quantile(np.asarray(values), [0.025, 0.975], method="inverted_cdf")
    return float(low), float(high)


def _flip_test(plan: Plan, sample: pd.DataFrame | None, value: Any) -> MetricValue:
    description = m.DESCRIPTIONS["FT"]
    if sample is None or plan.predicted is None:
        return MetricValue("FT", description, None, "FlipTest needs a prediction column.")
    facet = sample[plan.request.facet]
    if plan.facet.mode != EACH:
        in_d = plan.facet.mask(facet)
    else:
        in_d = np.zeros(len(facet), dtype=bool) if value is None else (facet == value).to_numpy(dtype=bool, na_value=False)
    predicted = plan.predicted.mask(sample[plan.request.predicted])
    try:
        return MetricValue("FT", description, flip_test(sample[plan.ft_features], np.asarray(in_d, dtype=bool), predicted))
    except m.MetricError as exc:
        return MetricValue("FT", description, None, str(exc))


def _post_error(counts: Counts) -> str:
    if counts.cells.loc[counts.cells[PREDICTED] == 1, COUNT].sum() == 0:
        return ("No Label values are present in the predicted Label Column: no row is predicted positive, "
                "so no post-training metric can be computed. Check the prediction column and its positive values.")
    return ""


def _entry_counts(tally: m.Tally, post: bool) -> dict[str, Any]:
    n_a, n_d = m.size(tally, m.A), m.size(tally, m.D)
    pos_a, pos_d = m.positives(tally, m.A), m.positives(tally, m.D)
    counts: dict[str, Any] = {"n_a": int(n_a), "n_d": int(n_d), "positive_a": int(pos_a), "positive_d": int(pos_d),
                              "rate_a": pos_a / n_a if n_a else None, "rate_d": pos_d / n_d if n_d else None,
                              "proportion_d": n_d / (n_a + n_d) if n_a + n_d else None}
    if post:
        counts |= {"predicted_positive_a": int(m.predicted_positives(tally, m.A)),
                   "predicted_positive_d": int(m.predicted_positives(tally, m.D)),
                   "confusion_a": {k: int(v) for k, v in m.confusion(tally, m.A).items()},
                   "confusion_d": {k: int(v) for k, v in m.confusion(tally, m.D).items()}}
    return counts


def _warnings(plan: Plan, counts: Counts) -> list[str]:
    cells, request, warnings = counts.cells, plan.request, []
    positives = int(cells.loc[cells[LABEL] == 1, COUNT].sum())
    total = int(cells[COUNT].sum())
    label_rule = f"{request.label} {'> ' + str(plan.label.threshold) if plan.label.mode == THRESHOLD else 'in ' + plan.label.describe()}"
    if total == 0:
        warnings.append("The data has no rows.")
    elif positives == 0 or positives == total:
        outcome = "positive" if positives == 0 else "negative"
        warnings.append(f"The label has one class only: no row has a {outcome} label ({label_rule} "
                        f"{'never' if positives == 0 else 'always'} holds). Check the positive label values or threshold.")
    if plan.facet.mode != EACH and total and int(cells.loc[cells[KEY] == 1, COUNT].sum()) == 0:
        where = (f"{request.facet} > {plan.facet.threshold} (the largest value is {counts.maxima.get('facet')})"
                 if plan.facet.mode == THRESHOLD else f"{request.facet} in {plan.facet.describe()}")
        warnings.append(f"The sensitive group d is empty: no row has {where}. Pick values that occur in the data.")
    return warnings


def _config(request: BiasRequest) -> dict[str, Any]:
    """The request in Clarify's analysis-config vocabulary."""
    facet_value: Any = list(request.facet_values) or ([request.facet_threshold] if request.facet_threshold is not None else None)
    label_value: Any = list(request.label_values) or [request.label_threshold]
    config: dict[str, Any] = {"dataset": request.source_label, "label": request.label, "label_values_or_threshold": label_value,
                              "facet": [{"name_or_index": request.facet, "value_or_threshold": facet_value}],
                              "methods": {"pre_training_bias": {"methods": list(request.methods)}}}
    if request.group:
        config["group_variable"] = request.group
    if request.predicted or request.model_id:
        config["methods"]["post_training_bias"] = {"methods": list(request.methods)}
        config["predicted_label"] = request.predicted or f"model {request.model_id}"
    if request.sql:
        config["sql"] = request.sql
    return config


def column_kinds(request: BiasRequest, query: QueryPort, catalog: CatalogPort, settings: Settings) -> dict[str, str]:
    """The data's columns and their kinds (integer | float | boolean | string | other)."""
    if request.source.path and not request.sql:
        from services.catalog.files import inspect_path

        path = readable_path(request.source.path, settings)  # under the import roots, nothing hidden
        return {c.name: type_kind(c.type) for c in inspect_path(path).columns}
    head = query.run(f"SELECT * FROM {source_sql(request, catalog)} LIMIT 0", max_rows=1)
    return {c.name: type_kind(c.type) for c in head.columns}


def distinct_values(request: BiasRequest, column: str, query: QueryPort, catalog: CatalogPort,
                    limit: int = 50) -> tuple[list[Any], bool]:
    """Up to ``limit`` distinct values of ``column`` (most frequent first) and whether there are more."""
    sql = (f"SELECT {quote(column)} AS value, count(*) AS n FROM {source_sql(request, catalog)} "
           f"WHERE {quote(column)} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {limit + 1}")
    values = query.run(sql, max_rows=limit + 1).frame["value"].tolist()
    return [v.item() if hasattr(v, "item") else v for v in values[:limit]], len(values) > limit
