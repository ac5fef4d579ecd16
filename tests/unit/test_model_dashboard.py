"""The model dashboard's rows, model package ARNs and the ``models`` CLI, on the local backend with real registry
entries (a tiny LinearSVC registered under several groups) and two real endpoint servers: one capturing traffic
with a saved drift report, one with data capture off (no monitor); the CLI also on moto's model packages."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest

from services.dashboard.models import (
    LOCAL_ARN_PREFIX,
    filter_rows,
    group_rows,
    model_dashboard,
    model_id_of,
    model_reference,
    package_arn,
    serving_by_group,
)
from services.endpoints.models import DeployRequest, DriftReport, Endpoint, MonitoringStatus, Variant, VariantStats
from services.errors import InvalidInput
from services.registry import Services, build_services
from tests.helpers.aws import BUCKET, REGION, aws_settings
from tests.helpers.aws_endpoints import ROLE
from tests.helpers.dashboard import (
    answer_monitors,
    execution_summary,
    register_aws_versions,
    register_versions,
    schedule_summary,
)
from tests.helpers.endpoints import stop_everything
from tests.helpers.servers import unused_port
from tests.helpers.workspace import close_services, settings_for_tests

AWS_ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/reviews-model/7"
METRICS = {"validation:f1_macro": 0.81, "validation:rmse": 0.4, "validation:accuracy": 0.9, "train:loss": 0.2}


# -- ARNs and model ids -----------------------------------------------------------------------------------------


def test_model_ids_and_package_arns_map_both_ways() -> None:
    assert model_id_of(f"{LOCAL_ARN_PREFIX}reviews/3") == "reviews/3"
    assert model_id_of(AWS_ARN) == "reviews-model/7"
    assert model_id_of(" reviews/03 ") == "reviews/3"
    assert model_reference(AWS_ARN) == AWS_ARN  # SageMaker describes versioned packages by ARN
    assert model_reference(f"{LOCAL_ARN_PREFIX}reviews/3") == "reviews/3"


@pytest.mark.parametrize("text", ["reviews", "reviews/v2", "arn:aws:sagemaker:us-east-1:123456789012:endpoint/x",
                                  "arn:aws:sagemaker:us-east-1:123456789012:model-package-group/reviews", ""])
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="neither a model package ARN nor a model id"):
        model_id_of(text)


# -- rows from plain data ----------------------------------------------------------------------------------------


def endpoint(name: str, *variants: tuple[str, str, float, bool]) -> Endpoint:
    return Endpoint(name, "InService", "http://127.0.0.1:1", tuple(VariantStats(n, m, w, s) for n, m, w, s in variants),
                    "2026-01-01T00:00:00")


def test_serving_shares_are_of_live_traffic_and_shadows_get_none() -> None:
    endpoints = [endpoint("live", ("blue", "reviews/1", 3.0, False), ("green", "reviews/2", 1.0, False),
                          ("copy", "wine/1", 1.0, True)),
                 endpoint("elsewhere", ("AllTraffic", "deleted/1", 1.0, False))]
    serving = serving_by_group(endpoints, {"reviews/1": "reviews", "reviews/2": "reviews", "wine/1": "wine"})
    assert [(s.variant, s.traffic_share) for s in serving["reviews"]] == [("blue", 0.75), ("green", 0.25)]
    assert [(s.endpoint, s.traffic_share, s.shadow) for s in serving["wine"]] == [("live", 0.0, True)]
    assert set(serving) == {"reviews", "wine"}


@pytest.mark.parametrize(("statuses", "drift", "no_monitor"), [
    ([("a", True, "OK"), ("b", True, "Violations")], "Violations", False),
    ([("a", True, "No report yet"), ("b", True, "OK")], "OK", False),
    ([("a", False, "No report yet")], "No report yet", True),
    ([("a", True, "Failed"), ("b", False, "OK")], "Failed", True),
    ([("a", True, "InProgress")], "InProgress", False),
])
def test_drift_is_the_worst_latest_report_and_any_unwatched_endpoint_flags_no_monitor(
        registered: Services, statuses: list[tuple[str, bool, str]], drift: str, no_monitor: bool) -> None:
    models = [m for m in registered.training.list_models() if m.name == "wine"]
    serving = serving_by_group([endpoint(name, ("AllTraffic", "wine/1", 1.0, False)) for name, _, _ in statuses],
                               {"wine/1": "wine"})
    row = group_rows(models, serving, {n: MonitoringStatus(n, m, s) for n, m, s in statuses})[0]
    assert (row.drift, row.no_monitor, row.deployed) == (drift, no_monitor, True)


# -- rows from the real local registry and endpoints ------------------------------------------------------------------


@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """``svc`` (1 version), ``reviews`` (3) and ``wine`` (1) in a fresh workspace's registry, with reviews/1
    Approved and reviews/2 Rejected; endpoint ``dash-watched`` serves reviews/3 (capture on, one saved report with
    a violation) beside a shadow of reviews/2, ``dash-unwatched`` serves wine/1 with data capture off."""
    home = tmp_path_factory.mktemp("dashboard") / "workspace"
    services = build_services(settings_for_tests(home=home, seed_on_start=False, gateway_port=unused_port()))
    register_versions(services, home.parent / "artifacts", {"reviews": 3, "wine": 1}, METRICS)
    services.training.set_model_approval("reviews/1", "Approved")
    services.training.set_model_approval("reviews/2", "Rejected")
    services.endpoints.deploy(DeployRequest("dash-watched", (Variant("AllTraffic", "reviews/3"),
                                                             Variant("Shadow", "reviews/2", shadow=True))))
    services.endpoints.deploy(DeployRequest("dash-unwatched", (Variant("AllTraffic", "wine/1"),), capture_percent=0))
    for name in ("dash-watched", "dash-unwatched"):
        assert services.endpoints.wait_for_endpoint(name, 120).status == "InService", services.endpoints.endpoint_logs(name)
    monitoring: Any = services.endpoints.monitoring  # type: ignore[attr-defined]
    monitoring.write_report(DriftReport("dash-watched", "reviews/3", 40, (), None, ("signal: psi 0.41 > 0.2",),
                                        created_at="2026-12-05T06:00:00.000+00:00"))
    yield services
    stop_everything(services)
    close_services(services)


class Counting:
    """A port whose calls are counted by method name."""

    def __init__(self, port: object) -> None:
        self.port = port
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.port, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return method(*args, **kwargs)
        return counted


def test_one_row_per_group_with_the_latest_version_its_approval_and_the_counts(registered: Services) -> None:
    rows = {r.group: r for r in model_dashboard(registered.training, registered.endpoints)}
    assert set(rows) == {"svc", "reviews", "wine"}
    reviews = rows["reviews"]
    assert reviews.latest.model_id == "reviews/3" and [m.version for m in reviews.versions] == [3, 2, 1]
    assert reviews.latest.approval_status == "PendingManualApproval"
    assert reviews.status_counts == {"PendingManualApproval": 1, "Rejected": 1, "Approved": 1}
    assert [(m.name, m.value, m.goal) for m in reviews.metrics] == [
        ("validation:f1_macro", 0.81, "Maximize"), ("validation:rmse", 0.4, "Minimize"), ("validation:accuracy", 0.9, "Maximize")]
    assert package_arn(reviews.latest) == f"{LOCAL_ARN_PREFIX}reviews/3"


def test_deployed_groups_show_their_endpoints_variants_drift_and_monitor(registered: Services) -> None:
    rows = {r.group: r for r in model_dashboard(registered.training, registered.endpoints)}
    reviews, wine, svc = rows["reviews"], rows["wine"], rows["svc"]
    assert [(s.endpoint, s.variant, s.model_id, s.traffic_share, s.shadow) for s in reviews.serving] == [
        ("dash-watched", "AllTraffic", "reviews/3", 1.0, False), ("dash-watched", "Shadow", "reviews/2", 0.0, True)]
    assert reviews.endpoints == ("dash-watched",)
    assert (reviews.drift, reviews.no_monitor) == ("Violations", False)
    assert reviews.monitoring[0].violations == 1 and reviews.monitoring[0].detail == "signal: psi 0.41 > 0.2"
    assert (wine.drift, wine.no_monitor, wine.endpoints) == ("No report yet", True, ("dash-unwatched",))
    assert (svc.deployed, svc.drift, svc.no_monitor) == (False, "—", False)


def test_the_dashboard_makes_one_call_per_port_whatever_the_number_of_groups(registered: Services) -> None:
    training, endpoints = Counting(registered.training), Counting(registered.endpoints)
    model_dashboard(training, endpoints)  # type: ignore[arg-type]
    assert training.calls == ["list_models"]
    assert endpoints.calls == ["list_endpoints", "monitoring_status"]


def test_monitoring_status_answers_in_order_and_unknown_endpoints_are_unmonitored(registered: Services) -> None:
    statuses = registered.endpoints.monitoring_status(["nowhere", "dash-unwatched", "dash-watched"])
    assert [(s.endpoint, s.monitored, s.latest_status, s.violations) for s in statuses] == [
        ("nowhere", False, "No report yet", 0), ("dash-unwatched", False, "No report yet", 0),
        ("dash-watched", True, "Violations", 1)]
    assert statuses[2].report_time.startswith("2026-12-05T06:00:00")


def test_filters_by_approval_deployment_and_missing_monitor(registered: Services) -> None:
    rows = model_dashboard(registered.training, registered.endpoints)
    assert {r.group for r in filter_rows(rows, approval="PendingManualApproval")} == {"svc", "reviews", "wine"}
    assert {r.group for r in filter_rows(rows, deployed=True)} == {"reviews", "wine"}
    assert {r.group for r in filter_rows(rows, deployed=False)} == {"svc"}
    assert {r.group for r in filter_rows(rows, no_monitor_only=True)} == {"wine"}
    assert filter_rows(rows, approval="Approved") == []


# -- the CLI --------------------------------------------------------------------------------------------------------


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(registered: Services, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    from services.cli import main

    for name in [k for k in os.environ if k.startswith("WORKBENCH_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("WORKBENCH_HOME", str(registered.settings.home))
    monkeypatch.setenv("WORKBENCH_SEED_ON_START", "false")
    monkeypatch.setenv("WORKBENCH_GATEWAY_PORT", str(registered.settings.gateway_port))

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err
    return run


def test_models_list_prints_packages_in_sagemakers_spelling(cli: Run) -> None:
    code, out, err = cli("models", "list", "--group", "reviews")
    assert code == 0, err
    packages = json.loads(out)
    assert [p["ModelPackageVersion"] for p in packages] == [3, 2, 1]
    assert packages[0] == {"ModelPackageGroupName": "reviews", "ModelPackageVersion": 3,
                           "ModelPackageArn": f"{LOCAL_ARN_PREFIX}reviews/3", "ModelApprovalStatus": "PendingManualApproval",
                           "CreationTime": packages[0]["CreationTime"]}
    assert packages[0]["CreationTime"] >= packages[2]["CreationTime"] > ""
    code, out, _ = cli("models", "list")
    assert {p["ModelPackageGroupName"] for p in json.loads(out)} == {"svc", "reviews", "wine"}


def test_models_approve_by_arn_or_model_id_and_reject(cli: Run, registered: Services) -> None:
    code, out, err = cli("models", "approve", f"{LOCAL_ARN_PREFIX}svc/1")
    assert code == 0, err
    assert json.loads(out)["ModelApprovalStatus"] == "Approved"
    assert registered.training.get_model("svc/1").approval_status == "Approved"
    code, out, err = cli("models", "approve", "svc/1", "--status", "Rejected")
    assert code == 0 and json.loads(out)["ModelPackageArn"] == f"{LOCAL_ARN_PREFIX}svc/1", err
    assert registered.training.get_model("svc/1").approval_status == "Rejected"


@pytest.mark.parametrize(("args", "message"), [
    (("models", "approve", f"{LOCAL_ARN_PREFIX}svc/9"), "svc/9"),
    (("models", "approve", AWS_ARN), "reviews-model/7"),
    (("models", "approve", "not a model"), "neither a model package ARN"),
    (("models", "list", "--group", "nobody"), "nobody"),
])
def test_unknown_packages_and_groups_exit_2(cli: Run, args: tuple[str, ...], message: str) -> None:
    code, out, err = cli(*args)
    assert code == 2 and out == "" and message in err, err


# -- the CLI on the aws backend: moto's model packages, SageMaker's ARNs ----------------------------------------------


@pytest.fixture
def aws_cli(mocked_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    from services.cli import main

    for name in [k for k in os.environ if k.startswith("WORKBENCH_")]:
        monkeypatch.delenv(name)
    for name, value in {"WORKBENCH_BACKEND": "aws", "WORKBENCH_HOME": str(tmp_path / "home"), "WORKBENCH_AWS_REGION": REGION,
                        "WORKBENCH_S3_BUCKET": BUCKET, "WORKBENCH_SAGEMAKER_ROLE": ROLE}.items():
        monkeypatch.setenv(name, value)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err
    return run


def test_on_aws_models_list_and_approve_use_sagemakers_arns(aws_cli: Run) -> None:
    arns = register_aws_versions("sentiment", 2, {"validation:f1_macro": 0.7})
    code, out, err = aws_cli("models", "list", "--group", "sentiment")
    assert code == 0, err
    packages = json.loads(out)
    assert sorted(p["ModelPackageArn"] for p in packages) == sorted(arns)
    assert {(p["ModelPackageGroupName"], p["ModelPackageVersion"], p["ModelApprovalStatus"]) for p in packages} == {
        ("sentiment", 1, "PendingManualApproval"), ("sentiment", 2, "PendingManualApproval")}
    code, out, err = aws_cli("models", "approve", arns[1])
    assert code == 0 and json.loads(out)["ModelPackageArn"] == arns[1], err
    described = boto3.client("sagemaker", region_name=REGION).describe_model_package(ModelPackageName=arns[1])
    assert described["ModelApprovalStatus"] == "Approved"
    code, out, err = aws_cli("models", "approve", "sentiment/1", "--status", "Rejected")
    assert code == 0 and json.loads(out)["ModelPackageArn"] == arns[0], err
    code, _, err = aws_cli("models", "approve", arns[1].rsplit("/", 1)[0] + "/9")
    assert code == 2 and "sentiment/9" in err, err


def test_on_aws_monitoring_status_lists_schedules_once_and_asks_only_endpoints_with_one(
        mocked_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    listed, asked = answer_monitors(monkeypatch, [schedule_summary("running"), schedule_summary("fresh", "Pending"),
                                                  schedule_summary("old", "Stopped")],
                                    {"running": execution_summary("running", "InProgress"), "old": execution_summary("old", "Completed")})
    endpoints = build_services(replace(aws_settings(tmp_path / "home"), sagemaker_role=ROLE)).endpoints
    statuses = endpoints.monitoring_status(["running", "fresh", "old", "bare"])
    assert [(s.endpoint, s.monitored, s.latest_status) for s in statuses] == [
        ("running", True, "InProgress"), ("fresh", True, "No report yet"), ("old", False, "OK"), ("bare", False, "No report yet")]
    assert statuses[0].report_time.startswith("2026-12-05T06:00:00")
    assert len(listed) == 1 and [a["EndpointName"] for a in asked] == ["running", "fresh", "old"]
