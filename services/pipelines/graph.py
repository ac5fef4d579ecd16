"""The order of a pipeline's steps: pure functions over the definition.

A step depends on every step in its ``DependsOn`` and on every step its arguments or property files
refer to (``{"Get": "Steps.X…"}``, a JsonGet's property file) — the sagemaker SDK writes no ``DependsOn``
for those. A step inside a Condition's ``IfSteps``/``ElseSteps`` depends on that Condition.
"""

from __future__ import annotations

import graphlib
from collections.abc import Mapping
from typing import Any

from services.errors import InvalidInput
from services.pipelines.definition import StepEntry, all_steps
from services.pipelines.expressions import named_property_files, references


def step_dependencies(definition: Mapping[str, Any]) -> dict[str, set[str]]:
    """Each step's name → the names of the steps it waits for."""
    entries = list(all_steps(definition))
    file_owners = {item.get("PropertyFileName"): entry.name for entry in entries
                   for item in entry.step.get("PropertyFiles") or [] if isinstance(item, dict)}
    dependencies: dict[str, set[str]] = {}
    for entry in entries:
        needed = set(entry.step.get("DependsOn") or [])
        own = _own_part(entry)
        needed |= {reference.split(".")[1] for reference in references(own) if reference.startswith("Steps.")}
        needed |= {file_owners[name] for name in named_property_files(own) if name in file_owners}
        if entry.condition:
            needed.add(entry.condition)
        needed.discard(entry.name)
        dependencies[entry.name] = needed
    return dependencies


def _own_part(entry: StepEntry) -> Any:
    arguments = entry.step.get("Arguments") or {}
    own = {"Arguments": arguments, "PropertyFiles": entry.step.get("PropertyFiles")}
    if entry.type == "Condition":
        own["Arguments"] = {"Conditions": arguments.get("Conditions")}
    return own


def topological_order(dependencies: Mapping[str, set[str]]) -> list[str]:
    """Steps in an order that respects every dependency; ``InvalidInput`` naming the steps of a cycle."""
    try:
        return list(graphlib.TopologicalSorter(dependencies).static_order())
    except graphlib.CycleError as exc:
        cycle = " → ".join(exc.args[1])
        raise InvalidInput(f"The steps depend on each other in a cycle: {cycle}.",
                           hint="Remove one of the DependsOn entries or references that close the cycle.") from exc


def downstream(dependencies: Mapping[str, set[str]], names: set[str]) -> set[str]:
    """Every step that waits, directly or not, on one of ``names`` (not the names themselves)."""
    found: set[str] = set()
    frontier = set(names)
    while frontier:
        frontier = {step for step, needs in dependencies.items() if needs & frontier} - found
        found |= frontier
    return found - set(names)
