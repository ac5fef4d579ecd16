"""``python -m services export --out FILE``: the session as one self-contained HTML file.

The output path follows the rule of every output file (``services.paths.writable_path``: a bare name goes under
``<workspace>/exports/``); JSON on stdout says where it went, its size and each section's count.
"""

from __future__ import annotations

import argparse
from typing import Any

from services.export.models import build_export
from services.paths import publish_file, writable_path
from services.registry import Services

COMMANDS = ("export",)


def add_commands(commands: Any) -> None:
    """Add ``export`` to the CLI's subparsers."""
    export = commands.add_parser("export", help="the session (queries, bias, leaderboards, runs, scored reviews) as one HTML file")
    export.add_argument("--out", required=True, help="output file; a bare name goes under <workspace>/exports/")
    export.add_argument("--overwrite", action="store_true", help="replace the file if it exists")


def run_command(services: Services, args: argparse.Namespace) -> dict[str, Any]:
    """Write the file (refusing a bad path before anything is read) and say what it holds."""
    output = writable_path(args.out, services.settings, overwrite=args.overwrite)
    exported = build_export(services, backend=services.backend_label)
    partial = output.with_name(f".{output.name}.partial")
    partial.write_text(exported.html, encoding="utf-8")
    publish_file(partial, output, overwrite=args.overwrite)
    return {"path": str(output), "bytes": exported.size_bytes, "created_at": exported.created_at,
            "sections": [s.to_json() for s in exported.sections]}
