"""A typed path the rules refuse is shown as an error on the page, with the typed path kept (issue 9, finding 3)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.helpers.pages import open_page, texts


def test_import_of_a_file_in_a_hidden_folder_is_refused_and_keeps_the_typed_path(app: AppTest, tmp_path: Path) -> None:
    secret = tmp_path / ".aws" / "cli" / "cache" / "session.json"
    secret.parent.mkdir(parents=True)
    secret.write_text('{"AccessKeyId": "AKIA", "SecretAccessKey": "s"}\n')
    open_page(app, "catalog")
    app.text_input(key="catalog.import.path").input(str(secret))
    app.text_input(key="catalog.import.database").input("stolen")
    app.button(key="FormSubmitter:catalog.import-Import").click().run()
    assert not app.exception, app.exception
    assert ".aws" in texts(app.error) and "WORKBENCH_IMPORT_ROOTS" in texts(app.error)
    assert app.text_input(key="catalog.import.path").value == str(secret)
    assert "stolen" not in app.selectbox(key="catalog.database").options
