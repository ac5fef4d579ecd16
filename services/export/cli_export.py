"""``python -m services export --out FILE``: the session as one self-contained HTML file.

The output path follows the rule of every output file (``services.paths.writable_path``: a bare name goes under
``<workspace>/exports/``); JSON on stdout says where it went, its size and each section's count.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from services.errors import InvalidInput
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
    write_file(exported.html, output, overwrite=args.overwrite)
    return {"path": str(output), "bytes": exported.size_bytes, "created_at": exported.created_at,
            "sections": [s.to_json() for s in exported.sections]}


def write_file(document: str, output: Path, overwrite: bool) -> None:
    """Written beside ``output`` under a hidden name first, so a reader never sees half a file."""
    partial = output.with_name(f".{output.name}.partial")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file where a folder must be, a read-only folder
        raise unwritable(output, exc) from exc
    try:
        partial.write_text(document, encoding="utf-8")
    except OSError as exc:  # a full disk, no permission
        partial.unlink(missing_ok=True)
        raise unwritable(output, exc) from exc
    publish_file(partial, output, overwrite)


def unwritable(output: Path, exc: OSError) -> InvalidInput:
    return InvalidInput(f"{output} cannot be written: {exc.strerror or exc}.",
                        hint="Choose a file in a folder you may write to, e.g. a bare name (it goes under exports/).")
