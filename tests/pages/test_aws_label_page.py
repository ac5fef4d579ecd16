"""The Label page on the aws backend: a review endpoint in moto whose data capture SageMaker wrote to S3 (six requests,
in its capture layout, tests/helpers/aws_monitoring.py); labels become Model Monitor ground truth in S3. A refused S3
read (AccessDenied) is a clear error that keeps the page's inputs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from components import keys
from services.labels import aws as aws_labels_module
from services.labels import items as items_module
from services.registry import build_services
from tests.helpers.aws import BUCKET, REGION, aws_settings
from tests.helpers.aws_endpoints import ROLE
from tests.helpers.aws_monitoring import ground_truth_in_s3, monitored_endpoint, put_capture, register_review_model, review_requests
from tests.helpers.label_pages import ground_truth_lines
from tests.helpers.moto_gaps import fail_calls
from tests.helpers.pages import APP, frame_with, open_page, texts

ENDPOINT = "live"
REQUESTS = review_requests(6)  # (eventId, record, predicted class, top probability), least sure first by construction


@pytest.fixture
def aws_app(mocked_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    settings = replace(aws_settings(tmp_path / "home"), sagemaker_role=ROLE)
    build_services(settings)
    monitored_endpoint(ENDPOINT, model_id=register_review_model("live-model"))
    put_capture(ENDPOINT, REQUESTS)
    for name, value in {"WORKBENCH_BACKEND": "aws", "WORKBENCH_HOME": str(settings.home), "WORKBENCH_AWS_REGION": REGION,
                        "WORKBENCH_S3_BUCKET": BUCKET, "WORKBENCH_ATHENA_OUTPUT": f"s3://{BUCKET}/athena/",
                        "WORKBENCH_SAGEMAKER_ROLE": ROLE, "WORKBENCH_SEED_ON_START": "false",
                        "AWS_MAX_ATTEMPTS": "1"}.items():
        monkeypatch.setenv(name, value)
    return AppTest.from_file(str(APP), default_timeout=60)


def press(app: AppTest, key: str) -> AppTest:
    app.button(key=key).click().run()
    assert not app.exception, app.exception
    return app


def test_captured_requests_in_s3_are_labelled_into_ground_truth_and_an_import_reports_its_unknown_id(
        aws_app: AppTest) -> None:
    app = open_page(aws_app, "label")
    assert app.selectbox(key=keys.LABEL_ENDPOINT).value == ENDPOINT
    app.text_input(key=keys.LABEL_LABELLER).input("ann").run()
    first = REQUESTS[0][0]  # the lowest top probability
    assert f"id {first}" in texts(app.caption)
    classes = [b.label for b in app.button if b.key and b.key.startswith("label.item.class.")]
    assert classes == ["negative (-1)", "neutral (0)", "positive (1)"]
    press(app, "label.item.class.2")
    assert f"Labelled {first} as positive (1)." in texts(app.caption)
    assert f"id {REQUESTS[1][0]}" in texts(app.caption)
    assert ground_truth_in_s3(ENDPOINT) == {first: "1"}
    assert {m.label: m.value for m in app.metric}["Your labels"] == "1"

    lines = ground_truth_lines({REQUESTS[5][0]: "-1", "not-captured": "0"})
    app.file_uploader(key=keys.LABEL_IMPORT_FILE).upload("truth.jsonl", lines, "application/jsonlines").run()
    press(app, "label.import.run")
    assert "Imported 1, unknown event ids 1" in texts(app.warning)
    assert frame_with(app, "unknown event id")["unknown event id"].tolist() == ["not-captured"]
    assert ground_truth_in_s3(ENDPOINT) == {first: "1", REQUESTS[5][0]: "-1"}


def test_a_refused_capture_read_is_a_clear_error_and_the_inputs_stay(aws_app: AppTest,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    app = open_page(aws_app, "label")
    app.text_input(key=keys.LABEL_LABELLER).input("ann").run()
    app.toggle(key=keys.LABEL_SHOW_PREDICTION).set_value(True).run()
    fail_calls(monkeypatch, "s3", "GetObject", "AccessDenied", "Access Denied")
    st.cache_resource.clear()  # the next run builds its clients anew, with the refusal
    app.run()
    assert not app.exception, app.exception
    assert "Access Denied" in texts(app.error)
    assert not [b for b in app.button if b.key and b.key.startswith("label.item.class.")]
    assert (app.selectbox(key=keys.LABEL_ENDPOINT).value, app.text_input(key=keys.LABEL_LABELLER).value,
            app.toggle(key=keys.LABEL_SHOW_PREDICTION).value) == (ENDPOINT, "ann", True)


def test_an_endpoint_that_captured_nothing_yet_says_how_to_get_requests_then_its_capped_queue_takes_typed_labels(
        aws_app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    """"quiet" serves a model without classes (as a regression model has none): any label is taken, so the page
    offers a typed one, for an endpoint as for a table."""
    monitored_endpoint("quiet", model_id=register_review_model("quiet-model", classes=()))  # nothing sent yet
    app = open_page(aws_app, "label")
    app.selectbox(key=keys.LABEL_ENDPOINT).set_value("quiet").run()
    app.text_input(key=keys.LABEL_LABELLER).input("ann").run()
    assert not app.exception, app.exception
    assert "Endpoint quiet has no captured requests to label yet" in texts(app.error)
    assert "Score page" in texts(app.error)
    assert app.selectbox(key=keys.LABEL_ENDPOINT).value == "quiet"
    for module in (items_module, aws_labels_module):  # the cap, made small: three requests, two offered
        monkeypatch.setattr(module, "MAX_ITEMS", 2)
    put_capture("quiet", review_requests(3, seed=1))
    app.run()
    assert not app.error and "Only the first 2 captured requests are offered" in texts(app.caption)
    assert "No classes yet" in texts(app.caption)
    app.text_input(key="label.new_class.text").input("4.5")
    app.button(key="FormSubmitter:label.new_class-Label with it").click().run()
    assert not app.exception and not app.error, (app.exception, texts(app.error))
    assert "Labelled event-1-000 as 4.5." in texts(app.caption)
