"""``python -m services lineage ENTITY [--direction upstream|downstream|both] [--depth N]``: QueryLineage from the
command line. ENTITY is an ARN, a ``database.table``, a model id (``name/version``), an endpoint or a job name
(``--kind`` says which when the guess is wrong). JSON on stdout in QueryLineage's shape (``Vertices``, ``Edges``);
a graph cut short at ``--max-vertices`` says so on stderr."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from services.lineage.models import DEFAULT_MAX_VERTICES, DIRECTION_NAMES, MAX_DEPTH, START_KINDS, LineageStart, guess_start
from services.registry import Services

COMMANDS = ("lineage",)


def add_commands(commands: Any) -> None:
    lineage = commands.add_parser("lineage", help="lineage around an entity (QueryLineage's Vertices and Edges)")
    lineage.add_argument("entity", help="an ARN, DATABASE.TABLE, a model id NAME/VERSION, an endpoint or a job name")
    lineage.add_argument("--direction", choices=tuple(DIRECTION_NAMES), default="both")
    lineage.add_argument("--depth", type=int, default=3, help=f"hops from the entity, 1 to {MAX_DEPTH} (QueryLineage's MaxDepth)")
    lineage.add_argument("--kind", choices=START_KINDS, default=None, help="what ENTITY names (default: guessed)")
    lineage.add_argument("--max-vertices", type=int, default=DEFAULT_MAX_VERTICES)


def run_command(services: Services, args: argparse.Namespace) -> Any:
    start = LineageStart(args.kind, args.entity.strip()) if args.kind else guess_start(args.entity)
    graph = services.lineage.query_lineage(start, args.direction, args.depth, args.max_vertices)
    if graph.truncated:
        print(f"note: more than {args.max_vertices} entities are connected; raise --max-vertices or lower --depth "
              "to see them all", file=sys.stderr)
    return graph.as_api()
