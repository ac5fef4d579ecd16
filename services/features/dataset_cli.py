"""``python -m services features build-dataset``: the point-in-time dataset builder from the command line.

``--base`` is a catalog table (``DATABASE.TABLE``) or a CSV/Parquet file (a path: it has a ``/`` or ends in
``.csv``, ``.tsv`` or ``.parquet``); ``--base-group`` takes a feature group's records as the base instead. The
answer is JSON: rows, columns, table or path, leaking_rows (with the note in words) and the SQL that ran.
"""

from __future__ import annotations

import argparse
from typing import Any

from services.features.base import FeaturesPort
from services.features.models import DatasetRequest

FILE_SUFFIXES = (".csv", ".tsv", ".parquet")


def add_build_dataset(actions: Any) -> None:
    """Add ``build-dataset`` to the ``features`` command's subparsers."""
    build = actions.add_parser("build-dataset", help="join a base with feature groups point-in-time correctly")
    base = build.add_mutually_exclusive_group(required=True)
    base.add_argument("--base", help="DATABASE.TABLE or a CSV/Parquet file")
    base.add_argument("--base-group", help="a feature group whose records are the base")
    build.add_argument("--record-identifier", required=True, help="the base's column matching the groups' identifiers")
    build.add_argument("--event-time", required=True, help="the base's event-time column")
    build.add_argument("--group", action="append", required=True, default=[], help="a feature group to join (repeatable)")
    build.add_argument("--as-of", default="", help="use only records written at or before this ISO-8601 time")
    build.add_argument("--event-time-start", default="", help="keep base rows at or after this ISO-8601 time")
    build.add_argument("--event-time-end", default="", help="keep base rows at or before this ISO-8601 time")
    build.add_argument("--include-deleted", action="store_true", help="ignore delete markers")
    build.add_argument("--include-duplicates", action="store_true",
                       help="one row per record sharing an identifier and event time (default: the last written)")
    out = build.add_mutually_exclusive_group(required=True)
    out.add_argument("--out", help="a .parquet or .csv file to write")
    out.add_argument("--table", help="DATABASE.TABLE to save it as (a new version if it exists)")


def is_file(base: str) -> bool:
    return "/" in base or base.lower().endswith(FILE_SUFFIXES)


def dataset_request(args: argparse.Namespace) -> DatasetRequest:
    base = (args.base or "").strip()
    return DatasetRequest(
        record_identifier=args.record_identifier, event_time=args.event_time, groups=tuple(args.group),
        base_table="" if is_file(base) else base, base_path=base if is_file(base) else "",
        base_group=args.base_group or "", as_of=args.as_of, event_time_start=args.event_time_start,
        event_time_end=args.event_time_end, include_deleted=args.include_deleted,
        include_duplicates=args.include_duplicates, out_table=args.table or "", out_path=args.out or "",
    )


def run_build_dataset(features: FeaturesPort, args: argparse.Namespace) -> dict[str, Any]:
    result = features.build_dataset(dataset_request(args))
    return {"rows": result.rows, "columns": list(result.columns), "table": result.table, "path": result.path,
            "leaking_rows": result.leaking_rows, "leakage_note": result.leakage_note, "sql": result.sql}
