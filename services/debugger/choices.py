"""The Train page's rule table: one row per built-in rule, its parameters prefilled from the catalog, and the
``DebuggerConfig`` the ticked rows make. Pure; the form only draws the rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from services.debugger.models import DebuggerConfig, RuleConfig
from services.errors import InvalidInput


def format_parameters(parameters: Mapping[str, Any]) -> str:
    """``num_steps=10; diff_percent=0.1`` (a ``;`` list, since a regex may hold commas)."""
    return "; ".join(f"{name}={value}" for name, value in parameters.items())


def parse_parameters(rule: str, text: str) -> dict[str, str]:
    """The inverse of ``format_parameters``; ``InvalidInput`` naming the rule for a piece without ``=``."""
    pairs: dict[str, str] = {}
    for piece in (p.strip() for p in text.split(";")):
        if not piece:
            continue
        name, equals, value = piece.partition("=")
        if not equals or not name.strip():
            raise InvalidInput(f"{rule}'s parameter {piece!r} is not name=value.",
                               hint="Write the parameters as name=value, separated by ';'.")
        pairs[name.strip()] = value.strip()
    return pairs


def rule_rows(catalog: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One unticked row per rule: use, rule, kind, parameters (the defaults), description."""
    return [{"use": False, "rule": name, "kind": entry.get("kind", ""),
             "parameters": format_parameters(entry.get("parameters") or {}), "description": entry.get("description", "")}
            for name, entry in catalog.items()]


def config_from_rows(rows: Sequence[Mapping[str, Any]], catalog: Mapping[str, Mapping[str, Any]], *,
                     stop_on_issue: bool, profiler: bool = True) -> DebuggerConfig | None:
    """The ticked rules with the parameters that differ from the catalog's defaults (SageMaker applies its own
    defaults, and an empty default such as ``tensor_regex=`` means "not given"); ``None`` when nothing is asked."""
    rules = []
    for row in rows:
        if not row.get("use"):
            continue
        rule = str(row["rule"])
        defaults = {k: str(v) for k, v in ((catalog.get(rule) or {}).get("parameters") or {}).items()}
        given = parse_parameters(rule, str(row.get("parameters") or ""))
        rules.append(RuleConfig(rule, {k: v for k, v in given.items() if defaults.get(k) != v}))
    if not rules and not stop_on_issue:
        return None
    if not rules:
        raise InvalidInput("'Stop training on an issue' needs at least one rule.", hint="Tick the rules to evaluate.")
    return DebuggerConfig(tuple(rules), stop_on_issue=stop_on_issue, profiler=profiler)
