"""The login in front of the whole app: nothing else renders until it lets the visitor through.

The decisions live in ``services/auth.py`` (the same ones ``make run``'s preflight makes); this
module only reads what Streamlit knows (bind address, secrets, session, client) and draws the gate.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Mapping
from typing import Any

import streamlit as st

from components import keys
from services.auth import LoginLimiter, ServeDecision, check_serve, verify_password
from services.config import Settings
from services.errors import ServiceError

_TITLE = "Practical Data Science Workbench"


@st.cache_resource(show_spinner=False)
def login_limiter() -> LoginLimiter:
    """One per server process, so a reload (a new session) does not reset a client's failures."""
    return LoginLimiter()


def require_login() -> ServeDecision:
    """app.py, before st.navigation: the decision when the visitor may see the app, else the gate and stop.

    The gate is the only page of a hidden navigation, so no page name or link of the app shows.
    """
    decision = _decision()
    if not _lets_through(decision):
        st.navigation([st.Page(lambda: _draw_gate(decision), title="Log in", url_path="login", default=True)],
                      position="hidden").run()
        st.stop()
    return decision


def guard_page() -> None:
    """The same gate for a page that runs without app.py (Streamlit's legacy pages/ routing, AppTest)."""
    decision = _decision()
    if not _lets_through(decision):
        _draw_gate(decision)
        st.stop()


def render_logout(decision: ServeDecision) -> None:
    """A log-out button in the sidebar when a login is in force."""
    if decision.auth == "none":
        return
    if st.sidebar.button("Log out", key=keys.AUTH_LOGOUT, icon=":material/logout:"):
        st.session_state.pop(keys.AUTH_LOGGED_IN, None)
        if decision.auth == "oidc":
            st.logout()
        st.rerun()


def _decision() -> ServeDecision:
    try:
        settings = Settings.from_env()
        return check_serve(st.get_option("server.address"), settings.password_hash, _streamlit_secrets(),
                           oidc_installed=_authlib_installed())
    except ServiceError as error:  # an unusable setting lets nobody in; the gate says what to fix
        return ServeDecision(False, "none", f"**{error.message}**" + (f"\n\n{error.hint}" if error.hint else ""))


@functools.cache
def _authlib_installed() -> bool:
    """st.login needs Authlib; looked up once, the gate runs on every get_services call."""
    return importlib.util.find_spec("authlib") is not None


def _lets_through(decision: ServeDecision) -> bool:
    if not decision.allowed:
        return False
    if decision.auth == "password":
        return bool(st.session_state.get(keys.AUTH_LOGGED_IN))
    if decision.auth == "oidc":
        return bool(st.user.get("is_logged_in"))
    return True


def _draw_gate(decision: ServeDecision) -> None:
    if not decision.allowed:
        st.error(decision.reason, icon=":material/lock:")
    elif decision.auth == "oidc":
        _oidc_buttons(decision.oidc_providers)
    else:
        _password_form(Settings.from_env().password_hash or "")


def _streamlit_secrets() -> Mapping[str, Any]:
    """secrets.toml as Streamlit reads it (the view ``st.login`` uses); empty when there is none."""
    return st.secrets.to_dict() if st.secrets.load_if_toml_exists() else {}


def _password_form(password_hash: str) -> None:
    st.title(_TITLE)
    # clear_on_submit: the typed password does not stay in the session after this run.
    with st.form(keys.AUTH_FORM, clear_on_submit=True):
        password = st.text_input("Password", type="password", key=keys.AUTH_PASSWORD)
        submitted = st.form_submit_button("Log in", type="primary", icon=":material/login:")
    if submitted:
        _try_password(password, password_hash)


def _try_password(password: str, password_hash: str) -> None:
    client = _client()
    limiter = login_limiter()
    waiting = limiter.seconds_locked(client)
    if waiting:  # checked before hashing, so a locked-out client cannot make the server do scrypt work
        st.error(f"Too many failed logins. Try again in {_duration(waiting)}.", icon=":material/lock_clock:")
        return
    if verify_password(password, password_hash):
        limiter.record_success(client)
        st.session_state[keys.AUTH_LOGGED_IN] = True
        st.rerun()
    lockout = limiter.record_failure(client)
    locked = f" Too many failed logins. Try again in {_duration(lockout)}." if lockout else ""
    st.error(f"Wrong password.{locked}", icon=":material/error:")


def _client() -> str:
    """Who the lock-out counts against: the connection's address (None locally, a mock under AppTest).

    Behind a reverse proxy every visitor shares the proxy's address, so the lock-out is shared too.
    """
    address = st.context.ip_address
    return address if isinstance(address, str) and address else "local"


def _oidc_buttons(providers: tuple[str, ...]) -> None:
    st.title(_TITLE)
    for provider in providers:
        label = "Log in" if provider == "default" else f"Log in with {provider}"
        if st.button(label, key=f"{keys.AUTH_FORM}.{provider}", type="primary", icon=":material/login:"):
            st.login(None if provider == "default" else provider)


def _duration(seconds: float) -> str:
    whole = int(seconds + 0.999)
    return f"{whole} s" if whole < 120 else f"{(whole + 59) // 60} min"
