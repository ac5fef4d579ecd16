"""Evaluate the expressions of a SageMaker pipeline definition: pure functions over plain data.

The sagemaker SDK writes every pipeline variable as JSON: ``{"Get": "Parameters.X"}``,
``{"Get": "Execution.PipelineExecutionId"}``, ``{"Get": "Steps.X.<path>"}`` (a path into the step's
Describe* response, e.g. ``ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri``),
``{"Std:Join": {"On": sep, "Values": [...]}}`` and ``{"Std:JsonGet": {"PropertyFile": …, "Path": "a.b[0]"}}``;
a Condition step's ``Conditions`` hold ``{"Type": "GreaterThanOrEqualTo", "LeftValue", "RightValue"}``,
``In`` (``QueryValue``/``Values``), ``Not`` (``Condition``) and ``Or`` (``Conditions``). Nothing here reads a
file or a clock: a property file's content comes through the ``Scope``'s ``read_property_file``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from services.errors import InvalidInput

EXECUTION_VARIABLES = ("PipelineExecutionId", "PipelineExecutionArn", "PipelineName", "StartDateTime",
                       "CurrentDateTime", "PipelineArn")
FUNCTIONS = ("Std:Join", "Std:JsonGet")
COMPARISONS = {
    "GreaterThanOrEqualTo": lambda left, right: left >= right,
    "GreaterThan": lambda left, right: left > right,
    "LessThan": lambda left, right: left < right,
    "LessThanOrEqualTo": lambda left, right: left <= right,
}
CONDITION_TYPES = (*COMPARISONS, "Equals", "In", "Not", "Or")
# A list element picked by a ['key'] index: the first of these fields that equals the key.
LIST_KEYS = ("OutputName", "MetricName", "ChannelName", "Name", "InputName", "VariantName")
_TOKEN = re.compile(r"\.?([A-Za-z0-9_:\-]+)|\[\s*'([^']*)'\s*\]|\[\s*\"([^\"]*)\"\s*\]|\[\s*(-?\d+)\s*\]")


class ExpressionError(InvalidInput):
    """An expression that cannot be evaluated (missing property, bad path, values that cannot be compared)."""


@dataclass(frozen=True)
class Scope:
    """What expressions can read during one execution."""

    parameters: dict[str, Any]  # typed values by name
    execution: dict[str, str]  # Execution.* variables by name
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)  # finished steps' properties by name
    read_property_file: Callable[[str, str], Any] = lambda step, name: _no_property_files(step, name)


def _no_property_files(step: str, name: str) -> Any:
    raise ExpressionError(f"Property file {name!r} of step {step!r} is not available.")


def resolve(value: Any, scope: Scope) -> Any:
    """``value`` with every expression replaced by its value (dicts and lists walked)."""
    if isinstance(value, dict):
        if is_get(value):
            return evaluate_get(value["Get"], scope)
        if len(value) == 1 and next(iter(value)) in FUNCTIONS:
            return _function(value, scope)
        return {key: resolve(item, scope) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, scope) for item in value]
    return value


def is_get(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("Get"), str)


def evaluate_get(reference: str, scope: Scope) -> Any:
    """The value of ``Parameters.X``, ``Execution.X`` or ``Steps.X.<path>``."""
    root, _, rest = reference.partition(".")
    if root == "Parameters":
        if rest not in scope.parameters:
            raise ExpressionError(f"Unknown parameter {rest!r}.")
        return scope.parameters[rest]
    if root == "Execution":
        if rest not in scope.execution:
            raise ExpressionError(f"Unknown execution variable {rest!r}.")
        return scope.execution[rest]
    if root == "Steps":
        step, _, path = rest.partition(".")
        if step not in scope.steps:
            raise ExpressionError(f"Step {step!r} has no properties yet (it has not succeeded).")
        return property_path(scope.steps[step], path, f"Steps.{step}")
    raise ExpressionError(f"{reference!r} is not a reference (Parameters., Execution. or Steps.).")


def path_tokens(path: str) -> list[str | int]:
    """``A.B['k'][0].C`` → ``["A", "B", "k", 0, "C"]``; ``ExpressionError`` for text that is not a path."""
    tokens: list[str | int] = []
    position = 0
    while position < len(path):
        match = _TOKEN.match(path, position)
        if match is None or match.end() == position:
            raise ExpressionError(f"Cannot read the path {path!r} at character {position + 1}.")
        name, quoted, double_quoted, index = match.groups()
        if index is not None:
            tokens.append(int(index))
        else:
            tokens.append(name if name is not None else (quoted if quoted is not None else double_quoted))
        position = match.end()
    return tokens


def property_path(properties: Any, path: str, label: str) -> Any:
    """Walk a Describe*-shaped value: ``['key']`` on a list picks the element whose OutputName/MetricName/
    ChannelName/Name is the key; on a dict it is the key; ``[n]`` is a position."""
    value = properties
    walked = label
    for token in path_tokens(path) if path else []:
        value = _step_into(value, token, walked)
        walked += f"[{token}]" if isinstance(token, int) else f".{token}"
    return value


def _step_into(value: Any, token: str | int, walked: str) -> Any:
    if isinstance(token, int):
        if isinstance(value, list) and -len(value) <= token < len(value):
            return value[token]
    elif isinstance(value, dict) and token in value:
        return value[token]
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and any(item.get(key) == token for key in LIST_KEYS):
                return item
    raise ExpressionError(f"{walked} has no {token!r}.")


def json_path(document: Any, path: str) -> Any:
    """``Std:JsonGet``'s path (``a.b[0].c``) into a parsed JSON document."""
    value = document
    for token in path_tokens(path):
        by_position = isinstance(token, int) and isinstance(value, list) and -len(value) <= token < len(value)
        if by_position or (isinstance(token, str) and isinstance(value, dict) and token in value):
            value = value[token]
        else:
            raise ExpressionError(f"The property file has nothing at {path!r} (no {token!r}).")
    return value


def property_file_reference(value: Any) -> tuple[str, str]:
    """(step, property file name) of a JsonGet's ``PropertyFile``: ``{"Get": "Steps.X.PropertyFiles.N"}``,
    or ("", N) when the definition names the file only."""
    if isinstance(value, str):
        return "", value
    if is_get(value):
        parts = value["Get"].split(".")
        if len(parts) == 4 and parts[0] == "Steps" and parts[2] == "PropertyFiles":
            return parts[1], parts[3]
    raise ExpressionError(f"{json.dumps(value)[:200]} is not a property file (use Steps.<step>.PropertyFiles.<name>).")


def _function(value: dict[str, Any], scope: Scope) -> Any:
    name, body = next(iter(value.items()))
    if not isinstance(body, dict):
        raise ExpressionError(f"{name} takes an object.")
    if name == "Std:Join":
        values = resolve(body.get("Values", []), scope)
        return str(body.get("On", "")).join(as_text(item) for item in values)
    step, file_name = property_file_reference(body.get("PropertyFile"))
    document = scope.read_property_file(step, file_name)
    return json_path(document, str(resolve(body.get("Path", ""), scope)))


def as_text(value: Any) -> str:
    """A value as Join writes it: JSON's spelling for booleans, numbers and null."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value)


def evaluate_conditions(conditions: list[dict[str, Any]], scope: Scope) -> bool:
    """A Condition step's outcome: every condition of the list holds (SageMaker ANDs them)."""
    return all(evaluate_condition(condition, scope) for condition in conditions)


def evaluate_condition(condition: dict[str, Any], scope: Scope) -> bool:
    kind = condition.get("Type")
    if kind in COMPARISONS:
        left, right = (_number(resolve(condition.get(side), scope), side) for side in ("LeftValue", "RightValue"))
        return bool(COMPARISONS[kind](left, right))
    if kind == "Equals":
        return _equal(resolve(condition.get("LeftValue"), scope), resolve(condition.get("RightValue"), scope))
    if kind == "In":
        query = resolve(condition.get("QueryValue"), scope)
        return any(_equal(query, item) for item in resolve(condition.get("Values", []), scope))
    if kind == "Not":
        return not evaluate_condition(condition.get("Condition") or {}, scope)
    if kind == "Or":
        return any(evaluate_condition(item, scope) for item in condition.get("Conditions", []))
    raise ExpressionError(f"Unknown condition type {kind!r}; supported: {', '.join(CONDITION_TYPES)}.")


def _number(value: Any, side: str) -> float:
    if isinstance(value, bool):
        raise ExpressionError(f"{side} {value!r} is not a number.")
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise ExpressionError(f"{side} {value!r} is not a number, so it cannot be compared.") from exc


def _equal(left: Any, right: Any) -> bool:
    numbers = (int, float)
    if isinstance(left, numbers) and isinstance(right, numbers) and not isinstance(left, bool) and not isinstance(right, bool):
        return float(left) == float(right)
    return bool(left == right)


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object inside ``value``, outermost first (not the inside of a ``Get``, which is a reference)."""
    if isinstance(value, dict):
        yield value
        if not is_get(value):
            for item in value.values():
                yield from _objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from _objects(item)


def references(value: Any) -> Iterator[str]:
    """Every ``Get`` reference inside ``value`` (also the property files JsonGet names)."""
    return (item["Get"] for item in _objects(value) if is_get(item))


def named_property_files(value: Any) -> Iterator[str]:
    """Property files a JsonGet names without a step (``"PropertyFile": "EvalReport"``)."""
    for item in _objects(value):
        body = item.get("Std:JsonGet")
        if len(item) == 1 and isinstance(body, dict) and isinstance(body.get("PropertyFile"), str):
            yield body["PropertyFile"]


def unknown_functions(value: Any) -> Iterator[str]:
    """``Std:…`` functions the engine does not know."""
    return (key for item in _objects(value) for key in item if key.startswith("Std:") and key not in FUNCTIONS)
