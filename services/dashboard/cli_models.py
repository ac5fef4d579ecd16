"""``python -m services models …``: model packages and their approval from the command line.

``models list [--group G]`` prints model packages in ``ListModelPackages``' summary spelling (ModelPackageGroupName,
ModelPackageVersion, ModelPackageArn, ModelApprovalStatus, CreationTime), newest first; ``models approve REF
[--status S]`` sets a package's ``ModelApprovalStatus`` (Approved unless told otherwise) and prints the package.
REF is a ModelPackageArn or a model id (GROUP/VERSION); an unknown one exits 2.
"""

from __future__ import annotations

import argparse
from typing import Any

from services.dashboard.models import APPROVAL_STATUSES, model_reference, package_summary
from services.errors import NotFound
from services.names import check_name
from services.registry import Services

COMMANDS = ("models",)


def add_commands(commands: Any) -> None:
    """Add ``models list`` and ``models approve`` to the CLI's subparsers."""
    actions = commands.add_parser("models", help="model packages in the registry and their approval").add_subparsers(
        dest="action", required=True)
    listed = actions.add_parser("list", help="model packages, newest first")
    listed.add_argument("--group", default="", help="only this model package group")
    approve = actions.add_parser("approve", help="set a model package's approval status")
    approve.add_argument("package", help="ModelPackageArn, or GROUP/VERSION")
    approve.add_argument("--status", default="Approved", choices=APPROVAL_STATUSES)


def run_command(services: Services, args: argparse.Namespace) -> Any:
    if args.action == "list":
        return list_packages(services, args.group)
    record = services.training.set_model_approval(model_reference(args.package), args.status)
    return package_summary(record)


def list_packages(services: Services, group: str = "") -> list[dict[str, object]]:
    """Every model package (of ``group``), newest first; ``NotFound`` for a group with no packages."""
    models = services.training.list_models()
    if group:
        check_name("model-package-group", group)
        models = [m for m in models if m.name == group]
        if not models:
            raise NotFound(f"No model package group {group!r}.", hint="Run `models list` to see every group.")
    models = sorted(models, key=lambda m: (m.created_at, m.name, m.version), reverse=True)  # ties: the higher version
    return [package_summary(m) for m in models]
