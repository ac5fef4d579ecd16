"""``python -m services labels …``: ground truth in and out from the command line.

- ``labels import ENDPOINT FILE [--labeller NAME]``: FILE is Model Monitor's ground-truth JSON lines, a CSV
  (``eventId``/``event_id`` and ``label``/``groundTruth`` columns) or a SageMaker Ground Truth output manifest;
  prints ``{"Imported": n, "UnknownEventIds": m, "UnknownEventIdList": […], "BadLines": […]}``. FILE is read up
  to the import cap (50 MB) and must lie under an import root.
- ``labels export ENDPOINT --out FILE [--overwrite]``: writes the ground truth (majority labels) as Model
  Monitor's JSON lines to FILE (under exports/ when relative) and prints ``{"Exported": n, "Path": …}``.
"""

from __future__ import annotations

import argparse
from typing import Any

from services.errors import InvalidInput
from services.labels.ground_truth import atomic_write
from services.labels.models import MAX_IMPORT_BYTES
from services.paths import readable_path, writable_path

COMMANDS = ("labels",)


def add_commands(commands: Any) -> None:
    """Add ``labels import`` and ``labels export`` to the CLI's subparsers."""
    labels = commands.add_parser("labels", help="import or export an endpoint's ground-truth labels")
    actions = labels.add_subparsers(dest="action", required=True)
    imported = actions.add_parser("import", help="labels from ground-truth JSON lines, a CSV or a Ground Truth manifest")
    imported.add_argument("endpoint")
    imported.add_argument("file")
    imported.add_argument("--labeller", default="import", help="who the labels are recorded as (default: import)")
    exported = actions.add_parser("export", help="the ground truth as Model Monitor's JSON lines")
    exported.add_argument("endpoint")
    exported.add_argument("--out", required=True, help="the file to write (under exports/ when relative)")
    exported.add_argument("--overwrite", action="store_true", help="replace --out if it exists (refused otherwise)")


def run_command(services: Any, args: argparse.Namespace) -> Any:
    if args.action == "import":
        path = readable_path(args.file, services.settings)
        if not path.is_file():
            raise InvalidInput(f"{args.file} is a folder, not a label file.", hint="Give the path of one file.")
        with path.open("rb") as handle:
            data = handle.read(MAX_IMPORT_BYTES + 1)  # one byte over the cap is enough to refuse the file
        return services.labels.import_labels(args.endpoint, path.name, data, labeller=args.labeller).as_json()
    path = writable_path(args.out, services.settings, args.overwrite)
    data = services.labels.export_labels(args.endpoint)
    atomic_write(path, data)
    return {"Exported": data.count(b"\n"), "Path": str(path)}
