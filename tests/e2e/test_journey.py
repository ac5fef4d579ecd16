"""The main journey in a real browser: Catalog → reviews → Query this table → Run → rows → CSV download.

Drives Debian's chromium (Playwright's own browser download cannot work offline) against a real
`streamlit run` on loopback (the fixtures are in tests/e2e/conftest.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers.browser import choose, choose_many, most_shown
from tests.helpers.pages import remove_endpoints
from tests.helpers.review_model import register_review_model
from tests.helpers.workspace import close_services

pytestmark = pytest.mark.browser


def test_catalog_to_query_to_csv_download(app_url: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(app_url)
    expect(page.get_by_role("heading", name="Practical Data Science Workbench")).to_be_visible()

    page.get_by_role("link", name="Catalog").first.click()
    expect(page.get_by_role("heading", name="demo.reviews", exact=True)).to_be_visible()
    page.get_by_role("button", name="Query this table").click()

    expect(page.get_by_role("heading", name="Query", exact=True)).to_be_visible()
    editor = page.get_by_label("SQL (Athena / Trino dialect)")
    expect(editor).to_have_value('SELECT *\nFROM "demo"."reviews"\nLIMIT 100')
    page.get_by_role("button", name="Run").click()

    rows_metric = page.get_by_test_id("stMetric").filter(has_text="Rows")
    expect(rows_metric).to_contain_text("100")
    expect(page.locator("[data-testid=stDataFrame]:visible").first).to_be_visible()

    # A one-time link streamed by the app process (it opens a new tab, so fetch it as that tab would).
    link = page.get_by_role("link", name="Download CSV")
    expect(link).to_be_visible()
    response = page.request.get(link.get_attribute("href"))
    assert response.ok and response.headers["content-disposition"].startswith("attachment")
    assert page.request.get(link.get_attribute("href")).status == 404  # used once

    lines = response.text().splitlines()
    assert lines[0].startswith('"clothing_id","age","title","review_text","rating"')
    assert len(lines) >= 101  # header plus 100 rows (review texts never hold raw newlines)


def test_ctrl_enter_runs_and_a_long_query_can_be_cancelled(app_url: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{app_url}/query")
    editor = page.get_by_label("SQL (Athena / Trino dialect)")
    editor.fill("SELECT 7 AS seven")
    editor.press("Control+Enter")
    expect(page.get_by_test_id("stMetric").filter(has_text="Rows")).to_contain_text("1")
    expect(editor).to_be_hidden()  # the editor folds away after a run, so the results come first
    page.get_by_text("SQL editor", exact=True).click()

    slow = ("SELECT count(*) AS n FROM demo.reviews a CROSS JOIN demo.reviews b CROSS JOIN demo.wine c "
            "WHERE a.age + b.age + c.magnesium = 177.5")
    editor.fill(slow)
    page.get_by_role("button", name="Run").click()
    page.get_by_role("button", name="Cancel query").click()
    expect(page.get_by_text("The query was cancelled.")).to_be_visible()
    expect(editor).to_have_value(slow)  # the SQL stays in the editor


def test_table_to_autopilot_to_leaderboard_to_compare(app_url: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{app_url}/train")
    expect(page.get_by_role("heading", name="Train", exact=True)).to_be_visible()
    choose(page, "Table", "wine")
    expect(page.get_by_text("Columns of demo.wine")).to_be_visible()
    # 30 s and two candidates (LightGBM and the weighted ensemble): more would add CatBoost, which boosts until its
    # time cap on wine's separable rows
    for label, value in (("Time limit (seconds)", "30"), ("Max candidates", "2")):
        page.get_by_label(label).fill(value)
        page.get_by_label(label).press("Tab")
    page.get_by_role("button", name="Start Autopilot").click()

    expect(page.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Leaderboard")).to_be_visible(timeout=240_000)
    expect(page.get_by_text("Best candidate:")).to_be_visible()

    page.get_by_role("button", name="Compare this job's runs").click()
    expect(page.get_by_role("heading", name="Compare runs", exact=True)).to_be_visible()
    expect(page.get_by_text("runs", exact=False).first).to_be_visible()
    expect(page.locator("[data-testid=stDataFrame]:visible").first).to_be_visible()


def test_table_to_bias_report_to_analysis_json(app_url: str, page: Any, tmp_path: Path) -> None:
    """Catalog → demo.reviews_sentiment → Check for bias → pick the sensitive category → report → analysis.json."""
    import json

    from playwright.sync_api import expect

    page.goto(f"{app_url}/catalog")
    expect(page.get_by_role("heading", name="Catalog", exact=True)).to_be_visible()
    choose(page, "Table", "reviews_sentiment")
    expect(page.get_by_role("heading", name="demo.reviews_sentiment", exact=True)).to_be_visible()
    page.get_by_role("button", name="Check for bias").click()

    expect(page.get_by_role("heading", name="Bias", exact=True)).to_be_visible()
    choose_many(page, "Sensitive (d) values", "Trend")
    page.get_by_role("button", name="Compute bias report").click()
    expect(page.get_by_role("button", name="analysis.json")).to_be_visible()
    expect(page.get_by_test_id("stMetric").filter(has_text="Rows in d")).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("button", name="analysis.json").click()
    target = tmp_path / "analysis.json"
    download_info.value.save_as(target)
    analysis = json.loads(target.read_text())
    assert analysis["version"] == "1.0"
    pre = analysis["pre_training_bias_metrics"]
    assert pre["label"] == "sentiment" and pre["label_value_or_threshold"] == "1"
    entry = pre["facets"]["product_category"][0]
    assert entry["value_or_threshold"] == "Trend"
    assert [m["name"] for m in entry["metrics"]] == ["CI", "DPL", "JS", "KL", "KS", "LP", "TVD"]  # no group variable: no CDDL
    assert 0.9 < next(m["value"] for m in entry["metrics"] if m["name"] == "CI") < 1


def test_deploy_then_score_a_review_with_its_words_then_batch_score_a_table(app_url: str, e2e_home: Path, page: Any) -> None:
    """Endpoints → deploy a review model → Score → label and shaded words → Batch → every row scored, charted."""
    from playwright.sync_api import expect

    from services.config import Settings
    from services.models import DataSource, TrainingRequest
    from services.registry import build_services

    page.goto(app_url)  # the app seeds the workspace on its first session
    expect(page.get_by_role("heading", name="Practical Data Science Workbench")).to_be_visible()
    services = build_services(Settings(home=e2e_home, seed_on_start=False))
    job = services.training.start_training_job(TrainingRequest(
        algorithm="text-tfidf", source=DataSource(table="demo.reviews_sentiment"), target="sentiment",
        text_column="review_body", name="e2e-reviews"))
    assert services.jobs.wait_for_job(job, 300).status == "Completed"
    try:
        page.goto(f"{app_url}/endpoints")
        expect(page.get_by_role("heading", name="Endpoints", exact=True)).to_be_visible()
        choose(page, "Model", "e2e-reviews")
        page.get_by_role("button", name="Deploy").click()
        expect(page.locator("text=InService >> visible=true").first).to_be_visible(timeout=180_000)
        page.get_by_role("button", name="Open in Score").click()

        expect(page.get_by_role("heading", name="Score", exact=True)).to_be_visible()
        review = page.get_by_label("Review")
        review.fill("The fabric is cheap and it ripped after one wash. Terrible quality, I am returning it.")
        page.get_by_role("button", name="Score", exact=True).click()
        expect(page.get_by_test_id("stMetric").filter(has_text="Predicted label")).to_contain_text("negative", ignore_case=True)
        shaded = page.locator("span[title]")
        expect(shaded.first).to_be_visible(timeout=120_000)
        assert shaded.count() >= 10
        assert "ripped" in " ".join(shaded.all_inner_texts())

        page.get_by_role("tab", name="Batch").click()
        page.get_by_role("button", name="Score every row").click()
        expect(page.locator(".js-plotly-plot:visible").first).to_be_visible(timeout=240_000)
        expect(page.get_by_role("button", name="Query it").first).to_be_visible()
    finally:
        remove_endpoints(e2e_home)


def test_review_pipeline_to_registered_model_to_approval_to_canary_update_to_score(app_url: str, e2e_home: Path, page: Any,
                                                                                   tmp_path: Path) -> None:
    """Pipelines → the ready-made review pipeline → its DAG turns green → registered as review-sentiment/2 → approved
    on the Model dashboard → on Endpoints, a Canary blue/green update of the endpoint serving the older
    review-sentiment/1 (the traffic shift shown live) → a review scored with the pipeline's model."""
    from playwright.sync_api import expect

    from services.config import Settings
    from services.endpoints.models import DeployRequest, Variant
    from services.registry import build_services

    page.goto(f"{app_url}/pipelines")
    expect(page.get_by_role("heading", name="Pipelines", exact=True)).to_be_visible()  # the app has seeded the workspace
    services = build_services(Settings(home=e2e_home, seed_on_start=False))
    older = register_review_model(services, tmp_path / "older-model", "review-sentiment")
    assert older == "review-sentiment/1"
    services.endpoints.deploy(DeployRequest("reviews-live", (Variant("AllTraffic", older),)))  # comes up while the pipeline runs
    try:
        page.get_by_role("button", name="Use this pipeline").first.click()
        expect(page.get_by_text("Pipeline review-sentiment is ready.")).to_be_visible()
        page.get_by_role("button", name="Start execution").click()
        assert services.endpoints.wait_for_endpoint("reviews-live", 180).status == "InService"
        expect(page.get_by_text("The execution succeeded.")).to_be_visible(timeout=300_000)
        expect(page.locator("svg text", has_text="RegisterSentimentModel").first).to_be_visible()
        expect(page.locator("svg text", has_text="RegisterModel · Succeeded").first).to_be_visible()

        page.goto(f"{app_url}/model_dashboard")
        choose(page, "Model package group", "review-sentiment")
        choose(page, "Version", "review-sentiment/2")
        page.get_by_role("button", name="Approve").click()
        expect(page.get_by_text("review-sentiment/2 is now Approved.")).to_be_visible()

        page.goto(f"{app_url}/endpoints")
        expect(page.get_by_role("heading", name="Endpoints", exact=True, level=1)).to_be_visible()
        page.get_by_text("Update to a new model version").click()
        choose(page, "New model version", "review-sentiment/2")
        expect(page.get_by_role("radio", name="Canary")).to_be_checked()
        for label, value in (("Canary size / linear step (%)", "25"), ("Wait interval (s)", "4")):
            page.get_by_label(label).fill(value)
            page.get_by_label(label).press("Tab")
        page.get_by_role("button", name="Update", exact=True).click()
        expect(page.get_by_text("Updating (Canary 25%): Shifting, 25% of traffic on the new fleet")).to_be_visible(timeout=120_000)
        expect(page.get_by_text("Updated (Canary 25%) to review-sentiment/2")).to_be_visible(timeout=120_000)
        traffic_charts = page.get_by_test_id("stPlotlyChart").filter(has_text="Traffic on the new fleet")
        assert most_shown(traffic_charts, 2.0) == 1  # the ended update is drawn once (by the full run, not the watcher too)
        shift = [(e.phase, e.traffic_share) for e in services.endpoints.deployment_history("reviews-live")]
        assert ("Shifting", 0.25) in shift and shift.index(("Shifting", 0.25)) < shift.index(("Baking", 1.0)), shift
        assert shift[-1] == ("Completed", 1.0), shift
        assert [v.model_id for v in services.endpoints.describe_endpoint("reviews-live").variants] == ["review-sentiment/2"]

        page.get_by_role("button", name="Open in Score").click()
        expect(page.get_by_role("heading", name="Score", exact=True)).to_be_visible()
        expect(page.get_by_text("review-sentiment/2 · scores reviews (text)")).to_be_visible()
        page.get_by_label("Review").fill("Lovely soft fabric and a perfect fit, I wear it every week.")
        page.get_by_role("button", name="Score", exact=True).click()
        expect(page.get_by_test_id("stMetric").filter(has_text="Predicted label")).to_contain_text("positive", ignore_case=True)
    finally:
        remove_endpoints(e2e_home)
        close_services(services)
