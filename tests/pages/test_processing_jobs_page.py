"""The Jobs page with processing jobs run by the job runner in the test's workspace: a running one shows its outputs
to come and stops from the page; a finished 2-instance job shows its status, kind, outputs (S3 URI, lake folder,
files uploaded) and its instances' log."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from services.embedded.sandbox import sandbox_available
from services.registry import Services, build_services
from tests.helpers.pages import frame_with, open_page, texts
from tests.helpers.processing import processing_request, put_job_data
from tests.helpers.workspace import close_services, settings_for_tests

pytestmark = pytest.mark.skipif(not sandbox_available()[0], reason=sandbox_available()[1])
BUCKET = "page-bucket"
WRITE = ["python3", "-c", "import json; host = json.load(open('/opt/ml/config/resourceconfig.json'))['current_host']; "
         "open(f'/opt/ml/processing/output/seen/{host}.txt', 'w').write(host); print('page-line')"]


@pytest.fixture
def services(workspace: Path) -> Services:
    built = build_services(settings_for_tests(home=workspace, seed_on_start=False, max_heavy_jobs=2))
    put_job_data(built.stack.workspace.lake, BUCKET)
    return built


def test_processing_jobs_show_their_outputs_and_log_and_stop_from_the_page(app: AppTest, services: Services) -> None:
    done = services.processing.start_processing_job(processing_request(BUCKET, "page-finished", instances=2, command=WRITE))
    assert services.jobs.wait_for_job(done, 90).status == "Completed", services.jobs.job_logs(done)
    running = services.processing.start_processing_job(processing_request(
        BUCKET, "page-running", command=["sh", "-c", "echo started; sleep 300"]))
    deadline = time.monotonic() + 60
    while "] started\n" not in services.jobs.job_logs(running) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert services.jobs.describe_job(running).result["progress_message"] == "Running on 1 instance(s)"
    open_page(app, "jobs")
    assert app.selectbox(key=keys.JOBS_SELECTED).value == running
    assert [element.proto.text for element in app.get("progress")] == ["Running on 1 instance(s)"]
    assert list(frame_with(app, "S3 URI")["files"]) == ["–"]  # uploaded once every instance has exited 0
    app.button(key="jobs.stop").click().run()
    assert services.jobs.wait_for_job(running, 60).status == "Stopped"
    app.selectbox(key=keys.JOBS_SELECTED).select(done).run()
    assert not app.exception, app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert (metrics["Status"], metrics["Kind"]) == ("Completed", "processing")
    outputs = frame_with(app, "S3 URI")
    assert list(outputs["output"]) == ["seen"] and list(outputs["files"]) == ["2"]
    assert list(outputs["S3 URI"]) == [f"s3://{BUCKET}/out/page-finished/seen/"]
    assert Path(outputs["lake path"][0]) == services.stack.workspace.lake / BUCKET / "out/page-finished/seen"
    assert "[algo-2] page-line" in texts(app.code)
    close_services(services)
