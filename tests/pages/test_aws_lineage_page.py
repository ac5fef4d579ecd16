"""The Lineage page on the aws backend: models from moto's Model Registry, tables from moto's Glue, SageMaker's lineage
answered in its documented shapes (moto has no lineage APIs; tests/helpers/lineage_aws.py), errors as AWS sends them."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from tests.helpers.aws import BUCKET, REGION
from tests.helpers.lineage_aws import (
    LineageGraphFake,
    glue_table,
    refuse_query_lineage,
    registered_model_package,
    training_job_lineage,
)
from tests.helpers.pages import APP, frame_with, texts


@pytest.fixture
def aws_app(mocked_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    for name, value in {"WORKBENCH_BACKEND": "aws", "WORKBENCH_HOME": str(tmp_path / "home"), "WORKBENCH_AWS_REGION": REGION,
                        "WORKBENCH_S3_BUCKET": BUCKET, "WORKBENCH_ATHENA_OUTPUT": f"s3://{BUCKET}/athena/",
                        "WORKBENCH_SEED_ON_START": "false"}.items():
        monkeypatch.setenv(name, value)
    return AppTest.from_file(str(APP), default_timeout=60)


@pytest.fixture
def recorded(mocked_aws: None, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A training job on the Glue table lab.points whose model is registered as points-xgboost/1."""
    graph = LineageGraphFake()
    arns = training_job_lineage(graph, "points-train-1", glue_table("lab", "points"), registered_model_package("points-xgboost"))
    graph.serve(monkeypatch)
    return arns


def open_lineage(app: AppTest) -> AppTest:
    app.run()
    return app.switch_page("pages/lineage.py").run()


def test_which_data_built_a_sagemaker_model(aws_app: AppTest, recorded: dict[str, str]) -> None:
    open_lineage(aws_app)
    assert aws_app.selectbox(key="lineage.entity.model").value == "points-xgboost/1"
    aws_app.button(key="lineage.built_from").click().run()
    assert not aws_app.exception, aws_app.exception
    assert "**Built from** data `s3://workbench-test/tables/lab/points/`" in texts(aws_app.markdown)
    vertices = frame_with(aws_app, "LineageType")
    assert list(vertices["Type"]) == ["Model", "Model", "TrainingJob", "DataSet"]
    assert "points-train-1-aws-training-job" in list(vertices["Name"])


def test_downstream_of_a_glue_table(aws_app: AppTest, recorded: dict[str, str]) -> None:
    open_lineage(aws_app)
    aws_app.segmented_control(key=keys.LINEAGE_KIND).set_value("table").run()
    assert aws_app.selectbox(key="lineage.entity.table").value == "lab.points"
    aws_app.button(key="lineage.downstream").click().run()
    assert not aws_app.exception, aws_app.exception
    edges = frame_with(aws_app, "AssociationType")
    assert list(edges["AssociationType"]) == ["ContributedTo", "Produced", "DerivedFrom"]


def test_no_permission_for_query_lineage_is_a_clear_error(aws_app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    refuse_query_lineage(monkeypatch)  # before the graph's answers: the first hook that answers a call wins
    graph = LineageGraphFake()
    training_job_lineage(graph, "points-train-1", glue_table("lab", "points"), registered_model_package("points-xgboost"))
    graph.serve(monkeypatch)
    open_lineage(aws_app)
    assert not aws_app.exception, aws_app.exception
    assert "not authorized to perform: sagemaker:QueryLineage" in texts(aws_app.error)


def test_no_endpoints_says_how_lineage_appears(aws_app: AppTest, recorded: dict[str, str]) -> None:
    open_lineage(aws_app)
    aws_app.segmented_control(key=keys.LINEAGE_KIND).set_value("endpoint").run()
    assert "No endpoints yet" in texts(aws_app.info)
