"""The Data quality page on the aws backend: Glue and S3 run in moto; Athena answers the engine's real SQL from the
table's rows (tests/helpers/athena.py), so the report is computed by the same queries the page sends to Athena."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from services.registry import build_services
from services.training.data import read_file
from tests.helpers.athena import athena_answers_from, refuse_queries
from tests.helpers.aws import BUCKET, REGION, aws_settings
from tests.helpers.clarify import reviews_csv
from tests.helpers.pages import APP, frame_with, texts

STATISTICS = "approx_distinct("  # only the engine's aggregate-row query


@pytest.fixture
def aws_app(mocked_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    settings = aws_settings(tmp_path / "home")
    (tmp_path / "files").mkdir()
    path = reviews_csv(tmp_path / "files")
    build_services(settings).catalog.import_path(path, "demo", "reviews")
    for name, value in {"WORKBENCH_BACKEND": "aws", "WORKBENCH_HOME": str(settings.home), "WORKBENCH_AWS_REGION": REGION,
                        "WORKBENCH_S3_BUCKET": BUCKET, "WORKBENCH_ATHENA_OUTPUT": f"s3://{BUCKET}/athena/",
                        "AWS_MAX_ATTEMPTS": "1"}.items():
        monkeypatch.setenv(name, value)
    with athena_answers_from(monkeypatch, {"demo.reviews": read_file(path)}) as sent:
        app = AppTest.from_file(str(APP), default_timeout=60)
        app.session_state["test.sent"] = sent
        yield app


def pick_reviews(app: AppTest) -> AppTest:
    app.run()
    app.switch_page("pages/quality.py").run()
    assert not app.exception, app.exception
    app.selectbox(key="quality.table").set_value("reviews").run()
    app.selectbox(key="quality.target").set_value("rating").run()
    return app


def build(app: AppTest) -> AppTest:
    app.button(key="quality.run").click().run()
    assert not app.exception, app.exception
    return app


def test_the_report_is_computed_by_athena_queries_and_a_refused_query_is_a_clear_error(aws_app: AppTest,
                                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    build(pick_reviews(aws_app))
    metrics = {m.label: m.value for m in aws_app.metric}
    assert (metrics["Rows"], metrics["Duplicate rows"]) == ("60", "0")
    assert "predicted predicts rating with 1.00 balanced accuracy" in texts(aws_app.error)  # (7i mod 5) + 1 encodes i mod 5
    columns = frame_with(aws_app, "missing %").set_index("column")
    assert columns.loc["age", "min"] == "20" and columns.loc["age", "max"] == "79"
    sent = aws_app.session_state["test.sent"]
    assert any("GROUPING SETS" in sql for sql in sent) and any(STATISTICS in sql for sql in sent)

    refuse_queries(monkeypatch, STATISTICS, "AccessDeniedException", "User is not authorized to perform: athena:StartQueryExecution")
    build(aws_app)
    assert "not authorized" in texts(aws_app.error)
    assert (aws_app.selectbox(key="quality.table").value, aws_app.selectbox(key="quality.target").value) == ("reviews", "rating")
    assert not aws_app.metric  # the old report is gone with the failed build
