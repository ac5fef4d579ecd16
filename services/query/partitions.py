"""Which partitions of a table a query reads, from the WHERE clauses that apply to each reference.

Conservative: a partition is skipped only when a predicate proves it cannot match. AND narrows,
OR widens (a key is restricted only when both sides restrict it), NOT and anything else restrict
nothing. Each reference of the table is judged by its own SELECT's WHERE, so a subquery's filter
does not prune the outer read.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from services.models import Table

Restriction = dict[str, frozenset[str]]  # partition key → the values allowed; absent key = any


@dataclass(frozen=True)
class PartitionFilter:
    """The union of what every reference to one table reads."""

    restrictions: tuple[Restriction, ...]  # one per reference
    filtered: bool  # every reference has a predicate on some partition key

    def matches(self, values: dict[str, str]) -> bool:
        return any(_allows(r, values) for r in self.restrictions) if self.restrictions else True


def partition_filter(statement: exp.Expr, table: Table) -> PartitionFilter:
    """How ``statement`` filters the partitions of ``table``."""
    keys = {k.name.lower() for k in table.partition_keys}
    references = [ref for ref in statement.find_all(exp.Table) if _is_reference_to(ref, table)]
    restrictions, filtered = [], bool(references)
    for ref in references:
        condition = _where_of(ref)
        names = {ref.alias_or_name.lower(), ref.name.lower()}
        restrictions.append(_restrict(condition, keys, names) if condition is not None else {})
        filtered = filtered and condition is not None and _mentions(condition, keys, names, ref.find_ancestor(exp.Select))
    return PartitionFilter(tuple(restrictions), filtered)


def _is_reference_to(ref: exp.Table, table: Table) -> bool:
    return ref.name.lower() == table.name and (not ref.db or ref.db.lower() == table.database)


def _where_of(ref: exp.Table) -> exp.Expr | None:
    select = ref.find_ancestor(exp.Select)
    where = select.args.get("where") if select is not None else None
    return where.this if where is not None else None


def _mentions(condition: exp.Expr, keys: set[str], names: set[str], scope: exp.Expr | None) -> bool:
    """A predicate on a key in this SELECT's own WHERE (not in a subquery inside it)."""
    return any(
        _key_of(column, keys, names) and column.find_ancestor(exp.Select) is scope
        for column in condition.find_all(exp.Column)
    )


def _key_of(node: exp.Expr, keys: set[str], names: set[str]) -> str | None:
    if isinstance(node, exp.Column) and node.name.lower() in keys and (not node.table or node.table.lower() in names):
        return node.name.lower()
    return None


def _restrict(condition: exp.Expr, keys: set[str], names: set[str]) -> Restriction:
    if isinstance(condition, exp.Paren):
        return _restrict(condition.this, keys, names)
    if isinstance(condition, exp.And):
        return _both(_restrict(condition.left, keys, names), _restrict(condition.right, keys, names))
    if isinstance(condition, exp.Or):
        return _either(_restrict(condition.left, keys, names), _restrict(condition.right, keys, names))
    if isinstance(condition, exp.EQ):
        return _equality(condition, keys, names)
    if isinstance(condition, exp.In) and not condition.args.get("query"):
        key = _key_of(condition.this, keys, names)
        values = [e for e in condition.expressions]
        if key and values and all(isinstance(v, exp.Literal) for v in values):
            return {key: frozenset(v.name for v in values)}
    return {}


def _equality(condition: exp.EQ, keys: set[str], names: set[str]) -> Restriction:
    for column, value in ((condition.this, condition.expression), (condition.expression, condition.this)):
        key = _key_of(column, keys, names)
        if key and isinstance(value, exp.Literal):
            return {key: frozenset({value.name})}
    return {}


def _both(left: Restriction, right: Restriction) -> Restriction:
    merged = dict(left)
    for key, values in right.items():
        merged[key] = merged[key] & values if key in merged else values
    return merged


def _either(left: Restriction, right: Restriction) -> Restriction:
    return {key: left[key] | right[key] for key in left.keys() & right.keys()}


def _allows(restriction: Restriction, values: dict[str, str]) -> bool:
    return all(values.get(key) in allowed for key, allowed in restriction.items())
