"""``python -m services explain``: SHAP importances for a registered model (being written)."""

from __future__ import annotations

import argparse
from typing import Any

from services.registry import Services

COMMANDS = ("explain",)


def add_commands(commands: Any) -> None:
    explain = commands.add_parser("explain", help="SHAP importances of a registered model on a table or file")
    explain.add_argument("model_id")


def run_command(services: Services, args: argparse.Namespace) -> Any:
    raise NotImplementedError("explain is being written")
