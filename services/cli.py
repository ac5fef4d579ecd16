"""``python -m services``: the workbench from the command line. JSON on stdout; errors on stderr.

Exit codes: 0 success, 2 user error (bad input, missing table, refused SQL), 1 internal error.
"""

from __future__ import annotations

import argparse
import getpass
import importlib.util
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from services.auth import check_serve, hash_password, read_secrets, secrets_files
from services.bias import cli_bias
from services.config import DEMO_LEVELS, Settings
from services.dashboard import cli_models
from services.endpoints import cli_endpoints
from services.errors import InvalidInput, ServiceError
from services.explain import cli_explain
from services.export import cli_export
from services.features import cli_features
from services.labels import cli_labels
from services.lineage import cli_lineage
from services.monitoring import cli_monitoring
from services.pipelines import cli_pipelines
from services.processing import cli_processing
from services.quality import cli_quality
from services.registry import Services, build_services
from services.training import cli_autopilot, cli_scripts, cli_train


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m services", description="Practical Data Science Workbench")
    commands = parser.add_subparsers(dest="command", required=True)
    seed = commands.add_parser("seed", help="create what is missing of the demo (idempotent): tables, and with full "
                                            "the review models, bias report and endpoint reviews-demo")
    seed.add_argument("--demo", choices=DEMO_LEVELS, default=None,
                      help="full (tables, models, endpoint), data (tables only) or none; default WORKBENCH_DEMO (full)")
    _add_catalog(commands.add_parser("catalog", help="Glue-style catalog"))
    query = commands.add_parser("query", help="run Athena SQL")
    query.add_argument("sql")
    query.add_argument("--database", default=None)
    query.add_argument("--format", choices=("json", "csv"), default="json")
    query.add_argument("--max-rows", type=int, default=None)
    runs = commands.add_parser("runs", help="experiment runs (MLflow)").add_subparsers(dest="action", required=True)
    runs.add_parser("list").add_argument("--experiment", default="")
    cli_scripts.add_commands(commands)
    cli_train.add_commands(commands)
    cli_autopilot.add_commands(commands)
    cli_bias.add_commands(commands)
    cli_explain.add_commands(commands)
    cli_endpoints.add_commands(commands)
    cli_models.add_commands(commands)
    cli_lineage.add_commands(commands)
    cli_pipelines.add_commands(commands)
    cli_processing.add_commands(commands)
    cli_features.add_commands(commands)
    cli_quality.add_commands(commands)
    cli_labels.add_commands(commands)
    cli_monitoring.add_commands(commands)
    cli_export.add_commands(commands)
    commands.add_parser("hash-password", help="print a WORKBENCH_PASSWORD_HASH for a password read from the terminal or stdin")
    commands.add_parser("retention", help="delete expired query results, data capture and old table versions now "
                                          "(local backend; also done at every start) and print what was deleted")
    check = commands.add_parser("check-serve", help="refuse (exit 2) to serve the app on a network address without a login")
    check.add_argument("--address", default=None, help="address Streamlit will bind to (default WORKBENCH_ADDRESS)")
    return parser


def _add_catalog(catalog: argparse.ArgumentParser) -> None:
    actions = catalog.add_subparsers(dest="action", required=True)
    actions.add_parser("databases")
    actions.add_parser("tables").add_argument("database")
    actions.add_parser("describe").add_argument("table", help="DATABASE.TABLE")
    imported = actions.add_parser("import")
    imported.add_argument("path", type=Path)
    imported.add_argument("--database", required=True)
    imported.add_argument("--table", required=True)
    crawl = actions.add_parser("crawl")
    crawl.add_argument("location", help="s3://bucket/prefix/ inside the lake")
    crawl.add_argument("--database", required=True)
    crawl.add_argument("--table-prefix", default="")


def run(args: argparse.Namespace) -> str:
    """Execute a parsed command and return what goes to stdout."""
    if args.command == "seed":
        return _seed(args.demo)
    if args.command == "hash-password":
        return hash_password(_read_new_password())
    if args.command == "check-serve":
        return _check_serve(args.address)
    if args.command == "retention":
        return _json(_retention(explicit=True))
    _retention(explicit=False)  # at every start of the CLI, like the app does at start and hourly
    if args.command in cli_train.COMMANDS:
        return cli_train.run_command(args)
    services = build_services(Settings.from_env())
    if args.command == "catalog":
        return _json(_catalog(services, args))
    if args.command == "runs":
        return _json(_runs(services, args.experiment))
    if args.command in cli_scripts.COMMANDS:
        return _json(cli_scripts.run_command(services, args))
    if args.command in cli_autopilot.COMMANDS:
        return _json(cli_autopilot.run_command(services, args))
    if args.command in cli_bias.COMMANDS:
        return _json(cli_bias.run_command(services, args))
    if args.command in cli_explain.COMMANDS:
        return _json(cli_explain.run_command(services, args))
    if args.command in cli_endpoints.COMMANDS:
        return _json(cli_endpoints.run_command(services, args))
    if args.command in cli_models.COMMANDS:
        return _json(cli_models.run_command(services, args))
    if args.command in cli_lineage.COMMANDS:
        return _json(cli_lineage.run_command(services, args))
    if args.command in cli_pipelines.COMMANDS:
        return _json(cli_pipelines.run_command(services, args))
    if args.command in cli_processing.COMMANDS:
        return _json(cli_processing.run_command(services, args))
    if args.command in cli_features.COMMANDS:
        return _json(cli_features.run_command(services, args))
    if args.command in cli_quality.COMMANDS:
        return _json(cli_quality.run_command(services, args))
    if args.command in cli_labels.COMMANDS:
        return _json(cli_labels.run_command(services, args))
    if args.command in cli_monitoring.COMMANDS:
        return _json(cli_monitoring.run_command(services, args))
    if args.command in cli_export.COMMANDS:
        return _json(cli_export.run_command(services, args))
    return _query(services, args)


def _seed(demo: str | None) -> str:
    """The demo tables that are missing, and with ``full`` the models, bias report and endpoint (progress on
    stderr, one line per step); what was created, built and found, as JSON."""
    from dataclasses import replace

    from services.demo.seed import seed_workspace
    from services.stack import open_local

    settings = replace(Settings.from_env(), seed_on_start=False)
    level = demo or settings.demo
    if settings.backend != "local":
        raise InvalidInput("Seeding fills the local workspace only.", hint="Unset WORKBENCH_BACKEND or set it to local.")
    answer: dict[str, Any] = {"created": [], "home": str(settings.home), "demo": level, "built": [], "found": []}
    if level == "none":
        return _json(answer)
    core = open_local(settings)
    answer["created"] = seed_workspace(core.catalog, core.query)
    if level == "full":
        answer.update(_build_full_demo(Services(settings=core.stack.settings, catalog=core.catalog, query=core.query,
                                                storage=core.storage, stack=core.stack)))
    return _json(answer)


def _build_full_demo(services: Services) -> dict[str, Any]:
    from services.demo.full import DemoPorts, build_full_demo, build_lock

    home = Path(services.settings.home)
    with build_lock(home, wait=False) as free:
        if not free:
            print("demo: another process is building this workspace's demo; waiting for it", file=sys.stderr, flush=True)
    with build_lock(home, wait=True):
        ports = DemoPorts(training=services.training, jobs=services.jobs, bias=services.bias, endpoints=services.endpoints)
        status = build_full_demo(ports, home, say=lambda line: print(line, file=sys.stderr, flush=True))
    return {"built": list(status.built), "found": list(status.found), "seconds": status.elapsed_seconds}


def _retention(explicit: bool) -> dict[str, list[str]]:
    """Apply the retention settings to the local workspace; what was deleted, by kind."""
    from dataclasses import asdict

    from services.embedded.retention import apply_retention

    settings = Settings.from_env()
    if settings.backend != "local":
        if explicit:
            raise InvalidInput("Retention applies to the local workspace only.",
                               hint="On AWS use S3 lifecycle rules on the Athena output and data-capture prefixes.")
        return {}
    return asdict(apply_retention(settings))


def _read_new_password() -> str:
    """Never from argv (it would sit in the shell history and the process list)."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != password:
        raise InvalidInput("The two passwords differ.", hint="Run the command again and type the same password twice.")
    return password


def _check_serve(address: str | None) -> str:
    """``make run``'s preflight: the same decision app.py makes, before Streamlit starts."""
    settings = Settings.from_env()
    address = settings.address if address is None else address
    secrets = read_secrets(secrets_files(Path(__file__).resolve().parents[1]))
    oidc_installed = importlib.util.find_spec("authlib") is not None
    decision = check_serve(address, settings.password_hash, secrets, oidc_installed=oidc_installed)
    if not decision.allowed:
        raise InvalidInput(decision.reason)
    return _json({"address": address, "auth": decision.auth, "oidc_providers": list(decision.oidc_providers)})


def _catalog(services: Services, args: argparse.Namespace) -> Any:
    catalog = services.catalog
    if args.action == "databases":
        return [{"Name": d.name, "Description": d.description} for d in catalog.list_databases()]
    if args.action == "tables":
        return [{"Name": t.name, "DatabaseName": t.database} for t in catalog.list_tables(args.database)]
    if args.action == "describe":
        return catalog.get_table(*_split_table(args.table)).to_glue()
    if args.action == "import":
        return catalog.import_path(args.path, args.database, args.table).to_glue()
    result = catalog.crawl(args.location, args.database, args.table_prefix)
    return {"Created": list(result.created), "Updated": list(result.updated), "Unchanged": list(result.unchanged)}


def _runs(services: Services, experiment: str) -> list[dict[str, Any]]:
    return [
        {"run_id": r.run_id, "experiment": r.experiment, "name": r.name, "status": r.status, "start_time": r.start_time,
         "params": r.params, "metrics": r.metrics}
        for r in services.runs.list_runs(experiment)
    ]


def _split_table(name: str) -> tuple[str, str]:
    database, _, table = name.partition(".")
    if not database or not table:
        raise InvalidInput(f"{name!r} is not DATABASE.TABLE.", hint="Write it as e.g. demo.reviews.")
    return database, table


def _query(services: Services, args: argparse.Namespace) -> str:
    if args.max_rows is not None and args.max_rows < 1:
        raise InvalidInput("--max-rows must be at least 1.", hint="Give a positive number, e.g. --max-rows 100.")
    result = services.query.run(args.sql, args.database, args.max_rows)
    if args.format == "csv":
        return result.frame.to_csv(index=False).rstrip("\n")
    return _json(result.to_json())


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, default=str, ensure_ascii=False)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        print(run(args))
    except ServiceError as exc:
        hint = f" ({exc.hint})" if exc.hint else ""
        print(f"error: {exc.message}{hint}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - the CLI promises one line, never a traceback
        print(f"error: internal error: {type(exc).__name__}: {exc} (please report this)", file=sys.stderr)
        return 1
    return 0
