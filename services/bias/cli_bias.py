"""``python -m services bias``: Clarify bias metrics (being written)."""

from __future__ import annotations

import argparse
from typing import Any

from services.registry import Services

COMMANDS = ("bias",)


def add_commands(commands: Any) -> None:
    bias = commands.add_parser("bias", help="Clarify bias metrics of a table or file")
    bias.add_argument("model_id")


def run_command(services: Services, args: argparse.Namespace) -> Any:
    raise NotImplementedError("bias is being written")
