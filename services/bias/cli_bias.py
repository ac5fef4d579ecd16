"""``python -m services bias``: Clarify's bias metrics of a table or file, as ``analysis.json``.

Prints the analysis (Clarify's layout) plus our extras on stdout and writes ``--out``. ``--data``
follows the import-root rule of ``services/paths.py`` like the pages; ``--out`` is the shell user's own
report file (relative to the current directory, like a ``>`` redirection): the CLI runs with the
user's own rights at their own prompt, so confining it would protect nothing. Values
given as text are converted to the column's type; ``--predicted`` uses the label's positive values
or threshold unless ``--predicted-threshold`` is given (for score columns).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from services.bias.models import BiasRequest
from services.errors import InvalidInput
from services.models import DataSource
from services.registry import Services

COMMANDS = ("bias",)


def add_commands(commands: Any) -> None:
    bias = commands.add_parser("bias", help="Clarify bias metrics of a table or file (analysis.json)")
    source = bias.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", type=Path, help="a CSV/TSV/JSON-lines/Parquet file or folder")
    source.add_argument("--table", help="DATABASE.TABLE from the catalog")
    bias.add_argument("--label", required=True)
    label = bias.add_mutually_exclusive_group(required=True)
    label.add_argument("--label-values", help="positive label values, comma-separated")
    label.add_argument("--label-threshold", type=float, help="positive when the label is above this")
    bias.add_argument("--facet", required=True, help="the sensitive attribute")
    facet = bias.add_mutually_exclusive_group()
    facet.add_argument("--facet-values", help="sensitive values (group d), comma-separated; none = one-vs-all")
    facet.add_argument("--facet-threshold", type=float, help="group d = facet above this")
    bias.add_argument("--group", default="", help="group variable for CDDL/CDDPL")
    bias.add_argument("--predicted", default="", help="a column holding the model's predictions")
    bias.add_argument("--predicted-threshold", type=float, help="positive prediction when the column is above this")
    bias.add_argument("--methods", default="all", help="all, or metric names, comma-separated (e.g. CI,DPL,DI)")
    bias.add_argument("--bootstrap", type=int, default=200, help="resamples for 95%% intervals (0 = none)")
    bias.add_argument("--out", required=True, type=Path, help="where to write analysis.json")


def request_from_args(args: argparse.Namespace) -> BiasRequest:
    if args.predicted_threshold is not None and not args.predicted:
        raise InvalidInput("--predicted-threshold needs --predicted.", hint="Name the column holding the scores.")
    if args.bootstrap < 0:
        raise InvalidInput("--bootstrap cannot be negative.", hint="Use 0 for no intervals.")
    return BiasRequest(
        source=DataSource(table=args.table or "", path=str(args.data or "")),
        label=args.label, label_values=_split(args.label_values), label_threshold=args.label_threshold,
        facet=args.facet, facet_values=_split(args.facet_values), facet_threshold=args.facet_threshold,
        group=args.group, predicted=args.predicted, predicted_threshold=args.predicted_threshold,
        methods=_split(args.methods) or ("all",), bootstrap=args.bootstrap,
    )


def run_command(services: Services, args: argparse.Namespace) -> Any:
    request = request_from_args(args)
    if args.data and not args.data.exists():
        raise InvalidInput(f"{args.data} does not exist.", hint="Check the path of the data file.")
    report = services.bias.analyze(request)
    analysis = report.analysis_json()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(analysis, indent=2))
    return {**analysis, "workbench": {**report.extras_json(), "out": str(args.out)}}


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (text or "").split(",") if v.strip())
