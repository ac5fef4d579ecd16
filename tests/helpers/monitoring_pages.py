"""A deployed review endpoint with captured, labelled reviews for the Monitoring page's AppTests.

The review model (tests/pages/conftest.py ``review_model_home``) is deployed once per module as a real local endpoint
with full data capture; twelve reviews are scored through it and given their true sentiment through the labels
port (Model Monitor's ground-truth JSON lines), so model quality has predictions to compare with.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers.endpoints import stop_everything
from tests.helpers.label_pages import REVIEWS, deploy_with_captures, ground_truth_lines, hosting
from tests.helpers.pages import APP, REVIEW_MODEL
from tests.helpers.workspace import copy_workspace

ENDPOINT = "reviews-monitored"
TRUE_SENTIMENT = ("1", "-1", "0", "1", "-1", "1", "-1", "0", "1", "-1", "1", "0")  # of label_pages.REVIEWS, in order
# (demo.reviews_sentiment's classes: -1 negative, 0 neutral, 1 positive)
assert len(TRUE_SENTIMENT) == len(REVIEWS)


@contextmanager
def monitored_endpoint(source_home: Path, home: Path) -> Iterator[tuple[Path, int]]:
    """(home, gateway port): ``source_home`` (with REVIEW_MODEL) copied to ``home``, the model deployed as ENDPOINT,
    REVIEWS scored and labelled. Every endpoint is deleted and the gateway stopped on exit."""
    copy_workspace(source_home, home)
    services = hosting(home)
    try:
        event_ids = deploy_with_captures(services, REVIEW_MODEL, endpoint=ENDPOINT)
        labels = dict(zip(event_ids, TRUE_SENTIMENT, strict=True))
        result = services.labels.import_labels(ENDPOINT, "truth.jsonl", ground_truth_lines(labels))
        assert result.imported == len(labels), result
        yield home, services.settings.gateway_port
    finally:
        stop_everything(services)


def monitoring_app(home: Path, port: int, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app on ``home`` (local backend, the endpoint's gateway port)."""
    for name in ("WORKBENCH_BACKEND", "WORKBENCH_QUERY_TIMEOUT_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {"WORKBENCH_HOME": str(home), "WORKBENCH_SEED_ON_START": "false",
                        "WORKBENCH_GATEWAY_PORT": str(port)}.items():
        monkeypatch.setenv(name, value)
    return AppTest.from_file(str(APP), default_timeout=120)


def tile_statuses(app: AppTest) -> list[str]:
    """The tiles' statuses, in MONITOR_TYPES order (a badge is markdown: ``:green-badge[:material/…: OK]``)."""
    inner = [str(m.value).split("-badge[", 1)[1].removesuffix("]") for m in app.markdown if "-badge[" in str(m.value)]
    return [text.split(" ", 1)[1] if text.startswith(":material/") else text for text in inner]
