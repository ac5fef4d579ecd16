"""The Clarify SHAP adapter, offline (moto for SageMaker, S3, Glue and the model registry; Stubber for
states moto never reaches). Results are read from ``analysis.json`` and ``explanations_shap/out.csv``
fixtures written in Clarify's documented layout."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import boto3
import pandas as pd
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from services.config import Settings
from services.errors import InvalidInput, NotFound, ServiceError
from services.explain.aws import EXPLAINER, AwsExplain, build_aws_explain, explained_output, local_values
from services.explain.base import ExplainRequest
from services.models import DataSource
from services.registry import Services, build_services
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

FEATURES = ["age", "division_name", "department_name"]
REQUEST = ExplainRequest(model_id="sentiment/1", source=TABLE, rows=4, background_rows=3, aggregation="mean_abs", seed=7)


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
        register_model("sentiment", classes=("low", "high"))
        yield built


@pytest.fixture
def explain(services: Services, settings: Settings) -> AwsExplain:
    return AwsExplain(boto3.Session(region_name=REGION), settings, services.stack, catalog=services.catalog,
                      query=services.query, storage=services.storage)


def put_results(name: str, out_csv: bool = True) -> None:
    put_s3(f"s3://{BUCKET}/clarify/{name}/output/analysis.json", (FIXTURES / "explain_analysis.json").read_bytes())
    if out_csv:
        put_s3(f"s3://{BUCKET}/clarify/{name}/output/explanations_shap/out.csv", (FIXTURES / "explanations_shap" / "out.csv").read_bytes())


# -- the SHAP job ---------------------------------------------------------------------------------------


def test_shap_job_explains_a_seeded_sample_on_a_shadow_endpoint(explain: AwsExplain, services: Services) -> None:
    name = explain.start_job(replace(REQUEST, aggregation="mean_sq"))
    raw = explain._sagemaker.describe_processing_job(ProcessingJobName=name)
    assert "sagemaker-clarify-processing" in raw["AppSpecification"]["ImageUri"] and raw["RoleArn"] == ROLE
    inputs = {i["InputName"]: i["S3Input"]["S3Uri"] for i in raw["ProcessingInputs"]}
    assert inputs["dataset"] == f"s3://{BUCKET}/clarify/{name}/input/data.csv"
    assert raw["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == f"s3://{BUCKET}/clarify/{name}/output"
    config = analysis_config(name)
    assert config["methods"]["shap"] == {"use_logit": False, "save_local_shap_values": True, "num_samples": 2 * 3 + 2048,
                                         "agg_method": "mean_sq", "seed": 7, "num_clusters": 3}
    assert config["predictor"] == {"model_name": "sentiment-v1", "instance_type": "ml.m5.large", "initial_instance_count": 1,
                                   "content_type": "text/csv", "accept_type": "text/csv"}
    assert config["headers"] == FEATURES and "label" not in config
    sent = pd.read_csv(io.StringIO(s3_text(inputs["dataset"])), header=None)
    assert sent.shape == (4, 3) and all(pd.api.types.is_numeric_dtype(sent[c]) for c in sent)  # encoded as the model reads them
    shown = pd.read_csv(io.StringIO(s3_text(f"s3://{BUCKET}/clarify/{name}/rows/explained.csv")))
    assert list(shown.columns) == FEATURES and set(shown["division_name"]) <= {"General", "Petite", "Intimates"}
    assert list(shown["age"]) == list(sent[0])  # the same rows, in the same order
    assert explain._sagemaker.describe_model(ModelName="sentiment-v1")["Containers"][0]["Image"] == XGBOOST_IMAGE
    job = services.jobs.describe_job(name)
    assert (job.kind, job.status, job.model_id, job.config["rows"]) == ("explain", "Completed", "sentiment/1", 4)


def test_the_sample_is_seeded(explain: AwsExplain) -> None:
    first = explain.start_job(REQUEST)
    second = explain.start_job(replace(REQUEST, background_rows=4))  # another job, same seed and rows
    rows = [s3_text(f"s3://{BUCKET}/clarify/{n}/rows/explained.csv") for n in (first, second)]
    assert first != second and rows[0] == rows[1]
    other = explain.start_job(replace(REQUEST, seed=8))
    assert s3_text(f"s3://{BUCKET}/clarify/{other}/rows/explained.csv") != rows[0]


def test_the_same_model_data_version_and_settings_reuse_the_job(explain: AwsExplain, services: Services, tmp_path: Path) -> None:
    first = explain.start_job(REQUEST)
    assert explain.start_job(REQUEST) == first
    assert explain.start_job(replace(REQUEST, aggregation="median")) != first
    (tmp_path / "again").mkdir()
    services.catalog.import_path(reviews_csv(tmp_path / "again"), "demo", "reviews")  # a new table version
    assert explain.start_job(REQUEST) not in (first, "")
    assert len(sagemaker_backend().processing_jobs) == 3


def test_failed_jobs_are_not_reused(explain: AwsExplain) -> None:
    first = explain.start_job(REQUEST)
    sagemaker_backend().processing_jobs[first].processing_job_status = "Failed"
    second = explain.start_job(REQUEST)
    assert second != first
    assert explain.start_job(REQUEST) == second


def test_a_local_file_is_cached_by_its_size_and_time(explain: AwsExplain, tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    request = replace(REQUEST, source=DataSource(path=str(reviews_csv(tmp_path / "mine"))))
    first = explain.start_job(request)
    assert explain.start_job(request) == first
    path = Path(request.source.path)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))  # the file changed
    assert explain.start_job(request) != first


@pytest.mark.parametrize(("request_", "error"), [
    (replace(REQUEST, model_id=""), InvalidInput),
    (replace(REQUEST, source=DataSource()), InvalidInput),
])
def test_bad_requests_are_refused_before_anything_is_created(explain: AwsExplain, request_: ExplainRequest,
                                                             error: type[Exception]) -> None:
    with pytest.raises(error):
        explain.start_job(request_)
    assert sagemaker_backend().processing_jobs == {}
    assert clarify_keys() == []


def test_data_without_the_models_columns_is_refused(explain: AwsExplain) -> None:
    model_id = register_model("tall", classes=("low", "high"), features=("age", "height"))
    with pytest.raises(InvalidInput, match="height"):
        explain.start_job(replace(REQUEST, model_id=model_id))
    assert sagemaker_backend().processing_jobs == {} and clarify_keys() == []


# -- results --------------------------------------------------------------------------------------------


def test_explanation_reads_the_global_values_of_label0(explain: AwsExplain) -> None:
    name = explain.start_job(REQUEST)
    put_results(name)
    result = explain.explanation(name)
    assert (result.model_id, result.explainer, result.aggregation, result.rows) == ("sentiment/1", EXPLAINER, "mean_abs", 4)
    assert result.explained_output == "high"  # one score: the probability of the second class
    assert result.global_importance == {"age": 0.021, "division_name": 0.0087, "department_name": 0.0043}
    assert list(result.global_importance) == ["age", "division_name", "department_name"]
    assert result.base_value == 0.6112
    assert set(result.importances) == {"mean_abs", "mean_sq", "median"}
    assert result.importances["mean_abs"] == result.global_importance  # Clarify's own numbers for its aggregation
    assert result.importances["mean_sq"]["age"] == pytest.approx((0.03**2 + 0.01**2 + 0.02**2 + 0.024**2) / 4)
    assert result.importances["median"]["department_name"] == pytest.approx(0.0045)
    assert name in result.notes[0]


def test_without_local_values_only_clarifys_aggregation_is_known(explain: AwsExplain) -> None:
    name = explain.start_job(replace(REQUEST, aggregation="median"))
    put_results(name, out_csv=False)
    result = explain.explanation(name)
    assert result.aggregation == "median" and set(result.importances) == {"median"}
    with pytest.raises(NotFound, match="out.csv"):
        explain.shap_frames(name)


def test_shap_frames_pair_out_csv_with_the_explained_rows(explain: AwsExplain) -> None:
    name = explain.start_job(REQUEST)
    put_results(name)
    values, rows = explain.shap_frames(name)
    assert list(values.columns) == list(rows.columns) == FEATURES
    assert values.index.equals(rows.index) and len(values) == 4
    assert list(values["age"]) == [0.03, -0.01, 0.02, -0.024]
    assert all(isinstance(v, str) for v in rows["division_name"])  # original values, not the model's codes


def test_results_of_a_running_job_ask_to_wait(explain: AwsExplain) -> None:
    explain.index.add("explain-x", "explain", {"output_uri": f"s3://{BUCKET}/clarify/explain-x/output"})
    with Stubber(explain._sagemaker) as stubber:
        stubber.add_response("describe_processing_job", processing_response("explain-x", "InProgress"),
                             {"ProcessingJobName": "explain-x"})
        with pytest.raises(InvalidInput) as caught:
            explain.explanation("explain-x")
    assert "Wait" in caught.value.hint


def test_unknown_jobs_are_not_found(explain: AwsExplain) -> None:
    with pytest.raises(NotFound):
        explain.explanation("explain-never")


def test_output_names() -> None:
    assert explained_output("label0", ()) == "prediction"
    assert explained_output("label0", ("neg", "pos")) == "pos"
    assert explained_output("label2", ("1", "2", "3", "4", "5")) == "3"
    assert explained_output("positive", ("neg", "pos")) == "positive"
    out = pd.DataFrame({"b_label0": [1.0], "a_label0": [2.0], "a_label1": [3.0]})
    assert list(local_values(out, "label0", ["a", "b"]).iloc[0]) == [2.0, 1.0]


# -- the rest of the port -------------------------------------------------------------------------------


def test_token_attributions_run_locally(explain: AwsExplain) -> None:
    with pytest.raises(ServiceError) as caught:
        explain.explain_text("reviews/1", "Runs small, lovely colour.")
    assert "WORKBENCH_BACKEND=local" in caught.value.hint and "TextConfig" in caught.value.hint


def test_list_jobs_and_the_registry(explain: AwsExplain, services: Services) -> None:
    first = explain.start_job(REQUEST)
    second = explain.start_job(replace(REQUEST, seed=1))
    assert [j.name for j in services.jobs.list_jobs(kind="explain")] == [second, first]
    built = build_aws_explain(services.settings, stack=services.stack, query=services.query, catalog=services.catalog,
                              storage=services.storage)
    assert isinstance(built, AwsExplain)
    assert isinstance(services.explain, AwsExplain)
