"""The SageMaker training adapter and the managed-MLflow runs builder, offline.

moto (``mock_aws``) answers what it implements (AutoML V2 create/describe/stop, training, tuning and
transform jobs, model package groups and packages, S3, CloudWatch Logs); botocore's ``Stubber``
stands in for the rest (ListCandidatesForAutoMLJob, StopTrainingJob,
ListTrainingJobsForHyperParameterTuningJob) and for error answers.
"""

from __future__ import annotations

import io
import json
import tarfile
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sagemaker.models import sagemaker_backends

from services.aws.job_index import JobIndex
from services.aws.jobs import describe_remote, job_from_autopilot, job_from_tuning
from services.aws.model_packages import metadata_properties, model_from_package
from services.aws.sagemaker import job_name
from services.cli import main as cli_main
from services.config import Settings
from services.embedded.metadata import MetadataStore
from services.errors import AlreadyExists, BackendUnavailable, InvalidInput, NotFound
from services.jobs.aws import AwsJobs
from services.models import AutopilotRequest, DataSource, ScriptJobRequest, TrainingRequest, TuningRequest
from services.names import check_job_name
from services.registry import Services, build_services
from services.runs.aws import build_aws_runs
from services.runs.local import MlflowRuns
from services.training.aws import AwsTraining
from services.training.aws.autopilot import sorted_candidates
from services.training.aws.builtin_data import encode_table
from services.training.aws.specs import source_tarball, training_job_spec
from services.training.aws.tuning import parameter_ranges
from tests.helpers.autopilot_aws import autopilot_description, put_autopilot_reports
from tests.helpers.aws import BUCKET, REGION, FakeClock, aws_settings, create_lake_bucket, fake_aws_credentials
from tests.helpers.moto_gaps import answer_calls

ROLE = "arn:aws:iam::123456789012:role/workbench-sagemaker"
TABLE = DataSource(table="demo.reviews")
# moto's CreateAutoMLJobV2 needs a ProblemType (SageMaker does not), so moto-backed requests give one.
AUTOPILOT = AutopilotRequest(source=TABLE, target="rating", problem_type="MulticlassClassification")


def reviews_csv(folder: Path) -> Path:
    """A small reviews table: free text, a 1-5 rating, a category and a number."""
    rows = [{"Review Text": f"review number {i} says {'great' if i % 5 > 2 else 'poor'} things",
             "Rating": i % 5 + 1, "Division Name": ("General", "Petite", "Intimates")[i % 3], "Age": 20 + i}
            for i in range(60)]
    path = folder / "reviews.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return replace(aws_settings(tmp_path / "workspace"), sagemaker_role=ROLE)


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, settings: Settings) -> Iterator[Services]:
    fake_aws_credentials(monkeypatch, tmp_path)
    with mock_aws():
        create_lake_bucket()
        built = build_services(settings)
        built.catalog.import_path(reviews_csv(tmp_path), "demo", "reviews")
        yield built


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def training(services: Services, settings: Settings, clock: FakeClock) -> AwsTraining:
    session = boto3.Session(region_name=REGION)
    store = MetadataStore(settings.home / "metadata.sqlite")
    jobs = AwsJobs(session, store, poll_seconds=5, sleep=clock.sleep, clock=clock)
    training = AwsTraining(session, settings, store, catalog=services.catalog, jobs=jobs)
    jobs._sagemaker = training._sagemaker  # one client: a Stubber on the training adapter's sees the jobs port's calls
    jobs.settlers.update(dict.fromkeys(("training", "script", "autopilot"), training.settle_job))
    return training


def sagemaker_backend() -> Any:
    return sagemaker_backends[DEFAULT_ACCOUNT_ID][REGION]


def s3_text(uri: str) -> str:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return boto3.client("s3", region_name=REGION).get_object(Bucket=bucket, Key=key)["Body"].read().decode()


def client_error_stub(training: AwsTraining, operation: str, code: str, message: str = "nope") -> Stubber:
    stubber = Stubber(training._sagemaker)
    stubber.add_client_error(operation, service_error_code=code, service_message=message, http_status_code=400)
    return stubber


# -- names ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["autopilot", "tuning", "training", "script", "transform"])
def test_generated_job_names_match_sagemakers_pattern_and_length(kind: str) -> None:
    name = job_name("", kind, datetime(2025, 12, 31, 23, 59, 59))
    assert check_job_name(kind, name) == name


def test_requested_names_are_kept_or_refused_never_rewritten() -> None:
    """The same rule as the local backend's (services/names.py): no silent clean-up on one backend only."""
    assert job_name("my-reviews-model", "training") == "my-reviews-model"
    for bad in ("my reviews_model!", "---", "a-very-long-autopilot-job-name-that-goes-on", "../../escaped"):
        with pytest.raises(InvalidInput, match="pattern"):
            job_name(bad, "autopilot")


# -- autopilot --------------------------------------------------------------------------------------


def test_autopilot_request_points_at_the_tables_s3_location(training: AwsTraining) -> None:
    name = training.start_autopilot_job(replace(AUTOPILOT, mode="ENSEMBLING", max_runtime_seconds=900, max_candidates=4))
    assert check_job_name("autopilot", name) == name
    raw = training._sagemaker.describe_auto_ml_job_v2(AutoMLJobName=name)
    (channel,) = raw["AutoMLJobInputDataConfig"]
    assert channel["ChannelType"] == "training"
    assert channel["ContentType"] == "text/csv;header=present"
    assert channel["DataSource"]["S3DataSource"]["S3Uri"] == f"s3://{BUCKET}/demo/reviews/"
    assert raw["OutputDataConfig"]["S3OutputPath"] == f"s3://{BUCKET}/autopilot/{name}/"
    assert raw["RoleArn"] == ROLE
    tabular = raw["AutoMLProblemTypeConfig"]["TabularJobConfig"]
    assert tabular["TargetAttributeName"] == "Rating"  # as the CSV header spells it, not Glue's "rating"
    assert tabular["Mode"] == "ENSEMBLING"
    assert tabular["CompletionCriteria"] == {"MaxCandidates": 4, "MaxAutoMLJobRuntimeInSeconds": 900}


def test_autopilot_insights_are_read_from_the_best_candidates_reports(training: AwsTraining,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Were ``{}`` ("not implemented yet"): the reports under CandidateArtifactLocations, in the local views' shape."""
    description = autopilot_description("ap-insights", BUCKET)
    put_autopilot_reports(description)
    answer_calls(monkeypatch, "sagemaker", "DescribeAutoMLJobV2", lambda _: description, clients=[training._sagemaker])
    insights = training.job_insights("ap-insights")
    quality = insights["model_insights"]
    assert quality["problem_type"] == "BinaryClassification" and quality["rows"] == 4
    assert quality["confusion_matrix"] == {"labels": ["0", "1"], "matrix": [[1, 2], [0, 1]]}  # rows: actual
    assert quality["metrics"]["accuracy"] == 0.5 and quality["metrics"]["recall"] == 1.0
    assert quality["roc_curve"]["fpr"] == [0.0, 0.3333333333333333, 1.0] and quality["roc_curve"]["auc"] == 1.0
    assert quality["precision_recall_curve"]["precision"] == [1.0, 0.3333333333333333, 0.25]
    assert list(insights["explainability"]["importance"]) == ["age", "division_name", "department_name"]


def test_autopilot_insights_leave_out_reports_not_written(training: AwsTraining, monkeypatch: pytest.MonkeyPatch) -> None:
    answer_calls(monkeypatch, "sagemaker", "DescribeAutoMLJobV2",
                 lambda _: autopilot_description("ap-none", BUCKET, with_reports=False), clients=[training._sagemaker])
    assert training.job_insights("ap-none") == {}


def test_autopilot_notebooks_are_under_one_key_as_locally() -> None:
    job = job_from_autopilot(autopilot_description("ap-nb", BUCKET), "autopilot", {})
    assert set(job.result["notebooks"]) == {"data_exploration", "candidate_definition"}
    assert job.result["notebooks"]["data_exploration"].endswith("SageMakerAutopilotDataExplorationNotebook.ipynb")
    assert "artifacts" not in job.result


def test_autopilot_without_problem_type_leaves_problem_and_objective_to_autopilot(training: AwsTraining) -> None:
    captured: dict[str, Any] = {}
    with Stubber(training._sagemaker) as stubber:
        stubber.add_response("create_auto_ml_job_v2", {"AutoMLJobArn": "arn:aws:sagemaker:us-east-1:1:automl-job/x"})
        training._sagemaker.meta.events.register("before-parameter-build.sagemaker.CreateAutoMLJobV2",
                                                 lambda params, **_: captured.update(params))
        training.start_autopilot_job(AutopilotRequest(source=TABLE, target="rating"))
    assert "ProblemType" not in captured["AutoMLProblemTypeConfig"]["TabularJobConfig"]
    assert "AutoMLJobObjective" not in captured


def test_autopilot_problem_type_comes_with_its_default_objective(training: AwsTraining) -> None:
    name = training.start_autopilot_job(AutopilotRequest(source=TABLE, target="rating", problem_type="MulticlassClassification"))
    raw = training._sagemaker.describe_auto_ml_job_v2(AutoMLJobName=name)
    assert raw["AutoMLProblemTypeConfig"]["TabularJobConfig"]["ProblemType"] == "MulticlassClassification"
    assert raw["AutoMLJobObjective"] == {"MetricName": "Accuracy"}


@pytest.mark.parametrize("request_", [
    AutopilotRequest(source=TABLE, target="rating", objective="F1"),  # objective without problem type
    AutopilotRequest(source=TABLE, target="rating", problem_type="Regression", objective="Cheapest"),
    AutopilotRequest(source=TABLE, target="rating", mode="FAST"),
    AutopilotRequest(source=TABLE, target="stars"),
    AutopilotRequest(source=TABLE, target="rating", max_runtime_seconds=5),
])
def test_bad_autopilot_requests_are_refused_before_a_job_exists(training: AwsTraining, request_: AutopilotRequest) -> None:
    with pytest.raises(InvalidInput):
        training.start_autopilot_job(request_)
    assert sagemaker_backend().auto_ml_jobs == {}


def test_autopilot_uploads_a_local_file_only_once_the_request_is_valid(training: AwsTraining, tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    source = DataSource(path=str(reviews_csv(tmp_path / "mine")))
    with pytest.raises(InvalidInput):
        training.start_autopilot_job(replace(AUTOPILOT, source=source, target="stars"))
    assert "Contents" not in boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=BUCKET, Prefix="autopilot/")
    name = training.start_autopilot_job(replace(AUTOPILOT, source=source))
    raw = training._sagemaker.describe_auto_ml_job_v2(AutoMLJobName=name)
    assert raw["AutoMLJobInputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] == f"s3://{BUCKET}/autopilot/{name}/input/"
    assert raw["AutoMLProblemTypeConfig"]["TabularJobConfig"]["TargetAttributeName"] == "Rating"
    assert s3_text(f"s3://{BUCKET}/autopilot/{name}/input/reviews.csv").startswith("Review Text,Rating")


def test_autopilot_refuses_tables_that_are_neither_csv_nor_parquet(training: AwsTraining, services: Services,
                                                                    tmp_path: Path) -> None:
    (tmp_path / "tsv").mkdir()
    pd.read_csv(reviews_csv(tmp_path)).to_csv(tmp_path / "tsv" / "reviews.tsv", sep="\t", index=False)
    services.catalog.import_path(tmp_path / "tsv" / "reviews.tsv", "demo", "reviews_tsv")
    with pytest.raises(InvalidInput, match="CSV or Parquet"):
        training.start_autopilot_job(AutopilotRequest(source=DataSource(table="demo.reviews_tsv"), target="rating"))


def test_autopilot_status_maps_directly_and_completion_registers_the_best_candidate(training: AwsTraining) -> None:
    name = training.start_autopilot_job(replace(AUTOPILOT, name="stars"))
    job = training.jobs.describe_job(name)
    assert (job.kind, job.status, job.model_id) == ("autopilot", "InProgress", "")
    assert job.metrics == {"Accuracy": 123.0}
    assert job.result["best_candidate"] == "best_candidate"
    backend_job = sagemaker_backend().auto_ml_jobs[name]
    backend_job.auto_ml_job_status = "Completed"
    backend_job.best_candidate["InferenceContainers"][0]["Image"] = "123.dkr.ecr/autogluon-inference:1"
    job = training.jobs.describe_job(name)
    assert (job.status, job.secondary_status, job.model_id) == ("Completed", "Completed", "stars/1")
    model = training.get_model("stars/1")
    assert (model.framework, model.target, model.job_name) == ("autogluon", "rating", name)
    assert "rating" not in [c.name for c in model.input_schema] and "age" in [c.name for c in model.input_schema]
    assert training.jobs.describe_job(name).model_id == "stars/1"  # registered once
    assert [m.model_id for m in training.list_models()] == ["stars/1"]


def test_stopping_an_autopilot_job(training: AwsTraining) -> None:
    name = training.start_autopilot_job(AUTOPILOT)
    stopped = training.jobs.stop_job(name)
    assert (stopped.status, stopped.secondary_status) == ("Stopped", "Stopped")
    assert training.jobs.stop_job(name) == stopped


def test_candidates_are_sorted_best_first_by_the_objectives_direction() -> None:
    def candidate(name: str, value: float | None, kind: str, image: str) -> dict[str, Any]:
        metric = {"MetricName": "MSE", "Type": kind} | ({"Value": value} if value is not None else {})
        return {"CandidateName": name, "FinalAutoMLJobObjectiveMetric": metric, "CandidateStatus": "Completed",
                "InferenceContainers": [{"Image": "x/sagemaker-sklearn-automl:2.5"}, {"Image": image}],
                "CreationTime": datetime(2025, 1, 1), "EndTime": datetime(2025, 1, 1, 0, 2)}

    raw = [candidate("a", 0.5, "Minimize", "x/sagemaker-xgboost:1.7-1"), candidate("b", 0.2, "Minimize", "x/linear-learner:1"),
           candidate("c", None, "Minimize", "x/mxnet-inference:1.8")]
    ranked = sorted_candidates(raw)
    assert [c.name for c in ranked] == ["b", "a", "c"]
    assert [c.algorithm for c in ranked] == ["linear-learner", "xgboost", "mlp"]
    assert ranked[0].training_seconds == 120.0
    maximize = [candidate(n, v, "Maximize", "x/autogluon") for n, v in (("a", 0.5), ("b", 0.9))]
    assert [c.name for c in sorted_candidates(maximize)] == ["b", "a"]


def test_list_candidates_pages_through_sagemaker_and_links_the_registered_model(training: AwsTraining) -> None:
    name = training.start_autopilot_job(AUTOPILOT)
    sagemaker_backend().auto_ml_jobs[name].auto_ml_job_status = "Completed"
    model_id = training.jobs.describe_job(name).model_id  # finished jobs are read from the index from now on
    page = {"Candidates": [{"CandidateName": n, "FinalAutoMLJobObjectiveMetric": {"MetricName": "F1", "Value": v, "Type": "Maximize"},
                            "CandidateSteps": [], "CandidateStatus": "Completed", "ObjectiveStatus": "Succeeded",
                            "CreationTime": datetime(2025, 1, 1), "LastModifiedTime": datetime(2025, 1, 1),
                            "InferenceContainers": [{"Image": "x/sagemaker-xgboost:1.7-1", "ModelDataUrl": "s3://b/m"}]}
                           for n, v in (("best_candidate", 0.7), ("other", 0.9))]}
    with Stubber(training._sagemaker) as stubber:
        stubber.add_response("list_candidates_for_auto_ml_job", {**page, "NextToken": "t"}, {"AutoMLJobName": name})
        stubber.add_response("list_candidates_for_auto_ml_job", {"Candidates": []}, {"AutoMLJobName": name, "NextToken": "t"})
        candidates = training.list_candidates(name)
    assert [(c.name, c.objective_value, c.model_id) for c in candidates] == [("other", 0.9, ""), ("best_candidate", 0.7, model_id)]


# -- built-in training ------------------------------------------------------------------------------


def test_xgboost_training_job_request_and_its_encoded_data(training: AwsTraining) -> None:
    name = training.start_training_job(TrainingRequest(algorithm="xgboost", source=TABLE, target="rating",
                                                       hyperparameters={"max_depth": "4"}))
    raw = training._sagemaker.describe_training_job(TrainingJobName=name)
    assert raw["AlgorithmSpecification"]["TrainingImage"] == "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
    assert raw["HyperParameters"] == {"objective": "multi:softprob", "eval_metric": "merror", "num_round": "100",
                                      "num_class": "5", "max_depth": "4"}
    assert raw["RoleArn"] == ROLE
    assert raw["OutputDataConfig"]["S3OutputPath"] == f"s3://{BUCKET}/training/"
    assert raw["ResourceConfig"]["InstanceType"] == "ml.m5.large"
    channels = {c["ChannelName"]: c for c in raw["InputDataConfig"]}
    assert channels["train"]["DataSource"]["S3DataSource"]["S3Uri"] == f"s3://{BUCKET}/training/{name}/input/train/"
    assert channels["validation"]["ContentType"] == "text/csv"
    train = pd.read_csv(io.StringIO(s3_text(f"s3://{BUCKET}/training/{name}/input/train/train.csv")), header=None)
    assert train.shape == (48, 3)  # target, division (category code), age; the free text is dropped
    assert set(train[0]) == {0, 1, 2, 3, 4}


def test_completed_training_job_is_registered_with_its_metadata(training: AwsTraining) -> None:
    name = training.start_training_job(TrainingRequest(algorithm="linear-learner", source=TABLE, target="rating", name="ll"))
    job = training.jobs.describe_job(name)
    assert (job.kind, job.status, job.secondary_status, job.model_id) == ("training", "Completed", "Completed", "ll/1")
    assert job.metrics == {"train:progress": 100.0}
    model = training.get_model("ll/1")
    assert (model.framework, model.problem_type, model.classes) == ("linear-learner", "MulticlassClassification",
                                                                      ("1", "2", "3", "4", "5"))
    assert model.artifact_path == f"s3://{BUCKET}/training/{name}/output/model.tar.gz"
    assert model.approval_status == "PendingManualApproval"
    assert [c.name for c in model.input_schema] == ["division_name", "age"]  # the free text was not used
    assert training.get_model(training._package_arn("ll/1")).model_id == "ll/1"


@pytest.mark.parametrize("algorithm", ["text-tfidf", "text-minilm"])
def test_text_algorithms_run_locally_only(training: AwsTraining, algorithm: str) -> None:
    with pytest.raises(InvalidInput, match="locally only") as caught:
        training.start_training_job(TrainingRequest(algorithm=algorithm, source=TABLE, target="rating", text_column="review_text"))
    assert "WORKBENCH_BACKEND=local" in caught.value.hint


def test_training_from_a_local_file(training: AwsTraining, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    path = reviews_csv(tmp_path / "elsewhere")
    name = training.start_training_job(TrainingRequest(algorithm="xgboost", source=DataSource(path=str(path)), target="rating"))
    assert training.jobs.describe_job(name).config["source"]["path"] == str(path)


@pytest.mark.parametrize(("missing", "variable"), [("s3_bucket", "WORKBENCH_S3_BUCKET"), ("sagemaker_role", "WORKBENCH_SAGEMAKER_ROLE")])
def test_missing_settings_name_their_variable(training: AwsTraining, missing: str, variable: str) -> None:
    training.settings = replace(training.settings, **{missing: None})
    with pytest.raises(BackendUnavailable) as caught:
        training.start_training_job(TrainingRequest(algorithm="xgboost", source=TABLE, target="rating"))
    assert variable in caught.value.hint
    with pytest.raises(BackendUnavailable):
        training.start_autopilot_job(AUTOPILOT)


def test_training_transitions_metrics_and_logs(training: AwsTraining) -> None:
    name = training.start_training_job(TrainingRequest(algorithm="xgboost", source=TABLE, target="rating"))
    assert training.jobs.job_transitions(name) == [{"at": training.jobs.job_transitions(name)[0]["at"], "status": "Starting",
                                               "message": "Preparing the instances for training"}]
    assert [(p["name"], p["value"]) for p in training.jobs.job_metric_points(name)] == [("train:progress", 100.0)]
    assert training.jobs.job_logs(name) == ""  # no log group yet
    logs = boto3.client("logs", region_name=REGION)
    logs.create_log_group(logGroupName="/aws/sagemaker/TrainingJobs")
    logs.create_log_stream(logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=f"{name}/algo-1-1700000000")
    logs.put_log_events(logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=f"{name}/algo-1-1700000000",
                        logEvents=[{"timestamp": int(time.time() * 1000) + i, "message": f"[{i}]#011train-merror:0.{i}"} for i in range(5)])
    text = training.jobs.job_logs(name, tail_bytes=40)
    assert text.endswith("[4]#011train-merror:0.4") and len(text) <= 40


def test_stop_training_job_calls_stop_while_it_runs(training: AwsTraining) -> None:
    name = training.start_training_job(TrainingRequest(algorithm="xgboost", source=TABLE, target="rating"))
    raw = training._sagemaker.describe_training_job(TrainingJobName=name)
    running = {k: raw[k] for k in ("TrainingJobName", "TrainingJobArn", "AlgorithmSpecification", "CreationTime", "ModelArtifacts",
                                   "ResourceConfig", "StoppingCondition")}
    running |= {"TrainingJobStatus": "InProgress", "SecondaryStatus": "Training"}
    with Stubber(training._sagemaker) as stubber:
        stubber.add_response("describe_training_job", running, {"TrainingJobName": name})
        stubber.add_response("stop_training_job", {}, {"TrainingJobName": name})
        stubber.add_response("describe_training_job", running | {"TrainingJobStatus": "Stopping", "SecondaryStatus": "Stopping"},
                             {"TrainingJobName": name})
        job = training.jobs.stop_job(name)
    assert (job.status, job.secondary_status) == ("Stopping", "Stopping")
    assert [t["status"] for t in training.index.transitions(name)] == ["Training", "Stopping"]


# -- script mode ------------------------------------------------------------------------------------


def test_script_job_uploads_the_source_and_follows_the_script_mode_convention(training: AwsTraining, tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "__pycache__").mkdir(parents=True)
    (source / "train.py").write_text("print('accuracy=0.9')\n")
    (source / "__pycache__" / "train.cpython-311.pyc").write_bytes(b"x")
    data = tmp_path / "train.csv"
    data.write_text("a,b\n1,2\n")
    request = ScriptJobRequest(entry_point="train.py", source_dir=str(source), channels={"train": str(data)},
                               hyperparameters={"epochs": "3"}, metric_definitions={"accuracy": "accuracy=([0-9.]+)"})
    name = training.start_script_job(request)
    raw = training._sagemaker.describe_training_job(TrainingJobName=name)
    hyperparameters = raw["HyperParameters"]
    submit_dir = f"s3://{BUCKET}/training/{name}/source/sourcedir.tar.gz"
    assert json.loads(hyperparameters["sagemaker_program"]) == "train.py"
    assert json.loads(hyperparameters["sagemaker_submit_directory"]) == submit_dir
    assert json.loads(hyperparameters["epochs"]) == "3"
    assert "sagemaker-scikit-learn:1.2-1-cpu-py3" in raw["AlgorithmSpecification"]["TrainingImage"]
    assert raw["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] == f"s3://{BUCKET}/training/{name}/input/train/"
    bucket, _, key = submit_dir.removeprefix("s3://").partition("/")
    archive = boto3.client("s3", region_name=REGION).get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(archive)) as opened:
        assert opened.getnames() == ["train.py"]
    assert s3_text(f"s3://{BUCKET}/training/{name}/input/train/train.csv") == "a,b\n1,2\n"
    assert training.jobs.describe_job(name).model_id.startswith(name[:20])


def test_source_tarball_leaves_out_dot_files_and_dot_folders(tmp_path: Path) -> None:
    """A project's .env (secrets) and .git/ must not be uploaded with the script (issue 9)."""
    source = tmp_path / "project"
    for relative in (".env", ".git/config", ".aws/credentials", "lib/.secret", "train.py", "lib/util.py"):
        (source / relative).parent.mkdir(parents=True, exist_ok=True)
        (source / relative).write_text("x = 1\n")
    with tarfile.open(fileobj=io.BytesIO(source_tarball(source))) as opened:
        assert opened.getnames() == ["lib/util.py", "train.py"]


def test_metric_definitions_go_into_the_algorithm_specification() -> None:
    spec = training_job_spec("image", {"a": "1"}, [], "s3://b/training/", ROLE, "ml.m5.large", {"accuracy": "acc=([0-9.]+)"})
    assert spec["AlgorithmSpecification"]["MetricDefinitions"] == [{"Name": "accuracy", "Regex": "acc=([0-9.]+)"}]


def test_script_job_with_a_missing_entry_point(training: AwsTraining, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        training.start_script_job(ScriptJobRequest(entry_point="train.py", source_dir=str(tmp_path), channels={}))


# -- tuning -----------------------------------------------------------------------------------------


def tuner_trials(name: str, count: int = 3, failed: int | None = None) -> list[dict[str, Any]]:
    """``ListTrainingJobsForHyperParameterTuningJob``'s ``TrainingJobSummaries`` for ``count`` finished trials."""
    start = datetime(2025, 1, 1)
    trials: list[dict[str, Any]] = []
    for i in range(count):
        trial: dict[str, Any] = {
            "TrainingJobName": f"{name}-00{i}-abc", "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:1:training-job/t{i}",
            "TuningJobName": name, "CreationTime": start + timedelta(minutes=i), "TrainingEndTime": start + timedelta(minutes=i + 1),
            "TrainingJobStatus": "Completed", "TunedHyperParameters": {"max_depth": str(3 + i)}, "ObjectiveStatus": "Succeeded",
            "FinalHyperParameterTuningJobObjectiveMetric": {"MetricName": "validation:merror", "Value": 0.5 - i / 10}}
        if i == failed:
            trial.update(TrainingJobStatus="Failed", ObjectiveStatus="Failed", FailureReason="AlgorithmError: out of memory")
            del trial["FinalHyperParameterTuningJobObjectiveMetric"]
        trials.append(trial)
    return trials


def test_a_tuning_job_lists_its_trials_in_the_local_tuners_shape(training: AwsTraining, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Jobs page and the ``tune`` CLI read ``trials`` as a list of trials; SageMaker's counters are apart."""
    calls = answer_calls(monkeypatch, "sagemaker", "ListTrainingJobsForHyperParameterTuningJob",
                         lambda params: {"TrainingJobSummaries": tuner_trials(params["HyperParameterTuningJobName"], failed=1)},
                         clients=[training._sagemaker])
    base = TrainingRequest(algorithm="xgboost", source=TABLE, target="rating")
    name = training.start_tuning_job(TuningRequest(base=base, ranges={"max_depth": {"type": "integer", "min": 3, "max": 8}},
                                                   objective_metric="validation:merror", objective_type="Minimize"))
    job = describe_remote(training._call, training._sagemaker, "tuning", name, {})
    assert calls == [{"HyperParameterTuningJobName": name, "SortBy": "CreationTime", "SortOrder": "Ascending"}]
    trials = job.result["trials"]
    assert [(t["number"], t["status"], t["objective"], t["hyperparameters"]) for t in trials] == [
        (0, "Completed", 0.5, {"max_depth": "3"}), (1, "Failed", None, {"max_depth": "4"}), (2, "Completed", 0.3, {"max_depth": "5"})]
    local_keys = {"number", "hyperparameters", "status", "objective", "run_id", "model_id", "metrics", "failure_reason"}
    assert all(local_keys <= set(t) for t in trials)
    assert trials[1]["failure_reason"] == "AlgorithmError: out of memory" and trials[2]["metrics"] == {"validation:merror": 0.3}
    assert trials[2]["training_job"] == f"{name}-002-abc"
    assert {k: job.result["objective"][k] for k in ("name", "type")} == {"name": "validation:merror", "type": "Minimize"}
    assert isinstance(job.result["trial_counts"], dict)


def test_the_tune_command_prints_the_trials_of_an_aws_tuning_job(services: Services, settings: Settings,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m services tune`` read ``t["number"]`` of each trial and raised TypeError on SageMaker's counters."""
    for name, value in {"WORKBENCH_BACKEND": "aws", "WORKBENCH_HOME": str(settings.home), "WORKBENCH_AWS_REGION": REGION,
                        "WORKBENCH_S3_BUCKET": BUCKET, "WORKBENCH_SAGEMAKER_ROLE": ROLE,
                        "WORKBENCH_ATHENA_OUTPUT": f"s3://{BUCKET}/athena/"}.items():
        monkeypatch.setenv(name, value)
    answer_calls(monkeypatch, "sagemaker", "ListTrainingJobsForHyperParameterTuningJob",
                 lambda params: {"TrainingJobSummaries": tuner_trials(params["HyperParameterTuningJobName"])})
    code = cli_main(["tune", "--algorithm", "xgboost", "--table", "demo.reviews", "--target", "rating", "--no-wait",
                     "--range", "max_depth=integer:3:8", "--objective-metric", "validation:merror", "--objective-type", "Minimize"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    printed = json.loads(out)
    assert [t["hyperparameters"] for t in printed["trials"]] == [{"max_depth": "3"}, {"max_depth": "4"}, {"max_depth": "5"}]
    assert printed["objective"]["name"] == "validation:merror"


def test_the_best_trial_is_the_tuners_best_training_job() -> None:
    raw = {"HyperParameterTuningJobName": "tune-1", "HyperParameterTuningJobStatus": "Completed",
           "HyperParameterTuningJobConfig": {"Strategy": "Bayesian",
                                             "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "validation:merror"},
                                             "ResourceLimits": {"MaxNumberOfTrainingJobs": 3, "MaxParallelTrainingJobs": 1}},
           "TrainingJobStatusCounters": {"Completed": 3, "InProgress": 0, "RetryableError": 0, "NonRetryableError": 0, "Stopped": 0},
           "BestTrainingJob": {"TrainingJobName": "tune-1-002-abc", "TunedHyperParameters": {"max_depth": "5"},
                               "FinalHyperParameterTuningJobObjectiveMetric": {"MetricName": "validation:merror", "Value": 0.3}}}
    job = job_from_tuning(raw, "tuning", {}, tuner_trials("tune-1"))
    assert job.result["best_trial"] == 2 and job.result["strategy"] == "Bayesian"
    assert job.result["objective"] == {"name": "validation:merror", "value": 0.3, "type": "Minimize"}
    assert job.result["trial_counts"] == raw["TrainingJobStatusCounters"]
    assert job_from_tuning(raw, "tuning", {}).result["trials"] == []  # before any trial was listed


def test_a_tuning_job_settled_with_counters_as_trials_is_described_again(settings: Settings) -> None:
    """Jobs indexed before the fix kept the counters (a dict) as ``trials``: they are read afresh once."""
    index = JobIndex(MetadataStore(settings.home / "metadata.sqlite"))
    index.add("tune-old", "tuning", {})
    old = job_from_tuning({"HyperParameterTuningJobName": "tune-old", "HyperParameterTuningJobStatus": "Completed"}, "tuning", {})
    index.save(replace(old, result=old.result | {"trials": {"Completed": 3}}), settled=True)
    assert index.find("tune-old").settled is False  # type: ignore[union-attr]
    index.save(old, settled=True)
    assert index.find("tune-old").settled is True  # type: ignore[union-attr]


def test_tuning_job_maps_ranges_objective_and_limits(training: AwsTraining, monkeypatch: pytest.MonkeyPatch) -> None:
    answer_calls(monkeypatch, "sagemaker", "ListTrainingJobsForHyperParameterTuningJob", lambda _: {"TrainingJobSummaries": []},
                 clients=[training._sagemaker])
    base = TrainingRequest(algorithm="xgboost", source=TABLE, target="rating", hyperparameters={"max_depth": "6"})
    ranges = {"max_depth": {"type": "integer", "min": 3, "max": 8}, "eta": {"type": "continuous", "min": 0.01, "max": 0.3, "scale": "log"},
              "booster": {"type": "categorical", "values": ["gbtree", "dart"]}}
    name = training.start_tuning_job(TuningRequest(base=base, ranges=ranges, objective_metric="merror", objective_type="Minimize",
                                                   strategy="Random", max_jobs=6, max_parallel_jobs=2))
    assert len(name) <= 32
    raw = training._sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    config = raw["HyperParameterTuningJobConfig"]
    assert config["Strategy"] == "Random"
    assert config["HyperParameterTuningJobObjective"] == {"Type": "Minimize", "MetricName": "validation:merror"}
    assert config["ResourceLimits"] == {"MaxNumberOfTrainingJobs": 6, "MaxParallelTrainingJobs": 2}
    assert config["ParameterRanges"]["IntegerParameterRanges"] == [{"Name": "max_depth", "MinValue": "3", "MaxValue": "8",
                                                                    "ScalingType": "Auto"}]
    assert config["ParameterRanges"]["ContinuousParameterRanges"] == [{"Name": "eta", "MinValue": "0.01", "MaxValue": "0.3",
                                                                      "ScalingType": "Logarithmic"}]
    assert config["ParameterRanges"]["CategoricalParameterRanges"] == [{"Name": "booster", "Values": ["gbtree", "dart"]}]
    static = raw["TrainingJobDefinition"]["StaticHyperParameters"]
    assert "max_depth" not in static and static["num_class"] == "5"
    job = training.jobs.describe_job(name)
    assert (job.kind, job.status, job.model_id) == ("tuning", "Completed", "")


@pytest.mark.parametrize("ranges", [{}, {"x": {"type": "float", "min": 1, "max": 2}}, {"x": {"type": "integer", "min": 5, "max": 2}},
                                    {"x": {"type": "continuous", "min": 1, "max": 2, "scale": "cubic"}}, {"x": {"type": "categorical"}}])
def test_bad_ranges_are_invalid(ranges: dict[str, dict[str, Any]]) -> None:
    with pytest.raises(InvalidInput):
        parameter_ranges(ranges)


def test_script_tuning_objective_must_be_a_defined_metric(training: AwsTraining, tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("")
    base = ScriptJobRequest(entry_point="train.py", source_dir=str(tmp_path), channels={}, metric_definitions={"acc": "acc=(.*)"})
    with pytest.raises(InvalidInput, match="metric definitions"):
        training.start_tuning_job(TuningRequest(base=base, ranges={"lr": {"type": "continuous", "min": 0.1, "max": 1}},
                                                objective_metric="loss"))


def test_tuning_metric_points_are_the_trials_objectives(training: AwsTraining, monkeypatch: pytest.MonkeyPatch) -> None:
    answer_calls(monkeypatch, "sagemaker", "ListTrainingJobsForHyperParameterTuningJob", lambda _: {"TrainingJobSummaries": []},
                 clients=[training._sagemaker])
    base = TrainingRequest(algorithm="xgboost", source=TABLE, target="rating")
    name = training.start_tuning_job(TuningRequest(base=base, ranges={"max_depth": {"type": "integer", "min": 3, "max": 8}},
                                                   objective_metric="validation:merror", objective_type="Minimize"))
    assert training.jobs.describe_job(name).finished  # read from the index from now on
    trials = tuner_trials(name)
    with Stubber(training._sagemaker) as stubber:
        stubber.add_response("list_training_jobs_for_hyper_parameter_tuning_job", {"TrainingJobSummaries": trials},
                             {"HyperParameterTuningJobName": name, "SortBy": "CreationTime", "SortOrder": "Ascending"})
        points = training.jobs.job_metric_points(name)
    assert [(p["step"], p["value"], p["seconds"]) for p in points] == [(0, 0.5, 60.0), (1, 0.4, 120.0), (2, 0.3, 180.0)]


# -- jobs in general --------------------------------------------------------------------------------


def test_wait_for_job_polls_with_the_injected_sleep_until_the_timeout(training: AwsTraining, clock: FakeClock) -> None:
    name = training.start_autopilot_job(AUTOPILOT)
    job = training.jobs.wait_for_job(name, timeout_seconds=12)
    assert job.status == "InProgress"
    assert clock.sleeps == [5, 5, 5]
    sagemaker_backend().auto_ml_jobs[name].auto_ml_job_status = "Failed"
    assert training.jobs.wait_for_job(name).status == "Failed"


@pytest.mark.parametrize(("code", "message", "error"), [
    ("ValidationException", "1 validation error detected", InvalidInput),
    ("ResourceNotFound", "Could not find job", NotFound),
    ("ResourceLimitExceeded", "The account-level service limit was exceeded", BackendUnavailable),
    ("ResourceInUse", "Job name must be unique", AlreadyExists),
])
def test_sagemaker_errors_are_translated(training: AwsTraining, code: str, message: str, error: type[Exception]) -> None:
    with client_error_stub(training, "create_auto_ml_job_v2", code, message), pytest.raises(error) as caught:
        training.start_autopilot_job(AUTOPILOT)
    assert message in str(caught.value)
    assert type(caught.value).__module__ == "services.errors"


def test_validation_exceptions_that_mean_missing_become_not_found(training: AwsTraining) -> None:
    with client_error_stub(training, "describe_model_package", "ValidationException", "Model package x not found"), \
            pytest.raises(NotFound):
        training.get_model("arn:aws:sagemaker:us-east-1:123456789012:model-package/x/1")


# -- registry ---------------------------------------------------------------------------------------


def test_model_approval(training: AwsTraining) -> None:
    name = training.start_training_job(TrainingRequest(algorithm="xgboost", source=TABLE, target="rating", name="approve-me"))
    model_id = training.jobs.describe_job(name).model_id
    assert training.set_model_approval(model_id, "Approved").approval_status == "Approved"
    with pytest.raises(InvalidInput):
        training.set_model_approval(model_id, "Maybe")
    with pytest.raises(NotFound):
        training.get_model("approve-me/9")
    with pytest.raises(InvalidInput):
        training.get_model("no-version")


def test_metadata_properties_chunk_long_values_and_read_back() -> None:
    schema = [{"Name": f"column_{i}", "Type": "double", "Comment": ""} for i in range(30)]
    properties = metadata_properties({"framework": "xgboost", "input_schema": schema, "classes": ["neg", "pos"]})
    assert all(len(v) <= 256 for v in properties.values())
    assert "workbench:input_schema.0" in properties
    model = model_from_package({"ModelPackageGroupName": "g", "ModelPackageVersion": 3, "CustomerMetadataProperties": properties,
                                "ModelApprovalStatus": "Approved"})
    assert (model.model_id, model.framework, model.classes) == ("g/3", "xgboost", ("neg", "pos"))
    assert [c.name for c in model.input_schema] == [f"column_{i}" for i in range(30)]


# -- data encoding ----------------------------------------------------------------------------------


def test_encode_table_puts_the_target_first_and_drops_free_text() -> None:
    frame = pd.DataFrame({"text": [f"t{i}" for i in range(100)], "label": ["pos", "neg"] * 50,
                          "colour": ["red", "blue", None, "red"] * 25, "size": range(100)})
    data = encode_table(frame, "label", seed=1)
    assert (data.problem_type, data.classes, data.dropped) == ("BinaryClassification", ["neg", "pos"], ["text"])
    assert list(data.train.columns) == ["label", "colour", "size"]
    assert data.categories == {"colour": ["blue", "red"]}
    assert len(data.train) == 80 and len(data.validation) == 20
    assert data.train["colour"].isna().any()  # missing category → empty cell, which XGBoost reads as missing
    regression = encode_table(frame.assign(label=[i / 3 for i in range(100)]), "label", seed=1)
    assert (regression.problem_type, regression.classes) == ("Regression", [])


# -- runs on managed MLflow -------------------------------------------------------------------------


def test_aws_runs_needs_a_tracking_uri(tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailable) as caught:
        build_aws_runs(Settings(backend="aws", home=tmp_path))
    assert "WORKBENCH_MLFLOW_TRACKING_URI" in caught.value.hint


def test_aws_runs_with_an_arn_needs_the_sagemaker_mlflow_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    settings = Settings(backend="aws", home=tmp_path, mlflow_tracking_uri="arn:aws:sagemaker:us-east-1:1:mlflow-tracking-server/wb")
    assert isinstance(build_aws_runs(settings), MlflowRuns)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(BackendUnavailable, match="sagemaker-mlflow"):
        build_aws_runs(settings)
