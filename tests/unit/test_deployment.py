"""The pure core of safe deployment: SageMaker's DeploymentConfig checked and written as UpdateEndpoint takes it,
the traffic plan per routing type, local alarm rules on a fleet's figures, and DescribeEndpoint read back as history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.endpoints.deployment import (
    all_at_once,
    breached_alarm,
    check_alarm_rules,
    check_deployment_config,
    deployment_config_from_json,
    deployment_config_json,
    deployment_events,
    events_summary,
    fleet_figures,
    phase_of,
    plan_finished,
    share_at,
    traffic_plan,
)
from services.endpoints.models import (
    AlarmRule,
    AutoRollbackConfiguration,
    BlueGreenUpdatePolicy,
    CapacitySize,
    DeploymentConfig,
    TrafficRoutingConfiguration,
)
from services.errors import InvalidInput
from tests.helpers.deployment import canary, linear


def test_a_canary_takes_its_share_for_the_wait_then_everything_then_bakes() -> None:
    plan = traffic_plan(canary(20, wait=10).blue_green_update_policy.traffic_routing_configuration)
    assert plan == [(0.0, 0.2), (10.0, 1.0), (20.0, 1.0)]
    assert [share_at(plan, t) for t in (0, 9.9, 10, 19)] == [0.2, 0.2, 1.0, 1.0]
    assert [phase_of(plan, t) for t in (0, 10)] == ["Shifting", "Baking"]
    assert not plan_finished(plan, 19.9) and plan_finished(plan, 20)


def test_linear_steps_add_the_step_each_wait_and_end_at_all_traffic() -> None:
    plan = traffic_plan(linear(step=30, wait=5).blue_green_update_policy.traffic_routing_configuration)
    assert plan == [(0.0, 0.3), (5.0, 0.6), (10.0, 0.9), (15.0, 1.0), (20.0, 1.0)]


def test_all_at_once_moves_everything_and_bakes_for_the_wait() -> None:
    routing = TrafficRoutingConfiguration("ALL_AT_ONCE", 7)
    assert traffic_plan(routing) == [(0.0, 1.0), (7.0, 1.0)]


@pytest.mark.parametrize(("config", "message"), [
    (canary(51), "CanarySize 51 is outside 1–50"),
    (linear(step=5), "LinearStepSize 5 is outside 10–50"),
    (DeploymentConfig(BlueGreenUpdatePolicy(TrafficRoutingConfiguration("CANARY", 1))), "CanarySize is needed"),
    (DeploymentConfig(BlueGreenUpdatePolicy(TrafficRoutingConfiguration("BLUE", 1))), "is not one of"),
    (DeploymentConfig(BlueGreenUpdatePolicy(TrafficRoutingConfiguration("ALL_AT_ONCE", 3601))), "WaitIntervalInSeconds"),
    (DeploymentConfig(BlueGreenUpdatePolicy(TrafficRoutingConfiguration(), 0, 60)), "MaximumExecutionTimeoutInSeconds"),
    (canary(10, alarms=(" padded",)), "not a valid alarm name"),
])
def test_configs_sagemaker_refuses_are_refused(config: DeploymentConfig, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        check_deployment_config(config, local=False)


def test_instance_counts_are_refused_locally_only() -> None:
    routing = TrafficRoutingConfiguration("CANARY", 1, canary_size=CapacitySize("INSTANCE_COUNT", 1))
    config = DeploymentConfig(BlueGreenUpdatePolicy(routing))
    check_deployment_config(config, local=False)
    with pytest.raises(InvalidInput, match="one server process"):
        check_deployment_config(config, local=True)


def test_every_named_alarm_needs_a_rule_locally() -> None:
    config = canary(10, alarms=("errors", "slow"))
    with pytest.raises(InvalidInput, match="Alarm slow has no definition"):
        check_alarm_rules(config, (AlarmRule("errors", "ErrorRate", 5),))
    with pytest.raises(InvalidInput, match="not one of"):
        check_alarm_rules(config, (AlarmRule("errors", "Throughput", 5), AlarmRule("slow", "ModelLatencyP99", 200)))
    check_alarm_rules(config, (AlarmRule("errors", "ErrorRate", 5), AlarmRule("slow", "ModelLatencyP99", 200)))


def test_alarm_rules_read_the_new_fleets_figures() -> None:
    rules = (AlarmRule("errors", "ErrorRate", 5, min_requests=10), AlarmRule("slow", "ModelLatencyP99", 200),
             AlarmRule("drift", "DriftViolation"))
    names = ("errors", "slow", "drift")
    assert breached_alarm(rules, names, {"requests": 9, "errors": 9, "latency_p99_ms": 10.0}) == ""  # too few requests
    assert breached_alarm(rules, names, {"requests": 20, "errors": 2, "latency_p99_ms": 10.0}) == \
        "errors (error rate 10.0% > 5% over 20 requests)"
    assert breached_alarm(rules, names, {"requests": 20, "errors": 1, "latency_p99_ms": 250.4}) == "slow (p99 latency 250 ms > 200 ms)"
    assert breached_alarm(rules, names, {"requests": 0, "drift_violations": ["psi of age 0.4 > 0.2"]}) == \
        "drift (drift violation: psi of age 0.4 > 0.2)"
    assert breached_alarm(rules, ("drift",), {"requests": 20, "errors": 20}) == ""  # rules not named by the config do nothing


def test_fleet_figures_count_production_variants_and_take_the_slowest_p99() -> None:
    stats = {"variants": {"a": {"requests": 4, "errors": 1, "shadow": False, "latency_ms": {"p50": 1, "p99": 9.0}},
                          "b": {"requests": 6, "errors": 0, "shadow": False, "latency_ms": {"p50": 1, "p99": 12.0}},
                          "s": {"requests": 10, "errors": 10, "shadow": True, "latency_ms": {"p50": 1, "p99": 99.0}}}}
    assert fleet_figures(stats) == {"requests": 10, "errors": 1, "latency_p99_ms": 12.0}


def test_the_config_is_written_as_update_endpoint_takes_it_and_read_back() -> None:
    config = DeploymentConfig(BlueGreenUpdatePolicy(TrafficRoutingConfiguration(
        "CANARY", 300, canary_size=CapacitySize("CAPACITY_PERCENT", 10)), 600, 1800),
        AutoRollbackConfiguration(("errors",)))
    written = deployment_config_json(config)
    assert written == {"BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {"Type": "CANARY", "WaitIntervalInSeconds": 300,
                                        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10}},
        "TerminationWaitInSeconds": 600, "MaximumExecutionTimeoutInSeconds": 1800},
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "errors"}]}}
    assert deployment_config_from_json(written) == config
    assert deployment_config_from_json(deployment_config_json(all_at_once())) == all_at_once()


WHEN = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
LAST = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {
    "Type": "CANARY", "WaitIntervalInSeconds": 600, "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10}},
    "TerminationWaitInSeconds": 300}, "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "errors"}]}}


def test_describe_endpoint_is_read_as_history() -> None:
    base = {"EndpointName": "live", "LastModifiedTime": WHEN, "LastDeploymentConfig": LAST}
    assert deployment_events({"EndpointName": "live"}) == []
    baking = deployment_events(base | {"EndpointStatus": "Updating", "PendingDeploymentSummary": {
        "EndpointConfigName": "live-2", "StartTime": WHEN, "ProductionVariants": [{"VariantName": "AllTraffic", "VariantStatus": [
            {"Status": "Creating", "StartTime": WHEN}, {"Status": "Baking", "StatusMessage": "canary", "StartTime": WHEN}]}]}})
    assert [(e.phase, e.traffic_share) for e in baking] == [("Creating", 0.0), ("Creating", 0.0), ("Baking", 0.1)]
    rolled = deployment_events(base | {"EndpointStatus": "InService", "FailureReason": "Alarm errors went into ALARM"})
    assert [(e.phase, e.traffic_share, e.reason) for e in rolled] == [("RolledBack", 0.0, "rolled back: Alarm errors went into ALARM")]
    assert deployment_events(base | {"EndpointStatus": "RollingBack"})[0].phase == "RollingBack"
    assert deployment_events(base | {"EndpointStatus": "UpdateRollbackFailed", "FailureReason": "x"})[0].phase == "Failed"
    assert deployment_events(base | {"EndpointStatus": "InService"})[0].phase == "Completed"
    assert events_summary(rolled) == "rolled back: Alarm errors went into ALARM"
    assert events_summary(baking) == "Updating: Baking, 10% of traffic on the new fleet"
