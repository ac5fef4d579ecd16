"""Blue/green updates of a local endpoint on real server processes: a canary that completes and stops the old
fleet, a broken new model rolled back by its alarm with no failed client request, a drift violation rolling back,
linear steps in the history, deleting the endpoint mid-update,
and an update that carries on after its driver was killed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.embedded.metadata import utc_now
from services.endpoints.local import LocalEndpoints
from services.endpoints.models import AlarmRule, DriftReport, Variant
from services.errors import InvalidInput
from services.registry import Services, build_services
from tests.helpers.deployment import ERROR_ALARM, ScoringClient, canary, endpoint_to_update, linear, register_tabular
from tests.helpers.endpoints import process_gone, wait_for
from tests.helpers.workspace import close_services, settings_for_tests

NAME = "live"


@pytest.fixture
def hosting(tmp_path: Path) -> Iterator[tuple[Services, str, str, str]]:
    """An endpoint serving model A in service, plus B (good) and C (broken) registered."""
    with endpoint_to_update(tmp_path, NAME, ("blue", "green")) as hosted:
        yield hosted


def latest(services: Services) -> str:
    events = services.endpoints.deployment_history(NAME)
    return events[-1].phase if events else ""


def test_a_canary_completes_and_the_old_fleet_stops(hosting: tuple[Services, str, str, str]) -> None:
    services, _, new, _ = hosting
    old_pid = services.endpoints.endpoints.get(NAME).pid  # type: ignore[attr-defined]
    with ScoringClient(services, NAME) as client:
        services.endpoints.update_endpoint(NAME, (Variant("AllTraffic", new),), canary(50, wait=1, termination=1))
        wait_for(lambda: latest(services) == "Completed", 60)
    assert client.failures == [] and len(client.answers) > 10
    history = services.endpoints.deployment_history(NAME)
    assert [e.phase for e in history] == ["Creating", "Shifting", "Baking", "Completing", "Completed"]
    assert [e.traffic_share for e in history] == [0.0, 0.5, 1.0, 1.0, 1.0]
    endpoint = services.endpoints.describe_endpoint(NAME)
    assert endpoint.status == "InService" and [v.model_id for v in endpoint.variants] == [new]
    assert endpoint.deployment.startswith("Updated (Canary 50%)")
    assert process_gone(old_pid)
    assert services.endpoints.invoke(NAME, b'{"instances": [{"signal": 1, "noise": 0}]}').status_code == 200


def test_a_broken_model_is_rolled_back_by_its_alarm_with_no_failed_request(hosting: tuple[Services, str, str, str]) -> None:
    services, old, _, broken = hosting
    with ScoringClient(services, NAME) as client:
        services.endpoints.update_endpoint(NAME, (Variant("AllTraffic", broken),), canary(50, wait=30, termination=1,
                                           alarms=(ERROR_ALARM.alarm_name,)), (ERROR_ALARM,))
        wait_for(lambda: latest(services) == "RolledBack", 60)
    assert client.failures == [] and len(client.answers) > 5
    history = services.endpoints.deployment_history(NAME)
    assert [e.phase for e in history][-2:] == ["RollingBack", "RolledBack"]
    assert history[-1].traffic_share == 0.0
    assert history[-1].reason.startswith("rolled back: new-fleet-errors (error rate 100.0% > 5%")
    endpoint = services.endpoints.describe_endpoint(NAME)
    assert endpoint.status == "InService" and [v.model_id for v in endpoint.variants] == [old]
    assert endpoint.deployment == history[-1].reason


def test_linear_steps_are_recorded_in_the_history(hosting: tuple[Services, str, str, str]) -> None:
    services, _, new, _ = hosting
    services.endpoints.update_endpoint(NAME, (Variant("AllTraffic", new),), linear(step=50, wait=1))
    wait_for(lambda: latest(services) == "Completed", 60)
    shares = [e.traffic_share for e in services.endpoints.deployment_history(NAME) if e.phase in ("Shifting", "Baking")]
    assert shares == [0.5, 1.0]


def test_a_second_update_while_one_runs_is_refused(hosting: tuple[Services, str, str, str]) -> None:
    services, _, new, _ = hosting
    services.endpoints.update_endpoint(NAME, (Variant("AllTraffic", new),), canary(10, wait=30))
    with pytest.raises(InvalidInput, match="in progress"):
        services.endpoints.update_endpoint(NAME, (Variant("AllTraffic", new),))


def test_an_update_whose_driver_was_killed_carries_on_after_a_restart(hosting: tuple[Services, str, str, str],
                                                                    tmp_path: Path) -> None:
    services, _, new, _ = hosting
    endpoints: LocalEndpoints = services.endpoints  # type: ignore[assignment]
    services.endpoints.update_endpoint(NAME, (Variant("AllTraffic", new),), canary(50, wait=2))
    wait_for(lambda: latest(services) == "Shifting", 60)
    row = endpoints.deployments.deployments.latest(NAME)
    assert row is not None and row.driver_pid is not None
    from services.endpoints import launcher

    launcher.stop_group(row.driver_pid, row.deployment_id, 1.0)
    restarted = build_services(settings_for_tests(home=services.settings.home, seed_on_start=False,
                                                  gateway_port=services.settings.gateway_port))
    restarted.endpoints.describe_endpoint(NAME)  # building the adapter resumed the update
    wait_for(lambda: latest(services) == "Completed", 60)
    assert [v.model_id for v in services.endpoints.describe_endpoint(NAME).variants] == [new]
    close_services(restarted)


def test_a_drift_violation_reported_during_the_update_rolls_it_back(hosting: tuple[Services, str, str, str]) -> None:
    services, old, new, _ = hosting
    endpoints: LocalEndpoints = services.endpoints  # type: ignore[assignment]
    drift = AlarmRule("live-drift", "DriftViolation")
    services.endpoints.update_endpoint(NAME, (Variant("AllTraffic", new),), canary(50, wait=30, alarms=(drift.alarm_name,)),
                                       (drift,))
    wait_for(lambda: latest(services) == "Shifting", 60)
    # What the scheduled drift reports write (LocalMonitoring.write_report), with a violation in it.
    endpoints.monitoring.write_report(DriftReport(NAME, new, 40, (), None, ("signal: PSI 0.41 > 0.2",), created_at=utc_now()))
    wait_for(lambda: latest(services) == "RolledBack", 30)
    assert services.endpoints.deployment_history(NAME)[-1].reason == \
        "rolled back: live-drift (drift violation: signal: PSI 0.41 > 0.2)"
    assert [v.model_id for v in services.endpoints.describe_endpoint(NAME).variants] == [old]


def test_deleting_the_endpoint_mid_update_stops_the_driver_and_the_new_fleet(hosting: tuple[Services, str, str, str]) -> None:
    services, _, new, _ = hosting
    endpoints: LocalEndpoints = services.endpoints  # type: ignore[assignment]
    services.endpoints.update_endpoint(NAME, (Variant("AllTraffic", new),), canary(50, wait=30))
    wait_for(lambda: latest(services) == "Shifting", 60)
    row = endpoints.deployments.deployments.latest(NAME)
    assert row is not None and row.driver_pid is not None and row.new_pid is not None
    services.endpoints.delete_endpoint(NAME)
    assert process_gone(row.driver_pid) and process_gone(row.new_pid)
    assert endpoints.deployments.deployments.latest(NAME) is None


def test_a_new_fleet_that_cannot_start_fails_the_update_and_the_old_one_keeps_serving(
        hosting: tuple[Services, str, str, str], tmp_path: Path) -> None:
    services, old, _, _ = hosting
    unloadable = register_tabular(services, tmp_path / "d", "unloadable")
    model_file = Path(services.training.get_model(unloadable).artifact_path) / "model.joblib"
    model_file.write_bytes(b"not a pickle")  # a truncated upload: the server cannot load it
    with ScoringClient(services, NAME) as client:
        services.endpoints.update_endpoint(NAME, (Variant("AllTraffic", unloadable),), canary(50, wait=1))
        wait_for(lambda: latest(services) == "Failed", 90)
    assert client.failures == []
    reason = services.endpoints.deployment_history(NAME)[-1].reason
    assert reason.startswith("update failed: the new fleet's server exited before it answered /ping") and "Last log lines" in reason
    endpoint = services.endpoints.describe_endpoint(NAME)
    assert endpoint.status == "InService" and [v.model_id for v in endpoint.variants] == [old]
