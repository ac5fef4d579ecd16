"""The Tour in a real browser: the seven steps clicked in order on a copy of the seeded workspace — a query, a bias
report, a real training job (followed with progress until it completes), the runs ranked, one review explained, an
endpoint deployed (followed until InService) and, last, a review scored live by that endpoint.

The app server and chromium are tests/e2e/conftest.py's. The module's workspace holds the demo tables only
(``WORKBENCH_DEMO=data``: the full demo's model and endpoint are not built) and its own gateway port, so it runs
beside the default-gateway modules; every endpoint is deleted and the gateway stopped when the module ends.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import services.tour.models as tour
from services.registry import build_services
from tests.helpers.endpoints import stop_everything
from tests.helpers.servers import unused_port
from tests.helpers.workspace import copy_workspace, settings_for_tests

pytestmark = pytest.mark.browser

STEP_SECONDS = 120_000  # ms: a training job or a deploy under the load of the other test worker


@pytest.fixture(scope="module")
def e2e_home(tmp_path_factory: pytest.TempPathFactory, seeded_home: Path) -> Iterator[Path]:
    """Overrides the conftest's fresh workspace: a copy of the seeded one, demo data only, a gateway port of its
    own (the app server started after this reads both from the environment)."""
    home = tmp_path_factory.mktemp("tour-journey") / "workspace"
    copy_workspace(seeded_home, home)
    port = unused_port()
    before = {name: os.environ.get(name) for name in ("WORKBENCH_GATEWAY_PORT", "WORKBENCH_DEMO")}
    os.environ.update({"WORKBENCH_GATEWAY_PORT": str(port), "WORKBENCH_DEMO": "data"})
    try:
        yield home
    finally:
        stop_everything(build_services(settings_for_tests(home=home, seed_on_start=False, gateway_port=port)))
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_step(page: Any, button: str, shows: str, timeout: float = 60_000) -> None:
    """Click a step's button and wait for its result to appear."""
    from playwright.sync_api import expect

    page.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_text(shows).first).to_be_visible(timeout=timeout)


def test_the_seven_steps_in_order_end_with_a_review_scored_live(app_url: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{app_url}/tour")
    expect(page.get_by_role("heading", name="Tour", exact=True)).to_be_visible()
    expect(page.get_by_text("wr.athena.read_sql_query").first).to_be_visible()  # the AWS code beside step 1
    run_step(page, "Run the query", " rows · ")
    run_step(page, "Build the bias report", "categories compared on")
    page.get_by_role("button", name="Start training", exact=True).click()
    expect(page.get_by_text("Training job ").first).to_be_visible()  # progress while the job runs
    expect(page.get_by_text("completed: model").first).to_be_visible(timeout=STEP_SECONDS)
    run_step(page, "Rank the runs", "The tour's run is ranked 1 of 1.")
    run_step(page, "Explain the review", "the words that pushed hardest")
    run_step(page, "Deploy", f"Endpoint {tour.ENDPOINT} is InService", STEP_SECONDS)
    run_step(page, "Score the review", f"Scored by endpoint {tour.ENDPOINT}.")
    predicted = page.get_by_test_id("stMetric").filter(has_text="Predicted sentiment")
    expect(predicted).to_contain_text("(")  # e.g. "negative (-1)": the class's name and value
