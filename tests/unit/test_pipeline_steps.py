"""The local step executors on real ``container`` jobs of the runner: a Processing step end to end (inputs copied
to their LocalPath, the script run at /opt/ml, outputs collected to the lake, DescribeProcessingJob properties),
a failing and a stopped one, a sagemaker 3.x ModelTrainer training step written by the real SDK (train.py fits a
LogisticRegression on 30 rows → model.tar.gz under S3OutputPath/<job>/output/, metrics from MetricDefinitions),
the 2.x script-mode contract, RegisterModel into the local registry, and images refused at upsert."""

from __future__ import annotations

import io
import json
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services.embedded.sandbox import sandbox_available
from services.errors import InvalidInput
from services.models import Job
from services.pipelines.steps.base import StepExecutor, StepRun
from services.processing.images import recognise
from services.registry import Services, build_services
from tests.helpers.pipeline_steps import executors_of, lake, put, step_run, wait_for_job
from tests.helpers.sdk_steps import SKLEARN_IMAGE, model_trainer_arguments, register_arguments
from tests.helpers.workspace import settings_for_tests

pytestmark = pytest.mark.skipif(not sandbox_available()[0], reason=sandbox_available()[1])

WAIT = 60
BUCKET = "steps-bucket"
PREP = """
import csv, os, pathlib, sys
rows = list(csv.reader(open("/opt/ml/processing/input/raw/reviews.csv")))
out = pathlib.Path("/opt/ml/processing/output/train")
(out / "part-0.csv").write_text("\\n".join(",".join(r) for r in rows if r[1] != "3") + "\\n")
print("kept", sum(1 for r in rows if r[1] != "3"), "of", len(rows), "mode", os.environ["MODE"], "argv", sys.argv[1:])
"""
TRAIN = """
import csv, json, os, pathlib
import joblib
from sklearn.linear_model import LogisticRegression
rows = list(csv.reader(open("/opt/ml/input/data/train/train.csv")))[1:]
features, labels = [[float(v) for v in row[:2]] for row in rows], [int(row[2]) for row in rows]
hyperparameters = json.loads(pathlib.Path("/opt/ml/input/config/hyperparameters.json").read_text())
model = LogisticRegression(C=float(hyperparameters["C"])).fit(features, labels)
joblib.dump(model, os.path.join(os.environ.get("SM_MODEL_DIR", "/opt/ml/model"), "model.joblib"))
print(f"train accuracy={model.score(features, labels):.4f}")
"""


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    home = tmp_path_factory.mktemp("steps") / "workspace"
    services = build_services(settings_for_tests(home=home, seed_on_start=False))
    yield services
    services.stack.store.close()


@pytest.fixture(scope="module")
def executors(services: Services) -> dict[str, StepExecutor]:
    return executors_of(services)


def wait(services: Services, name: str) -> Job:
    return wait_for_job(services.stack, name, WAIT)


def processing_arguments(command: list[str], environment: dict[str, str] | None = None) -> dict[str, Any]:
    """CreateProcessingJob's request shape, as the SDK's ScriptProcessor writes it for a scikit-learn image."""
    return {
        "ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30}},
        "AppSpecification": {"ImageUri": SKLEARN_IMAGE.replace("1.2-1-cpu-py3", "1.2-1"), "ContainerEntrypoint": command,
                             "ContainerArguments": ["--split", "0.8"]},
        "RoleArn": "arn:aws:iam::123456789012:role/pipelines",
        "ProcessingInputs": [
            {"InputName": "raw", "AppManaged": False, "S3Input": {
                "S3Uri": f"s3://{BUCKET}/raw/", "LocalPath": "/opt/ml/processing/input/raw", "S3DataType": "S3Prefix",
                "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated"}},
            {"InputName": "code", "AppManaged": False, "S3Input": {
                "S3Uri": f"s3://{BUCKET}/code/prep.py", "LocalPath": "/opt/ml/processing/input/code", "S3DataType": "S3Prefix",
                "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated"}}],
        "ProcessingOutputConfig": {"Outputs": [{"OutputName": "train", "AppManaged": False, "S3Output": {
            "S3Uri": f"s3://{BUCKET}/prep/train", "LocalPath": "/opt/ml/processing/output/train", "S3UploadMode": "EndOfJob"}}]},
        "Environment": environment or {"MODE": "balanced"},
        "StoppingCondition": {"MaxRuntimeInSeconds": 120},
    }


PREP_COMMAND = ["python3", "/opt/ml/processing/input/code/prep.py"]


def test_a_processing_step_runs_its_script_at_opt_ml_and_collects_its_outputs(services: Services,
                                                                              executors: dict[str, StepExecutor]) -> None:
    put(services, f"s3://{BUCKET}/raw/reviews.csv", "great,5\nok,3\nbad,1\n")
    put(services, f"s3://{BUCKET}/code/prep.py", PREP)
    arguments = processing_arguments(PREP_COMMAND)
    executors["Processing"].validate("Prep", arguments)
    run = step_run(services, "Prep", "Processing", arguments, "prep-exec-1-1")
    job = wait(services, executors["Processing"].start(run))
    assert job.status == "Completed", job.failure_reason
    assert lake(services, f"s3://{BUCKET}/prep/train/part-0.csv").read_text() == "great,5\nbad,1\n"
    assert "kept 2 of 3 mode balanced argv ['--split', '0.8']" in services.stack.runner.logs(job.name)
    outcome = executors["Processing"].outcome(run)
    arn = "arn:aws:sagemaker:local:000000000000:processing-job/prep-exec-1-1"
    assert outcome.metadata == {"ProcessingJob": {"Arn": arn}}
    assert outcome.properties["ProcessingJobStatus"] == "Completed" and outcome.properties["ProcessingJobArn"] == arn
    assert outcome.properties["ProcessingOutputConfig"]["Outputs"][0] == {"OutputName": "train", "AppManaged": False,
        "S3Output": {"S3Uri": f"s3://{BUCKET}/prep/train", "LocalPath": "/opt/ml/processing/output/train",
                     "S3UploadMode": "EndOfJob"}}


def test_a_failing_processing_script_fails_the_job_with_its_exit_message(services: Services,
                                                                         executors: dict[str, StepExecutor]) -> None:
    put(services, f"s3://{BUCKET}/raw/reviews.csv", "great,5\n")
    failing = ["sh", "-c", "mkdir -p /opt/ml/output && echo 'no sentiment column' > /opt/ml/output/message && exit 3"]
    run = step_run(services, "Bad", "Processing", processing_arguments(failing), "bad-exec-1-1")
    job = wait(services, executors["Processing"].start(run))
    assert (job.status, job.failure_reason) == ("Failed", "no sentiment column")
    assert not lake(services, f"s3://{BUCKET}/prep/bad").exists()


def test_stop_reaches_the_script_of_a_running_step(services: Services, executors: dict[str, StepExecutor]) -> None:
    sleeping = ["sh", "-c", "echo started; sleep 319"]
    run = step_run(services, "Slow", "Processing", processing_arguments(sleeping), "slow-exec-1-1")
    name = executors["Processing"].start(run)
    deadline = time.monotonic() + WAIT
    while "started" not in services.stack.runner.logs(name) and time.monotonic() < deadline:
        services.stack.runner.dispatch()
        time.sleep(0.05)
    services.stack.runner.stop(name)
    assert wait(services, name).status == "Stopped"
    assert not any(p.read_text().startswith("sleep") and "319" in p.read_text()
                   for p in Path("/proc").glob("[0-9]*/cmdline") if _readable(p))


def _readable(path: Path) -> bool:
    try:
        path.read_text()
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def trained(services: Services, executors: dict[str, StepExecutor], tmp_path_factory: pytest.TempPathFactory
            ) -> tuple[StepRun, Job]:
    """A ModelTrainer (3.x) training step the SDK wrote, run to the end."""
    rows = ["x1,x2,label"] + [f"{i % 7},{(i * 3) % 5},{int(i % 7 > 3)}" for i in range(30)]
    put(services, "s3://sdk-bucket/prep/train/train.csv", "\n".join(rows) + "\n")
    source = tmp_path_factory.mktemp("code")
    (source / "train.py").write_text(TRAIN)
    arguments = model_trainer_arguments(source, "s3://sdk-bucket/prep/train", services.stack.workspace.lake, {"C": 1.0})
    arguments["AlgorithmSpecification"]["MetricDefinitions"] = [{"Name": "train:accuracy", "Regex": "accuracy=([0-9.]+)"}]
    executors["Training"].validate("Train", arguments)
    run = step_run(services, "Train", "Training", arguments, "train-exec-1-1")
    return run, wait(services, executors["Training"].start(run))


def test_a_model_trainer_step_runs_sm_train_sh_and_packs_the_model(services: Services, executors: dict[str, StepExecutor],
                                                                   trained: tuple[StepRun, Job]) -> None:
    run, job = trained
    assert job.status == "Completed", services.stack.runner.logs(job.name)[-3000:]
    assert run.arguments["AlgorithmSpecification"]["ContainerEntrypoint"] == ["/bin/bash"]
    assert {c["ChannelName"] for c in run.arguments["InputDataConfig"]} == {"train", "code", "sm_drivers"}
    properties = executors["Training"].outcome(run).properties
    artifacts = properties["ModelArtifacts"]["S3ModelArtifacts"]
    assert artifacts == run.arguments["OutputDataConfig"]["S3OutputPath"] + "/train-exec-1-1/output/model.tar.gz"
    with tarfile.open(lake(services, artifacts)) as archive:
        assert archive.getnames() == ["model.joblib"]
    assert [m["MetricName"] for m in properties["FinalMetricDataList"]] == ["train:accuracy"]
    assert 0.5 < properties["FinalMetricDataList"][0]["Value"] <= 1.0
    assert properties["TrainingJobArn"] == "arn:aws:sagemaker:local:000000000000:training-job/train-exec-1-1"
    assert properties["HyperParameters"] == {"C": "1.0"}
    assert "Training Container Execution Completed" in services.stack.runner.logs(job.name)


def test_register_model_puts_the_trained_model_in_the_registry(services: Services, executors: dict[str, StepExecutor],
                                                               trained: tuple[StepRun, Job]) -> None:
    run, _ = trained
    artifacts = executors["Training"].outcome(run).properties["ModelArtifacts"]["S3ModelArtifacts"]
    arguments = register_arguments(artifacts, "review-sentiment")
    executors["RegisterModel"].validate("Register", arguments)
    register = step_run(services, "Register", "RegisterModel", arguments, "register-exec-1-1")
    job = wait(services, executors["RegisterModel"].start(register))
    assert job.status == "Completed", services.stack.runner.logs(job.name)
    outcome = executors["RegisterModel"].outcome(register)
    arn = "arn:aws:sagemaker:local:000000000000:model-package/review-sentiment/1"
    assert outcome.metadata == {"RegisterModel": {"Arn": arn}}
    assert (outcome.properties["ModelPackageArn"], outcome.properties["ModelApprovalStatus"]) == (arn, "PendingManualApproval")
    record = services.training.get_model("review-sentiment/1")
    assert (record.framework, record.problem_type, record.classes) == ("script", "BinaryClassification", ("0", "1"))


def test_script_mode_2x_runs_the_submitted_entry_point(services: Services, executors: dict[str, StepExecutor]) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        script = b"import os, sys\nprint('argv', sys.argv[1:], 'train', sorted(os.listdir(os.environ['SM_CHANNEL_TRAIN'])))\n" \
                 b"open(os.path.join(os.environ['SM_MODEL_DIR'], 'weights.txt'), 'w').write('1')\n"
        info = tarfile.TarInfo("fit.py")
        info.size = len(script)
        archive.addfile(info, io.BytesIO(script))
    put(services, f"s3://{BUCKET}/code/sourcedir.tar.gz", buffer.getvalue())
    put(services, f"s3://{BUCKET}/prep/train/part-0.csv", "great,5\n")
    arguments = {
        "AlgorithmSpecification": {"TrainingImage": SKLEARN_IMAGE, "TrainingInputMode": "File"},
        "HyperParameters": {"epochs": "3", "sagemaker_program": json.dumps("fit.py"),
                            "sagemaker_submit_directory": json.dumps(f"s3://{BUCKET}/code/sourcedir.tar.gz")},
        "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/prep/train", "S3DataDistributionType": "FullyReplicated"}}}],
        "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/models"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30},
        "StoppingCondition": {"MaxRuntimeInSeconds": 120},
    }
    executors["Training"].validate("Fit", arguments)
    run = step_run(services, "Fit", "Training", arguments, "fit-exec-1-1")
    job = wait(services, executors["Training"].start(run))
    assert job.status == "Completed", services.stack.runner.logs(job.name)
    assert "argv ['--epochs', '3'] train ['part-0.csv']" in services.stack.runner.logs(job.name)
    with tarfile.open(lake(services, f"s3://{BUCKET}/models/fit-exec-1-1/output/model.tar.gz")) as archive:
        assert archive.getnames() == ["weights.txt"]


@pytest.mark.parametrize("image", ["docker.io/library/python:3.11", "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-own:1"])
def test_an_unknown_image_is_refused_at_upsert_naming_the_step(services: Services, image: str) -> None:
    arguments = processing_arguments(PREP_COMMAND)
    arguments["AppSpecification"]["ImageUri"] = image
    definition = {"Version": "2020-12-01", "Parameters": [], "Steps": [{"Name": "Prep", "Type": "Processing", "Arguments": arguments}]}
    with pytest.raises(InvalidInput, match=f"Step 'Prep': image '{image}' cannot run on this machine") as error:
        services.pipelines.upsert_pipeline("unknown-image", definition)
    assert "scikit-learn" in error.value.hint


@pytest.mark.parametrize(("uri", "entry_point", "kind", "name"), [
    ("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1", False, "builtin", "xgboost"),
    ("492215442770.dkr.ecr.eu-central-1.amazonaws.com/sagemaker-xgboost:1.7-1", True, "framework", "xgboost"),
    ("174872318107.dkr.ecr.us-west-2.amazonaws.com/linear-learner:1", False, "builtin", "linear-learner"),
    ("763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1-cpu-py310", True, "framework", "pytorch"),
    ("450853457545.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-scikit-learn:1.2-1", True, "framework", "scikit-learn"),
])
def test_images_are_recognised_in_any_region_and_account(uri: str, entry_point: bool, kind: str, name: str) -> None:
    image = recognise("Step", uri, has_entry_point=entry_point)
    assert (image.kind, image.name) == (kind, name)


def test_a_framework_image_without_code_is_refused() -> None:
    with pytest.raises(InvalidInput, match="framework image but the step gives no code"):
        recognise("Train", SKLEARN_IMAGE, has_entry_point=False)


TUNE_SCRIPT = b"""import argparse, os
parser = argparse.ArgumentParser()
parser.add_argument("-C", type=float)  # one-letter names as -C, as the toolkit passes them
parser.add_argument("--kind")
args = parser.parse_args()
open(os.path.join(os.environ["SM_MODEL_DIR"], "c.txt"), "w").write(str(args.C))
print(f"kind={args.kind} score={1 - abs(args.C - 0.3):.4f}")
"""


def tuning_arguments(strategy: str = "Random", metric: str = "validation:score") -> dict[str, Any]:
    """CreateHyperParameterTuningJob over a 2.x script-mode training job (as the SDK's TuningStep writes it)."""
    return {
        "HyperParameterTuningJobConfig": {
            "Strategy": strategy, "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": metric},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 3, "MaxParallelTrainingJobs": 2},
            "ParameterRanges": {"ContinuousParameterRanges": [{"Name": "C", "MinValue": "0.01", "MaxValue": "1.0",
                                                               "ScalingType": "Auto"}],
                                "CategoricalParameterRanges": [{"Name": "kind", "Values": ["a", "b"]}]}},
        "TrainingJobDefinition": {
            "AlgorithmSpecification": {"TrainingImage": SKLEARN_IMAGE, "TrainingInputMode": "File",
                                       "MetricDefinitions": [{"Name": "validation:score", "Regex": "score=([0-9.]+)"}]},
            "StaticHyperParameters": {"sagemaker_program": json.dumps("tune.py"),
                                      "sagemaker_submit_directory": json.dumps(f"s3://{BUCKET}/code/tune.tar.gz")},
            "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/prep/train"}}}],
            "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/tuning"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30},
            "StoppingCondition": {"MaxRuntimeInSeconds": 120}},
    }


def test_a_tuning_step_runs_one_training_job_per_trial_and_ranks_them(services: Services,
                                                                      executors: dict[str, StepExecutor]) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("tune.py")
        info.size = len(TUNE_SCRIPT)
        archive.addfile(info, io.BytesIO(TUNE_SCRIPT))
    put(services, f"s3://{BUCKET}/code/tune.tar.gz", buffer.getvalue())
    put(services, f"s3://{BUCKET}/prep/train/part-0.csv", "great,5\n")
    arguments = tuning_arguments()
    executors["Tuning"].validate("Tune", arguments)
    run = step_run(services, "Tune", "Tuning", arguments, "tune-exec-1-1")
    job = wait(services, executors["Tuning"].start(run))
    assert job.status == "Completed", services.stack.runner.logs(job.name)[-3000:]
    outcome = executors["Tuning"].outcome(run)
    summaries = outcome.properties["TrainingJobSummaries"]
    values = [s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for s in summaries]
    assert len(summaries) == 3 and values == sorted(values, reverse=True)
    best = outcome.properties["BestTrainingJob"]
    assert best == summaries[0] and best["TrainingJobName"].startswith(f"{job.name}-")
    tuned = best["TunedHyperParameters"]
    assert 0.01 <= float(tuned["C"]) <= 1.0 and tuned["kind"] in ("a", "b")
    assert values[0] == pytest.approx(1 - abs(float(tuned["C"]) - 0.3), abs=1e-4)
    top_model = f"s3://{BUCKET}/tuning/{best['TrainingJobName']}/output/model.tar.gz"  # get_top_model_s3_uri(0, …)
    with tarfile.open(lake(services, top_model)) as archive:
        assert archive.extractfile("c.txt").read().decode() == tuned["C"]  # type: ignore[union-attr]
    assert outcome.properties["TrainingJobStatusCounters"]["Completed"] == 3
    assert outcome.metadata == {"TuningJob": {"Arn": f"arn:aws:sagemaker:local:000000000000:hyper-parameter-tuning-job/{job.name}"}}


def test_references_left_at_upsert_are_checked_when_the_execution_resolves_them(executors: dict[str, StepExecutor]) -> None:
    tuning = tuning_arguments()
    tuning["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxNumberOfTrainingJobs"] = {"Get": "Parameters.Trials"}
    executors["Tuning"].validate("Tune", tuning)
    processing = processing_arguments(PREP_COMMAND)
    processing["ProcessingInputs"][0]["S3Input"]["LocalPath"] = {"Get": "Parameters.InputPath"}
    joined = {"Std:Join": {"On": "/", "Values": ["s3://b", {"Get": "Execution.PipelineExecutionId"}]}}
    processing["ProcessingInputs"][0]["S3Input"]["S3Uri"] = joined
    executors["Processing"].validate("Prep", processing)


@pytest.mark.parametrize(("arguments", "message"), [
    (tuning_arguments(strategy="Grid"), "tuning Strategy 'Grid' does not run locally"),
    (tuning_arguments(metric="validation:auc"), "'validation:auc' is not among the training job's MetricDefinitions"),
])
def test_tuning_steps_that_cannot_run_here_are_refused_at_upsert(executors: dict[str, StepExecutor],
                                                                 arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        executors["Tuning"].validate("Tune", arguments)
