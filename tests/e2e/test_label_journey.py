"""The labelling journey in a real browser: a deployed review endpoint with twelve captured reviews → the Label page →
ten reviews labelled with the keyboard alone (1/2/3…) → the Monitoring page runs the model-quality monitor → its
report shows the accuracy of the ten labelled predictions.

Seven labels agree with the model's prediction (shown on the page) and three do not, so the report must say 70%.
The app server and chromium are tests/e2e/conftest.py's; this module's workspace is a copy of the session's trained
endpoints template (tests/helpers/endpoints.py) with the review model deployed and its traffic captured.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.endpoints import TEXT_MODEL, hosting_services, stop_everything, trained_template
from tests.helpers.label_pages import ENDPOINT, REVIEWS, deploy_with_captures

pytestmark = pytest.mark.browser

AGREE, DISAGREE = 7, 3


@pytest.fixture(scope="module")
def e2e_home(tmp_path_factory: pytest.TempPathFactory, seeded_home: Path) -> Iterator[Path]:
    """Overrides the conftest's fresh workspace: the trained template with TEXT_MODEL deployed as ENDPOINT and
    REVIEWS captured; the app server (started after this) uses the same gateway port."""
    template = trained_template(tmp_path_factory, seeded_home)
    home = tmp_path_factory.mktemp("label-journey") / "workspace"
    services = hosting_services(template, home)
    before = os.environ.get("WORKBENCH_GATEWAY_PORT")
    os.environ["WORKBENCH_GATEWAY_PORT"] = str(services.settings.gateway_port)
    try:
        deploy_with_captures(services, TEXT_MODEL)
        yield home
    finally:
        stop_everything(services)
        if before is None:
            os.environ.pop("WORKBENCH_GATEWAY_PORT", None)
        else:
            os.environ["WORKBENCH_GATEWAY_PORT"] = before


def shown_prediction(page: Any) -> str:
    """The model's prediction on screen ("The model said **positive** (54%)")."""
    said = page.get_by_text(re.compile(r"^The model said")).first.inner_text()
    return said.removeprefix("The model said").strip().rsplit(" (", 1)[0].strip()


def shown_id(page: Any) -> str:
    """The id of the item on screen (its caption ends "· id …")."""
    caption = page.get_by_text(re.compile(r"(^|· )id \S+$")).first.inner_text()
    return caption.rsplit("id ", 1)[1].strip()


def label_with_keyboard(page: Any, classes: list[str], count: int) -> None:
    """Label ``count`` reviews by key: the first AGREE with the model's class, the rest with another class."""
    from playwright.sync_api import expect

    for done in range(count):
        predicted = shown_prediction(page)
        position = classes.index(predicted)
        if done >= AGREE:
            position = (position + 1) % len(classes)
        page.keyboard.press(str(position + 1))
        expect(page.get_by_text(f"Labelled {done + 1} of {len(REVIEWS)}")).to_be_visible()


def test_label_ten_captured_reviews_with_the_keyboard_then_model_quality_shows_their_accuracy(
        app_url: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{app_url}/label")
    expect(page.get_by_role("heading", name="Label", exact=True)).to_be_visible()
    expect(page.get_by_role("combobox", name="Endpoint (its captured requests)")).to_have_value(ENDPOINT)
    labeller = page.get_by_label("Labeller")
    labeller.fill("journey")
    labeller.press("Enter")
    page.get_by_text("Show the model's prediction").click()
    expect(page.get_by_text(f"Labelled 0 of {len(REVIEWS)}")).to_be_visible()
    page.get_by_role("heading", name="Label", exact=True).click()  # the keys go to the page, not the name box
    buttons = page.get_by_test_id("stButton").filter(has=page.locator("button[kind=primary]"))
    classes = [text.strip() for text in buttons.all_inner_texts() if text.strip()]
    classes = [re.sub(r"\s*\d$", "", text).strip() for text in classes]  # the button shows its key beside the label
    assert len(classes) >= 2, classes
    label_with_keyboard(page, classes, AGREE + DISAGREE)
    expect(page.get_by_test_id("stMetric").filter(has_text="Your labels")).to_contain_text(str(AGREE + DISAGREE))
    for _ in range(len(REVIEWS) - AGREE - DISAGREE):  # S skips the rest: the queue is done
        item_id = shown_id(page)
        page.keyboard.press("S")
        expect(page.get_by_text(f"Skipped {item_id}.")).to_be_visible()
    expect(page.get_by_text("Nothing left for journey to label")).to_be_visible()

    page.get_by_role("button", name="Open Monitoring (model quality)").click()
    expect(page.get_by_role("heading", name="Monitoring", exact=True)).to_be_visible()
    page.get_by_role("radio", name="Model quality", exact=True).click()
    page.get_by_role("button", name="Run model quality now").click()
    expect(page.get_by_text(f"accuracy 0.70 on {AGREE + DISAGREE} labelled predictions").first).to_be_visible()
