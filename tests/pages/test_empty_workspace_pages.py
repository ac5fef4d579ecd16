"""First screens of an empty workspace (no tables, no models): each page says what to do next with a link that does it."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers.pages import APP, texts


@pytest.fixture
def empty_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.delenv("WORKBENCH_BACKEND", raising=False)
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "workspace"))
    monkeypatch.setenv("WORKBENCH_SEED_ON_START", "false")
    return AppTest.from_file(str(APP), default_timeout=60)


def links(app: AppTest) -> list[str]:
    return [link.proto.page for link in app.main.get("page_link")]


@pytest.mark.parametrize(("page", "says", "leads_to"), [
    ("train", "No tables yet", "catalog"),
    ("bias", "Pick a table", "catalog"),
    ("lineage", "No models yet", "train"),
])
def test_an_empty_first_screen_leads_to_the_page_that_fills_it(empty_app: AppTest, page: str, says: str,
                                                               leads_to: str) -> None:
    empty_app.run()
    empty_app.switch_page(f"pages/{page}.py").run()
    assert not empty_app.exception, empty_app.exception
    assert says in texts(empty_app.info)
    assert leads_to in links(empty_app)
