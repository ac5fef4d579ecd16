"""Home on the aws backend: counts from moto's Glue and SageMaker; a refused call is a clear error, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from services.registry import build_services
from tests.helpers.aws import BUCKET, REGION, aws_settings
from tests.helpers.aws_monitoring import ScheduleBook
from tests.helpers.moto_gaps import fail_calls
from tests.helpers.pages import APP, sidebar_text, texts


@pytest.fixture
def aws_app(mocked_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    settings = aws_settings(tmp_path / "home")
    catalog = build_services(settings).catalog
    for table, text in (("orders", "Order ID,Amount\n1,9.5\n2,3.25\n"), ("customers", "id\n1\n2\n3\n")):
        source = tmp_path / f"{table}.csv"
        source.write_text(text)
        catalog.import_path(source, "shop", table)
    catalog.create_database("empty")
    for name, value in {"WORKBENCH_BACKEND": "aws", "WORKBENCH_HOME": str(settings.home), "WORKBENCH_AWS_REGION": REGION,
                        "WORKBENCH_S3_BUCKET": BUCKET, "WORKBENCH_ATHENA_OUTPUT": f"s3://{BUCKET}/athena/"}.items():
        monkeypatch.setenv(name, value)
    ScheduleBook().install(monkeypatch)  # moto has no Model Monitor schedules: answered in SageMaker's shapes
    return AppTest.from_file(str(APP), default_timeout=60)


def card_values(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def test_home_counts_the_glue_catalog_and_sagemaker(aws_app: AppTest) -> None:
    aws_app.run()
    assert not aws_app.exception, aws_app.exception
    assert "AWS (us-east-1)" in sidebar_text(aws_app)
    metrics = card_values(aws_app)
    assert (metrics["Databases"], metrics["Tables"], metrics["Rows catalogued"]) == ("2", "2", "5")
    assert (metrics["Monitoring schedules"], metrics["In service"], metrics["Models registered"]) == ("0", "0", "0")
    assert "Compare runs" in texts(aws_app.markdown)  # the cards render below the counts


def test_home_says_glue_refused_and_still_shows_the_cards(aws_app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    fail_calls(monkeypatch, "glue", "GetDatabases", "AccessDeniedException",
               "User: arn:aws:iam::123456789012:user/analyst is not authorized to perform: glue:GetDatabases", 400)
    aws_app.run()
    assert not aws_app.exception, aws_app.exception
    assert "AWS refused GetDatabases" in texts(aws_app.error) and "IAM policy" in texts(aws_app.error)
    metrics = card_values(aws_app)
    assert "Databases" not in metrics and metrics["Tables"] == "—"  # the catalog card says it could not count
    assert metrics["Monitoring schedules"] == "0"  # the other counts still show
    assert "Compare runs" in texts(aws_app.markdown)


def test_a_refused_sagemaker_listing_blanks_only_its_own_cards(aws_app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    fail_calls(monkeypatch, "sagemaker", "ListEndpoints", "AccessDeniedException",
               "User: arn:aws:iam::123456789012:user/analyst is not authorized to perform: sagemaker:ListEndpoints", 400)
    aws_app.run()
    assert not aws_app.exception, aws_app.exception
    metrics = card_values(aws_app)
    assert (metrics["In service"], metrics["Requests served"]) == ("—", "—")
    assert "ListEndpoints" in texts(aws_app.caption)
    assert (metrics["Tables"], metrics["Monitoring schedules"]) == ("2", "0")
