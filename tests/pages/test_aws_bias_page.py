"""The Bias page on the aws backend: Glue, S3 and SageMaker run in moto; Athena answers the engine's real
SQL from the table's rows (tests/helpers/athena.py); SageMaker states moto never reaches are answered
through botocore's event hooks, checked against the service model (tests/helpers/moto_gaps.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from services.registry import build_services
from services.training.data import read_file
from tests.helpers.athena import athena_answers_from, refuse_queries
from tests.helpers.aws import BUCKET, REGION, aws_settings
from tests.helpers.clarify import ROLE, processing_response, register_model, reviews_csv
from tests.helpers.moto_gaps import answer_calls
from tests.helpers.pages import APP, texts

AGGREGATION = "count(*) AS n"  # only the engine's counting query


@pytest.fixture
def aws_app(mocked_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    settings = replace(aws_settings(tmp_path / "home"), sagemaker_role=ROLE)
    (tmp_path / "files").mkdir()
    path = reviews_csv(tmp_path / "files")
    build_services(settings).catalog.import_path(path, "demo", "reviews")
    for name, value in {"WORKBENCH_BACKEND": "aws", "WORKBENCH_HOME": str(settings.home), "WORKBENCH_AWS_REGION": REGION,
                        "WORKBENCH_S3_BUCKET": BUCKET, "WORKBENCH_ATHENA_OUTPUT": f"s3://{BUCKET}/athena/",
                        "WORKBENCH_SAGEMAKER_ROLE": ROLE, "AWS_MAX_ATTEMPTS": "1"}.items():
        monkeypatch.setenv(name, value)
    with athena_answers_from(monkeypatch, {"demo.reviews": read_file(path)}):
        yield AppTest.from_file(str(APP), default_timeout=60)


def configure(app: AppTest, post_mode: str = "") -> AppTest:
    """rating 4 or 5 is positive; d is the Petite division (20 of the 60 rows)."""
    app.run()
    app.switch_page("pages/bias.py").run()
    assert not app.exception, app.exception
    assert (app.selectbox(key="bias.database").value, app.selectbox(key="bias.table").value) == ("demo", "reviews")
    app.selectbox(key="bias.label").set_value("rating").run()
    app.multiselect(key="bias.label.values.rating").set_value([4, 5]).run()
    app.selectbox(key="bias.facet").set_value("division_name").run()
    assert app.button(key="bias.run").disabled  # Values mode, no value yet: it asks for one instead of running one-vs-all
    app.multiselect(key="bias.facet.values.division_name").set_value(["Petite"]).run()
    assert not app.button(key="bias.run").disabled
    if post_mode:
        app.radio(key="bias.post_mode").set_value(post_mode).run()
    return app


def run(app: AppTest) -> AppTest:
    app.button(key="bias.run").click().run()
    assert not app.exception, app.exception
    return app


def inputs_kept(app: AppTest) -> bool:
    return (app.selectbox(key="bias.label").value == "rating" and app.multiselect(key="bias.label.values.rating").value == [4, 5]
            and app.multiselect(key="bias.facet.values.division_name").value == ["Petite"])


def metrics_table(app: AppTest):  # type: ignore[no-untyped-def]
    return next(t.value for t in app.table if "metric" in t.value.columns)


def test_a_pre_training_report_is_counted_in_athena(aws_app: AppTest) -> None:
    run(configure(aws_app))
    metrics = metrics_table(aws_app).set_index("metric")
    assert float(metrics.loc["CI", "value"]) == pytest.approx((40 - 20) / 60, abs=1e-3)
    assert set(metrics.index) == {"CI", "DPL", "KL", "JS", "LP", "TVD", "KS"}  # no CDDL without a group variable
    assert set(metrics["flag"]) <= {"ok", "check", "flagged", "n/a"}
    headline = texts([*aws_app.warning, *aws_app.success, *aws_app.info, *aws_app.error])
    assert "For rows with division_name = Petite (d, 20 rows)" in headline and "interval of DPL" in headline
    folded = next(e for e in aws_app.expander if e.label == "Data and configuration")
    assert not folded.proto.expanded  # the report comes first
    assert [e.icon for e in aws_app.error] in ([], [":material/report:"])  # no error; a red box is the headline


@pytest.mark.parametrize(("code", "message", "expected"), [
    ("AccessDeniedException", "User is not authorized to perform: athena:StartQueryExecution", "credentials"),
    ("TooManyRequestsException", "Rate exceeded", "busy"),
])
def test_athena_refusing_the_count_is_a_clear_error_and_the_form_is_kept(aws_app: AppTest, monkeypatch: pytest.MonkeyPatch,
                                                                         code: str, message: str, expected: str) -> None:
    configure(aws_app)
    refuse_queries(monkeypatch, AGGREGATION, code, message)
    run(aws_app)
    error = texts(aws_app.error)
    assert message in error and expected in error.lower()
    assert inputs_kept(aws_app)
    assert not [f for f in aws_app.dataframe if "metric" in f.value.columns]  # no report


def test_an_empty_sql_result_says_the_data_has_no_rows_and_keeps_the_sql(aws_app: AppTest) -> None:
    aws_app.run()
    aws_app.switch_page("pages/bias.py").run()
    aws_app.radio(key="bias.source_kind").set_value("SQL query").run()
    sql = "SELECT * FROM demo.reviews WHERE rating > 9"
    aws_app.text_area(key="bias.sql").set_value(sql).run()
    aws_app.selectbox(key="bias.label").set_value("rating").run()
    aws_app.radio(key="bias.label.mode.rating").set_value("Threshold").run()
    aws_app.number_input(key="bias.label.threshold.rating").set_value(3.0).run()
    aws_app.selectbox(key="bias.facet").set_value("age").run()
    aws_app.radio(key="bias.facet.mode.age").set_value("Threshold").run()
    aws_app.number_input(key="bias.facet.threshold.age").set_value(40.0).run()
    run(aws_app)
    assert "The data has no rows." in texts(aws_app.warning)
    assert aws_app.text_area(key="bias.sql").value == sql


def test_a_failed_clarify_job_shows_sagemakers_reason_and_keeps_the_form(aws_app: AppTest,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    register_model("stars")
    reason = "ClientError: Facet column division_name has no rows with value Petite after dropping missing values"
    answer_calls(monkeypatch, "sagemaker", "DescribeProcessingJob",
                 lambda params: processing_response(params["ProcessingJobName"], "Failed", reason))
    configure(aws_app, post_mode="Score with a registered model")
    aws_app.selectbox(key="bias.model").set_value("stars/1").run()
    run(aws_app)
    aws_app.run()  # the job watcher's rerun
    assert not aws_app.exception, aws_app.exception
    error = texts(aws_app.error)
    assert "failed" in error and reason in error
    assert inputs_kept(aws_app) and aws_app.selectbox(key="bias.model").value == "stars/1"
