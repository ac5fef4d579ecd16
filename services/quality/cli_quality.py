"""``python -m services quality DATABASE.TABLE [--target COL] [--sql SQL] [--out report.html]``.

Prints the report's summary as JSON (rows, duplicates, columns, warnings, leakage, Quick Model) and writes
the self-contained HTML report to ``--out``. With ``--sql`` the query's result is profiled and the
positional argument is the database for bare table names in it (``DATABASE`` alone is enough). ``--out``
is the shell user's own file, relative to the current directory (as ``bias --out``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from services.errors import InvalidInput
from services.quality.models import DEFAULT_SAMPLE_ROWS, QualityRequest
from services.registry import Services

COMMANDS = ("quality",)


def add_commands(commands: Any) -> None:
    quality = commands.add_parser("quality", help="data quality & insights report of a table or a SQL result")
    quality.add_argument("source", help="DATABASE.TABLE (with --sql: the database for bare table names)")
    quality.add_argument("--target", default="", help="the column a model would predict (class balance, leakage, Quick Model)")
    quality.add_argument("--sql", default="", help="profile this query's result instead of the table")
    quality.add_argument("--sample-rows", type=int, default=DEFAULT_SAMPLE_ROWS,
                         help="rows sampled for outliers, top words, leakage and the Quick Model")
    quality.add_argument("--out", type=Path, default=None, help="write the HTML report here")


def request_from_args(args: argparse.Namespace) -> QualityRequest:
    if args.sql.strip():
        return QualityRequest(sql=args.sql, database=args.source.partition(".")[0], target=args.target,
                              sample_rows=args.sample_rows)
    if "." not in args.source:
        raise InvalidInput(f"{args.source!r} is not DATABASE.TABLE.", hint="Write it as e.g. demo.reviews, or give --sql.")
    return QualityRequest(table=args.source, target=args.target, sample_rows=args.sample_rows)


def run_command(services: Services, args: argparse.Namespace) -> Any:
    report = services.quality.report(request_from_args(args))
    summary = report.summary_json()
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report.html(), encoding="utf-8")
        summary["Out"] = str(args.out)
    return summary
