"""The Export page on the local backend: the counts per section, the download (named after the day) and the preview
of the same document; "Read the session again" shows what happened since."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from services.config import Settings
from services.registry import build_services
from tests.helpers.export import external_references
from tests.helpers.pages import APP, frame_with, open_page, texts
from tests.helpers.workspace import close_services, copy_workspace


def preview(app: AppTest) -> str:
    [frame] = app.get("iframe")
    return str(frame.proto.srcdoc)


def download_label(app: AppTest) -> str:
    [button] = app.get("download_button")
    return str(button.proto.label)


def items(app: AppTest) -> dict[str, int]:
    frame = frame_with(app, "items")
    return dict(zip(frame["section"], frame["items"]))


def test_a_workspace_with_nothing_done_lists_every_section_as_nothing_yet(app: AppTest) -> None:
    open_page(app, "export")
    frame = frame_with(app, "items")
    assert list(frame["section"]) == ["Queries run", "Bias reports", "Autopilot leaderboards", "Training jobs",
                                      "Compared runs", "Scored reviews"]
    assert set(frame["items"]) == {0} and set(frame["note"]) == {"nothing yet"}
    document = preview(app)
    assert document.count("Nothing yet") == 6 and external_references(document) == []
    assert download_label(app) == "Download the session (HTML)"
    assert f"workbench-session-{datetime.now(UTC).date().isoformat()}.html · " in texts(app.caption)
    assert "Nothing to export yet" in texts(app.info)
    app.button(key=keys.EXPORT_OPEN_TOUR).click().run()
    assert not app.exception, app.exception
    assert app.title[0].value == "Tour"


def test_a_trained_model_and_a_new_query_appear_after_reading_again(review_model_home: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "workspace"
    copy_workspace(review_model_home, home)
    monkeypatch.delenv("WORKBENCH_BACKEND", raising=False)
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.setenv("WORKBENCH_SEED_ON_START", "false")
    app = open_page(AppTest.from_file(str(APP), default_timeout=60), "export")
    before = items(app)
    assert "Nothing to export yet" not in texts(app.info)
    assert before["Training jobs"] == 1 and before["Compared runs"] >= 1
    assert "reviews-sentiment-text-tfidf/1" in preview(app)

    services = build_services(Settings(home=home, seed_on_start=False))
    services.query.run("SELECT '<script>alert(1)</script>' AS greeting")
    close_services(services)
    app.button(key=keys.EXPORT_REFRESH).click().run()
    assert not app.exception, app.exception
    assert items(app)["Queries run"] == before["Queries run"] + 1
    document = preview(app)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in document and "<script" not in document
