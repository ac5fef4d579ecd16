"""What the scoring forms offer and decide: the columns a record form asks for, the tables and default names
of a batch-scoring form, and the charts of a scored table.

``ScoreForms`` gives both endpoints adapters these port methods over the catalog and query ports they hold;
the Score page calls one of them per action and hands the result to a component. The rules themselves are
plain functions of plain data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.catalog.base import CatalogPort
from services.catalog.files import sanitize_column_name
from services.endpoints.models import BatchForm, Endpoint
from services.models import Column, ModelRecord
from services.query.base import QueryPort

if TYPE_CHECKING:
    import pandas as pd

REVIEWS_TABLE = "demo.reviews_sentiment"  # what a text model scores by default, when the catalog has it
PREDICTION_COLUMNS = ("predicted_label", "prediction", "predicted_sentiment", "predicted", "label")
CATEGORY_COLUMNS = ("product_category", "division_name", "department_name", "class_name", "division")
ORDER_COLUMNS = ("review_id", "row_id", "row_number")
ORDER_BLOCK_ROWS = 500
PROBABILITY_PREFIX = "probability_"  # the batch output's per-class columns


def primary_model_id(endpoint: Endpoint) -> str:
    """The model answering most of the traffic (what batch scoring and drift baselines use)."""
    serving = [v for v in endpoint.variants if not v.shadow] or list(endpoint.variants)
    return max(serving, key=lambda v: v.weight).model_id if serving else ""


# -- scoring one record --------------------------------------------------------------------------------------------


def record_columns(endpoint: Endpoint, model: ModelRecord | None) -> list[Column]:
    """The columns a record form asks for: the endpoint's input columns with the model's schema types
    (strings when the registry does not know the model, e.g. it was deleted since the deploy)."""
    schema = {c.name: c for c in model.input_schema} if model else {}
    return [schema.get(name, Column(name=name, type="string")) for name in endpoint.input_columns]


# -- batch scoring ---------------------------------------------------------------------------------------------------


def batch_form(endpoint: Endpoint, catalog: CatalogPort) -> BatchForm:
    """The batch-scoring form of ``endpoint``: its primary model, the catalog's tables, the demo reviews
    preselected for a text model, and ``<database>.<endpoint>_scored`` as the output table."""
    tables = table_names(catalog)
    default_table = REVIEWS_TABLE if endpoint.text_model and REVIEWS_TABLE in tables else ""
    return BatchForm(primary_model_id(endpoint), tables, default_table, default_output_table(endpoint.name, default_table))


def table_names(catalog: CatalogPort) -> list[str]:
    """Every catalog table as ``database.table`` (the catalog lists tables one database at a time)."""
    return [t.qualified_name for d in catalog.list_databases() for t in catalog.list_tables(d.name)]


def default_output_table(endpoint_name: str, input_table: str) -> str:
    """``<database of the input, else demo>.<endpoint name as a table name>_scored``."""
    database = (input_table or "demo").split(".")[0]
    return f"{database}.{endpoint_name.replace('-', '_').lower()}_scored"


def quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def batch_chart_specs(table: str, columns: list[str], headers: dict[str, str] | None = None) -> list[dict[str, str]]:
    """The charts a scored table supports: predictions by category, by rating, along the review order, and the
    class probabilities (``headers``: a column's name as written, e.g. ``probability_-1`` for ``probability__1``).

    Each spec holds a title, the aggregation SQL (Athena dialect) and the x / colour columns of its result."""
    names = {c.lower(): c for c in columns}
    predicted = next((names[c] for c in PREDICTION_COLUMNS if c in names), None)
    if predicted is None:
        return []
    label = quoted(predicted)
    specs = [{"title": "Predictions", "x": "predicted", "color": "predicted", "kind": "bar",
              "sql": f"SELECT CAST({label} AS varchar) AS predicted, count(*) AS rows FROM {table} GROUP BY 1 ORDER BY 1"}]
    category = next((names[c] for c in CATEGORY_COLUMNS if c in names), None)
    if category is not None:
        specs.append(split_spec(table, label, category, f"Predictions by {category}"))
    if "rating" in names:
        specs.append(split_spec(table, label, names["rating"], "Predictions by rating"))
    order = next((names[c] for c in ORDER_COLUMNS if c in names), None)
    if order is not None:
        block = f"CAST(floor(({quoted(order)} - 1) / {ORDER_BLOCK_ROWS}.0) AS bigint) * {ORDER_BLOCK_ROWS} + 1"
        specs.append({"title": f"Predictions along the review order (blocks of {ORDER_BLOCK_ROWS} by {order})", "x": "from_row",
                      "color": "predicted", "kind": "line",
                      "sql": f"SELECT {block} AS from_row, CAST({label} AS varchar) AS predicted, count(*) AS rows "
                             f"FROM {table} GROUP BY 1, 2 ORDER BY 1, 2"})
    probabilities = probability_spec(table, label, columns, headers or {})
    return specs + ([probabilities] if probabilities else [])


def probability_spec(table: str, label: str, columns: list[str], headers: dict[str, str]) -> dict[str, str] | None:
    """Each class's mean probability over every row and over the rows predicted as it (how sure the model is of
    each class: a weak class is predicted with low probabilities); ``None`` without ``probability_<class>`` columns."""
    written = {column: written_name(column, headers.get(column, "")) for column in columns}
    found = [(name[len(PROBABILITY_PREFIX):], column) for column, name in written.items()
             if name.lower().startswith(PROBABILITY_PREFIX)]
    if not found:
        return None
    parts = [f"SELECT {literal(name)} AS class, avg({quoted(column)}) AS all_rows, "
             f"avg(CASE WHEN CAST({label} AS varchar) = {literal(name)} THEN {quoted(column)} END) AS predicted_rows "
             f"FROM {table}" for name, column in found]
    return {"title": "Class probabilities", "x": "class", "color": "class", "kind": "probabilities",
            "sql": " UNION ALL ".join(parts)}


def written_name(column: str, header: str) -> str:
    """The header a sanitised column was made from (the catalog keeps it as the comment), else the column."""
    return header if header and sanitize_column_name(header) == column else column


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def split_spec(table: str, label: str, column: str, title: str) -> dict[str, str]:
    """Predicted labels counted per value of ``column``."""
    name = quoted(column)
    return {"title": title, "x": column, "color": "predicted", "kind": "bar",
            "sql": f"SELECT CAST({name} AS varchar) AS {name}, CAST({label} AS varchar) AS predicted, "
                   f"count(*) AS rows FROM {table} GROUP BY 1, 2 ORDER BY 1, 2"}


def batch_charts(output_table: str, catalog: CatalogPort, query: QueryPort) -> list[tuple[dict[str, str], pd.DataFrame]]:
    """Each chart ``batch_chart_specs`` finds for a scored table, with the rows of its SQL."""
    database, table = output_table.split(".", 1)
    columns = catalog.get_table(database, table).all_columns
    specs = batch_chart_specs(output_table, [c.name for c in columns], {c.name: c.comment for c in columns if c.comment})
    return [(spec, query.run(spec["sql"], database).frame) for spec in specs]


# -- the port methods -------------------------------------------------------------------------------------------------


class ScoreForms:
    """The forms' port methods, for an endpoints adapter holding ``catalog`` and ``query`` and finding models
    with ``_record`` (``None`` for a model the registry does not know)."""

    catalog: CatalogPort
    query: QueryPort

    def _record(self, model_id: str) -> ModelRecord | None:
        raise NotImplementedError

    def record_form_columns(self, endpoint: Endpoint) -> list[Column]:
        return record_columns(endpoint, self._record(primary_model_id(endpoint)))

    def batch_form(self, endpoint: Endpoint) -> BatchForm:
        return batch_form(endpoint, self.catalog)

    def batch_charts(self, output_table: str) -> list[tuple[dict[str, str], pd.DataFrame]]:
        return batch_charts(output_table, self.catalog, self.query)
