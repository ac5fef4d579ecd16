"""The jobs port's contract: every adapter must pass ``JobsContract``.

``TestLocalJobs`` runs it on real worker processes: the cheapest job there is, a pre-training bias
report on a 40-row file (about 3 s, once per class), plus jobs stopped as soon as they start.
``TestAwsJobs`` runs it on moto's SageMaker, where a training job is Completed as soon as it is created
and an AutoML V2 job stays InProgress until stopped; jobs made straight through boto3 (as in a notebook)
enter the workbench's index when first described, which is what a job started from the workbench does too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pandas as pd
import pytest
from botocore.stub import Stubber

from services.bias.models import BiasRequest
from services.errors import InvalidInput, NotFound
from services.jobs.aws import AwsJobs
from services.jobs.base import JobsPort
from services.models import DataSource
from services.registry import build_services
from tests.helpers.aws import BUCKET, REGION, aws_settings, fake_aws_credentials
from tests.helpers.workspace import close_services, settings_for_tests

ROLE = "arn:aws:iam::123456789012:role/workbench-sagemaker"


@dataclass
class JobsWorld:
    """What the contract needs from a backend: the port, one finished job and a way to start more."""

    jobs: JobsPort
    finished: str  # a Completed job
    kind: str  # the finished job's kind
    log_line: str  # a line the finished job's log holds
    start_running: Callable[[str], str]  # start a job named so that runs until stopped; returns its name


class JobsContract:
    """Tests any jobs adapter must pass. Subclasses provide the ``world`` fixture."""

    @pytest.fixture
    def world(self) -> JobsWorld:
        raise NotImplementedError

    def stopped_job(self, world: JobsWorld, name: str) -> str:
        world.jobs.stop_job(world.start_running(name))
        assert world.jobs.wait_for_job(name, 60).status == "Stopped"
        return name

    def test_describe_returns_the_job(self, world: JobsWorld) -> None:
        job = world.jobs.describe_job(world.finished)
        assert (job.name, job.kind, job.status) == (world.finished, world.kind, "Completed")
        assert job.finished and job.created_at

    def test_describing_an_unknown_job_is_not_found(self, world: JobsWorld) -> None:
        for call in (world.jobs.describe_job, world.jobs.job_logs, world.jobs.job_transitions,
                     world.jobs.job_metric_points, world.jobs.stop_job):
            with pytest.raises(NotFound):
                call("no-such-job")
        with pytest.raises(NotFound):
            world.jobs.wait_for_job("no-such-job", 1)

    def test_wait_returns_the_finished_job(self, world: JobsWorld) -> None:
        job = world.jobs.wait_for_job(world.finished, 60)
        assert job == world.jobs.describe_job(world.finished)
        assert job.status == "Completed"

    def test_stop_asks_the_job_to_stop_and_it_ends_stopped(self, world: JobsWorld) -> None:
        name = world.start_running("contract-stop")
        asked = world.jobs.stop_job(name)
        assert (asked.name, asked.status) in ((name, "Stopping"), (name, "Stopped"))
        stopped = world.jobs.wait_for_job(name, 60)
        assert (stopped.status, stopped.finished) == ("Stopped", True)
        assert world.jobs.stop_job(name) == stopped  # a finished job is returned unchanged

    def test_stopping_a_finished_job_changes_nothing(self, world: JobsWorld) -> None:
        before = world.jobs.describe_job(world.finished)
        assert world.jobs.stop_job(world.finished) == before

    def test_list_newest_first_with_each_filter(self, world: JobsWorld) -> None:
        stopped = self.stopped_job(world, "contract-List-Filters")
        listed = [j.name for j in world.jobs.list_jobs()]
        assert listed.index(stopped) < listed.index(world.finished)
        assert [j.name for j in world.jobs.list_jobs(limit=1)] == [stopped]
        for status, name in (("Completed", world.finished), ("Stopped", stopped)):
            chosen = world.jobs.list_jobs(status=status)
            assert name in [j.name for j in chosen] and {j.status for j in chosen} == {status}
        assert [j.name for j in world.jobs.list_jobs(name_contains="list-filters")] == [stopped]
        of_kind = world.jobs.list_jobs(kind=world.kind)
        assert world.finished in [j.name for j in of_kind] and {j.kind for j in of_kind} == {world.kind}
        other_kind = "tuning" if world.kind != "tuning" else "bias"
        assert world.jobs.list_jobs(kind=other_kind) == []
        assert world.jobs.list_jobs(name_contains="%") == []  # taken literally, not as a pattern

    def test_bad_filters_are_refused(self, world: JobsWorld) -> None:
        for bad in ({"kind": "trainnig"}, {"status": "Done"}, {"limit": 0}):
            with pytest.raises(InvalidInput):
                world.jobs.list_jobs(**bad)  # type: ignore[arg-type]

    def test_logs_hold_what_the_job_wrote_and_respect_the_tail(self, world: JobsWorld) -> None:
        text = world.jobs.job_logs(world.finished)
        assert world.log_line in text
        assert len(world.jobs.job_logs(world.finished, tail_bytes=10)) <= 10

    def test_transitions_and_metric_points_are_lists_of_records(self, world: JobsWorld) -> None:
        for transition in world.jobs.job_transitions(world.finished):
            assert {"at", "status", "message"} <= set(transition)
        for point in world.jobs.job_metric_points(world.finished):
            assert {"name", "value", "step", "seconds"} <= set(point)


# -- local: real worker processes ------------------------------------------------------------------


def bias_config(data: Path) -> dict[str, object]:
    request = BiasRequest(source=DataSource(path=str(data)), label="approved", label_values=("1",), facet="gender",
                          facet_values=("f",), bootstrap=0)
    return asdict(request)


@pytest.fixture(scope="module")
def local_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobsWorld]:
    folder = tmp_path_factory.mktemp("jobs-contract")
    data = folder / "people.csv"
    pd.DataFrame({"gender": ["f", "m"] * 20, "approved": [1, 0, 1, 1] * 10}).to_csv(data, index=False)
    services = build_services(settings_for_tests(home=folder / "workspace", seed_on_start=False, max_heavy_jobs=2))
    runner = services.stack.runner

    def start_running(name: str) -> str:
        return runner.submit("bias", bias_config(data), name).name

    finished = services.jobs.wait_for_job(runner.submit("bias", bias_config(data), "contract-finished").name, 120)
    assert finished.status == "Completed", services.jobs.job_logs(finished.name)
    time.sleep(0.01)  # the jobs started by the tests are newer (timestamps in milliseconds)
    yield JobsWorld(services.jobs, finished.name, "bias", "Counting", start_running)
    close_services(services)


class TestLocalJobs(JobsContract):
    @pytest.fixture
    def world(self, local_world: JobsWorld) -> JobsWorld:
        return local_world

    def test_logs_and_transitions_come_from_the_worker(self, world: JobsWorld) -> None:
        assert f"Job {world.finished} (bias) started" in world.jobs.job_logs(world.finished)
        stages = [t["status"] for t in world.jobs.job_transitions(world.finished)]
        assert stages[0] == "Starting" and "Analyzing" in stages and stages[-1] == "Completed"


# -- aws: moto's SageMaker and CloudWatch Logs -------------------------------------------------------


def create_training_job(name: str) -> None:
    """moto: Completed at once (SageMaker's request shape)."""
    boto3.client("sagemaker", region_name=REGION).create_training_job(
        TrainingJobName=name, AlgorithmSpecification={"TrainingImage": "img", "TrainingInputMode": "File"},
        RoleArn=ROLE, OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/training/"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 600})


def create_automl_job(name: str) -> None:
    """moto: InProgress until StopAutoMLJob."""
    boto3.client("sagemaker", region_name=REGION).create_auto_ml_job_v2(
        AutoMLJobName=name, RoleArn=ROLE, OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/autopilot/"},
        AutoMLJobInputDataConfig=[{"ChannelType": "training", "ContentType": "text/csv;header=present",
                                   "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/in/"}}}],
        AutoMLProblemTypeConfig={"TabularJobConfig": {"TargetAttributeName": "rating", "ProblemType": "MulticlassClassification",
                                                      "CompletionCriteria": {"MaxCandidates": 2}}})


def put_training_log(name: str, lines: list[str]) -> None:
    logs = boto3.client("logs", region_name=REGION)
    group = "/aws/sagemaker/TrainingJobs"
    if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=f"{name}/algo-1-1700000000")
    logs.put_log_events(logGroupName=group, logStreamName=f"{name}/algo-1-1700000000",
                        logEvents=[{"timestamp": int(time.time() * 1000) + i, "message": line} for i, line in enumerate(lines)])


@pytest.fixture(scope="module")
def aws_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobsWorld]:
    """One moto account for the module (a new boto3 session loads SageMaker's large service model again)."""
    from moto import mock_aws

    folder = tmp_path_factory.mktemp("jobs-contract-aws")
    with pytest.MonkeyPatch.context() as monkeypatch:
        fake_aws_credentials(monkeypatch, folder)
        with mock_aws():
            yield from moto_world(folder)


def moto_world(folder: Path) -> Iterator[JobsWorld]:
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
    jobs = build_services(aws_settings(folder / "workspace")).jobs

    def start_running(name: str) -> str:
        create_automl_job(name)
        jobs.describe_job(name)  # indexed, as a job started from the workbench is
        return name

    create_training_job("contract-finished")
    put_training_log("contract-finished", ["[0]#011train-merror:0.3", "[1]#011train-merror:0.2"])
    jobs.describe_job("contract-finished")
    time.sleep(0.01)
    yield JobsWorld(jobs, "contract-finished", "training", "[1]#011train-merror:0.2", start_running)


def processing_job(name: str, status: str) -> dict[str, object]:
    """A DescribeProcessingJob answer for a Clarify job (the fields the service model requires, and the image)."""
    return {"ProcessingJobName": name, "ProcessingJobArn": f"arn:aws:sagemaker:{REGION}:123456789012:processing-job/{name}",
            "ProcessingJobStatus": status, "CreationTime": datetime(2026, 1, 1, tzinfo=UTC),
            "AppSpecification": {"ImageUri": "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"},
            "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
            "RoleArn": ROLE}


class TestAwsJobs(JobsContract):
    @pytest.fixture
    def world(self, aws_world: JobsWorld) -> JobsWorld:
        return aws_world

    def test_clarify_jobs_are_listed_described_and_stopped_with_the_others(self, world: JobsWorld) -> None:
        jobs = world.jobs
        assert isinstance(jobs, AwsJobs)
        jobs.clarify_index.add("bias-1", "bias", {"output_uri": f"s3://{BUCKET}/clarify/bias-1/output/"})
        running = processing_job("bias-1", "InProgress")
        with Stubber(jobs._sagemaker) as stubber:
            stubber.add_response("describe_processing_job", running, {"ProcessingJobName": "bias-1"})
            assert [j.name for j in jobs.list_jobs(kind="bias")] == ["bias-1"]
            stubber.add_response("describe_processing_job", running, {"ProcessingJobName": "bias-1"})
            stubber.add_response("stop_processing_job", {}, {"ProcessingJobName": "bias-1"})
            stubber.add_response("describe_processing_job", running | {"ProcessingJobStatus": "Stopping"},
                                 {"ProcessingJobName": "bias-1"})
            assert jobs.stop_job("bias-1").status == "Stopping"
            stubber.assert_no_pending_responses()

    def test_processing_job_logs_come_from_their_own_log_group(self, world: JobsWorld) -> None:
        jobs = world.jobs
        assert isinstance(jobs, AwsJobs)
        jobs.clarify_index.add("explain-1", "explain", {})
        finished = processing_job("explain-1", "Completed")
        logs = boto3.client("logs", region_name=REGION)
        logs.create_log_group(logGroupName="/aws/sagemaker/ProcessingJobs")
        logs.create_log_stream(logGroupName="/aws/sagemaker/ProcessingJobs", logStreamName="explain-1/algo-1-1700000000")
        logs.put_log_events(logGroupName="/aws/sagemaker/ProcessingJobs", logStreamName="explain-1/algo-1-1700000000",
                            logEvents=[{"timestamp": int(time.time() * 1000), "message": "Calculating SHAP values"}])
        with Stubber(jobs._sagemaker) as stubber:
            stubber.add_response("describe_processing_job", finished, {"ProcessingJobName": "explain-1"})
            assert jobs.job_logs("explain-1") == "Calculating SHAP values"
        assert jobs.describe_job("explain-1").status == "Completed"  # settled: read from the index from now on
