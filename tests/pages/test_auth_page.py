"""The login in front of the app (issue 9, finding 1): with a password set nothing but the form renders
until the right password is given; on a network address without a login only the refusal renders."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from services.auth import hash_password
from tests.helpers.pages import APP, sidebar_text, texts

PASSWORD = "correct horse battery"
LOGIN = "FormSubmitter:auth.login-Log in"


@pytest.fixture(scope="module")
def stored_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def protected(workspace: Path, stored_hash: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("WORKBENCH_PASSWORD_HASH", stored_hash)
    return AppTest.from_file(str(APP), default_timeout=60)


@pytest.fixture
def network_address() -> Iterator[None]:
    """Streamlit told to bind every interface, as `streamlit run app.py --server.address 0.0.0.0` would."""
    before = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    yield
    config.set_option("server.address", before)


def log_in(app: AppTest, password: str) -> AppTest:
    app.text_input(key="auth.password").input(password)
    return app.button(key=LOGIN).click().run()


def assert_only_the_login_form(app: AppTest) -> None:
    assert not app.exception, app.exception
    assert not app.sidebar.children, sidebar_text(app)  # no navigation, no backend, nothing
    assert [widget.label for widget in app.text_input] == ["Password"]
    assert [len(app.metric), len(app.dataframe), len(app.selectbox)] == [0, 0, 0]
    assert "Databases" not in texts(app.markdown)


def test_with_a_password_only_the_form_shows_until_the_right_password(protected: AppTest) -> None:
    protected.run()
    assert_only_the_login_form(protected)

    log_in(protected, PASSWORD + " ")
    assert_only_the_login_form(protected)
    assert "Wrong password" in texts(protected.error)

    log_in(protected, PASSWORD)
    assert not protected.exception, protected.exception
    assert {metric.label for metric in protected.metric} >= {"Databases", "Tables"}  # Home rendered
    assert "Local" in sidebar_text(protected)
    assert not protected.text_input and not protected.error
    assert "Log out" in [button.label for button in protected.sidebar.button]


def test_repeated_failures_lock_out_even_the_right_password_and_a_reload(protected: AppTest,
                                                                       stored_hash: str) -> None:
    protected.run()
    for attempt in range(5):
        log_in(protected, f"guess {attempt}")
        assert "Wrong password" in texts(protected.error)
    assert "Try again in 30 s" in texts(protected.error)

    log_in(protected, PASSWORD)
    assert_only_the_login_form(protected)
    assert "Too many failed logins" in texts(protected.error)

    reloaded = AppTest.from_file(str(APP), default_timeout=60).run()  # a new browser session, same client
    log_in(reloaded, PASSWORD)
    assert_only_the_login_form(reloaded)
    assert "Too many failed logins" in texts(reloaded.error)


def test_a_malformed_hash_is_an_error_not_an_open_door(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_PASSWORD_HASH", "hunter2")
    app.run()
    assert not app.exception, app.exception
    assert "WORKBENCH_PASSWORD_HASH" in texts(app.error)
    assert [len(app.metric), len(app.text_input), len(app.sidebar.children)] == [0, 0, 0]


def test_network_address_renders_only_the_refusal_until_a_password_is_set(
        app: AppTest, network_address: None, stored_hash: str, monkeypatch: pytest.MonkeyPatch) -> None:
    app.run()
    assert not app.exception, app.exception
    assert "Refusing to serve on 0.0.0.0" in texts(app.error)
    assert "WORKBENCH_PASSWORD_HASH" in texts(app.error)
    assert [len(app.metric), len(app.text_input), len(app.sidebar.children)] == [0, 0, 0]

    monkeypatch.setenv("WORKBENCH_PASSWORD_HASH", stored_hash)
    app.run()
    assert_only_the_login_form(app)
    assert not app.error


def test_the_train_page_run_without_app_py_is_gated_too(workspace: Path, stored_hash: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Streamlit's legacy pages/ routing (and AppTest after a first run) runs a page file alone."""
    monkeypatch.setenv("WORKBENCH_PASSWORD_HASH", stored_hash)
    alone = AppTest.from_file(str(APP.parent / "pages" / "train.py"), default_timeout=60).run()
    assert not alone.exception, alone.exception
    assert [widget.label for widget in alone.text_input] == ["Password"]
    assert [len(alone.selectbox), len(alone.dataframe), len(alone.tabs)] == [0, 0, 0]


OIDC_SECRETS = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "c" * 32,
                         "client_id": "workbench", "client_secret": "s",
                         "server_metadata_url": "https://idp.example.com/.well-known/openid-configuration"}}


def test_oidc_settings_put_streamlits_login_in_front(app: AppTest) -> None:
    app.secrets = OIDC_SECRETS
    app.user = {"is_logged_in": False}
    app.run()
    assert not app.exception, app.exception
    assert [len(app.metric), len(app.text_input), len(app.sidebar.children)] == [0, 0, 0]
    if find_spec("authlib") is None:  # the login was asked for and cannot work: refused, never skipped
        assert "Authlib" in texts(app.error)
        return
    assert [button.label for button in app.button] == ["Log in"]
    app.user = {"is_logged_in": True, "email": "analyst@example.com"}
    app.run()
    assert "Databases" in {metric.label for metric in app.metric}
