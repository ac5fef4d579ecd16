"""The processing port's contract: every adapter must pass ``ProcessingContract``.

``TestLocalProcessing`` runs it on real job workers and sandboxes: one finished job (a one-line command writing
its output) and jobs stopped as soon as they run. ``TestAwsProcessing`` runs it on moto's SageMaker, where a
processing job is Completed as soon as it is created; the job the stop tests start is put InProgress in moto's
backend first, as a real job is until it ends.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from services.embedded.sandbox import sandbox_available
from services.errors import InvalidInput, NotFound
from services.processing.base import ProcessingPort
from services.registry import Services, build_services
from tests.helpers.aws import BUCKET, REGION, aws_settings, fake_aws_credentials
from tests.helpers.processing import ROLE, processing_request, put_job_data
from tests.helpers.workspace import close_services, settings_for_tests

WRITE = ["sh", "-c", "echo contract-line; echo done > /opt/ml/processing/output/seen/done.txt"]
SLEEP = ["sh", "-c", "echo started; sleep 300"]


@dataclass
class ProcessingWorld:
    """What the contract needs from a backend: the port, one Completed job, and how to make requests."""

    port: ProcessingPort
    bucket: str
    finished: str
    start_running: Callable[[str], str]  # start a job named so that runs until stopped; its name
    code_folder: Path

    def request(self, name: str = "", **changes: Any) -> dict[str, Any]:
        return {**processing_request(self.bucket, name, command=WRITE), **changes}


class ProcessingContract:
    """Tests any processing adapter must pass. Subclasses provide the ``world`` fixture."""

    @pytest.fixture
    def world(self) -> ProcessingWorld:
        raise NotImplementedError

    def test_describe_answers_in_describe_processing_jobs_shape(self, world: ProcessingWorld) -> None:
        job = world.port.describe_processing_job(world.finished)
        described = job.as_api()
        assert (described["ProcessingJobName"], described["ProcessingJobStatus"]) == (world.finished, "Completed")
        assert described["ProcessingJobArn"].endswith(f":processing-job/{world.finished}") and job.finished
        assert described["AppSpecification"]["ContainerEntrypoint"] == WRITE
        assert described["ProcessingOutputConfig"]["Outputs"][0]["OutputName"] == "seen"
        assert described["CreationTime"] and described["LastModifiedTime"]

    def test_unknown_jobs_are_not_found(self, world: ProcessingWorld) -> None:
        for call in (world.port.describe_processing_job, world.port.stop_processing_job):
            with pytest.raises(NotFound):
                call("no-such-job")

    def test_list_newest_first_with_filters(self, world: ProcessingWorld) -> None:
        listed = world.port.list_processing_jobs()
        assert world.finished in [j.name for j in listed]
        assert [j.name for j in world.port.list_processing_jobs(name_contains="contract-finish")] == [world.finished]
        assert {j.status for j in world.port.list_processing_jobs(status="Completed")} == {"Completed"}
        assert len(world.port.list_processing_jobs(limit=1)) == 1
        summary = world.port.list_processing_jobs(name_contains="contract-finish")[0].summary()
        assert {"ProcessingJobName", "ProcessingJobArn", "ProcessingJobStatus", "CreationTime"} <= set(summary)
        for bad in ({"status": "Done"}, {"limit": 0}):
            with pytest.raises(InvalidInput):
                world.port.list_processing_jobs(**bad)  # type: ignore[arg-type]

    def test_stop_ends_a_running_job_stopped_and_leaves_finished_ones(self, world: ProcessingWorld) -> None:
        name = world.start_running("contract-stop")
        assert world.port.stop_processing_job(name).status in ("Stopping", "Stopped")
        deadline = time.monotonic() + 60
        while world.port.describe_processing_job(name).status != "Stopped" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert world.port.describe_processing_job(name).status == "Stopped"
        before = world.port.describe_processing_job(world.finished)
        assert world.port.stop_processing_job(world.finished) == before

    def test_a_local_path_outside_opt_ml_processing_and_bad_names_are_refused(self, world: ProcessingWorld) -> None:
        outside = world.request("outside-path")
        outside["ProcessingInputs"][0]["S3Input"]["LocalPath"] = "/opt/ml/processing/../../../etc"
        with pytest.raises(InvalidInput, match="not under /opt/ml/processing/"):
            world.port.start_processing_job(outside)
        with pytest.raises(InvalidInput):
            world.port.start_processing_job(world.request("bad name"))
        with pytest.raises(NotFound):
            world.port.describe_processing_job("outside-path")

    def test_a_generated_name_and_the_scikit_learn_image(self, world: ProcessingWorld) -> None:
        assert "sagemaker-scikit-learn" in world.port.default_image()
        request = world.request()
        request.pop("ProcessingJobName", None)
        name = world.port.start_processing_job(request)
        assert name.startswith("processing-") and world.port.describe_processing_job(name).name == name

    def test_code_is_uploaded_under_the_jobs_prefix(self, world: ProcessingWorld, tmp_path: Path) -> None:
        uri = world.port.upload_code(world.code_folder, "contract-code")
        assert uri.startswith("s3://") and uri.endswith("/contract-code/input/code/")
        (tmp_path / "empty").mkdir()
        with pytest.raises(InvalidInput):
            world.port.upload_code(tmp_path / "empty", "contract-code")


def code_folder(root: Path) -> Path:
    folder = root / "code"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "preprocess.py").write_text("print('hello')\n")
    return folder


# -- local: real job workers -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def local_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    if not sandbox_available()[0]:
        pytest.skip(sandbox_available()[1])
    services = build_services(settings_for_tests(home=tmp_path_factory.mktemp("processing-contract") / "workspace",
                                                 seed_on_start=False, max_heavy_jobs=3))
    put_job_data(services.stack.workspace.lake, "contract-bucket")
    yield services
    close_services(services)


@pytest.fixture(scope="module")
def local_world(local_services: Services) -> ProcessingWorld:
    port = local_services.processing

    def start_running(name: str) -> str:
        started = port.start_processing_job(processing_request("contract-bucket", name, command=SLEEP))
        deadline = time.monotonic() + 60
        while "] started\n" not in local_services.jobs.job_logs(started) and time.monotonic() < deadline:
            time.sleep(0.05)
        return started

    finished = port.start_processing_job(processing_request("contract-bucket", "contract-finished", command=WRITE))
    job = local_services.jobs.wait_for_job(finished, 90)
    assert job.status == "Completed", local_services.jobs.job_logs(finished)
    return ProcessingWorld(port, "contract-bucket", finished, start_running, code_folder(local_services.settings.home.parent))


class TestLocalProcessing(ProcessingContract):
    @pytest.fixture
    def world(self, local_world: ProcessingWorld) -> ProcessingWorld:
        return local_world

    def test_the_output_is_in_the_lake_and_the_log_in_the_jobs_port(self, world: ProcessingWorld,
                                                                      local_services: Services) -> None:
        lake = local_services.stack.workspace.lake
        assert (lake / "contract-bucket/out/contract-finished/seen/done.txt").read_text() == "done\n"
        assert "contract-line" in local_services.jobs.job_logs(world.finished)
        assert local_services.jobs.describe_job(world.finished).kind == "processing"


# -- aws: moto's SageMaker ---------------------------------------------------------------------------------------


def moto_job(name: str) -> Any:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sagemaker.models import sagemaker_backends

    return sagemaker_backends[DEFAULT_ACCOUNT_ID][REGION].processing_jobs[name]


@pytest.fixture(scope="module")
def aws_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessingWorld]:
    """One moto account for the module (a new boto3 session loads SageMaker's large service model again)."""
    from dataclasses import replace

    import boto3
    from moto import mock_aws

    folder = tmp_path_factory.mktemp("processing-contract-aws")
    with pytest.MonkeyPatch.context() as monkeypatch:
        fake_aws_credentials(monkeypatch, folder)
        with mock_aws():
            boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
            port = build_services(replace(aws_settings(folder / "workspace"), sagemaker_role=ROLE)).processing

            def start_running(name: str) -> str:
                started = port.start_processing_job(processing_request(BUCKET, name, command=SLEEP))
                moto_job(started).processing_job_status = "InProgress"  # moto completes jobs at once
                return started

            finished = port.start_processing_job(processing_request(BUCKET, "contract-finished", command=WRITE))
            time.sleep(0.01)
            yield ProcessingWorld(port, BUCKET, finished, start_running, code_folder(folder))


class TestAwsProcessing(ProcessingContract):
    @pytest.fixture
    def world(self, aws_world: ProcessingWorld) -> ProcessingWorld:
        return aws_world
