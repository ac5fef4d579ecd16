"""Athena (Trino) SQL → DuckDB SQL, with fixes where sqlglot's transpile is wrong for us."""

from __future__ import annotations

from sqlglot import exp

DATE_UNITS = {"day", "week", "month", "quarter", "year"}
AWS_CATALOG = "awsdatacatalog"


def to_duckdb(statement: exp.Expr, date_columns: frozenset[str] = frozenset()) -> str:
    """DuckDB SQL for a parsed Athena statement. ``date_columns`` names columns of type date."""
    tree = statement.copy()
    tree = tree.transform(_drop_aws_catalog)
    _name_unnamed_columns(tree)
    tree = tree.transform(lambda node: _keep_date_arithmetic_a_date(node, date_columns))
    return tree.sql(dialect="duckdb")


def _drop_aws_catalog(node: exp.Expr) -> exp.Expr:
    """Athena's ``AwsDataCatalog.db.table`` (and ``….table.column``) is just ``db.table`` here."""
    if isinstance(node, (exp.Table, exp.Column)) and node.text("catalog").lower() == AWS_CATALOG:
        node = node.copy()
        node.set("catalog", None)
    return node


def _keep_date_arithmetic_a_date(node: exp.Expr, date_columns: frozenset[str]) -> exp.Expr:
    """In Athena ``date_add('day', n, DATE …)`` is a DATE; DuckDB's DATE + INTERVAL is a TIMESTAMP."""
    if not isinstance(node, (exp.DateAdd, exp.DateSub)) or node.meta.get("date_kept"):
        return node
    unit = str(node.args.get("unit") or "day").strip("'\"").lower()
    if unit not in DATE_UNITS or not _is_date(node.this, date_columns):
        return node
    node.meta["date_kept"] = True
    return exp.Cast(this=node, to=exp.DataType.build("DATE"))


def _is_date(node: exp.Expr, date_columns: frozenset[str]) -> bool:
    if isinstance(node, exp.Cast):
        return node.to.this == exp.DataType.Type.DATE
    if isinstance(node, (exp.CurrentDate, exp.DateStrToDate, exp.StrToDate, exp.TsOrDsToDate, exp.Date, exp.FromISO8601Date)):
        return True
    if isinstance(node, (exp.DateAdd, exp.DateSub)):
        return _is_date(node.this, date_columns)
    return isinstance(node, exp.Column) and node.name.lower() in date_columns


def _name_unnamed_columns(tree: exp.Expr) -> None:
    """Athena names an unaliased expression ``_col<position>``; DuckDB would use its text."""
    if isinstance(tree, exp.SetOperation):
        _name_unnamed_columns(tree.this)  # a union's columns are named by its first branch
        return
    if not isinstance(tree, exp.Select):
        return
    for position, projection in enumerate(tree.expressions):
        if not isinstance(projection, (exp.Alias, exp.Column, exp.Star)):
            projection.replace(exp.alias_(projection.copy(), f"_col{position}"))
