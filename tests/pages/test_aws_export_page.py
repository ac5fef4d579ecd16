"""The Export page on the aws backend: every section read through the aws adapters under moto. An endpoint serving
a review model captured three requests in S3 (SageMaker's capture layout), one Athena query ran. No MLflow tracking
server is configured, so the runs section says why it is empty (the runs adapter itself: tests/pages/test_aws_compare_page.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from services.registry import build_services
from tests.helpers.aws import BUCKET, REGION, aws_settings
from tests.helpers.aws_endpoints import ROLE
from tests.helpers.aws_monitoring import monitored_endpoint, put_capture, register_review_model, review_requests
from tests.helpers.export import external_references
from tests.helpers.pages import APP, frame_with, open_page


def test_the_export_reads_athena_history_and_the_captured_reviews_in_s3(mocked_aws: None, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monitored_endpoint("live", model_id=register_review_model())
    requests = review_requests(3)
    put_capture("live", requests)
    settings = aws_settings(tmp_path / "home")
    for name, value in {"WORKBENCH_BACKEND": "aws", "WORKBENCH_HOME": str(settings.home), "WORKBENCH_AWS_REGION": REGION,
                        "WORKBENCH_S3_BUCKET": BUCKET, "WORKBENCH_ATHENA_OUTPUT": f"s3://{BUCKET}/athena/",
                        "WORKBENCH_SAGEMAKER_ROLE": ROLE, "WORKBENCH_SEED_ON_START": "false", "AWS_MAX_ATTEMPTS": "1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("WORKBENCH_MLFLOW_TRACKING_URI", raising=False)
    build_services(settings).query.start_query("SELECT '<script>x</script>' AS greeting")

    app = open_page(AppTest.from_file(str(APP), default_timeout=60), "export")
    frame = frame_with(app, "items")
    shown = dict(zip(frame["section"], frame["items"]))
    assert shown == {"Queries run": 1, "Bias reports": 0, "Autopilot leaderboards": 0, "Training jobs": 0,
                     "Compared runs": 0, "Scored reviews": 3}, frame.to_dict("records")
    notes = dict(zip(frame["section"], frame["note"]))
    assert notes["Compared runs"].startswith("could not be read: No MLflow tracking server is configured")
    [preview] = app.get("iframe")
    document = str(preview.proto.srcdoc)
    assert "&lt;script&gt;x&lt;/script&gt;" in document and "<script" not in document
    for _, record, _label, _ in requests:
        assert record["review_body"] in document  # the review text, not the whole record
    assert "Scored without word attributions" in document and "live" in document
    assert "Could not be read: No MLflow tracking server is configured" in document
    assert external_references(document) == []
