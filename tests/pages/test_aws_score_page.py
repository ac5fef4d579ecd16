"""The Score page on the aws backend.

moto runs what it implements (SageMaker models, endpoint configs, endpoints, model packages and transform jobs,
S3, Glue); Athena answers queued results; the runtime's answers come from botocore's Stubber (moto returns a
fixed stub body), shaped as the built-in containers document them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from streamlit.testing.v1 import AppTest

from services.endpoints.aws.common import EndpointsBase
from services.endpoints.models import DeployRequest, Variant
from services.endpoints.score_forms import batch_chart_specs
from services.registry import build_services
from tests.helpers.aws import BUCKET, REGION, aws_settings, queue_athena_result
from tests.helpers.aws_endpoints import ROLE, answer_of, register_model, reviews_csv
from tests.helpers.pages import APP, open_page, texts

ENDPOINT = "reviews-live"
PREDICT = f"FormSubmitter:score.record.{ENDPOINT}-Predict"
BATCH = "FormSubmitter:score.batch-Score every row"


def aws_environment(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    for name, value in {"WORKBENCH_BACKEND": "aws", "WORKBENCH_HOME": str(home), "WORKBENCH_AWS_REGION": REGION,
                        "WORKBENCH_S3_BUCKET": BUCKET, "WORKBENCH_ATHENA_OUTPUT": f"s3://{BUCKET}/athena/",
                        "WORKBENCH_SAGEMAKER_ROLE": ROLE, "WORKBENCH_SEED_ON_START": "false"}.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def runtime(mocked_aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    """The app's ``sagemaker-runtime`` client, stubbed: each test queues the answers its clicks cause."""
    client = boto3.client("sagemaker-runtime", region_name=REGION)
    monkeypatch.setattr(EndpointsBase, "_runtime", property(lambda self: client))
    with Stubber(client) as stubber:
        yield stubber


@pytest.fixture
def score_app(mocked_aws: None, runtime: Stubber, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """``demo.reviews`` in Glue and S3, and the endpoint ``reviews-live`` serving a registered XGBoost model."""
    settings = replace(aws_settings(tmp_path / "home"), sagemaker_role=ROLE)
    services = build_services(settings)
    services.catalog.import_path(reviews_csv(tmp_path), "demo", "reviews")
    services.endpoints.deploy(DeployRequest(ENDPOINT, (Variant("a", register_model("scorer")),), capture_percent=0))
    aws_environment(monkeypatch, settings.home)
    return AppTest.from_file(str(APP), default_timeout=60)


def record_form(app: AppTest, division: str, age: int) -> AppTest:
    app.text_input(key=f"score.record.{ENDPOINT}.division_name").input(division)
    app.number_input(key=f"score.record.{ENDPOINT}.age").set_value(age)
    return app.button(key=PREDICT).click().run()


def metrics(app: AppTest) -> dict[str, Any]:
    return {m.label: m.value for m in app.metric}


def test_a_row_is_scored_by_the_containers_csv_answer(score_app: AppTest, runtime: Stubber) -> None:
    app = open_page(score_app, "score")
    assert app.selectbox(key="score.endpoint").value == ENDPOINT
    runtime.add_response("invoke_endpoint", answer_of(b"[0.05, 0.05, 0.1, 0.2, 0.6]", "text/csv"),
                         {"EndpointName": ENDPOINT, "Body": b"0,31\n", "ContentType": "text/csv", "Accept": "text/csv"})
    record_form(app, "General", 31)
    assert not app.exception, app.exception
    assert not texts(app.error), texts(app.error)
    assert metrics(app)["Predicted label"] == "5"
    runtime.assert_no_pending_responses()


@pytest.mark.parametrize(("code", "status", "shown"), [
    ("AccessDeniedException", 403, "not authorized to perform: sagemaker:InvokeEndpoint"),
    ("ThrottlingException", 400, "Rate exceeded"),
])
def test_a_refused_call_is_a_clear_error_and_the_form_keeps_the_row(score_app: AppTest, runtime: Stubber, code: str,
                                                                     status: int, shown: str) -> None:
    app = open_page(score_app, "score")
    message = ("User: arn:aws:iam::123456789012:user/analyst is not authorized to perform: sagemaker:InvokeEndpoint"
               if status == 403 else "Rate exceeded")
    runtime.add_client_error("invoke_endpoint", code, message, status)
    record_form(app, "Petite", 44)
    assert not app.exception, app.exception
    assert shown in texts(app.error)
    assert app.text_input(key=f"score.record.{ENDPOINT}.division_name").value == "Petite"
    assert app.number_input(key=f"score.record.{ENDPOINT}.age").value == 44
    assert "Predicted label" not in metrics(app)


def test_batch_scoring_on_aws_ends_with_the_output_table_in_the_catalog(score_app: AppTest) -> None:
    app = open_page(score_app, "score")
    app.selectbox(key="score.batch.table").set_value("demo.reviews")
    app.text_input(key="score.batch.output").input("scores.reviews_scored")
    app.button(key=BATCH).click().run()
    assert not app.exception, app.exception
    assert not texts(app.error), texts(app.error)
    job, output = app.session_state["score.batch_job"]
    assert output == "scores.reviews_scored"
    # SageMaker writes one line per input row: XGBoost's multi:softprob probabilities
    lines = "\n".join(",".join("0.9" if c == i % 5 else "0.025" for c in range(5)) for i in range(30))
    boto3.client("s3", region_name=REGION).put_object(Bucket=BUCKET, Key=f"transform/{job}/output/data.csv.out",
                                                      Body=lines.encode())
    columns = ["review_text", "rating", "division_name", "age", "predicted_label", "probability", "prediction"]
    for spec in batch_chart_specs("scores.reviews_scored", columns):  # Athena's answers to the charts' queries
        names = list(dict.fromkeys([spec["x"], "predicted", "rows"]))
        queue_athena_result([(n, "bigint" if n == "rows" else "varchar") for n in names],
                            [[{"rows": "6", "predicted": "5"}.get(n, "General") for n in names]])
    app.run()
    assert not app.exception, app.exception
    assert "score.batch_job" not in app.session_state
    assert "scores.reviews_scored" in texts(app.success), texts(app.error)
    glue = boto3.client("glue", region_name=REGION).get_table(DatabaseName="scores", Name="reviews_scored")["Table"]
    assert glue["StorageDescriptor"]["Location"] == f"s3://{BUCKET}/batch/scores/reviews_scored/"
    assert {"predicted_label", "probability", "rating"} <= {c["Name"] for c in glue["StorageDescriptor"]["Columns"]}


def test_without_an_endpoint_in_service_the_page_points_to_the_endpoints_page(mocked_aws: None, tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    aws_environment(monkeypatch, tmp_path / "home")
    app = open_page(AppTest.from_file(str(APP), default_timeout=60), "score")
    assert "No endpoint is in service yet" in texts(app.info)
