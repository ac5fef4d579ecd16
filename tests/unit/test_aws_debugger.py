"""Debugger on SageMaker, offline: the CreateTrainingJob request carries the Debugger configurations the SageMaker SDK
would build (compared with the SDK itself), and the adapter reads rule statuses (DescribeTrainingJob's documented
shape, through botocore's Stubber, which validates it against the service model) and the ProfilerReport rule's HTML
from S3 (moto)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from services.config import Settings
from services.debugger.aws import AwsDebugger
from services.debugger.aws_requests import debugger_parameters, rule_image
from services.debugger.aws_series import NAMESPACE
from services.debugger.models import DebuggerConfig, RuleConfig
from services.errors import InvalidInput, NotFound
from services.models import AutopilotRequest, DataSource, ScriptJobRequest
from services.registry import Services, build_services
from tests.helpers.aws import BUCKET, REGION, aws_settings, create_lake_bucket, fake_aws_credentials
from tests.helpers.debugger_pages import put_system_file

ROLE = "arn:aws:iam::123456789012:role/workbench-sagemaker"
RULES = DebuggerConfig(rules=(RuleConfig("LossNotDecreasing", {"num_steps": "10"}), RuleConfig("Overfit"),
                              RuleConfig("CPUBottleneck", {"threshold": "60"})), stop_on_issue=True)
CATALOG = {name: {"description": f"{name} found it.", "advice": "Look.", "kind": "debug", "parameters": {}}
           for name in ("LossNotDecreasing", "LowCPUUtilization", "MemoryUsage")}


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Services]:
    fake_aws_credentials(monkeypatch, tmp_path)
    settings: Settings = replace(aws_settings(tmp_path / "workspace"), sagemaker_role=ROLE)
    with mock_aws():
        create_lake_bucket()
        yield build_services(settings)


def script_request(tmp_path: Path, debugger: DebuggerConfig | None) -> ScriptJobRequest:
    source = tmp_path / "src"
    source.mkdir(exist_ok=True)
    (source / "train.py").write_text("print('loss=0.5')\n")
    (tmp_path / "train.csv").write_text("a,b\n1,2\n")
    return ScriptJobRequest(entry_point="train.py", source_dir=str(source), channels={"train": str(tmp_path / "train.csv")},
                            metric_definitions={"loss": "loss=([0-9.]+)"}, debugger=debugger)


def captured_create_requests(client: Any) -> list[dict[str, Any]]:
    """Every CreateTrainingJob request made; botocore then checks it against SageMaker's service model."""
    sent: list[dict[str, Any]] = []
    client.meta.events.register("provide-client-params.sagemaker.CreateTrainingJob",
                                lambda params, **_: sent.append(dict(params)) or None)
    return sent


def sdk_rule(rule: RuleConfig, job: str) -> dict[str, Any]:
    """The same rule as the SageMaker SDK builds it (``Rule.sagemaker`` / ``ProfilerRule.sagemaker``)."""
    from sagemaker.core.debugger import ProfilerRule, Rule, rule_configs
    from smdebug_rulesconfig.actions.actions import ActionList, StopTraining

    if rule.rule == "CPUBottleneck":
        built = ProfilerRule.sagemaker(rule_configs.CPUBottleneck(**{k: int(v) for k, v in rule.parameters.items()}))
        return dict(built.to_profiler_rule_config_dict())
    base = {"LossNotDecreasing": rule_configs.loss_not_decreasing, "Overfit": rule_configs.overfit}[rule.rule]()
    debug = Rule.sagemaker(base, rule_parameters=dict(rule.parameters), actions=ActionList(StopTraining()))
    debug.prepare_actions(job)
    return dict(debug.to_debugger_rule_config_dict())


def test_a_script_job_sends_the_sdks_rule_configurations_hook_and_profiler(services: Services, tmp_path: Path) -> None:
    training: Any = services.training
    sent = captured_create_requests(training._sagemaker)
    name = training.start_script_job(script_request(tmp_path, RULES))
    request = next(r for r in sent if "TrainingJobName" in r)
    image = "503895931360.dkr.ecr.us-east-1.amazonaws.com/sagemaker-debugger-rules:latest"
    debug = request["DebugRuleConfigurations"]
    assert [r["RuleConfigurationName"] for r in debug] == ["LossNotDecreasing", "Overfit"]
    for ours, rule in zip(debug, RULES.rules[:2], strict=True):
        assert ours == sdk_rule(rule, name) | {"RuleEvaluatorImage": image}
    profiler = {r["RuleConfigurationName"]: r for r in request["ProfilerRuleConfigurations"]}
    assert profiler["CPUBottleneck"]["RuleParameters"]["threshold"] == "60"
    assert profiler["CPUBottleneck"]["RuleParameters"]["rule_to_invoke"] == "CPUBottleneck"
    assert profiler["ProfilerReport"] == {"RuleConfigurationName": "ProfilerReport", "RuleEvaluatorImage": image,
                                          "RuleParameters": {"rule_to_invoke": "ProfilerReport"}}
    assert request["DebugHookConfig"] == {"S3OutputPath": f"s3://{BUCKET}/training/", "CollectionConfigurations": [
        {"CollectionName": "losses", "CollectionParameters": {"save_interval": "500"}}]}
    assert request["ProfilerConfig"] == {"S3OutputPath": f"s3://{BUCKET}/training/", "ProfilingIntervalInMilliseconds": 500}


def test_the_rule_image_is_the_sdks_for_the_region() -> None:
    from sagemaker.core import image_uris

    for region in ("us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1"):
        assert rule_image(region) == image_uris.retrieve("debugger", region=region)
    with pytest.raises(InvalidInput, match="not published"):
        rule_image("xx-nowhere-1")


def test_without_rules_or_profiler_the_request_is_unchanged() -> None:
    assert debugger_parameters(None, "job", REGION, "s3://b/") == {}
    assert debugger_parameters(DebuggerConfig(profiler=False), "job", REGION, "s3://b/") == {}


def test_rules_sagemaker_has_no_built_in_for_are_refused_before_a_job_exists(services: Services, tmp_path: Path) -> None:
    training: Any = services.training
    with pytest.raises(InvalidInput, match="no built-in rule LowCPUUtilization"):
        training.start_script_job(script_request(tmp_path, DebuggerConfig(rules=(RuleConfig("LowCPUUtilization"),))))
    assert training._sagemaker.list_training_jobs()["TrainingJobSummaries"] == []


def test_autopilot_with_rules_is_refused(services: Services) -> None:
    request = AutopilotRequest(source=DataSource(table="demo.reviews"), target="rating",
                               debugger=DebuggerConfig(rules=(RuleConfig("Overfit"),)))
    with pytest.raises(InvalidInput, match="Autopilot does not run Debugger rules"):
        services.training.start_autopilot_job(request)


def description(job: str) -> dict[str, Any]:
    """DescribeTrainingJob's answer with Debugger's fields, as the API reference documents them."""
    at = dt.datetime(2026, 12, 5, 14, 0, tzinfo=dt.UTC)
    return {
        "TrainingJobName": job, "TrainingJobArn": f"arn:aws:sagemaker:{REGION}:123456789012:training-job/{job}",
        "ModelArtifacts": {"S3ModelArtifacts": f"s3://{BUCKET}/training/{job}/output/model.tar.gz"},
        "TrainingJobStatus": "InProgress", "SecondaryStatus": "Training",
        "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/training/"},
        "ProfilerConfig": {"S3OutputPath": f"s3://{BUCKET}/training/", "ProfilingIntervalInMilliseconds": 500},
        "AlgorithmSpecification": {"TrainingImage": "img", "TrainingInputMode": "File",
                                   "MetricDefinitions": [{"Name": "loss", "Regex": "loss=([0-9.]+)"}]},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600}, "CreationTime": at, "TrainingStartTime": at,
        "FinalMetricDataList": [{"MetricName": "loss", "Value": 0.5, "Timestamp": at + dt.timedelta(seconds=30)}],
        "DebugRuleConfigurations": [{"RuleConfigurationName": "loss-flat", "RuleEvaluatorImage": "img",
                                     "RuleParameters": {"rule_to_invoke": "LossNotDecreasing"}}],
        "DebugRuleEvaluationStatuses": [{"RuleConfigurationName": "loss-flat", "RuleEvaluationStatus": "IssuesFound",
                                         "RuleEvaluationJobArn": f"arn:aws:sagemaker:{REGION}:123456789012:processing-job/r",
                                         "StatusDetails": "RuleEvaluationConditionMet: Evaluation of the rule "
                                                          "loss-flat at step 40 resulted in the condition being met",
                                         "LastModifiedTime": at}],
        "ProfilerRuleConfigurations": [{"RuleConfigurationName": "ProfilerReport-1733400000", "RuleEvaluatorImage": "img",
                                        "RuleParameters": {"rule_to_invoke": "ProfilerReport"}}],
        "ProfilerRuleEvaluationStatuses": [{"RuleConfigurationName": "ProfilerReport-1733400000",
                                            "RuleEvaluationStatus": "NoIssuesFound", "LastModifiedTime": at}],
    }


@pytest.fixture
def debugger(services: Services) -> AwsDebugger:
    return AwsDebugger(boto3.Session(region_name=REGION), services.settings, CATALOG)


def test_statuses_and_catalog_are_read_back(debugger: AwsDebugger) -> None:
    with Stubber(debugger._sagemaker) as stubber:
        stubber.add_response("describe_training_job", description("job-1"), {"TrainingJobName": "job-1"})
        statuses = debugger.rule_statuses("job-1")
    assert [(s.configuration_name, s.rule, s.status) for s in statuses] == [
        ("loss-flat", "LossNotDecreasing", "IssuesFound"), ("ProfilerReport-1733400000", "ProfilerReport", "NoIssuesFound")]
    assert "at step 40" in statuses[0].details and statuses[0].last_modified.startswith("2026-12-05T14:00")
    assert statuses[0].as_api()["RuleEvaluationStatus"] == "IssuesFound"
    catalog = debugger.rule_catalog()
    assert set(catalog) == set(CATALOG) and catalog["LowCPUUtilization"]["available"] is False
    assert "available" not in catalog["LossNotDecreasing"]


def test_series_come_from_cloudwatch_metrics_and_the_profilers_system_files(debugger: AwsDebugger) -> None:
    at = dt.datetime(2026, 12, 5, 14, 0, tzinfo=dt.UTC)
    boto3.client("cloudwatch", region_name=REGION).put_metric_data(Namespace=NAMESPACE, MetricData=[
        {"MetricName": "loss", "Dimensions": [{"Name": "Host", "Value": "job-1/algo-1"}], "Value": value,
         "Timestamp": at + dt.timedelta(seconds=10 * (i + 1)), "StorageResolution": 1}
        for i, value in enumerate((0.9, 0.7, 0.6))])
    put_system_file("job-1", at.timestamp() + 5, [[10.0, 90.0], [30.0, 70.0]])
    with Stubber(debugger._sagemaker) as stubber:
        stubber.add_response("describe_training_job", description("job-1"), {"TrainingJobName": "job-1"})
        series = debugger.series("job-1")
    assert [(p["name"], p["value"], p["step"], p["seconds"]) for p in series.scalars] == [
        ("loss", 0.9, 0, 10.0), ("loss", 0.7, 1, 20.0), ("loss", 0.6, 2, 30.0)]
    assert series.system == ({"seconds": 5.0, "cpu": [10.0, 90.0], "memory_percent": None},
                             {"seconds": 5.5, "cpu": [30.0, 70.0], "memory_percent": None})


def test_the_profiler_report_is_the_rule_jobs_html_in_s3_else_ours_from_the_samples(debugger: AwsDebugger) -> None:
    key = "training/job-1/rule-output/ProfilerReport-1733400000/profiler-output/profiler-report.html"
    with Stubber(debugger._sagemaker) as stubber:
        stubber.add_response("describe_training_job", description("job-1"), {"TrainingJobName": "job-1"})
        with pytest.raises(NotFound, match="no profile yet"):
            debugger.profiler_report("job-1")
        put_system_file("job-1", 1_796_565_605.0, [[50.0, 50.0]])
        stubber.add_response("describe_training_job", description("job-1"), {"TrainingJobName": "job-1"})
        ours = debugger.profiler_report("job-1")
        assert ours.startswith(b"<!doctype html>") and b"loss-flat" in ours
        boto3.client("s3", region_name=REGION).put_object(Bucket=BUCKET, Key=key, Body=b"<html>report</html>")
        stubber.add_response("describe_training_job", description("job-1"), {"TrainingJobName": "job-1"})
        assert debugger.profiler_report("job-1") == b"<html>report</html>"


def test_an_unknown_job_is_not_found(debugger: AwsDebugger) -> None:
    with pytest.raises(NotFound, match="No training job named nope"):
        debugger.rule_statuses("nope")


def test_rule_parameters_are_checked_as_locally_before_the_request() -> None:
    with pytest.raises(InvalidInput):
        debugger_parameters(DebuggerConfig(rules=(RuleConfig("Overfit", {"patience": "many"}),)), "job", REGION, "s3://b/")
    with pytest.raises(InvalidInput, match="SageMaker's Overtraining rule has no parameter tensor_regex"):
        debugger_parameters(DebuggerConfig(rules=(RuleConfig("Overtraining", {"tensor_regex": "val.*"}),)), "job", REGION,
                            "s3://b/")


def test_a_stalled_training_rule_that_stops_names_its_job_as_the_prefix_to_stop() -> None:
    """SageMaker's StalledTrainingRule stops the one job named by training_job_name_prefix when stop_training_on_fire
    is True; the request names the job itself (the workbench has no such parameter to set)."""
    config = DebuggerConfig(rules=(RuleConfig("StalledTrainingRule", {"threshold": "120", "stop_training_on_fire": "True"}),))
    [rule] = debugger_parameters(config, "my-job", REGION, "s3://b/")["DebugRuleConfigurations"]
    assert rule["RuleParameters"] == {"threshold": "120", "stop_training_on_fire": "True", "rule_to_invoke":
                                      "StalledTrainingRule", "training_job_name_prefix": "my-job"}
    quiet = DebuggerConfig(rules=(RuleConfig("StalledTrainingRule", {"threshold": "120"}),))
    assert "training_job_name_prefix" not in debugger_parameters(quiet, "my-job", REGION, "s3://b/")[
        "DebugRuleConfigurations"][0]["RuleParameters"]
