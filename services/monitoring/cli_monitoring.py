"""``python -m services monitor …``: Model Monitor's four monitor types from the command line.

One ``monitor`` parser whose first word is an endpoint name, or ``schedule`` / ``schedules``:

- ``monitor ENDPOINT [--type data-quality|model-quality|bias-drift|feature-attribution-drift] [--tolerance F]
  [--facet COL] [--facet-value V]… [--band F] [--ndcg-threshold F] [--sample-size N] [--baseline MODEL_ID]
  [--out DIR]`` runs one monitor now and prints its report; for ``model-quality`` exactly Model Monitor's
  ``statistics.json`` plus ``violations`` (the entries of ``constraint_violations.json``). The default type is
  ``data-quality`` (the drift report, as ``monitor ENDPOINT`` always was); ``--table`` / ``--data`` still compare a
  table's or a file's rows with the baseline instead of the captured traffic (the drift report itself). ``--out``
  writes ``statistics.json``, ``constraints.json`` and ``constraint_violations.json`` into DIR (under exports/ when
  relative). A run that could not compute (no captured traffic, no labels) is kept as a Failed report and exits 2
  with its reason.
- ``monitor schedule ENDPOINT --type … --every hourly|daily [--name NAME]`` and ``monitor schedules [--endpoint E]``
  are handled by ``services/monitoring/cli_schedules.py``'s ``run_command(services, args)`` (the ENDPOINT of
  ``schedule`` is ``args.endpoint_arg``; the monitor's settings are ``monitor_config(args)``). An endpoint named
  ``schedule`` or ``schedules`` is monitored with ``monitor run NAME``.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
from typing import Any

from services.errors import InvalidInput
from services.models import DataSource
from services.monitoring.models import MONITOR_TYPES, SCHEDULE_EXPRESSIONS, MonitorConfig, MonitorReport
from services.paths import writable_path

COMMANDS = ("monitor",)
SCHEDULE_WORDS = ("schedule", "schedules")
RUN_WORD = "run"  # ``monitor run NAME``: an endpoint whose name is one of the words above


def add_commands(commands: Any) -> None:
    """Add ``monitor`` to the CLI's subparsers."""
    monitor = commands.add_parser("monitor", help="run a Model Monitor type on an endpoint now, or manage its schedules")
    monitor.add_argument("target", metavar="ENDPOINT", help="the endpoint, or: schedule ENDPOINT | schedules | run ENDPOINT")
    monitor.add_argument("endpoint_arg", nargs="?", default="", metavar="ENDPOINT", help="after schedule / run")
    monitor.add_argument("--type", dest="monitor_type", choices=MONITOR_TYPES, default="data-quality")
    monitor.add_argument("--tolerance", type=float, default=MonitorConfig.tolerance,
                         help="model quality: how far a metric may fall below its baseline (absolute; errors: a share)")
    monitor.add_argument("--facet", default="", help="bias drift: the request column of the sensitive group")
    monitor.add_argument("--facet-value", action="append", default=[], help="bias drift: a value of the group (repeatable)")
    monitor.add_argument("--band", type=float, default=MonitorConfig.band, help="bias drift: allowed change of a metric")
    monitor.add_argument("--ndcg-threshold", type=float, default=MonitorConfig.ndcg_threshold,
                         help="feature attribution drift: NDCG below this is a violation")
    monitor.add_argument("--sample-size", type=int, default=MonitorConfig.sample_size,
                         help="feature attribution drift: captured rows explained")
    monitor.add_argument("--baseline", default="", help="MODEL_ID whose training data is the baseline")
    monitor.add_argument("--out", default="", help="write the three Model Monitor files into this folder")
    source = monitor.add_mutually_exclusive_group()
    source.add_argument("--table", default="", help="data quality: compare this table (DATABASE.TABLE) instead")
    source.add_argument("--data", default="", help="data quality: compare this file instead")
    monitor.add_argument("--every", choices=tuple(SCHEDULE_EXPRESSIONS), default="hourly", help="schedule: how often")
    monitor.add_argument("--name", default="", help="schedule: MonitoringScheduleName (default ENDPOINT-TYPE)")
    monitor.add_argument("--endpoint", default="", help="schedules: only this endpoint's")


def monitor_config(args: argparse.Namespace) -> MonitorConfig:
    return MonitorConfig(tolerance=args.tolerance, facet=args.facet, facet_values=tuple(args.facet_value), band=args.band,
                         ndcg_threshold=args.ndcg_threshold, sample_size=args.sample_size, baseline_model_id=args.baseline)


def run_command(services: Any, args: argparse.Namespace) -> Any:
    if args.target in SCHEDULE_WORDS:
        from services.monitoring import cli_schedules

        return cli_schedules.run_command(services, args)
    endpoint = endpoint_name(args)
    if args.table or args.data:
        if args.monitor_type != "data-quality":
            raise InvalidInput("--table and --data compare rows with the baseline: a data-quality check.",
                               hint="Leave out --type, or drop --table/--data to monitor the captured traffic.")
        return asdict(services.endpoints.drift_report(endpoint, args.baseline, DataSource(table=args.table, path=args.data)))
    report = services.monitoring.run_monitor(endpoint, args.monitor_type, monitor_config(args))
    if args.out:
        write_files(report, args.out, services.settings)
    if report.status == "Failed":
        raise InvalidInput(f"The {report.monitor_type} monitor of {endpoint} failed: {report.failure_reason}",
                           hint="The failed report was kept; see the monitor overview.")
    return report_json(report)


def endpoint_name(args: argparse.Namespace) -> str:
    if args.target == RUN_WORD:
        if not args.endpoint_arg:
            raise InvalidInput("monitor run needs an endpoint name.", hint="For example: monitor run reviews-live --type model-quality")
        return str(args.endpoint_arg)
    if args.endpoint_arg:
        raise InvalidInput(f"Unexpected {args.endpoint_arg!r} after the endpoint name.",
                           hint="monitor ENDPOINT --type TYPE, or monitor schedule ENDPOINT --type TYPE --every hourly")
    return str(args.target)


def report_json(report: MonitorReport) -> dict[str, Any]:
    """Model quality: Model Monitor's statistics.json plus ``violations``; the other types: the whole report."""
    violations = report.violations_json()["violations"]
    if report.monitor_type == "model-quality":
        return {**report.statistics, "violations": violations}
    return {"endpoint": report.endpoint, "monitor_type": report.monitor_type, "status": report.status,
            "created_at": report.created_at, "item_count": report.item_count, "captured_count": report.captured_count,
            "statistics": report.statistics, "constraints": report.constraints, "violations": violations,
            "trend": list(report.trend), "details": report.details, "notes": list(report.notes),
            "failure_reason": report.failure_reason}


def write_files(report: MonitorReport, out: str, settings: Any) -> list[Path]:
    """statistics.json, constraints.json and constraint_violations.json into ``out`` (replacing files of those names)."""
    written = []
    for name, data in report.files().items():
        path = writable_path(Path(out) / name, settings, overwrite=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written
