"""Who may use the web app (issue 9, finding 1): password hashes, the login lock-out, the serve check,
and ``make run`` binding to loopback unless a login is configured."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tomllib
from importlib.util import find_spec
from pathlib import Path

import pytest

from services.auth import (
    LoginLimiter,
    check_serve,
    hash_password,
    is_loopback,
    oidc_providers,
    parse_password_hash,
    read_secrets,
    secrets_files,
    verify_password,
)
from services.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2]
SALT = b"0123456789abcdef"
OIDC = {"auth": {"redirect_uri": "https://wb.example.com/oauth2callback", "cookie_secret": "s" * 32,
                 "client_id": "id", "client_secret": "secret",
                 "server_metadata_url": "https://idp.example.com/.well-known/openid-configuration"}}


@pytest.fixture(scope="module")
def stored() -> str:
    return hash_password("correct horse", salt=SALT)


# --- hashing -------------------------------------------------------------------------------------

def test_hash_is_self_describing_and_salted(stored: str) -> None:
    assert re.fullmatch(r"scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+", stored)
    assert parse_password_hash(stored).salt == SALT
    assert hash_password("correct horse") != hash_password("correct horse")  # a fresh salt each time


def test_verify_accepts_only_the_right_password(stored: str) -> None:
    assert verify_password("correct horse", stored)
    for wrong in ("correct horsE", "correct horse ", "", "correct"):
        assert not verify_password(wrong, stored)


def test_unicode_passwords_round_trip() -> None:
    stored = hash_password("pässwörd ✓", salt=SALT)
    assert verify_password("pässwörd ✓", stored)
    assert not verify_password("passwort", stored)


def test_empty_password_is_refused() -> None:
    with pytest.raises(InvalidInput, match="empty"):
        hash_password("")


@pytest.mark.parametrize("bad", [
    "", "hunter2", "pbkdf2$1$2$3$AAAA$AAAA", "scrypt$16384$8$1$c2FsdHNhbHQ=",  # wrong scheme or part count
    "scrypt$abc$8$1$c2FsdHNhbHRzYWx0$c2FsdHNhbHRzYWx0c2FsdHNhbHQ=",  # cost not a number
    "scrypt$16384$8$1$not*base64$c2FsdHNhbHRzYWx0c2FsdHNhbHQ=",  # salt not base64
    "scrypt$1000$8$1$c2FsdHNhbHRzYWx0$c2FsdHNhbHRzYWx0c2FsdHNhbHQ=",  # n not a power of two
    "scrypt$1048576$64$1$c2FsdHNhbHRzYWx0$c2FsdHNhbHRzYWx0c2FsdHNhbHQ=",  # 8 GB per login
    "scrypt$16384$8$0$c2FsdHNhbHRzYWx0$c2FsdHNhbHRzYWx0c2FsdHNhbHQ=",  # p = 0
    "scrypt$16384$8$1$c2FsdA==$c2FsdHNhbHRzYWx0c2FsdHNhbHQ=",  # 4-byte salt
])
def test_malformed_hash_is_a_clear_error(bad: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_password_hash(bad)
    assert "WORKBENCH_PASSWORD_HASH" in caught.value.message
    assert "hash-password" in caught.value.hint


# --- lock-out ------------------------------------------------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_five_failures_are_free_then_the_lockout_doubles() -> None:
    clock = Clock()
    limiter = LoginLimiter(free_attempts=5, base_seconds=30, max_seconds=3600, clock=clock)
    assert [limiter.record_failure("a") for _ in range(4)] == [0, 0, 0, 0]
    assert limiter.seconds_locked("a") == 0
    assert limiter.record_failure("a") == 30
    assert limiter.seconds_locked("a") == 30
    clock.now += 10
    assert limiter.seconds_locked("a") == 20
    clock.now += 20
    assert limiter.seconds_locked("a") == 0
    assert limiter.record_failure("a") == 60
    clock.now += 60
    assert limiter.record_failure("a") == 120


def test_lockout_is_capped_and_per_client() -> None:
    clock = Clock()
    limiter = LoginLimiter(free_attempts=1, base_seconds=30, max_seconds=100, clock=clock)
    for _ in range(50):
        limiter.record_failure("attacker")
    assert limiter.seconds_locked("attacker") == 100
    assert limiter.seconds_locked("someone else") == 0


def test_success_forgets_the_failures() -> None:
    limiter = LoginLimiter(free_attempts=2, clock=Clock())
    limiter.record_failure("a")
    limiter.record_success("a")
    assert limiter.record_failure("a") == 0


def test_many_failing_clients_do_not_grow_memory_without_bound() -> None:
    clock = Clock()
    limiter = LoginLimiter(free_attempts=5, max_clients=100, clock=clock)
    for number in range(1000):
        clock.now += 1
        limiter.record_failure(f"10.0.{number // 256}.{number % 256}")
    assert len(limiter._clients) <= 100


# --- where the app may be served ----------------------------------------------------------------

@pytest.mark.parametrize(("address", "loopback"), [
    ("127.0.0.1", True), ("127.0.0.2", True), ("localhost", True), ("::1", True), ("[::1]", True),
    ("0.0.0.0", False), ("::", False), ("", False), (None, False), ("192.168.1.5", False),
    ("my-host.example.com", False),
])
def test_loopback_addresses(address: str | None, loopback: bool) -> None:
    assert is_loopback(address) is loopback


def test_loopback_without_login_is_allowed() -> None:
    decision = check_serve("127.0.0.1", None, {})
    assert decision.allowed and decision.auth == "none"


@pytest.mark.parametrize("address", ["0.0.0.0", "192.168.1.5", "", None])
def test_network_address_without_login_is_refused(address: str | None) -> None:
    decision = check_serve(address, None, {})
    assert not decision.allowed
    assert "WORKBENCH_PASSWORD_HASH" in decision.reason and "hash-password" in decision.reason
    assert "\n" not in decision.reason


def test_network_address_with_a_password_is_allowed(stored: str) -> None:
    decision = check_serve("0.0.0.0", stored, {})
    assert decision.allowed and decision.auth == "password"


def test_a_malformed_hash_stops_the_start_even_on_loopback() -> None:
    with pytest.raises(InvalidInput, match="WORKBENCH_PASSWORD_HASH"):
        check_serve("127.0.0.1", "hunter2", {})


def test_network_address_with_oidc_is_allowed() -> None:
    decision = check_serve("0.0.0.0", None, OIDC)
    assert decision.allowed and decision.auth == "oidc" and decision.oidc_providers == ("default",)


@pytest.mark.parametrize("address", ["0.0.0.0", "127.0.0.1"])
def test_oidc_without_authlib_is_refused_not_skipped(address: str) -> None:
    decision = check_serve(address, None, OIDC, oidc_installed=False)
    assert not decision.allowed and "Authlib" in decision.reason


def test_incomplete_oidc_settings_are_not_a_login() -> None:
    assert oidc_providers({"auth": {}}) == ()
    assert oidc_providers({"auth": {"client_id": "x"}}) == ()
    no_cookie = {"auth": {k: v for k, v in OIDC["auth"].items() if k != "cookie_secret"}}
    assert not check_serve("0.0.0.0", None, no_cookie).allowed


def test_named_oidc_providers_are_found() -> None:
    provider = {k: OIDC["auth"][k] for k in ("client_id", "client_secret", "server_metadata_url")}
    secrets = {"auth": {"redirect_uri": "https://x/oauth2callback", "cookie_secret": "c",
                        "google": provider, "microsoft": provider, "expose_tokens": "id"}}
    assert oidc_providers(secrets) == ("google", "microsoft")


def test_secrets_are_read_in_streamlits_order(tmp_path: Path) -> None:
    home, cwd, app = tmp_path / "home", tmp_path / "cwd", tmp_path / "app"
    paths = secrets_files(app, cwd=cwd, home=home)
    assert paths == [home / ".streamlit/secrets.toml", cwd / ".streamlit/secrets.toml", app / ".streamlit/secrets.toml"]
    (home / ".streamlit").mkdir(parents=True)
    (home / ".streamlit/secrets.toml").write_text('[auth]\nredirect_uri = "home"\n')
    (app / ".streamlit").mkdir(parents=True)
    (app / ".streamlit/secrets.toml").write_text('[auth]\nredirect_uri = "app"\n')
    assert read_secrets(paths) == {"auth": {"redirect_uri": "app"}}


def test_broken_secrets_file_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "secrets.toml"
    broken.write_text("[auth\n")
    with pytest.raises(InvalidInput, match="not valid TOML"):
        read_secrets([broken])


# --- make run and the command line -------------------------------------------------------------

def cli(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WORKBENCH_")}
    return subprocess.run([sys.executable, "-m", "services", *args], cwd=ROOT, input=stdin, text=True,
                          env=clean | {"PYTHONPATH": str(ROOT)} | env, capture_output=True, timeout=60)


def test_streamlit_config_binds_to_loopback() -> None:
    config = tomllib.loads((ROOT / ".streamlit/config.toml").read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"


def test_make_run_checks_then_binds_to_workbench_address_defaulting_to_loopback() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    default = re.search(r"^WORKBENCH_ADDRESS\s*:?=\s*\$\(or \$\(WORKBENCH_ADDRESS\),\s*(\S+)\)", makefile, re.M)
    assert default and default.group(1) == "127.0.0.1"
    assert "check-serve --address '$(WORKBENCH_ADDRESS)'" in recipe
    assert "--server.address '$(WORKBENCH_ADDRESS)'" in recipe
    assert recipe.index("check-serve") < recipe.index("streamlit run")


def test_check_serve_refuses_every_interface_without_a_login(tmp_path: Path) -> None:
    done = cli("check-serve", "--address", "0.0.0.0", env={"HOME": str(tmp_path)})
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: Refusing to serve on 0.0.0.0")


def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str,
            env: dict[str, str] | None = None, stdin: io.StringIO | None = None) -> tuple[int, str, str]:
    """``services.cli.main`` in this process (a subprocess costs seconds of imports)."""
    from services.cli import main

    for name in [k for k in os.environ if k.startswith("WORKBENCH_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.streamlit/secrets.toml of the machine's user
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "stdin", stdin or io.StringIO(""))
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_serve_accepts_loopback_and_a_network_address_with_a_login(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, stored: str) -> None:
    assert run_cli(monkeypatch, capsys, tmp_path, "check-serve")[0] == 0
    code, out, err = run_cli(monkeypatch, capsys, tmp_path, "check-serve",
                             env={"WORKBENCH_ADDRESS": "0.0.0.0", "WORKBENCH_PASSWORD_HASH": stored})
    assert code == 0, err
    assert json.loads(out)["auth"] == "password"
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit/secrets.toml").write_text(
        "[auth]\n" + "\n".join(f"{key} = {json.dumps(value)}" for key, value in OIDC["auth"].items()))
    code, out, err = run_cli(monkeypatch, capsys, tmp_path, "check-serve", "--address", "0.0.0.0")
    if find_spec("authlib"):
        assert (code, json.loads(out)["auth"]) == (0, "oidc")
    else:  # st.login needs Authlib: without it OIDC settings are no login
        assert code == 2 and "Authlib" in err


def test_check_serve_reports_a_malformed_hash(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run_cli(monkeypatch, capsys, tmp_path, "check-serve", env={"WORKBENCH_PASSWORD_HASH": "hunter2"})
    assert code == 2 and "WORKBENCH_PASSWORD_HASH" in err and "hash-password" in err


def test_hash_password_reads_stdin_never_argv(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run_cli(monkeypatch, capsys, tmp_path, "hash-password", stdin=io.StringIO("s3cret pass\n"))
    assert code == 0, err
    assert verify_password("s3cret pass", out.strip())
    assert run_cli(monkeypatch, capsys, tmp_path, "hash-password", stdin=io.StringIO(""))[0] == 2  # empty
    with pytest.raises(SystemExit) as refused:  # argparse: no password argument exists
        run_cli(monkeypatch, capsys, tmp_path, "hash-password", "s3cret")
    assert refused.value.code == 2


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_hash_password_asks_twice_on_a_terminal(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    typed = iter(["first", "second", "same", "same"])
    monkeypatch.setattr("services.cli.getpass.getpass", lambda prompt="": next(typed))
    code, out, err = run_cli(monkeypatch, capsys, tmp_path, "hash-password", stdin=Terminal())
    assert code == 2 and "differ" in err and out == ""
    code, out, _ = run_cli(monkeypatch, capsys, tmp_path, "hash-password", stdin=Terminal())
    assert code == 0 and verify_password("same", out.strip())
