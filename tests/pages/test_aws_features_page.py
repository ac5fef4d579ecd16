"""The Features page on the aws backend: a group created from a Glue table (moto) with SageMaker's CreateFeatureGroup,
the table ingested by a SageMaker Processing job (moto), a record looked up with GetRecord, and SageMaker's refusals
shown with the inputs kept. moto has no Feature Store runtime, tags or DeleteFeatureGroup, so
tests/helpers/aws_features.py's FakeFeatureStore answers the Feature Store calls in their documented shapes (checked
against botocore's service model) on every session the app makes."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from services.config import Settings
from services.features.models import FeatureGroupSpec, IngestSource
from tests.helpers.aws import BUCKET, REGION
from tests.helpers.aws_features import FakeFeatureStore
from tests.helpers.pages import APP, frame_with, texts

ROLE = "arn:aws:iam::123456789012:role/workbench-sagemaker"
CREATE = "features.create.lab.customers"


@pytest.fixture
def store(mocked_aws: None, monkeypatch: pytest.MonkeyPatch) -> FakeFeatureStore:
    """The Feature Store every boto3 session the services make from now on talks to."""
    import services.aws.session as sessions

    fake = FakeFeatureStore()
    original = sessions.make_session

    def make_session(settings: Settings) -> boto3.Session:
        session = original(settings)
        fake.attach(session)
        return session

    monkeypatch.setattr(sessions, "make_session", make_session)
    return fake


@pytest.fixture
def aws_app(store: FakeFeatureStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    for name, value in {"WORKBENCH_BACKEND": "aws", "WORKBENCH_HOME": str(tmp_path / "home"),
                        "WORKBENCH_AWS_REGION": REGION, "WORKBENCH_S3_BUCKET": BUCKET,
                        "WORKBENCH_ATHENA_OUTPUT": f"s3://{BUCKET}/athena/", "WORKBENCH_SAGEMAKER_ROLE": ROLE,
                        "WORKBENCH_SEED_ON_START": "false"}.items():
        monkeypatch.setenv(name, value)
    glue = boto3.client("glue", region_name=REGION)
    glue.create_database(DatabaseInput={"Name": "lab"})
    glue.create_table(DatabaseName="lab", TableInput={
        "Name": "customers", "TableType": "EXTERNAL_TABLE", "Parameters": {"classification": "csv"},
        "StorageDescriptor": {"Location": f"s3://{BUCKET}/tables/lab/customers/", "Columns": [
            {"Name": "customer_id", "Type": "bigint"}, {"Name": "event_time", "Type": "string"},
            {"Name": "spend", "Type": "double"}, {"Name": "city", "Type": "string"}]}})
    return AppTest.from_file(str(APP), default_timeout=60)


def open_features(app: AppTest) -> AppTest:
    app.run()
    app.switch_page("pages/features.py").run()
    assert not app.exception, app.exception
    return app


def submit(app: AppTest, form: str, label: str) -> AppTest:
    app.button(key=f"FormSubmitter:{form}-{label}").click().run()
    assert not app.exception, app.exception
    return app


def test_a_group_created_from_a_glue_table_and_a_record_looked_up_in_sagemaker(aws_app: AppTest,
                                                                            store: FakeFeatureStore) -> None:
    open_features(aws_app)
    assert "No feature groups yet" in texts(aws_app.info)
    assert "features.demo" not in [b.key for b in aws_app.button]  # SageMaker ingests tables, not the demo SQL
    aws_app.selectbox(key="features.create.source").select("lab.customers").run()
    aws_app.text_input(key=f"{CREATE}.name").input("customers")
    submit(aws_app, f"{CREATE}.form", "Create feature group")
    assert "Feature group **customers** created" in texts(aws_app.success)
    request = store.called("CreateFeatureGroup")[0]
    assert (request["RecordIdentifierFeatureName"], request["EventTimeFeatureName"]) == ("customer_id", "event_time")
    assert [(f["FeatureName"], f["FeatureType"]) for f in request["FeatureDefinitions"]] == [
        ("customer_id", "Integral"), ("event_time", "String"), ("spend", "Fractional"), ("city", "String")]
    assert request["RoleArn"] == ROLE and request["OnlineStoreConfig"]["EnableOnlineStore"] is True
    groups = frame_with(aws_app, "freshness")
    assert (list(groups["records"]), list(groups["freshness"])) == (["–"], ["–"])  # SageMaker does not describe them
    assert aws_app.button(key="features.statistics").label == "Compute statistics"

    assert aws_app.selectbox(key=keys.FEATURES_INGEST_TABLE).value == "lab.customers"  # handed over by Create
    submit(aws_app, "features.ingest.table.form", "Start ingestion")
    _, job = aws_app.session_state[keys.FEATURES_INGESTION]
    described = boto3.client("sagemaker", region_name=REGION).describe_processing_job(ProcessingJobName=job)
    assert f"s3://{BUCKET}/tables/lab/customers/" in [i["S3Input"]["S3Uri"] for i in described["ProcessingInputs"]]
    assert f"Ingestion job **{job}** completed" in texts(aws_app.success)  # moto ends processing jobs at once

    store.put_record({"FeatureGroupName": "customers", "Record": [
        {"FeatureName": "customer_id", "ValueAsString": "7"}, {"FeatureName": "event_time", "ValueAsString": "2024-05-01T00:00:00Z"},
        {"FeatureName": "spend", "ValueAsString": "73.5"}, {"FeatureName": "city", "ValueAsString": "Lyon"}]})
    aws_app.text_input(key="features.lookup.id").input("7")
    submit(aws_app, "features.lookup.form", "Look up")
    assert store.called("GetRecord")[-1]["RecordIdentifierValueAsString"] == "7"
    record = frame_with(aws_app, "value")
    assert dict(zip(record["feature"], record["value"], strict=True))["spend"] == "73.5"
    aws_app.text_input(key="features.lookup.id").input("8")
    submit(aws_app, "features.lookup.form", "Look up")
    assert "No record **8** in the online store of customers" in texts(aws_app.info)


def test_sagemakers_refusals_are_explained_with_the_inputs_kept(aws_app: AppTest, store: FakeFeatureStore) -> None:
    from services.registry import build_services

    features = build_services(Settings.from_env()).features
    source = IngestSource(table="lab.customers")
    features.create_feature_group(FeatureGroupSpec("customers", "customer_id", "event_time",
                                                   tuple(features.infer_definitions(source))))
    open_features(aws_app)
    aws_app.segmented_control(key=keys.FEATURES_INGEST_KIND).set_value("sql").run()
    sql = "SELECT * FROM lab.customers"
    aws_app.text_area(key=keys.FEATURES_INGEST_SQL).input(sql)
    submit(aws_app, "features.ingest.sql.form", "Start ingestion")
    assert "On AWS an ingestion job reads a table or a file" in texts(aws_app.error)
    assert aws_app.text_area(key=keys.FEATURES_INGEST_SQL).value == sql

    store.fail_next("GetRecord", "AccessDeniedException",
                    "User is not authorized to perform: sagemaker:GetRecord", 400)
    aws_app.text_input(key="features.lookup.id").input("7")
    submit(aws_app, "features.lookup.form", "Look up")
    assert "not authorized to perform: sagemaker:GetRecord" in texts(aws_app.error)
    assert aws_app.text_input(key="features.lookup.id").value == "7"

    aws_app.query_params.update({"group": "churn-features"})
    aws_app.run()
    assert "churn-features" in texts(aws_app.error)
