"""The Clarify bias adapter, offline.

moto (``mock_aws``) answers CreateProcessingJob / DescribeProcessingJob (its jobs complete at once),
the model registry, Glue and S3; the sagemaker SDK's ``SageMakerClarifyProcessor`` runs against
them on our own boto3 session, so the analysis config it uploads and the job it creates are real.
botocore's ``Stubber`` stands in for job states moto never reaches and for error answers. Reports
are read from ``analysis.json`` fixtures written in Clarify's documented layout.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from services.aws.clarify import clarify_job_name
from services.aws.processing_jobs import CLARIFY_IMAGE
from services.bias.aws import AwsBias, build_aws_bias
from services.bias.clarify_config import split_methods, typed_values
from services.bias.engine import report_from_frame
from services.bias.models import BiasReport, BiasRequest
from services.config import Settings
from services.embedded.metadata import MetadataStore
from services.errors import AlreadyExists, BackendUnavailable, InvalidInput, NotFound
from services.jobs.aws import AwsJobs
from services.models import DataSource
from services.names import check_name
from services.registry import Services, build_services
from services.training.data import read_file
from tests.helpers.athena import athena_answers_from
from tests.helpers.aws import BUCKET, REGION, aws_settings, create_lake_bucket, fake_aws_credentials, refuse_network
from tests.helpers.clarify import (
    FIXTURES,
    ROLE,
    TABLE,
    XGBOOST_IMAGE,
    analysis_config,
    clarify_keys,
    processing_response,
    put_s3,
    register_model,
    reviews_csv,
    s3_text,
    sagemaker_backend,
)

REQUEST = BiasRequest(source=TABLE, label="rating", label_values=("4", "5"), facet="division_name", facet_values=("Petite",))


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    refuse_network(monkeypatch)


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
def bias(services: Services, settings: Settings) -> AwsBias:
    return AwsBias(boto3.Session(region_name=REGION), settings, MetadataStore(settings.home / "metadata.sqlite"),
                   catalog=services.catalog, query=services.query)


@pytest.fixture
def jobs(bias: AwsBias) -> AwsJobs:
    """The jobs port over the bias adapter's session and job index."""
    return AwsJobs(bias.session, bias.index.store)


def processing_inputs(bias: AwsBias, name: str) -> dict[str, str]:
    raw = bias._sagemaker.describe_processing_job(ProcessingJobName=name)
    return {i["InputName"]: i["S3Input"]["S3Uri"] for i in raw["ProcessingInputs"]}


def fixture_json(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())  # type: ignore[no-any-return]


# -- analyze --------------------------------------------------------------------------------------------


def athena_reviews(tmp_path: Path) -> pd.DataFrame:
    """The reviews table as Athena holds it, with the gaps real data has (no age, no division)."""
    frame = read_file(reviews_csv(tmp_path / "athena"))
    frame["age"] = frame["age"].astype("Int64").mask(frame.index % 7 == 3)
    frame["division_name"] = frame["division_name"].mask(frame.index % 11 == 5)
    return frame


ATHENA_REQUESTS = [
    {"label": "rating", "label_values": ("4", "5"), "facet": "division_name", "group": "department_name"},
    {"label": "rating", "label_threshold": 3, "facet": "age", "facet_threshold": 40, "predicted": "predicted",
     "flip_test_features": ("rating",)},
    {"label": "rating", "label_values": ("4", "5"), "facet": "age", "predicted": "predicted", "group": "age",
     "methods": ("CI", "DPL", "CDDL", "DPPL", "DI", "AD", "FT"), "flip_test_features": ("rating",)},
]


@pytest.mark.parametrize("fields", ATHENA_REQUESTS)
def test_analyze_counts_in_athena_and_agrees_with_the_in_memory_path(bias: AwsBias, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    fields: dict[str, Any]) -> None:
    """The real engine over Athena's answers (every value a string): the same numbers as the rows in memory."""
    (tmp_path / "athena").mkdir()
    frame = athena_reviews(tmp_path)
    request = BiasRequest(source=TABLE, bootstrap=0, **fields)
    with athena_answers_from(monkeypatch, {"demo.reviews": frame}) as sent:
        report = bias.analyze(request)
    assert any("count(*)" in sql and 'FROM "demo"."reviews" GROUP BY' in sql for sql in sent)
    assert report.rows == 60
    assert_same_metrics(report, report_from_frame(frame, request))
    assert sagemaker_backend().processing_jobs == {}  # no Clarify job for a report computed now


def assert_same_metrics(left: BiasReport, right: BiasReport) -> None:
    """Every facet entry and count-based metric equal; FlipTest only in range (it samples rows)."""
    def values(report: BiasReport) -> dict[tuple[str, str, str], float | None]:
        return {(stage_name, entry.value_or_threshold, metric.name): metric.value
                for stage_name, stage in (("pre", report.pre), ("post", report.post)) if stage is not None
                for entry in stage.entries for metric in entry.metrics}

    found, expected = values(left), values(right)
    assert found.keys() == expected.keys()
    for key, value in found.items():
        if key[2] == "FT":
            assert value is None or -1 <= value <= 1
        elif value is None or expected[key] is None:
            assert value is expected[key], key
        else:
            assert value == pytest.approx(expected[key], rel=1e-9, abs=1e-12) or value == expected[key], key
    assert left.pre.label_value_or_threshold == right.pre.label_value_or_threshold


# -- the processing job ---------------------------------------------------------------------------------


def test_pre_training_job_reads_the_tables_own_files(bias: AwsBias, jobs: AwsJobs) -> None:
    captured: dict[str, Any] = {}
    bias._sagemaker.meta.events.register("before-parameter-build.sagemaker.CreateProcessingJob",
                                         lambda params, **_: captured.update(params))
    name = bias.start_job(replace(REQUEST, group="department_name"))
    assert check_name("processing-job", name) == name and name.startswith("bias-")
    raw = bias._sagemaker.describe_processing_job(ProcessingJobName=name)
    assert raw["AppSpecification"]["ImageUri"] == f"205585389593.dkr.ecr.{REGION}.amazonaws.com/{CLARIFY_IMAGE}:1.0"
    assert raw["RoleArn"] == ROLE
    assert processing_inputs(bias, name) == {"dataset": f"s3://{BUCKET}/demo/reviews/",
                                              "analysis_config": f"s3://{BUCKET}/clarify/{name}/output/analysis_config.json"}
    assert raw["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == f"s3://{BUCKET}/clarify/{name}/output"
    assert captured["ProcessingResources"]["ClusterConfig"] == {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30}
    config = analysis_config(name)
    assert (config["dataset_type"], "headers" in config) == ("text/csv", False)  # Clarify reads the header row itself
    assert config["label"] == "Rating"  # as the file spells it, not Glue's "rating"
    assert config["label_values_or_threshold"] == [4, 5]  # numbers, as the column holds them
    assert config["facet"] == [{"name_or_index": "Division Name", "value_or_threshold": ["Petite"]}]
    assert config["group_variable"] == "Department Name"
    assert config["methods"]["pre_training_bias"] == {"methods": "all"}
    assert "post_training_bias" not in config["methods"] and "predictor" not in config
    job = jobs.describe_job(name)
    assert (job.kind, job.status, job.config["source"]["table_version"]) == ("bias", "Completed", "1")


def test_thresholds_methods_and_a_prediction_column(bias: AwsBias) -> None:
    request = BiasRequest(source=TABLE, label="rating", label_threshold=3, facet="age", facet_threshold=40, predicted="predicted",
                          predicted_threshold=3.5, methods=("CI", "DPL", "DPPL", "DI"))
    config = analysis_config(bias.start_job(request))
    assert config["label_values_or_threshold"] == [3.0]
    assert config["facet"] == [{"name_or_index": "Age", "value_or_threshold": [40.0]}]
    assert config["predicted_label"] == "Predicted"
    assert config["probability_threshold"] == 3.5
    assert config["methods"]["pre_training_bias"] == {"methods": ["CI", "DPL"]}
    assert config["methods"]["post_training_bias"] == {"methods": ["DI", "DPPL"]}
    assert "predictor" not in config  # the column holds the predictions: no endpoint


def test_post_training_metrics_only_and_every_facet_value(bias: AwsBias) -> None:
    config = analysis_config(bias.start_job(replace(REQUEST, facet_values=(), predicted="predicted", methods=("DPPL",))))
    assert config["facet"] == [{"name_or_index": "Division Name"}]  # one-vs-all for each value
    assert set(config["methods"]) == {"report", "post_training_bias"}


def test_a_local_file_is_staged_as_csv_without_header(bias: AwsBias, jobs: AwsJobs, tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    path = reviews_csv(tmp_path / "mine")
    name = bias.start_job(replace(REQUEST, source=DataSource(path=str(path))))
    assert processing_inputs(bias, name)["dataset"] == f"s3://{BUCKET}/clarify/{name}/input/data.csv"
    config = analysis_config(name)
    assert config["headers"] == ["review_text", "rating", "division_name", "department_name", "age", "predicted"]
    assert (config["label"], config["facet"][0]["name_or_index"]) == ("rating", "division_name")
    staged = pd.read_csv(io.StringIO(s3_text(f"s3://{BUCKET}/clarify/{name}/input/data.csv")), header=None)
    assert staged.shape == (60, 6) and staged.iloc[0, 0] == "review 0, poor fit"  # no header row, commas quoted
    job = jobs.describe_job(name)
    assert (job.config["source"]["path"], job.config["rows"]) == (str(path), 60)


def test_tables_clarify_cannot_read_as_they_are_are_staged(bias: AwsBias, services: Services, tmp_path: Path) -> None:
    (tmp_path / "tsv").mkdir()
    pd.read_csv(reviews_csv(tmp_path)).to_csv(tmp_path / "tsv" / "reviews.tsv", sep="\t", index=False)
    services.catalog.import_path(tmp_path / "tsv" / "reviews.tsv", "demo", "reviews_tsv")
    name = bias.start_job(replace(REQUEST, source=DataSource(table="demo.reviews_tsv")))
    assert processing_inputs(bias, name)["dataset"] == f"s3://{BUCKET}/clarify/{name}/input/data.csv"
    assert analysis_config(name)["headers"][:2] == ["review_text", "rating"]


SQL_ROWS = pd.DataFrame({"rating": [5, 2, 4], "division_name": ["Petite", "General", "Petite"], "age": [30, 41, 52]})


def test_a_sql_result_is_staged_from_athenas_result_file(bias: AwsBias, monkeypatch: pytest.MonkeyPatch) -> None:
    with athena_answers_from(monkeypatch, {"demo.reviews": SQL_ROWS}) as sent:
        name = bias.start_job(replace(REQUEST, source=DataSource(), sql="SELECT rating, division_name FROM demo.reviews"))
    assert sent == ["SELECT rating, division_name FROM demo.reviews"]
    assert analysis_config(name)["headers"] == ["rating", "division_name"]
    assert s3_text(f"s3://{BUCKET}/clarify/{name}/input/data.csv") == "5,Petite\n2,General\n4,Petite\n"


def test_an_empty_sql_result_is_refused(bias: AwsBias, monkeypatch: pytest.MonkeyPatch) -> None:
    with athena_answers_from(monkeypatch, {"demo.reviews": SQL_ROWS}), pytest.raises(InvalidInput, match="no rows"):
        bias.start_job(replace(REQUEST, source=DataSource(), sql="SELECT rating, division_name FROM demo.reviews WHERE false"))
    assert sagemaker_backend().processing_jobs == {} and clarify_keys() == []


def test_bias_of_a_registered_model_scores_encoded_rows_on_a_shadow_endpoint(bias: AwsBias, jobs: AwsJobs) -> None:
    model_id = register_model("stars")
    name = bias.start_job(replace(REQUEST, model_id=model_id, methods=("CI", "DPPL")))
    config = analysis_config(name)
    assert config["predictor"] == {"model_name": "stars-v1", "instance_type": "ml.m5.large", "initial_instance_count": 1,
                                   "content_type": "text/csv", "accept_type": "text/csv", "label_headers": ["1", "2", "3", "4", "5"]}
    # the model's encoded features, the label, and the facet's values (kept from the model's input)
    assert config["headers"] == ["age", "division_name", "department_name", "rating", "division_name_value"]
    assert config["facet"] == [{"name_or_index": "division_name_value", "value_or_threshold": ["Petite"]}]
    assert config["excluded_columns"] == ["division_name_value"]
    assert config["methods"]["pre_training_bias"] == {"methods": ["CI"]}
    assert config["methods"]["post_training_bias"] == {"methods": ["DPPL"]}
    staged = pd.read_csv(io.StringIO(s3_text(f"s3://{BUCKET}/clarify/{name}/input/data.csv")), header=None)
    assert list(staged.iloc[1]) == [21, 2.0, 0.0, 2, "Petite"]  # Petite → code 2, Dresses → code 0
    assert bias._sagemaker.describe_model(ModelName="stars-v1")["Containers"][0]["Image"] == XGBOOST_IMAGE
    assert jobs.describe_job(name).model_id == "stars/1"


@pytest.mark.parametrize(("request_", "error"), [
    (replace(REQUEST, label="stars"), InvalidInput),
    (replace(REQUEST, facet="gender"), InvalidInput),
    (replace(REQUEST, group="region"), InvalidInput),
    (replace(REQUEST, label_values=()), InvalidInput),
    (replace(REQUEST, label_threshold=3.0), InvalidInput),
    (replace(REQUEST, facet_threshold=1.0), InvalidInput),
    (replace(REQUEST, facet="rating"), InvalidInput),
    (replace(REQUEST, methods=("CI", "XYZ")), InvalidInput),
    (replace(REQUEST, methods=("DPPL",)), InvalidInput),  # post-training metrics without predictions
    (replace(REQUEST, predicted="predicted", model_id="stars/1"), InvalidInput),
    (replace(REQUEST, model_id="ghost/1"), NotFound),
    (replace(REQUEST, model_id="no-version"), InvalidInput),
])
def test_impossible_requests_are_refused_before_anything_is_created(bias: AwsBias, jobs: AwsJobs, request_: BiasRequest,
                                                                   error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        bias.start_job(request_)
    assert caught.value.hint  # type: ignore[attr-defined]
    assert sagemaker_backend().processing_jobs == {}
    assert clarify_keys() == []
    assert jobs.list_jobs() == []


@pytest.mark.parametrize(("missing", "variable"), [("s3_bucket", "WORKBENCH_S3_BUCKET"), ("sagemaker_role", "WORKBENCH_SAGEMAKER_ROLE")])
def test_missing_settings_name_their_variable(bias: AwsBias, missing: str, variable: str) -> None:
    bias.settings = replace(bias.settings, **{missing: None})  # type: ignore[arg-type]
    with pytest.raises(BackendUnavailable) as caught:
        bias.start_job(REQUEST)
    assert variable in caught.value.hint
    assert sagemaker_backend().processing_jobs == {}


# -- watching jobs --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "secondary", "finished"), [
    ("InProgress", "Processing", False), ("Stopping", "Stopping", False), ("Completed", "Completed", True),
    ("Failed", "Failed", True), ("Stopped", "Stopped", True)])
def test_processing_statuses_map_to_jobs(bias: AwsBias, jobs: AwsJobs, status: str, secondary: str, finished: bool) -> None:
    bias.index.add("bias-x", "bias", {"output_uri": f"s3://{BUCKET}/clarify/bias-x/output", "model_id": "stars/2"})
    failure = "ClientError: Label column Rating was not found" if status == "Failed" else ""
    with Stubber(jobs._sagemaker) as stubber:
        stubber.add_response("describe_processing_job", processing_response("bias-x", status, failure), {"ProcessingJobName": "bias-x"})
        job = jobs.describe_job("bias-x")
    assert (job.status, job.secondary_status, job.finished, job.failure_reason) == (status, secondary, finished, failure)
    assert (job.kind, job.model_id, job.result["output"]) == ("bias", "stars/2", f"s3://{BUCKET}/clarify/bias-x/output")
    assert job.started_at.startswith("2025-06-01T12:01") and bool(job.ended_at) == finished
    if finished:
        assert jobs.describe_job("bias-x") == job  # read from the index: no second call (the Stubber would refuse it)


def test_job_report_reads_clarifys_analysis_json(bias: AwsBias) -> None:
    name = bias.start_job(replace(REQUEST, predicted="predicted"))
    put_s3(f"s3://{BUCKET}/clarify/{name}/output/analysis.json", (FIXTURES / "bias_analysis.json").read_bytes())
    report = bias.job_report(name)
    (entry,) = report.pre.entries
    assert (report.pre.label, report.pre.label_value_or_threshold, report.pre.facet) == ("Rating", "4,5", "Division Name")
    assert entry.value_or_threshold == "Petite"
    assert entry.metric("CI").value == pytest.approx(0.3166666666666667)
    assert entry.metric("KL").value == math.inf
    assert report.post is not None
    (post,) = report.post.entries
    assert post.metric("DCR").value == -math.inf
    assert post.metric("DI").value == pytest.approx(0.9230769230769231)
    assert (post.metric("FT").value, post.metric("FT").error) == (
        None, "FlipTest needs at least one row of each facet group among the nearest neighbours.")
    assert report.config["label"] == "rating" and name in report.notes[0]
    assert report.analysis_json() == fixture_json("bias_analysis.json")  # renders exactly as Clarify wrote it


def test_the_fixture_round_trips_through_the_report() -> None:
    analysis = fixture_json("bias_analysis.json")
    assert BiasReport.from_analysis_json(analysis).analysis_json() == analysis


@pytest.mark.parametrize(("status", "failure", "expected"), [
    ("InProgress", "", "Wait for the job"), ("Failed", "AlgorithmError: no rows in facet d", "CloudWatch"),
    ("Stopped", "", "Start a new job")])
def test_reports_of_unfinished_jobs_say_what_to_do(bias: AwsBias, status: str, failure: str, expected: str) -> None:
    bias.index.add("bias-y", "bias", {"output_uri": f"s3://{BUCKET}/clarify/bias-y/output"})
    with Stubber(bias._sagemaker) as stubber:
        stubber.add_response("describe_processing_job", processing_response("bias-y", status, failure), {"ProcessingJobName": "bias-y"})
        with pytest.raises(InvalidInput) as caught:
            bias.job_report("bias-y")
    assert expected in caught.value.hint
    assert failure in caught.value.message


def test_a_completed_job_without_analysis_json_is_not_found(bias: AwsBias) -> None:
    name = bias.start_job(REQUEST)
    with pytest.raises(NotFound, match="analysis.json"):
        bias.job_report(name)


def test_unknown_jobs_are_not_found_and_foreign_clarify_jobs_are_adopted(bias: AwsBias, jobs: AwsJobs) -> None:
    with pytest.raises(NotFound) as caught:
        bias.job_report("never-started")
    assert type(caught.value).__module__ == "services.errors"
    client = bias._sagemaker
    common = {"ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 30}},
              "RoleArn": ROLE, "ProcessingOutputConfig": {"Outputs": [{"OutputName": "analysis_result", "S3Output": {
                  "S3Uri": f"s3://{BUCKET}/studio/output", "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]}}
    client.create_processing_job(ProcessingJobName="sklearn-job", AppSpecification={"ImageUri": "123.dkr.ecr/sklearn:1"}, **common)
    with pytest.raises(NotFound, match="not a SageMaker Clarify job"):
        bias.job_report("sklearn-job")
    client.create_processing_job(ProcessingJobName="from-studio", AppSpecification={
        "ImageUri": f"205585389593.dkr.ecr.{REGION}.amazonaws.com/{CLARIFY_IMAGE}:1.0"}, **common)
    put_s3(f"s3://{BUCKET}/studio/output/analysis.json", (FIXTURES / "bias_analysis.json").read_bytes())
    assert bias.job_report("from-studio").analysis_json() == fixture_json("bias_analysis.json")
    job = jobs.describe_job("from-studio")  # adopted as a bias job by the report
    assert (job.kind, job.status, job.result["output"]) == ("bias", "Completed", f"s3://{BUCKET}/studio/output")


@pytest.mark.parametrize(("code", "message", "error"), [
    ("ValidationException", "1 validation error detected", InvalidInput),
    ("ResourceLimitExceeded", "The account-level service limit 'ml.m5.large for processing job usage' is 0", BackendUnavailable),
    ("ResourceInUse", "Job name must be unique", AlreadyExists),
    ("AccessDeniedException", "not authorized to perform: sagemaker:CreateProcessingJob", BackendUnavailable),
])
def test_sagemaker_errors_are_translated(bias: AwsBias, jobs: AwsJobs, code: str, message: str, error: type[Exception]) -> None:
    with Stubber(bias._sagemaker) as stubber, pytest.raises(error) as caught:
        stubber.add_client_error("create_processing_job", service_error_code=code, service_message=message, http_status_code=400)
        bias.start_job(REQUEST)
    assert message in str(caught.value)
    assert type(caught.value).__module__ == "services.errors"
    assert jobs.list_jobs() == []  # nothing indexed for a job that was never created


def test_list_jobs_newest_first_and_only_bias_jobs(bias: AwsBias, jobs: AwsJobs) -> None:
    first = bias.start_job(REQUEST)
    second = bias.start_job(replace(REQUEST, facet_values=("General",)))
    bias.index.add("explain-1", "explain", {})
    assert [j.name for j in jobs.list_jobs(kind="bias")] == [second, first]
    assert [j.name for j in jobs.list_jobs(kind="bias", limit=1)] == [second]
    with pytest.raises(NotFound, match="explain job"):
        bias.job_report("explain-1")


# -- small pieces ---------------------------------------------------------------------------------------


def test_methods_split_into_pre_and_post_training() -> None:
    assert split_methods(("all",)) == split_methods(()) == ("all", "all")
    assert split_methods(("DPL", "DI", "kl ", "FT", "DCAcc")) == (["DPL", "KL"], ["DCA", "DI", "FT"])
    with pytest.raises(InvalidInput, match="XYZ"):
        split_methods(("CI", "XYZ"))


def test_values_are_typed_like_their_column() -> None:
    assert typed_values(("4", "5"), "bigint") == [4, 5]
    assert typed_values(("0.5",), "double") == [0.5]
    assert typed_values(("Petite",), "string") == ["Petite"]
    with pytest.raises(InvalidInput):
        typed_values(("Petite",), "int")


def test_job_names_are_valid_processing_job_names() -> None:
    name = clarify_job_name("explain", datetime(2025, 12, 31, 23, 59, 59))
    assert check_name("processing-job", name) == name and name.startswith("explain-251231-235959-")


def test_the_registry_builds_the_aws_adapter(services: Services) -> None:
    built = build_aws_bias(services.settings, stack=services.stack, query=services.query, catalog=services.catalog)
    assert isinstance(built, AwsBias)
    assert isinstance(services.bias, AwsBias)
