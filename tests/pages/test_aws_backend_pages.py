"""The same pages on the aws backend: Glue and S3 run for real in moto; Athena returns queued results."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from services.registry import build_services
from tests.helpers.aws import BUCKET, REGION, aws_settings, queue_athena_result
from tests.helpers.moto_gaps import fail_calls
from tests.helpers.pages import APP, frame_with, sidebar_text, texts


@pytest.fixture
def aws_app(mocked_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:  # noqa: F811
    settings = aws_settings(tmp_path / "home")
    source = tmp_path / "orders.csv"
    source.write_text("Order ID,Amount\n1,9.5\n2,3.25\n")
    build_services(settings).catalog.import_path(source, "shop", "orders")
    for name, value in {"WORKBENCH_BACKEND": "aws", "WORKBENCH_HOME": str(settings.home), "WORKBENCH_AWS_REGION": REGION,
                        "WORKBENCH_S3_BUCKET": BUCKET, "WORKBENCH_ATHENA_OUTPUT": f"s3://{BUCKET}/athena/"}.items():
        monkeypatch.setenv(name, value)
    return AppTest.from_file(str(APP), default_timeout=60)


def test_catalog_page_shows_the_glue_catalog(aws_app: AppTest) -> None:
    aws_app.run()
    assert "AWS (us-east-1)" in sidebar_text(aws_app)
    aws_app.switch_page("pages/catalog.py").run()
    assert not aws_app.exception, aws_app.exception
    assert "shop.orders" in texts(aws_app.subheader)
    schema = frame_with(aws_app, "comment (original header)")
    assert list(schema["column"]) == ["order_id", "amount"]
    assert list(schema["comment (original header)"]) == ["Order ID", "Amount"]


def test_query_page_runs_on_athena(aws_app: AppTest) -> None:
    aws_app.run()
    aws_app.switch_page("pages/query.py").run()
    queue_athena_result([("order_id", "bigint"), ("amount", "double")], [["1", "9.5"], ["2", "3.25"]])
    aws_app.text_area(key="query.sql").input("SELECT * FROM shop.orders")
    aws_app.button(key="FormSubmitter:query.editor-Run").click().run()
    assert not aws_app.exception, aws_app.exception
    assert list(frame_with(aws_app, "amount")["amount"]) == [9.5, 3.25]


def test_refused_sql_never_reaches_athena(aws_app: AppTest) -> None:
    aws_app.run()
    aws_app.switch_page("pages/query.py").run()
    aws_app.text_area(key="query.sql").input("DROP TABLE shop.orders")
    aws_app.button(key="FormSubmitter:query.editor-Run").click().run()
    assert "DROP is not allowed" in texts(aws_app.error)


def test_catalog_page_says_glue_refused(aws_app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    fail_calls(monkeypatch, "glue", "GetDatabases", "AccessDeniedException",
               "User: arn:aws:iam::123456789012:user/analyst is not authorized to perform: glue:GetDatabases")
    aws_app.run()
    aws_app.switch_page("pages/catalog.py").run()
    assert not aws_app.exception, aws_app.exception
    assert "glue:GetDatabases" in texts(aws_app.error) and "IAM policy" in texts(aws_app.error)


def test_query_page_keeps_the_sql_when_athena_throttles(aws_app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    fail_calls(monkeypatch, "athena", "StartQueryExecution", "TooManyRequestsException", "Rate exceeded")
    aws_app.run()
    aws_app.switch_page("pages/query.py").run()
    aws_app.text_area(key="query.sql").input("SELECT * FROM shop.orders")
    aws_app.button(key="FormSubmitter:query.editor-Run").click().run()
    assert not aws_app.exception, aws_app.exception
    assert "Rate exceeded" in texts(aws_app.error)
    assert aws_app.text_area(key="query.sql").value == "SELECT * FROM shop.orders"
