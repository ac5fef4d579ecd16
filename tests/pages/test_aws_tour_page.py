"""The Tour page on the aws backend: Glue and S3 in moto, Athena answering the page's real SQL from the table's rows
(tests/helpers/athena.py), SageMaker in moto. Steps the aws adapters do not run (the text model is local-only, as
are single-review explanations) say so under their button, with the AWS code still beside them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import boto3
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from services.registry import build_services
from tests.helpers.athena import athena_answers_from
from tests.helpers.aws import BUCKET, REGION, aws_settings
from tests.helpers.pages import APP, frame_with, texts

ROLE = "arn:aws:iam::123456789012:role/workbench-sagemaker"


def reviews() -> pd.DataFrame:
    """A small demo.reviews_sentiment: Dresses get fewer positive reviews than Tops."""
    return pd.DataFrame([{"review_id": i, "review_body": f"review {i}", "sentiment": (1 if i % 3 else -1) if i % 2
                          else (1 if i % 5 == 0 else 0), "product_category": ("Tops", "Dresses")[i % 2 == 0]}
                         for i in range(60)])


@pytest.fixture
def aws_app(mocked_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    settings = replace(aws_settings(tmp_path / "home"), sagemaker_role=ROLE)
    path = tmp_path / "reviews_sentiment.csv"
    reviews().to_csv(path, index=False)
    build_services(settings).catalog.import_path(path, "demo", "reviews_sentiment")
    for name, value in {"WORKBENCH_BACKEND": "aws", "WORKBENCH_HOME": str(settings.home), "WORKBENCH_AWS_REGION": REGION,
                        "WORKBENCH_S3_BUCKET": BUCKET, "WORKBENCH_SAGEMAKER_ROLE": ROLE,
                        "WORKBENCH_ATHENA_OUTPUT": f"s3://{BUCKET}/athena/", "AWS_MAX_ATTEMPTS": "1"}.items():
        monkeypatch.setenv(name, value)
    with athena_answers_from(monkeypatch, {"demo.reviews_sentiment": reviews()}):
        yield AppTest.from_file(str(APP), default_timeout=60)


def click(app: AppTest, step: str) -> AppTest:
    app.button(key=f"tour.step.{step}.run").click().run()
    assert not app.exception, app.exception
    return app


def test_the_steps_run_through_the_aws_adapters_and_say_what_they_cannot_do(aws_app: AppTest) -> None:
    aws_app.run()
    aws_app.switch_page("pages/tour.py").run()
    assert not aws_app.exception, aws_app.exception
    click(aws_app, "query")
    counts = frame_with(aws_app, "reviews").set_index(["product_category", "sentiment"])["reviews"]
    assert counts.sum() == 60 and counts[("Dresses", 0)] == 24
    click(aws_app, "bias")
    assert "Dresses gets positive reviews" in texts(aws_app.markdown)
    click(aws_app, "train")
    assert "text-tfidf runs locally only" in texts(aws_app.error)
    assert not boto3.client("sagemaker", region_name=REGION).list_training_jobs()["TrainingJobSummaries"]
    click(aws_app, "compare")
    assert "No MLflow tracking server is configured" in texts(aws_app.error)  # the runs adapter's own message
    for step in ("explain", "deploy"):  # no review model in SageMaker's registry: the tour asks for step 3
        click(aws_app, step)
    click(aws_app, "score")  # ListEndpoints in moto: none
    shown = texts(aws_app.error)
    assert shown.count("There is no review-sentiment model yet") == 2 and "Run step 6 (Deploy) first" in shown
    code = "\n".join(str(c.value) for c in aws_app.code)
    assert "ModelTrainer(" in code and "Endpoint.get(endpoint_name='tour-reviews')" in code
