"""``python -m services endpoints …`` and ``score``: hosting from the command line (``monitor`` is the monitoring
capability's, ``services/monitoring/cli_monitoring.py``).

``endpoints deploy`` waits until the endpoint answers ``/ping`` (or fails, which is an error);
``endpoints delete`` returns when the server is gone. JSON on stdout, in DescribeEndpoint's spelling.
``endpoints update`` starts a blue/green update (with ``--wait``: until it completes, or exit 2 when it rolls
back or fails); ``endpoints history`` shows the latest update's steps; ``endpoints follow`` makes an endpoint
follow a model package group, so approving a version deploys it with the given strategy.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from typing import Any

from services.endpoints.models import STRATEGIES, DeploymentChoices, DeploymentEvent, DeployRequest, Endpoint, Variant
from services.errors import BackendUnavailable, InvalidInput, ServiceError
from services.registry import Services

COMMANDS = ("endpoints", "score")
PRIMARY_VARIANT = "AllTraffic"  # SageMaker's name for a single-model endpoint's variant
DEPLOY_TIMEOUT_SECONDS = 600
UPDATE_ENDS = ("Completed", "RolledBack", "Failed", "Stopped")


class EndpointFailed(ServiceError):
    """The endpoint the CLI waited for did not come up."""


class UpdateRolledBack(ServiceError):
    """The update the CLI waited for rolled back or failed (the endpoint still serves the old model)."""


def add_commands(commands: Any) -> None:
    """Add ``endpoints`` and ``score`` to the CLI's subparsers."""
    actions = commands.add_parser("endpoints", help="real-time endpoints").add_subparsers(dest="action", required=True)
    _add_deploy(actions.add_parser("deploy", help="deploy a registered model (waits until it answers)"))
    actions.add_parser("list", help="every endpoint with its status and traffic")
    actions.add_parser("describe").add_argument("name")
    actions.add_parser("delete", help="stop the server (returns when it is gone)").add_argument("name")
    logs = actions.add_parser("logs", help="the end of the server's log")
    logs.add_argument("name")
    logs.add_argument("--tail-bytes", type=int, default=64_000)
    actions.add_parser("gateway", help="the SageMaker Runtime URL for boto3 (started if needed)")
    update = actions.add_parser("update", help="blue/green update to another model (canary, linear or all at once)")
    update.add_argument("name")
    update.add_argument("--model", required=True, help="MODEL_ID (NAME/VERSION) the endpoint moves to")
    _add_choices(update)
    update.add_argument("--wait", action="store_true", help="return when the update completed (exit 2 if it rolled back)")
    actions.add_parser("history", help="the latest update's steps and traffic shares").add_argument("name")
    follow = actions.add_parser("follow", help="deploy every approved version of a model package group here")
    follow.add_argument("name")
    follow.add_argument("--group", required=True, help='the model package group; "" stops following')
    _add_choices(follow)
    score = commands.add_parser("score", help="score one review (or one record) with an endpoint")
    score.add_argument("name")
    given = score.add_mutually_exclusive_group(required=True)
    given.add_argument("--text", help="a review")
    given.add_argument("--record", help='one row as JSON, e.g. \'{"alcohol": 13.2, ...}\'')
    score.add_argument("--explain", action="store_true", help="also return each token's contribution")


def _add_deploy(deploy: argparse.ArgumentParser) -> None:
    deploy.add_argument("model_id", help="NAME/VERSION from the model registry")
    deploy.add_argument("--name", required=True, help="endpoint name: letters, digits and hyphens")
    deploy.add_argument("--port", type=int, default=0, help="default: a free port")
    deploy.add_argument("--capture-percent", type=int, default=100, help="share of requests captured (0 = off)")
    deploy.add_argument("--variant", action="append", default=[], metavar="NAME=MODEL_ID:WEIGHT",
                        help="another production variant (repeatable); the first model is variant AllTraffic, weight 1")
    deploy.add_argument("--shadow", action="append", default=[], metavar="MODEL_ID", help="a shadow variant (gets copies)")
    deploy.add_argument("--restart-on-failure", action="store_true")


def _add_choices(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strategy", choices=list(STRATEGIES), default="canary")
    parser.add_argument("--canary-percent", type=int, default=10, help="canary size, or linear step, in % of traffic")
    parser.add_argument("--wait-seconds", type=int, default=60, help="baking time of each step (WaitIntervalInSeconds)")
    parser.add_argument("--termination-wait-seconds", type=int, default=0, help="before the unused fleet stops")
    parser.add_argument("--max-error-rate", type=float, default=0.0, help="roll back above this error rate, in % (0: no alarm)")
    parser.add_argument("--max-p99-ms", type=float, default=0.0, help="roll back above this p99 latency, in ms (0: no alarm)")


def deployment_choices(args: argparse.Namespace) -> DeploymentChoices:
    return DeploymentChoices(args.strategy, args.canary_percent, args.wait_seconds, args.termination_wait_seconds,
                             args.max_error_rate, args.max_p99_ms)


def run_command(services: Services, args: argparse.Namespace) -> Any:
    if args.command == "score":
        return _score(services, args)
    return _endpoints(services, args)


def _endpoints(services: Services, args: argparse.Namespace) -> Any:
    endpoints = services.endpoints
    if args.action == "deploy":
        return _deploy(services, args)
    if args.action == "list":
        return [endpoint_json(e) for e in endpoints.list_endpoints()]
    if args.action == "describe":
        return endpoint_json(endpoints.describe_endpoint(args.name))
    if args.action == "delete":
        endpoints.delete_endpoint(args.name)
        kept = services.settings.home / "endpoints" / args.name / "capture"
        return {"EndpointName": args.name, "Deleted": True, "KeptCaptureData": str(kept) if kept.is_dir() else ""}
    if args.action == "logs":
        return {"EndpointName": args.name, "Log": endpoints.endpoint_logs(args.name, args.tail_bytes)}
    if args.action in ("update", "history", "follow"):
        return _deployment(services, args)
    return {"Url": endpoints.gateway_url()}


def _deployment(services: Services, args: argparse.Namespace) -> dict[str, Any]:
    endpoints = services.endpoints
    if args.action == "follow":
        rule = endpoints.follow_model_group(args.name, args.group, deployment_choices(args))
        return {"EndpointName": args.name, "ModelPackageGroupName": rule.group if rule else "",
                "Strategy": asdict(rule.choices) if rule else None}
    if args.action == "update":
        current = [v for v in endpoints.describe_endpoint(args.name).variants if not v.shadow]
        config, alarms = deployment_choices(args).deployment(args.name)
        endpoints.update_endpoint(args.name, (Variant(current[0].name if current else PRIMARY_VARIANT, args.model),), config, alarms)
        if args.wait:
            _wait_for_update(services, args.name)
    endpoint = endpoints.describe_endpoint(args.name)
    return {"EndpointName": args.name, "EndpointStatus": endpoint.status, "Deployment": endpoint.deployment,
            "History": [history_json(e) for e in endpoints.deployment_history(args.name)]}


def _wait_for_update(services: Services, name: str) -> None:
    deadline = time.monotonic() + DEPLOY_TIMEOUT_SECONDS * 6
    history = services.endpoints.deployment_history(name)
    while not (history and history[-1].phase in UPDATE_ENDS):
        if time.monotonic() > deadline:
            raise BackendUnavailable(f"The update of {name} is still running.", hint=f"See `endpoints history {name}` later.")
        time.sleep(0.5)
        history = services.endpoints.deployment_history(name)
    if history[-1].phase != "Completed":
        raise UpdateRolledBack(f"The update of {name} ended {history[-1].phase}: {history[-1].reason}",
                               hint=f"The endpoint still serves its previous model; see `endpoints history {name}`.")


def history_json(event: DeploymentEvent) -> dict[str, Any]:
    return {"Time": event.time, "Phase": event.phase, "NewFleetTrafficShare": event.traffic_share, "Reason": event.reason}


def _deploy(services: Services, args: argparse.Namespace) -> dict[str, Any]:
    request = DeployRequest(name=args.name, variants=deploy_variants(args.model_id, args.variant, args.shadow), port=args.port,
                            capture_percent=args.capture_percent, restart_on_failure=args.restart_on_failure)
    services.endpoints.deploy(request)
    endpoint = services.endpoints.wait_for_endpoint(args.name, DEPLOY_TIMEOUT_SECONDS)
    if endpoint.status == "Failed":
        raise EndpointFailed(f"Endpoint {args.name} failed: {endpoint.failure_reason}",
                             hint=f"Fix the cause, then `endpoints delete {args.name}` and deploy again.")
    if endpoint.status != "InService":
        raise BackendUnavailable(f"Endpoint {args.name} is still {endpoint.status} after {DEPLOY_TIMEOUT_SECONDS} s.",
                                 hint=f"Check `endpoints describe {args.name}` later, or its logs.")
    return {"EndpointName": endpoint.name, "EndpointStatus": endpoint.status, "Url": endpoint.url}


def deploy_variants(model_id: str, extra: list[str], shadows: list[str]) -> tuple[Variant, ...]:
    """The first model as AllTraffic, then ``NAME=MODEL_ID:WEIGHT`` variants, then shadows."""
    variants = [Variant(PRIMARY_VARIANT, model_id, 1.0)]
    variants += [parse_variant(item) for item in extra]
    variants += [Variant("Shadow" if i == 0 else f"Shadow-{i + 1}", shadow, 1.0, shadow=True) for i, shadow in enumerate(shadows)]
    return tuple(variants)


def parse_variant(item: str) -> Variant:
    """``NAME=MODEL_ID:WEIGHT`` (weight optional, default 1) as a Variant."""
    name, separator, model_id = item.partition("=")
    weight = "1"
    if ":" in model_id:
        model_id, _, weight = model_id.rpartition(":")
    problem = InvalidInput(f"--variant {item!r} is not NAME=MODEL_ID:WEIGHT.", hint="e.g. --variant challenger=reviews-tfidf/2:0.2")
    if not separator or not name or not model_id:
        raise problem
    try:
        return Variant(name, model_id, float(weight))
    except ValueError as exc:
        raise problem from exc


def endpoint_json(endpoint: Endpoint) -> dict[str, Any]:
    """An endpoint in DescribeEndpoint's spelling, with the local traffic figures."""
    return {
        "EndpointName": endpoint.name, "EndpointStatus": endpoint.status, "Url": endpoint.url,
        "CreationTime": endpoint.created_at, "FailureReason": endpoint.failure_reason,
        "ProductionVariants": [
            {"VariantName": v.name, "ModelId": v.model_id, "CurrentWeight": v.weight, "Shadow": v.shadow,
             "Requests": v.requests, "Errors": v.errors, "LatencyP50Ms": v.latency_p50_ms, "LatencyP99Ms": v.latency_p99_ms}
            for v in endpoint.variants
        ],
        "DataCaptureConfig": {"EnableCapture": endpoint.capture_percent > 0, "CurrentSamplingPercentage": endpoint.capture_percent},
        "UptimeSeconds": endpoint.uptime_seconds, "Requests": endpoint.requests, "Errors": endpoint.errors,
        "LatencyP50Ms": endpoint.latency_p50_ms, "LatencyP99Ms": endpoint.latency_p99_ms,
        "ProblemType": endpoint.problem_type, "Framework": endpoint.framework, "InputColumns": list(endpoint.input_columns),
        "TextModel": endpoint.text_model, "Deployment": endpoint.deployment,
    }


def _score(services: Services, args: argparse.Namespace) -> dict[str, Any]:
    if args.text is not None:
        result = services.endpoints.score_text(args.name, args.text, args.explain)
    else:
        result = services.endpoints.score_record(args.name, _record(args.record))
    answer: dict[str, Any] = {"predicted_label": result.predicted_label, "probabilities": result.probabilities,
                              "latency_ms": result.latency_ms, "variant": result.variant}
    if result.tokens:
        answer |= {"tokens": list(result.tokens), "token_scores": {k: list(v) for k, v in result.token_scores.items()}}
    return answer


def _record(text: str) -> dict[str, object]:
    try:
        record = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"--record is not JSON: {exc}", hint='Give one row as an object, e.g. \'{"alcohol": 13.2}\'.') from exc
    if not isinstance(record, dict):
        raise InvalidInput("--record must be a JSON object (column → value).", hint='e.g. \'{"alcohol": 13.2, "ash": 2.4}\'')
    return record
