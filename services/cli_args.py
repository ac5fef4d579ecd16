"""Command-line arguments every command group parses the same way."""

from __future__ import annotations

from collections.abc import Sequence

from services.errors import InvalidInput


def parse_pairs(items: Sequence[str], what: str, example: str, form: str = "NAME=VALUE") -> dict[str, str]:
    """``NAME=VALUE`` arguments as a dict (the value may contain further ``=``); ``InvalidInput`` for anything else."""
    pairs: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"{what} {item!r} is not {form}.", hint=f"e.g. {example}.")
        pairs[key.strip()] = value
    return pairs
