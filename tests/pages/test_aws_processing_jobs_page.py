"""The Jobs page on the aws backend with processing jobs in moto: a running one (InProgress in moto's backend, as a
real job is until it ends) stops from the page (StopProcessingJob); a completed one shows its kind and its outputs'
S3 URIs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from services.config import Settings
from services.registry import Services, build_services
from tests.helpers.aws import BUCKET, REGION, aws_settings
from tests.helpers.pages import APP, frame_with, texts
from tests.helpers.processing import ROLE, processing_request


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return replace(aws_settings(tmp_path / "home"), sagemaker_role=ROLE)


@pytest.fixture
def services(mocked_aws: None, settings: Settings) -> Services:
    return build_services(settings)


@pytest.fixture
def aws_app(services: Services, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    for name, value in {"WORKBENCH_BACKEND": "aws", "WORKBENCH_HOME": str(settings.home), "WORKBENCH_AWS_REGION": REGION,
                        "WORKBENCH_S3_BUCKET": BUCKET, "WORKBENCH_SAGEMAKER_ROLE": ROLE,
                        "WORKBENCH_ATHENA_OUTPUT": f"s3://{BUCKET}/athena/"}.items():
        monkeypatch.setenv(name, value)
    return AppTest.from_file(str(APP), default_timeout=60)


def open_jobs(app: AppTest, selected: str) -> AppTest:
    app.run()
    app.session_state[keys.JOBS_SELECTED] = selected
    app.switch_page("pages/jobs.py").run()
    assert not app.exception, app.exception
    return app


def test_processing_jobs_show_their_outputs_s3_uris_and_stop_from_the_page(aws_app: AppTest, services: Services) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sagemaker.models import sagemaker_backends

    done = services.processing.start_processing_job(processing_request(BUCKET, "clean-reviews", instances=2))
    running = services.processing.start_processing_job(processing_request(BUCKET, "long-clean"))
    sagemaker_backends[DEFAULT_ACCOUNT_ID][REGION].processing_jobs[running].processing_job_status = "InProgress"
    open_jobs(aws_app, running)
    assert {m.label: m.value for m in aws_app.metric}["Status"] == "InProgress"
    aws_app.button(key="jobs.stop").click().run()
    assert not aws_app.exception, aws_app.exception
    assert services.processing.describe_processing_job(running).status == "Stopped"
    aws_app.selectbox(key=keys.JOBS_SELECTED).select(done).run()
    metrics = {m.label: m.value for m in aws_app.metric}
    assert (metrics["Status"], metrics["Kind"]) == ("Completed", "processing")
    outputs = frame_with(aws_app, "S3 URI")
    assert list(outputs["S3 URI"]) == [f"s3://{BUCKET}/out/clean-reviews/seen/"]
    assert list(outputs["local path"]) == ["/opt/ml/processing/output/seen"]
    assert done in texts(aws_app.markdown)
