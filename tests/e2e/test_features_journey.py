"""The Feature Store journey in a real browser: Features → the demo reviews group → ingested by a job → a review looked
up online → a point-in-time training set built on a labels table → trained on from the Train page.

The app server, chromium and the browser context are tests/e2e/conftest.py's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers.browser import choose, choose_many

pytestmark = pytest.mark.browser

LABELS_SQL = ("SELECT review_id, sentiment, current_timestamp AS event_time FROM demo.reviews_sentiment "
              "WHERE review_id <= 300")


def save_labels(home: Path) -> None:
    """The training events a labelling team delivers: a sentiment per review, stamped now (after the features)."""
    from services.config import Settings
    from services.registry import build_services

    query = build_services(Settings(home=home, seed_on_start=False)).query
    query_id = query.start_query(LABELS_SQL, "demo")
    query.get_result(query_id, max_rows=1)
    query.save_result_as_table(query_id, "demo", "review_labels")


def test_ingest_look_up_build_a_point_in_time_dataset_and_train_on_it(app_url: str, e2e_home: Path, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{app_url}/features")
    expect(page.get_by_text("No feature groups yet.")).to_be_visible()  # the app has seeded the workspace
    page.get_by_role("button", name="Create one from the demo reviews").click()
    expect(page.get_by_text("Feature group reviews created from demo.reviews_sentiment.")).to_be_visible()

    page.get_by_role("tab", name="Ingest").click()
    page.get_by_role("button", name="Start ingestion").click()
    expect(page.get_by_text("Ingested 19,259 records.")).to_be_visible(timeout=120_000)

    page.get_by_role("tab", name="Look up").click()
    record_id = page.get_by_label("Record identifier (review_id)")
    record_id.fill("42")
    record_id.press("Enter")
    expect(page.get_by_role("link", name="Link to this record")).to_be_visible()
    expect(page.locator("[data-testid=stDataFrame]:visible").filter(has_text="review_body").first).to_be_visible()

    save_labels(e2e_home)
    page.reload()
    page.get_by_role("tab", name="Build dataset").click()
    choose(page, "Base table", "review_labels")
    choose_many(page, "Feature groups to join", "reviews")
    page.get_by_label("Output table (database.table)").fill("demo.review_training")
    page.get_by_role("button", name="Build dataset").click()
    expect(page.get_by_test_id("stMetric").filter(has_text="Rows")).to_contain_text("300")
    expect(page.get_by_text("No leakage:")).to_be_visible()

    page.get_by_role("button", name="Train on it").click()
    expect(page.get_by_role("heading", name="Train", exact=True)).to_be_visible()
    expect(page.get_by_text("Columns of demo.review_training")).to_be_visible()
    page.get_by_role("tab", name="Built-in algorithm").click()
    choose(page, "Algorithm", "Linear learner")
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stMetric").filter(has_text="Status")).to_contain_text("Completed", timeout=180_000)
