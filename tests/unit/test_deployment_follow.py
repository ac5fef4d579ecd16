"""Deployment on approval and the command line, on real local servers: an endpoint that follows a model package
group is updated when a version of the group is approved (TrainingPort.set_model_approval); ``endpoints update
--wait`` completes a canary or exits 2 naming the alarm that rolled a broken model back; ``endpoints history``."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.endpoints.following import deploy_approved
from services.endpoints.models import DeploymentChoices
from services.errors import InvalidInput, NotFound
from services.registry import Services
from tests.helpers.deployment import ScoringClient, endpoint_to_update
from tests.helpers.endpoints import wait_for

NAME = "live"


@pytest.fixture
def hosting(tmp_path: Path) -> Iterator[tuple[Services, str, str, str]]:
    with endpoint_to_update(tmp_path, NAME, ("reviews", "reviews")) as hosted:
        yield hosted


def serving(services: Services) -> list[str]:
    return [v.model_id for v in services.endpoints.describe_endpoint(NAME).variants]


def test_approving_a_version_of_the_followed_group_updates_the_endpoint(hosting: tuple[Services, str, str, str]) -> None:
    services, old, new, _ = hosting
    rule = services.endpoints.follow_model_group(NAME, "reviews", DeploymentChoices("canary", 50, wait_seconds=1))
    assert rule is not None and services.endpoints.follow_rules() == [rule]
    services.training.set_model_approval(new, "Rejected")  # only an approval deploys
    assert services.endpoints.deployment_history(NAME) == []
    services.training.set_model_approval(new, "Approved")
    wait_for(lambda: serving(services) == [new], 60)
    assert [e.traffic_share for e in services.endpoints.deployment_history(NAME) if e.phase == "Shifting"] == [0.5]
    assert deploy_approved(services.endpoints, services.training.get_model(new)) == {NAME: "already serving it"}
    assert services.endpoints.follow_model_group(NAME, "") is None and services.endpoints.follow_rules() == []


def test_follow_rules_are_checked_when_set(hosting: tuple[Services, str, str, str]) -> None:
    services = hosting[0]
    with pytest.raises(NotFound):
        services.endpoints.follow_model_group("nowhere", "reviews")
    with pytest.raises(InvalidInput):
        services.endpoints.follow_model_group(NAME, "bad_group")
    with pytest.raises(InvalidInput, match="LinearStepSize"):
        services.endpoints.follow_model_group(NAME, "reviews", DeploymentChoices("linear", 5))


def test_the_cli_updates_with_wait_and_reports_a_rollback(hosting: tuple[Services, str, str, str], tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from services.cli import main

    services, _, new, broken = hosting
    for name in [k for k in os.environ if k.startswith("WORKBENCH_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("WORKBENCH_HOME", str(services.settings.home))
    monkeypatch.setenv("WORKBENCH_SEED_ON_START", "false")
    monkeypatch.setenv("WORKBENCH_GATEWAY_PORT", str(services.settings.gateway_port))

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    with ScoringClient(services, NAME) as client:
        code, out, err = run("endpoints", "update", NAME, "--model", broken, "--canary-percent", "50", "--wait-seconds", "30",
                             "--max-error-rate", "1", "--wait")
    assert (code, out) == (2, "") and "ended RolledBack: rolled back: live-error-rate (error rate" in err
    assert client.failures == []
    code, out, err = run("endpoints", "update", NAME, "--model", new, "--strategy", "linear", "--canary-percent", "50",
                         "--wait-seconds", "1", "--wait")
    assert code == 0, err
    answer = json.loads(out)
    assert answer["EndpointStatus"] == "InService" and answer["Deployment"].startswith("Updated (Linear 50% steps)")
    assert [e["NewFleetTrafficShare"] for e in answer["History"] if e["Phase"] in ("Shifting", "Baking")] == [0.5, 1.0]
    code, out, _ = run("endpoints", "history", NAME)
    assert code == 0 and json.loads(out)["History"][-1]["Phase"] == "Completed"
