"""``python -m services features …``: Feature Store from the command line, in SageMaker's shapes.

``features create`` infers the feature definitions from a table's or file's schema and ingests nothing
(DescribeFeatureGroup's shape); ``features ingest`` ingests a table, a SQL result or a file in chunks and answers
``{"Ingested", "Failed", "Errors"}``; ``features get`` answers GetRecord's shape (``{"Record": [...]}``, empty
``{}`` when there is no record, as SageMaker answers). User errors exit 2 with one line on stderr.
"""

from __future__ import annotations

import argparse
from typing import Any

from services.cli_args import parse_pairs
from services.errors import InvalidInput
from services.features.dataset_cli import add_build_dataset, run_build_dataset
from services.features.models import FeatureGroupSpec, IngestSource, record_as_api
from services.registry import Services

COMMANDS = ("features",)


def add_commands(commands: Any) -> None:
    """Add ``features`` to the CLI's subparsers."""
    actions = commands.add_parser("features", help="Feature Store: feature groups, ingestion, online records")
    actions = actions.add_subparsers(dest="action", required=True)
    _add_create(actions.add_parser("create", help="create a feature group with definitions inferred from a source"))
    ingest = actions.add_parser("ingest", help="ingest a table, SQL result or file (chunked; bad rows skipped and counted)")
    ingest.add_argument("name")
    _add_source(ingest, with_sql=True)
    actions.add_parser("describe", help="DescribeFeatureGroup").add_argument("name")
    actions.add_parser("delete", help="delete a group and its online store (offline data stays)").add_argument("name")
    actions.add_parser("list", help="every feature group, newest first")
    actions.add_parser("search", help="groups whose name, description, feature or tag contains TEXT").add_argument("text")
    get = actions.add_parser("get", help="GetRecord from the online store")
    get.add_argument("name")
    get.add_argument("record_id")
    get.add_argument("--feature", action="append", default=[], help="only this feature (repeatable)")
    add_build_dataset(actions)


def _add_create(create: argparse.ArgumentParser) -> None:
    create.add_argument("name")
    create.add_argument("--record-identifier", required=True, help="the column identifying a record")
    create.add_argument("--event-time", required=True, help="the column holding each record's time (ISO-8601 text or epoch seconds)")
    _add_source(create, with_sql=False)
    create.add_argument("--no-online", action="store_true", help="no online store")
    create.add_argument("--no-offline", action="store_true", help="no offline store")
    create.add_argument("--description", default="")
    create.add_argument("--ttl-seconds", type=int, default=None, help="online records expire this long after their event time")
    create.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE", help="a tag (repeatable)")


def _add_source(parser: argparse.ArgumentParser, with_sql: bool) -> None:
    given = parser.add_mutually_exclusive_group(required=True)
    given.add_argument("--table", default="", help="DATABASE.TABLE from the catalog")
    given.add_argument("--data", default="", help="a CSV, TSV, JSON lines or Parquet file (or a folder of them)")
    if with_sql:
        given.add_argument("--sql", default="", help="an Athena SQL query whose result is ingested")


def run_command(services: Services, args: argparse.Namespace) -> Any:
    features = services.features
    if args.action == "create":
        return features.create_feature_group(_spec(services, args)).as_api()
    if args.action == "ingest":
        return features.ingest(args.name, IngestSource(table=args.table, sql=args.sql, path=args.data)).as_api()
    if args.action == "describe":
        return features.describe_feature_group(args.name).as_api()
    if args.action == "delete":
        features.delete_feature_group(args.name)
        return {"FeatureGroupName": args.name, "Deleted": True}
    if args.action == "list":
        return {"FeatureGroupSummaries": [_summary(g.as_api()) for g in features.list_feature_groups()]}
    if args.action == "search":
        return {"Results": [{"FeatureGroup": g.as_api()} for g in features.search(args.text)]}
    if args.action == "build-dataset":
        return run_build_dataset(features, args)
    record = features.get_record(args.name, args.record_id, tuple(args.feature))
    return {} if record is None else {"Record": record_as_api(record)}


def _spec(services: Services, args: argparse.Namespace) -> FeatureGroupSpec:
    source = IngestSource(table=args.table, path=args.data)
    definitions = tuple(services.features.infer_definitions(source))
    names = [d.name for d in definitions]
    for option, column in (("--record-identifier", args.record_identifier), ("--event-time", args.event_time)):
        if column not in names:
            raise InvalidInput(f"{source.label} has no column {column!r} ({option}).",
                               hint=f"Its columns: {', '.join(names[:30])}.")
    tags = parse_pairs(args.tag, "--tag", "--tag team=reviews", "KEY=VALUE")
    return FeatureGroupSpec(name=args.name, record_identifier=args.record_identifier, event_time=args.event_time,
                            features=definitions, description=args.description, tags=tags,
                            online=not args.no_online, offline=not args.no_offline, ttl_seconds=args.ttl_seconds)


def _summary(described: dict[str, Any]) -> dict[str, Any]:
    """ListFeatureGroups' FeatureGroupSummary."""
    keys = ("FeatureGroupName", "FeatureGroupArn", "CreationTime", "FeatureGroupStatus")
    return {key: described[key] for key in keys}
