"""Driving the app in page tests (Streamlit's AppTest): open a page, read its texts and frames, clean up."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from services.config import Settings
from services.registry import build_services

APP = Path(__file__).resolve().parents[2] / "app.py"
REVIEW_MODEL = "reviews-sentiment-text-tfidf/1"  # the review model of tests/pages/conftest.py review_model_home


def open_page(app: AppTest, page: str) -> AppTest:
    app.run()
    app.switch_page(f"pages/{page}.py").run()
    assert not app.exception, app.exception
    return app


def texts(elements) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(str(e.value) for e in elements)


def sidebar_text(app: AppTest) -> str:
    return "\n".join(str(getattr(e, "value", "")) for e in app.sidebar.children.values())


def frame_with(app: AppTest, column: str):  # type: ignore[no-untyped-def]
    """The first dataframe on the page that has ``column`` (display frames are not keyed widgets)."""
    for element in app.dataframe:
        if column in element.value.columns:
            return element.value
    raise AssertionError(f"no dataframe with column {column!r}")


def remove_endpoints(home: Path) -> None:
    """Delete every endpoint of the workspace and stop its gateway (tests leave no processes behind)."""
    endpoints = build_services(Settings(home=home, seed_on_start=False)).endpoints
    for endpoint in endpoints.list_endpoints():
        endpoints.delete_endpoint(endpoint.name)
    stop_gateway = getattr(endpoints, "stop_gateway", None)
    if stop_gateway is not None:
        stop_gateway()
