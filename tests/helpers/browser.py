"""Driving Streamlit widgets in a real browser (Playwright) for the e2e journeys."""

from __future__ import annotations

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
