"""Hyperparameters as SageMaker passes them (every value a string): how each one is read and checked,
and how the values used are shown back."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.errors import InvalidInput


@dataclass(frozen=True)
class Hyperparameter:
    """How to read one hyperparameter. ``default=None`` means "not set" (the algorithm decides)."""

    kind: str  # integer | number | boolean | choice | text
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    above_minimum: bool = False  # the minimum itself is not allowed
    auto: bool = False  # "auto" is accepted and means the default

    def describe(self) -> str:
        """What a valid value looks like, for error messages."""
        if self.kind == "boolean":
            return "true or false"
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        noun = "an integer" if self.kind == "integer" else "a number"
        return noun + _range_text(self) + (' or "auto"' if self.auto else "")

    def parse(self, name: str, raw: Any) -> Any:
        """The typed value of ``raw``; ``InvalidInput`` naming the hyperparameter when it is not valid."""
        text = str(raw).strip()
        if self.auto and text.lower() == "auto":
            return self.default
        value = _typed_value(self.kind, text)
        if value is None or not self._allows(value):
            raise InvalidInput(f"{name} must be {self.describe()}, got {text!r}.",
                               hint=f"Fix the {name} hyperparameter or leave it out to use the default.")
        return value

    def _allows(self, value: Any) -> bool:
        if self.kind == "choice":
            return str(value) in self.choices
        if self.kind not in ("integer", "number"):
            return True
        if self.minimum is not None and (value < self.minimum or (self.above_minimum and value == self.minimum)):
            return False
        return self.maximum is None or value <= self.maximum


def _range_text(spec: Hyperparameter) -> str:
    low, high = spec.minimum, spec.maximum
    if low is not None and high is not None:
        return f" in ({low:g}, {high:g}]" if spec.above_minimum else f" between {low:g} and {high:g}"
    if low is not None:
        return f" > {low:g}" if spec.above_minimum else f" ≥ {low:g}"
    return f" ≤ {high:g}" if high is not None else ""


def _typed_value(kind: str, text: str) -> Any:
    try:
        if kind == "integer":
            number = float(text)
            return int(number) if number.is_integer() else None
        if kind == "number":
            number = float(text)
            return number if math.isfinite(number) else None
    except ValueError:
        return None
    if kind == "boolean":
        return {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(text.lower())
    return text


def parse_hyperparameters(raw: Mapping[str, Any], specs: Mapping[str, Hyperparameter], algorithm: str) -> dict[str, Any]:
    """Every declared hyperparameter with its typed value (the default when absent).

    Names starting with "_" are private values the training job passes (e.g. ``_source_table``) and are skipped.
    """
    unknown = sorted(name for name in set(raw) - set(specs) if not name.startswith("_"))
    if unknown:
        raise InvalidInput(f"Unknown hyperparameter {unknown[0]!r} for {algorithm}.",
                           hint=f"{algorithm} accepts: {', '.join(sorted(specs))}.")
    return {name: spec.parse(name, raw[name]) if name in raw else spec.default for name, spec in specs.items()}


def hyperparameters_used(values: Mapping[str, Any]) -> dict[str, str]:
    """The values as SageMaker would show them: strings, booleans lower case, unset ones left out."""
    return {name: str(value).lower() if isinstance(value, bool) else str(value)
            for name, value in values.items() if value is not None}
