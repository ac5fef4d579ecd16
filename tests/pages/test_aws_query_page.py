"""The Query page on the aws backend: Glue and S3 run in moto, Athena returns queued results (moto runs no SQL).
What issue 14 changed on this page: the history keeps refused statements, an error goes with its SQL, the editor
folds away after a run, and the quick chart starts on a measure."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from services.registry import build_services
from tests.helpers.aws import BUCKET, REGION, aws_settings, queue_athena_result
from tests.helpers.pages import APP, frame_with, texts

RUN = "FormSubmitter:query.editor-Run"


@pytest.fixture
def aws_app(mocked_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    settings = aws_settings(tmp_path / "home")
    source = tmp_path / "orders.csv"
    source.write_text("Order ID,Amount\n1,9.5\n2,3.25\n")
    build_services(settings).catalog.import_path(source, "shop", "orders")
    for name, value in {"WORKBENCH_BACKEND": "aws", "WORKBENCH_HOME": str(settings.home), "WORKBENCH_AWS_REGION": REGION,
                        "WORKBENCH_S3_BUCKET": BUCKET, "WORKBENCH_ATHENA_OUTPUT": f"s3://{BUCKET}/athena/"}.items():
        monkeypatch.setenv(name, value)
    return AppTest.from_file(str(APP), default_timeout=60)


def run_sql(app: AppTest, sql: str) -> AppTest:
    app.text_area(key="query.sql").input(sql)
    app.button(key=RUN).click().run()
    assert not app.exception, app.exception
    return app


def editor(app: AppTest):  # type: ignore[no-untyped-def]
    return next(e for e in app.expander if e.label == "SQL editor")


def test_refused_statements_reach_the_history_and_the_error_goes_with_its_sql(aws_app: AppTest) -> None:
    aws_app.run()
    aws_app.switch_page("pages/query.py").run()
    queue_athena_result([("order_id", "bigint"), ("amount", "double")], [["1", "9.5"], ["2", "3.25"]])
    run_sql(aws_app, "SELECT * FROM shop.orders")
    assert list(frame_with(aws_app, "amount")["amount"]) == [9.5, 3.25]
    assert not editor(aws_app).proto.expanded  # the results come first
    assert (aws_app.selectbox(key="query.chart.x").value, aws_app.selectbox(key="query.chart.y").value) == ("order_id", "amount")

    run_sql(aws_app, "DROP TABLE shop.orders")  # refused: Athena never sees it
    assert "DROP is not allowed" in texts(aws_app.error) and editor(aws_app).proto.expanded
    history = frame_with(aws_app, "submitted (UTC)")
    assert list(history["status"]) == ["FAILED", "SUCCEEDED"]
    assert "DROP is not allowed" in history["error"][0] and history["rows"][0] == "—"

    aws_app.selectbox(key="query.history.pick").select(1).run()
    aws_app.button(key="query.h_open").click().run()
    assert aws_app.text_area(key="query.sql").value == "SELECT * FROM shop.orders"
    assert "DROP is not allowed" not in texts(aws_app.error)
