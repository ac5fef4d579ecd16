"""Driving Streamlit widgets in a real browser (Playwright) for the e2e journeys."""

from __future__ import annotations

import time
from typing import Any


def choose(page: Any, label: str, option: str) -> None:
    """Pick an option in a Streamlit selectbox by typing into it."""
    box = page.get_by_test_id("stSelectbox").filter(has_text=label).first
    box.click()
    page.keyboard.type(option)
    page.keyboard.press("Enter")


def choose_many(page: Any, label: str, option: str) -> None:
    """Add an option to a Streamlit multiselect by typing into it."""
    box = page.get_by_test_id("stMultiSelect").filter(has_text=label).first
    box.click()
    page.keyboard.type(option)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")


def most_shown(locator: Any, seconds: float) -> int:
    """The most elements ``locator`` matched at once over ``seconds`` (sampled every 50 ms): catches an element a
    rerun draws twice for a moment, which a waiting assertion (or a strict one that happens to look too early) misses."""
    deadline = time.monotonic() + seconds
    most = 0
    while time.monotonic() < deadline:
        most = max(most, locator.count())
        locator.page.wait_for_timeout(50)
    return most
