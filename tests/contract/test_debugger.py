"""The debugger port's contract: every adapter must pass ``DebuggerContract``.

Subclasses provide three class-scoped fixtures: ``debugger`` (the port), ``watched_job`` (a finished training job
that had LossNotDecreasing configured, which found an issue on its flat loss ``train_loss``, and a profile) and
``plain_job`` (a finished job without rules and with the profiler off). Locally both are real script jobs run by the
job worker's ``run_job`` in this process; the aws subclass (tests/contract, added with the aws adapter) answers from
moto.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from services.debugger.aws_requests import debugger_parameters
from services.debugger.aws_series import NAMESPACE
from services.debugger.base import DebuggerPort
from services.debugger.models import ALL_RULES, PROFILER_RULES, DebuggerConfig
from services.errors import NotFound
from services.registry import Services, build_services
from services.training.aws.specs import s3_channels, training_job_spec
from tests.helpers.aws import BUCKET, REGION, aws_settings, fake_aws_credentials
from tests.helpers.debugger import FLAT_LOSS_SCRIPT, LOSS_METRIC, run_script, stop_on_flat_loss, workspace
from tests.helpers.debugger_pages import add_training_job_fields, put_system_file, rule_status
from tests.helpers.workspace import settings_for_tests


class DebuggerContract:
    """Tests any debugger adapter must pass."""

    @pytest.fixture(scope="class")
    @classmethod
    def debugger(cls) -> DebuggerPort:
        raise NotImplementedError

    @pytest.fixture(scope="class")
    @classmethod
    def watched_job(cls) -> str:
        raise NotImplementedError

    @pytest.fixture(scope="class")
    @classmethod
    def plain_job(cls) -> str:
        raise NotImplementedError

    def test_the_catalog_has_every_rule_with_its_parameters_and_advice(self, debugger: DebuggerPort) -> None:
        catalog = debugger.rule_catalog()
        assert set(catalog) == set(ALL_RULES)
        for name, entry in catalog.items():
            assert entry["kind"] == ("profiler" if name in PROFILER_RULES else "debug")
            assert entry["description"] and entry["advice"]
            assert all(isinstance(v, str) for v in entry["parameters"].values())
        assert catalog["LossNotDecreasing"]["parameters"]["num_steps"] == "10"

    def test_an_unknown_job_is_not_found(self, debugger: DebuggerPort) -> None:
        with pytest.raises(NotFound):
            debugger.rule_statuses("no-such-job")

    def test_a_job_without_rules_has_no_statuses_series_or_profile(self, debugger: DebuggerPort, plain_job: str) -> None:
        assert debugger.rule_statuses(plain_job) == []
        series = debugger.series(plain_job)
        assert (series.tensors, series.system) == ((), ())
        with pytest.raises(NotFound, match="no profile"):
            debugger.profiler_report(plain_job)

    def test_the_rule_that_fired_says_where_and_why(self, debugger: DebuggerPort, watched_job: str) -> None:
        [status] = debugger.rule_statuses(watched_job)
        assert (status.configuration_name, status.rule, status.status) == ("LossNotDecreasing", "LossNotDecreasing",
                                                                           "IssuesFound")
        assert "train_loss" in status.details
        assert status.as_api()["RuleEvaluationStatus"] == "IssuesFound"

    def test_the_series_hold_the_loss_and_system_samples(self, debugger: DebuggerPort, watched_job: str) -> None:
        series = debugger.series(watched_job)
        losses = [p for p in series.scalars if p["name"] == "train_loss"]
        assert len(losses) >= 6 and {p["value"] for p in losses} == {0.7}
        assert all(p["mode"] == "TRAIN" for p in losses)
        assert series.system and all(isinstance(s["cpu"], list) for s in series.system)

    def test_the_profiler_report_is_one_html_file(self, debugger: DebuggerPort, watched_job: str) -> None:
        report = debugger.profiler_report(watched_job)
        assert report.lower().startswith(b"<!doctype html>")
        assert b"LossNotDecreasing" in report and b"<script" not in report


class TestLocalDebugger(DebuggerContract):
    @pytest.fixture(scope="class")
    @classmethod
    def home(cls, tmp_path_factory: pytest.TempPathFactory) -> Path:
        return workspace(tmp_path_factory, "debugger-contract")

    @pytest.fixture(scope="class")
    @classmethod
    def debugger(cls, home: Path) -> DebuggerPort:
        return build_services(settings_for_tests(home=home, seed_on_start=False)).debugger

    @pytest.fixture(scope="class")
    @classmethod
    def watched_job(cls, home: Path) -> str:
        job = run_script(home, "watched", FLAT_LOSS_SCRIPT, stop_on_flat_loss())
        assert job.status == "Stopped", job.failure_reason
        return job.name

    @pytest.fixture(scope="class")
    @classmethod
    def plain_job(cls, home: Path) -> str:
        # Every local job is profiled unless it turns the profiler off (SageMaker's DisableProfiler): a plain job
        # that lived past the first 500 ms sample had system samples and a profile. It outlives one on purpose.
        job = run_script(home, "plain", "import time\ntime.sleep(1.2)\nprint('loss=0.5')\n", DebuggerConfig(profiler=False))
        assert job.status == "Completed", job.failure_reason
        return job.name


class TestAwsDebugger(DebuggerContract):
    """SageMaker in moto: jobs created with the training adapter's Debugger parameters; what moto leaves out of
    DescribeTrainingJob (ProfilerConfig, the rule statuses) added in SageMaker's documented shapes; the loss in
    CloudWatch and the profiler's system file in S3 where SageMaker puts them."""

    WATCHED, PLAIN = "watched-job", "plain-job"

    @pytest.fixture(scope="class")
    @classmethod
    def services(cls, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
        from moto import mock_aws

        home = tmp_path_factory.mktemp("debugger-aws")
        with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
            fake_aws_credentials(monkeypatch, home)
            boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
            output = f"s3://{BUCKET}/training/"
            add_training_job_fields(monkeypatch, {  # moto answers with a metric definition of its own
                "AlgorithmSpecification": spec_of_test_job()["AlgorithmSpecification"],
                "ProfilerConfig": {"S3OutputPath": output, "ProfilingIntervalInMilliseconds": 500},
                "DebugRuleEvaluationStatuses": [rule_status(
                    "LossNotDecreasing", "IssuesFound", "RuleEvaluationConditionMet: Evaluation of the rule "
                    "LossNotDecreasing at step 5 resulted in the condition being met: train_loss is not decreasing")],
            }, job_name=cls.WATCHED)
            yield build_services(aws_settings(home / "workspace"))

    @pytest.fixture(scope="class")
    @classmethod
    def debugger(cls, services: Services) -> DebuggerPort:
        return services.debugger

    @pytest.fixture(scope="class")
    @classmethod
    def watched_job(cls, services: Services) -> str:
        started = create_training_job(cls.WATCHED, stop_on_flat_loss())
        points = [{"MetricName": "train_loss", "Dimensions": [{"Name": "Host", "Value": f"{cls.WATCHED}/algo-1"}],
                   "Value": 0.7, "Timestamp": started + timedelta(seconds=i), "StorageResolution": 1} for i in range(8)]
        boto3.client("cloudwatch", region_name=REGION).put_metric_data(Namespace=NAMESPACE, MetricData=points)
        put_system_file(cls.WATCHED, started.timestamp() + 1, [[40.0, 60.0]] * 4)
        return cls.WATCHED

    @pytest.fixture(scope="class")
    @classmethod
    def plain_job(cls, services: Services) -> str:
        create_training_job(cls.PLAIN, None)
        return cls.PLAIN


def spec_of_test_job() -> dict[str, Any]:
    """The training adapter's CreateTrainingJob spec for a script reporting ``train_loss``."""
    return training_job_spec("img", {}, s3_channels({"train": f"s3://{BUCKET}/in/"}), f"s3://{BUCKET}/training/",
                             "arn:aws:iam::123456789012:role/workbench-sagemaker", "ml.m5.large", LOSS_METRIC)


def create_training_job(name: str, debugger: DebuggerConfig | None) -> datetime:
    """CreateTrainingJob as the training adapter sends it (its spec and Debugger parameters); the start time."""
    client = boto3.client("sagemaker", region_name=REGION)
    client.create_training_job(TrainingJobName=name, **spec_of_test_job(),
                               **debugger_parameters(debugger, name, REGION, f"s3://{BUCKET}/training/"))
    described = client.describe_training_job(TrainingJobName=name)
    return described.get("TrainingStartTime") or described["CreationTime"]
