"""The local processing engine on real job workers and sandboxes: a 2-instance ShardedByS3Key job whose script
(written for SKLearnProcessor) records what each instance saw, a job whose second instance fails, a pipeline's
Processing step on the same engine, and the requests refused before anything runs; the pure contract (shares,
FailureReason, config files) and the lake's links. The three jobs run once per module, at once."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services.embedded.sandbox import sandbox_available
from services.errors import AlreadyExists, InvalidInput, NotFound
from services.processing import contract
from services.processing.lake import place
from services.processing.models import ProcessingJob, processing_outputs
from services.registry import Services, build_services
from tests.helpers.processing import processing_request, put_job_data, wait_for_processing
from tests.helpers.workspace import settings_for_tests

BUCKET = "proc-bucket"
needs_sandbox = pytest.mark.skipif(not sandbox_available()[0], reason=sandbox_available()[1])


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    home = tmp_path_factory.mktemp("processing") / "workspace"
    built = build_services(settings_for_tests(home=home, seed_on_start=False, max_heavy_jobs=3))
    put_job_data(built.stack.workspace.lake, BUCKET)
    yield built
    built.stack.store.close()


@pytest.fixture(scope="module")
def finished(services: Services) -> dict[str, ProcessingJob]:
    """The sharded job, the failing one and a pipeline's Processing step (a ``container`` job, as
    pipelines/steps/processing.py submits it), started together and waited for."""
    if not sandbox_available()[0]:
        pytest.skip(sandbox_available()[1])
    port = services.processing
    sharded = port.start_processing_job(processing_request(BUCKET, "sharded-2", instances=2))
    failing = port.start_processing_job(processing_request(BUCKET, "failing-2", instances=2,
                                                           environment={"FAIL_ON": "algo-2"}))
    step = services.stack.runner.submit("container", {
        "contract": "processing", "request": processing_request(BUCKET, "prep-step", instances=2), "step_name": "Prep",
        "job_arn": "arn:aws:sagemaker:local:000000000000:processing-job/prep-step"}, name="prep-step").name
    return {"sharded": wait_for_processing(port, sharded), "failing": wait_for_processing(port, failing),
            "step": wait_for_processing(port, step)}


def lake(services: Services, uri: str) -> Path:
    return services.stack.workspace.lake / uri.removeprefix("s3://")


def seen(services: Services, job: str, host: str) -> dict[str, Any]:
    return json.loads(lake(services, f"s3://{BUCKET}/out/{job}/seen/{host}.json").read_text())


@needs_sandbox
def test_each_instance_sees_only_its_share_of_a_sharded_input(services: Services, finished: dict[str, ProcessingJob]) -> None:
    assert finished["sharded"].status == "Completed", finished["sharded"].failure_reason
    first, second = seen(services, "sharded-2", "algo-1"), seen(services, "sharded-2", "algo-2")
    assert (first["raw"], second["raw"]) == (["part-0.csv", "part-2.csv"], ["part-1.csv", "part-3.csv"])
    assert first["lookup"] == second["lookup"] == ["labels.csv"]  # FullyReplicated: every instance has it
    assert (first["host"], second["host"], first["hosts"]) == ("algo-1", "algo-2", ["algo-1", "algo-2"])
    assert (first["job"], first["split"], first["mode"]) == ("sharded-2", 0.8, "sharded")
    assert first["secrets"] == [] == second["secrets"]  # no AWS_* or WORKBENCH_* reaches user code


@needs_sandbox
def test_a_completed_job_is_described_in_sagemakers_shape_with_both_outputs(services: Services,
                                                                             finished: dict[str, ProcessingJob]) -> None:
    described = services.processing.describe_processing_job("sharded-2").as_api()
    assert described["ProcessingJobArn"] == "arn:aws:sagemaker:local:000000000000:processing-job/sharded-2"
    assert described["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 2
    assert {"ProcessingStartTime", "ProcessingEndTime", "CreationTime"} <= set(described)
    job = services.jobs.describe_job("sharded-2")
    outputs = processing_outputs(job)
    assert [(o["output"], o["files"]) for o in outputs] == [("seen", 2)]
    assert Path(outputs[0]["lake path"]) == lake(services, f"s3://{BUCKET}/out/sharded-2/seen/")
    log = services.jobs.job_logs("sharded-2")
    assert "[algo-1] seen" in log and "[algo-2] seen" in log


@needs_sandbox
def test_a_failing_instance_fails_the_job_with_its_reason_and_nothing_is_uploaded(
        services: Services, finished: dict[str, ProcessingJob]) -> None:
    job = finished["failing"]
    assert (job.status, job.failure_reason) == ("Failed", "algo-2: no rating column in my share")
    described = services.processing.describe_processing_job("failing-2").as_api()
    assert (described["FailureReason"], described["ExitMessage"]) == (job.failure_reason, "no rating column in my share")
    assert not lake(services, f"s3://{BUCKET}/out/failing-2").exists()  # algo-1 wrote its file; none uploaded


@needs_sandbox
@needs_sandbox
def test_a_pipelines_processing_step_runs_the_same_contract_and_is_a_processing_job(
        services: Services, finished: dict[str, ProcessingJob]) -> None:
    assert finished["step"].status == "Completed", finished["step"].failure_reason
    assert seen(services, "prep-step", "algo-2")["raw"] == ["part-1.csv", "part-3.csv"]
    assert [(o["output"], o["files"]) for o in processing_outputs(services.jobs.describe_job("prep-step"))] == [("seen", 2)]
    assert "prep-step" in [j.name for j in services.processing.list_processing_jobs(status="Completed")]


def test_list_filters_by_status_and_name(services: Services, finished: dict[str, ProcessingJob]) -> None:
    assert [j.name for j in services.processing.list_processing_jobs(status="Failed")] == ["failing-2"]
    assert [j.summary()["ProcessingJobName"] for j in services.processing.list_processing_jobs(name_contains="SHARD")] == [
        "sharded-2"]
    assert [j.name for j in services.jobs.list_jobs(kind="processing")] == ["failing-2", "sharded-2"]
    with pytest.raises(InvalidInput):
        services.processing.list_processing_jobs(status="Done")


@pytest.mark.parametrize("where, value", [
    ("local", "/opt/ml/processing/../../../etc"), ("local", "/opt/ml/model"), ("local", "processing/raw"),
    ("uri", f"s3://{BUCKET}/../../outside/"), ("uri", "s3://../etc/"), ("uri", "/etc/passwd")])
def test_hostile_local_paths_and_s3_uris_are_refused(services: Services, where: str, value: str) -> None:
    request = processing_request(BUCKET, "hostile")
    target = request["ProcessingInputs"][0]["S3Input"]
    target["LocalPath" if where == "local" else "S3Uri"] = value
    with pytest.raises(InvalidInput):
        services.processing.start_processing_job(request)
    output = processing_request(BUCKET, "hostile-output")
    output["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["LocalPath" if where == "local" else "S3Uri"] = value
    with pytest.raises(InvalidInput):
        services.processing.start_processing_job(output)
    assert services.stack.runner.jobs.find("hostile") is None and services.stack.runner.jobs.find("hostile-output") is None


def test_requests_that_cannot_run_are_refused_before_anything_starts(services: Services) -> None:
    unknown_image = processing_request(BUCKET, "odd-image")
    unknown_image["AppSpecification"]["ImageUri"] = "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-own:latest"
    with pytest.raises(InvalidInput, match="Processing job 'odd-image'.*scikit-learn"):
        services.processing.start_processing_job(unknown_image)
    missing = processing_request(BUCKET, "no-data")
    missing["ProcessingInputs"][0]["S3Input"]["S3Uri"] = f"s3://{BUCKET}/nothing-here/"
    with pytest.raises(NotFound):
        services.processing.start_processing_job(missing)
    for bad in ({"ProcessingJobName": "bad_name!"}, {"ProcessingResources": {"ClusterConfig": {"InstanceCount": 0}}},
                {"AppSpecification": {"ImageUri": "x"}}):
        with pytest.raises(InvalidInput):
            services.processing.start_processing_job({**processing_request(BUCKET), **bad})
    with pytest.raises(NotFound):
        services.processing.describe_processing_job("no-such-job")


@needs_sandbox
def test_a_name_in_use_is_refused(services: Services, finished: dict[str, ProcessingJob]) -> None:
    with pytest.raises(AlreadyExists):
        services.processing.start_processing_job(processing_request(BUCKET, "sharded-2"))


def test_shares_split_the_sorted_keys_across_instances() -> None:
    keys = ["c", "a", "e", "b", "d"]
    assert [contract.share(keys, i, 2, "ShardedByS3Key") for i in range(2)] == [["a", "c", "e"], ["b", "d"]]
    assert contract.share(keys, 1, 2, "FullyReplicated") == ["a", "b", "c", "d", "e"]
    assert contract.share(["a"], 2, 3, "ShardedByS3Key") == []  # more instances than objects: some get none


def test_config_files_and_failure_reasons_follow_sagemaker() -> None:
    assert contract.resource_config("algo-2", 3) == {"current_host": "algo-2", "hosts": ["algo-1", "algo-2", "algo-3"]}
    assert contract.job_config({"Environment": {}}, "j", "arn")["ProcessingJobName"] == "j"
    assert contract.failure_reason("algo-1", 1, 2, "", "line\nboom") == "The command exited with code 2: line\nboom"
    assert contract.failure_reason("algo-2", 2, -9, "", "") == "algo-2: The command was killed by signal 9 and printed nothing."
    assert len(contract.failure_reason("algo-1", 1, 1, "x" * 5000, "")) == contract.FAILURE_LIMIT


def test_large_inputs_are_hard_linked_and_small_ones_copied(tmp_path: Path) -> None:
    source = tmp_path / "lake" / "big.bin"
    source.parent.mkdir()
    source.write_bytes(b"0123456789")
    place({"big.bin": source}, tmp_path / "linked", link_min_bytes=10)
    place({"big.bin": source}, tmp_path / "copied", link_min_bytes=11)
    assert os.stat(tmp_path / "linked" / "big.bin").st_ino == source.stat().st_ino
    assert os.stat(tmp_path / "copied" / "big.bin").st_ino != source.stat().st_ino
