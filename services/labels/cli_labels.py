"""Command line of the labels capability (being built)."""

from __future__ import annotations

import argparse
from typing import Any

COMMANDS: tuple[str, ...] = ()


def add_commands(commands: Any) -> None:
    """No commands yet."""


def run_command(services: Any, args: argparse.Namespace) -> Any:
    raise NotImplementedError(args.command)
