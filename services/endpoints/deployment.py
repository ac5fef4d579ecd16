"""Safe deployment, the pure core: SageMaker's ``DeploymentConfig`` checked, turned into a traffic plan, and
alarms evaluated on the new fleet's figures. Nothing here reads a clock, a file or a socket; the local
driver (``deployment_driver``) and the aws adapter call these with plain data.

Blue/green as SageMaker does it (``UpdateEndpoint`` with ``DeploymentConfig.BlueGreenUpdatePolicy``): the new
("green") fleet starts beside the old ("blue") one; traffic moves to it per ``TrafficRoutingConfiguration``:

* ``ALL_AT_ONCE``: everything at once, then a baking period of ``WaitIntervalInSeconds``;
* ``CANARY``: ``CanarySize`` for ``WaitIntervalInSeconds``, then the rest, then baking again;
* ``LINEAR``: ``LinearStepSize`` more every ``WaitIntervalInSeconds`` until all, then baking again.

While any traffic is on the new fleet its alarms are watched; one that fires rolls the update back (all
traffic to the old fleet). After success the old fleet is stopped ``TerminationWaitInSeconds`` later;
after a rollback the new one is. Locally a fleet is one server process, so capacity is a share of
traffic: ``CAPACITY_PERCENT`` only (``INSTANCE_COUNT`` of a one-instance fleet would be all of it).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from services.endpoints.models import (
    ALARM_METRICS,
    CAPACITY_SIZE_TYPES,
    TRAFFIC_ROUTING_TYPES,
    AlarmRule,
    AutoRollbackConfiguration,
    BlueGreenUpdatePolicy,
    CapacitySize,
    DeploymentConfig,
    DeploymentEvent,
    TrafficRoutingConfiguration,
)
from services.errors import InvalidInput
from services.names import check_alarm_name

MAX_WAIT_SECONDS = 3600  # WaitIntervalInSeconds and TerminationWaitInSeconds: 0–3600 (SageMaker)
EXECUTION_TIMEOUT_RANGE = (600, 28_800)  # MaximumExecutionTimeoutInSeconds (SageMaker)
CANARY_PERCENT_RANGE = (1, 50)  # SageMaker: a canary is at most half of the new fleet
LINEAR_PERCENT_RANGE = (10, 50)  # SageMaker: a linear step is 10–50 % of the new fleet

Plan = list[tuple[float, float]]  # (seconds after the new fleet is ready, its share of traffic from then on)


def all_at_once(termination_wait: int = 0) -> DeploymentConfig:
    """SageMaker's default blue/green update: all traffic at once, no baking, no alarms."""
    return DeploymentConfig(BlueGreenUpdatePolicy(TrafficRoutingConfiguration("ALL_AT_ONCE"), termination_wait))


# -- checking ------------------------------------------------------------------------------------------------


def check_deployment_config(config: DeploymentConfig, *, local: bool) -> None:
    """SageMaker's limits on a DeploymentConfig (and, ``local``, the local backend's: capacity in percent)."""
    policy = config.blue_green_update_policy
    routing = policy.traffic_routing_configuration
    if routing.type not in TRAFFIC_ROUTING_TYPES:
        raise InvalidInput(f"Traffic routing {routing.type!r} is not one of {', '.join(TRAFFIC_ROUTING_TYPES)}.",
                           hint="Use ALL_AT_ONCE, CANARY or LINEAR.")
    _check_seconds("WaitIntervalInSeconds", routing.wait_interval_in_seconds)
    _check_seconds("TerminationWaitInSeconds", policy.termination_wait_in_seconds)
    timeout = policy.maximum_execution_timeout_in_seconds
    low, high = EXECUTION_TIMEOUT_RANGE
    if timeout is not None and not low <= timeout <= high:
        raise InvalidInput(f"MaximumExecutionTimeoutInSeconds must be {low}–{high}, not {timeout}.",
                           hint="Leave it empty for SageMaker's default, or give at least 600 s.")
    if routing.type == "CANARY":
        _check_size("CanarySize", routing.canary_size, CANARY_PERCENT_RANGE, local)
    if routing.type == "LINEAR":
        _check_size("LinearStepSize", routing.linear_step_size, LINEAR_PERCENT_RANGE, local)
    for name in (config.auto_rollback_configuration or AutoRollbackConfiguration()).alarms:
        check_alarm_name(name)


def _check_seconds(field: str, value: int) -> None:
    if not 0 <= value <= MAX_WAIT_SECONDS:
        raise InvalidInput(f"{field} must be 0–{MAX_WAIT_SECONDS} seconds, not {value}.", hint="SageMaker allows at most an hour.")


def _check_size(field: str, size: CapacitySize | None, bounds: tuple[int, int], local: bool) -> None:
    if size is None:
        raise InvalidInput(f"A {field} is needed for this traffic routing.", hint="e.g. CAPACITY_PERCENT 20.")
    if size.type not in CAPACITY_SIZE_TYPES:
        raise InvalidInput(f"{field} type {size.type!r} is not one of {', '.join(CAPACITY_SIZE_TYPES)}.",
                           hint="Use CAPACITY_PERCENT.")
    if local and size.type == "INSTANCE_COUNT":
        raise InvalidInput(f"{field} by INSTANCE_COUNT means nothing here: a local fleet is one server process.",
                           hint="Give the size as CAPACITY_PERCENT (a share of traffic).")
    low, high = bounds if size.type == "CAPACITY_PERCENT" else (1, 10_000)
    if not low <= size.value <= high:
        raise InvalidInput(f"{field} {size.value} is outside {low}–{high}.", hint=f"SageMaker allows {low}–{high} % here.")


def check_alarm_rules(config: DeploymentConfig, rules: tuple[AlarmRule, ...]) -> None:
    """Every alarm the config names has a rule (locally, where CloudWatch alarms do not exist), and every rule is sound."""
    named = set((config.auto_rollback_configuration or AutoRollbackConfiguration()).alarms)
    defined = {rule.alarm_name for rule in rules}
    missing = sorted(named - defined)
    if missing:
        raise InvalidInput(f"Alarm {missing[0]} has no definition on this backend.",
                           hint="Give a rule for it: error rate %, p99 latency ms, or a drift violation.")
    for rule in rules:
        check_alarm_name(rule.alarm_name)
        if rule.metric not in ALARM_METRICS:
            raise InvalidInput(f"Alarm {rule.alarm_name}: {rule.metric!r} is not one of {', '.join(ALARM_METRICS)}.",
                               hint="Watch ErrorRate, ModelLatencyP99 or DriftViolation.")
        if not rule.threshold >= 0 or rule.min_requests < 1:
            raise InvalidInput(f"Alarm {rule.alarm_name}: the threshold must be 0 or more and min_requests at least 1.",
                               hint="e.g. ErrorRate above 5 (%) after 1 request.")


# -- the traffic plan ----------------------------------------------------------------------------------------


def traffic_plan(routing: TrafficRoutingConfiguration) -> Plan:
    """When the new fleet's share changes, counted from the moment it is ready; the last entry is the end of
    the baking period at full traffic (share 1.0), after which the update has succeeded."""
    wait = float(routing.wait_interval_in_seconds)
    if routing.type == "CANARY":
        assert routing.canary_size is not None
        return [(0.0, routing.canary_size.value / 100), (wait, 1.0), (2 * wait, 1.0)]
    if routing.type == "LINEAR":
        assert routing.linear_step_size is not None
        step = routing.linear_step_size.value / 100
        steps = math.ceil(1 / step - 1e-9)
        shares = [min(1.0, round(step * (i + 1), 6)) for i in range(steps)]
        return [(i * wait, share) for i, share in enumerate(shares)] + [(steps * wait, 1.0)]
    return [(0.0, 1.0), (wait, 1.0)]


def share_at(plan: Plan, elapsed: float) -> float:
    """The new fleet's share ``elapsed`` seconds after it became ready."""
    share = 0.0
    for start, value in plan:
        if elapsed >= start:
            share = value
    return share


def plan_finished(plan: Plan, elapsed: float) -> bool:
    return elapsed >= plan[-1][0]


def phase_of(plan: Plan, elapsed: float) -> str:
    """Shifting while part of the traffic is on the new fleet, Baking once all of it is."""
    return "Baking" if share_at(plan, elapsed) >= 1.0 else "Shifting"


# -- alarms --------------------------------------------------------------------------------------------------


def breached_alarm(rules: tuple[AlarmRule, ...], names: tuple[str, ...], figures: dict[str, Any]) -> str:
    """``"<alarm> (<figure>)"`` for the first named alarm whose rule is breached by the new fleet's ``figures``
    (``requests``, ``errors``, ``latency_p99_ms``, ``drift_violations``), else ``""``."""
    for rule in rules:
        if rule.alarm_name in names:
            figure = _breach(rule, figures)
            if figure:
                return f"{rule.alarm_name} ({figure})"
    return ""


def _breach(rule: AlarmRule, figures: dict[str, Any]) -> str:
    requests = int(figures.get("requests") or 0)
    if rule.metric == "DriftViolation":
        violations = list(figures.get("drift_violations") or [])
        return f"drift violation: {violations[0]}" if violations else ""
    if requests < rule.min_requests:
        return ""
    if rule.metric == "ErrorRate":
        rate = 100.0 * int(figures.get("errors") or 0) / requests
        return f"error rate {rate:.1f}% > {rule.threshold:g}% over {requests} requests" if rate > rule.threshold else ""
    p99 = figures.get("latency_p99_ms")
    return f"p99 latency {p99:.0f} ms > {rule.threshold:g} ms" if p99 is not None and p99 > rule.threshold else ""


def fleet_figures(stats: dict[str, Any]) -> dict[str, Any]:
    """A server's ``/stats`` as the figures alarms read: production variants' requests and errors, the slowest p99."""
    live = [v for v in (stats.get("variants") or {}).values() if not v.get("shadow")]
    p99s = [v["latency_ms"]["p99"] for v in live if (v.get("latency_ms") or {}).get("p99") is not None]
    return {"requests": sum(int(v.get("requests", 0)) for v in live), "errors": sum(int(v.get("errors", 0)) for v in live),
            "latency_p99_ms": max(p99s) if p99s else None}


# -- SageMaker's JSON ----------------------------------------------------------------------------------------


def deployment_config_json(config: DeploymentConfig) -> dict[str, Any]:
    """``DeploymentConfig`` as ``UpdateEndpoint`` takes it."""
    policy = config.blue_green_update_policy
    routing = policy.traffic_routing_configuration
    routing_json: dict[str, Any] = {"Type": routing.type, "WaitIntervalInSeconds": routing.wait_interval_in_seconds}
    if routing.type == "CANARY" and routing.canary_size is not None:
        routing_json["CanarySize"] = {"Type": routing.canary_size.type, "Value": routing.canary_size.value}
    if routing.type == "LINEAR" and routing.linear_step_size is not None:
        routing_json["LinearStepSize"] = {"Type": routing.linear_step_size.type, "Value": routing.linear_step_size.value}
    policy_json: dict[str, Any] = {"TrafficRoutingConfiguration": routing_json,
                                   "TerminationWaitInSeconds": policy.termination_wait_in_seconds}
    if policy.maximum_execution_timeout_in_seconds is not None:
        policy_json["MaximumExecutionTimeoutInSeconds"] = policy.maximum_execution_timeout_in_seconds
    result: dict[str, Any] = {"BlueGreenUpdatePolicy": policy_json}
    alarms = (config.auto_rollback_configuration or AutoRollbackConfiguration()).alarms
    if alarms:
        result["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": name} for name in alarms]}
    return result


def deployment_config_from_json(data: dict[str, Any]) -> DeploymentConfig:
    """The inverse of ``deployment_config_json`` (also reads DescribeEndpoint's ``LastDeploymentConfig``)."""
    policy = data.get("BlueGreenUpdatePolicy") or {}
    routing = policy.get("TrafficRoutingConfiguration") or {}

    def size(key: str) -> CapacitySize | None:
        value = routing.get(key)
        return CapacitySize(str(value["Type"]), int(value["Value"])) if value else None

    alarms = tuple(a["AlarmName"] for a in (data.get("AutoRollbackConfiguration") or {}).get("Alarms", []))
    timeout = policy.get("MaximumExecutionTimeoutInSeconds")
    return DeploymentConfig(
        BlueGreenUpdatePolicy(TrafficRoutingConfiguration(str(routing.get("Type", "ALL_AT_ONCE")),
                                                          int(routing.get("WaitIntervalInSeconds", 0)),
                                                          size("CanarySize"), size("LinearStepSize")),
                              int(policy.get("TerminationWaitInSeconds", 0)), None if timeout is None else int(timeout)),
        AutoRollbackConfiguration(alarms) if alarms else None)


def alarm_rules_json(rules: tuple[AlarmRule, ...]) -> list[dict[str, Any]]:
    return [{"AlarmName": r.alarm_name, "Metric": r.metric, "Threshold": r.threshold, "MinRequests": r.min_requests}
            for r in rules]


def alarm_rules_from_json(data: list[dict[str, Any]]) -> tuple[AlarmRule, ...]:
    return tuple(AlarmRule(str(r["AlarmName"]), str(r["Metric"]), float(r["Threshold"]), int(r.get("MinRequests", 1)))
                 for r in data)


def routing_label(config: DeploymentConfig) -> str:
    """``Canary 20%``, ``Linear 25% steps``, ``All at once``: how the page and the history name a strategy."""
    routing = config.blue_green_update_policy.traffic_routing_configuration
    if routing.type == "CANARY" and routing.canary_size:
        return f"Canary {routing.canary_size.value}%"
    if routing.type == "LINEAR" and routing.linear_step_size:
        return f"Linear {routing.linear_step_size.value}% steps"
    return "All at once"


# -- SageMaker's DescribeEndpoint as history -----------------------------------------------------------------


def deployment_events(raw: dict[str, Any]) -> list[DeploymentEvent]:
    """DescribeEndpoint's ``LastDeploymentConfig``, ``PendingDeploymentSummary``, ``EndpointStatus`` and
    ``FailureReason`` as history events (``[]`` for an endpoint never updated with a DeploymentConfig)."""
    last = raw.get("LastDeploymentConfig")
    pending = raw.get("PendingDeploymentSummary")
    if not last and not pending:
        return []
    config = deployment_config_from_json(last or {})
    status, reason = str(raw.get("EndpointStatus", "")), str(raw.get("FailureReason") or "")
    when = iso(raw.get("LastModifiedTime"))
    if status == "RollingBack":
        return [DeploymentEvent(when, "RollingBack", 0.0, f"rolled back: {reason}" if reason else "rolling back")]
    if status == "UpdateRollbackFailed":
        return [DeploymentEvent(when, "Failed", 0.0, f"the rollback failed: {reason}")]
    if pending:
        return [DeploymentEvent(iso(pending.get("StartTime")) or when, "Creating", 0.0, "update requested"),
                *pending_events(pending, config)]
    if reason:
        return [DeploymentEvent(when, "RolledBack", 0.0, f"rolled back: {reason}")]
    return [DeploymentEvent(when, "Completed", 1.0, "all traffic on the new fleet")]


def pending_events(pending: dict[str, Any], config: DeploymentConfig) -> list[DeploymentEvent]:
    """One event per variant status SageMaker reports for the new fleet (Creating, ActivatingTraffic, Baking…)."""
    routing = config.blue_green_update_policy.traffic_routing_configuration
    size = routing.canary_size or routing.linear_step_size
    first = size.value / 100 if routing.type != "ALL_AT_ONCE" and size is not None else 1.0
    events = []
    for variant in pending.get("ProductionVariants", []):
        for state in variant.get("VariantStatus", []):
            phase = {"ActivatingTraffic": "Shifting", "Baking": "Baking"}.get(state.get("Status", ""), str(state.get("Status", "")))
            share = first if phase in ("Shifting", "Baking") else 0.0
            events.append(DeploymentEvent(iso(state.get("StartTime")), phase, share, str(state.get("StatusMessage") or "")))
    return sorted(events, key=lambda e: e.time)


def iso(value: Any) -> str:
    """A SageMaker timestamp (boto3 gives datetimes) as ISO 8601 in UTC; ``""`` when absent."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds")
    return "" if value is None else str(value)


def events_summary(events: list[DeploymentEvent]) -> str:
    """The latest update in a few words (``Endpoint.deployment``) from its events."""
    if not events:
        return ""
    last = events[-1]
    if last.phase in ("RolledBack", "RollingBack", "Failed"):
        return last.reason or last.phase
    if last.phase == "Completed":
        return "Updated"
    return f"Updating: {last.phase}, {last.traffic_share:.0%} of traffic on the new fleet"
