"""Who may use the web app: password hashes, a lock-out for repeated failures, and the serve check.

Pure logic only (no Streamlit): ``components/auth.py`` draws the login form and ``make run``'s
preflight (``python -m services check-serve``) calls :func:`check_serve` before Streamlit starts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import os
import threading
import time
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.errors import InvalidInput

# scrypt cost: 2**14 x 8 uses 16 MB and ~50 ms per check, OWASP's minimum for scrypt.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
# Bounds for hashes read back: a hand-edited cost must not make every login eat gigabytes.
_MAX_MEMORY = 256 * 1024 * 1024  # scrypt needs 128 * n * r bytes
_MAX_P = 16
_SALT_BYTES = 16
_HASH_BYTES = 32
_HASH_HINT = "Create one with `python -m services hash-password` and put it in WORKBENCH_PASSWORD_HASH."
# Streamlit's OIDC needs these in [auth]; a provider needs the rest (in [auth] itself or in [auth.<name>]).
_OIDC_KEYS = ("redirect_uri", "cookie_secret")
_PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")


@dataclass(frozen=True)
class PasswordHash:
    """A parsed ``scrypt$n$r$p$<salt b64>$<hash b64>`` string."""

    n: int
    r: int
    p: int
    salt: bytes
    digest: bytes

    def encode(self) -> str:
        salt = base64.b64encode(self.salt).decode("ascii")
        digest = base64.b64encode(self.digest).decode("ascii")
        return f"scrypt${self.n}${self.r}${self.p}${salt}${digest}"


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """A salted scrypt hash of ``password`` in the self-describing string format."""
    if not password:
        raise InvalidInput("The password is empty.", hint="Type a password (at least one character).")
    salt = os.urandom(_SALT_BYTES) if salt is None else salt
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, _HASH_BYTES)
    return PasswordHash(SCRYPT_N, SCRYPT_R, SCRYPT_P, salt, digest).encode()


def parse_password_hash(encoded: str) -> PasswordHash:
    """Parse a stored hash, raising ``InvalidInput`` that says what is wrong with it."""
    parts = encoded.strip().split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        raise InvalidInput("WORKBENCH_PASSWORD_HASH is not a scrypt$n$r$p$salt$hash string.", hint=_HASH_HINT)
    try:
        n, r, p = (int(part) for part in parts[1:4])
        salt = base64.b64decode(parts[4], validate=True)
        digest = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error) as exc:
        raise InvalidInput("WORKBENCH_PASSWORD_HASH has a part that does not parse.", hint=_HASH_HINT) from exc
    if not (n > 1 and n & (n - 1) == 0 and r > 0 and 128 * n * r <= _MAX_MEMORY and 0 < p <= _MAX_P):
        raise InvalidInput(f"WORKBENCH_PASSWORD_HASH has an unusable scrypt cost (n={n}, r={r}, p={p}).",
                           hint=_HASH_HINT)
    if len(salt) < 8 or len(digest) < 16:
        raise InvalidInput("WORKBENCH_PASSWORD_HASH has a salt or hash that is too short.", hint=_HASH_HINT)
    return PasswordHash(n, r, p, salt, digest)


def verify_password(password: str, encoded: str | PasswordHash) -> bool:
    """Whether ``password`` matches the stored hash (constant-time comparison)."""
    stored = parse_password_hash(encoded) if isinstance(encoded, str) else encoded
    candidate = _scrypt(password, stored.salt, stored.n, stored.r, stored.p, len(stored.digest))
    return hmac.compare_digest(candidate, stored.digest)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    # OpenSSL's default memory cap (32 MB) is below what the upper cost bound needs.
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length,
                          maxmem=_MAX_MEMORY + 1024 * 1024)


@dataclass
class _Failures:
    count: int = 0
    locked_until: float = 0.0
    last: float = 0.0


class LoginLimiter:
    """Per-client lock-out after repeated failed logins, doubling with every further failure.

    The first ``free_attempts`` failures cost nothing; each one after that locks the client out for
    ``base_seconds * 2**(extra failures)``, at most ``max_seconds``. A success forgets the client.
    Thread-safe: every browser session of the server shares one limiter.
    """

    def __init__(self, *, free_attempts: int = 5, base_seconds: float = 30.0, max_seconds: float = 3600.0,
                 max_clients: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.free_attempts, self.base_seconds, self.max_seconds = free_attempts, base_seconds, max_seconds
        self.max_clients = max_clients
        self._clock = clock
        self._clients: dict[str, _Failures] = {}
        self._lock = threading.Lock()

    def seconds_locked(self, client: str) -> float:
        """How long ``client`` must still wait before it may try again (0 when it may)."""
        with self._lock:
            failures = self._clients.get(client)
            return max(0.0, failures.locked_until - self._clock()) if failures else 0.0

    def record_failure(self, client: str) -> float:
        """Count a failed login; returns the lock-out it starts (0 while attempts are free)."""
        with self._lock:
            now = self._clock()
            self._forget_stale(now)
            failures = self._clients.setdefault(client, _Failures())
            failures.count += 1
            failures.last = now
            extra = failures.count - self.free_attempts
            if extra < 0:
                return 0.0
            lockout = min(self.max_seconds, self.base_seconds * 2.0 ** min(extra, 32))
            failures.locked_until = now + lockout
            return lockout

    def record_success(self, client: str) -> None:
        with self._lock:
            self._clients.pop(client, None)

    def _forget_stale(self, now: float) -> None:
        """Keep memory bounded when many addresses fail: drop those idle longest first."""
        if len(self._clients) < self.max_clients:
            return
        idle = sorted(self._clients, key=lambda name: self._clients[name].last)
        for name in idle[: len(idle) - self.max_clients + 1]:
            if self._clients[name].locked_until <= now:
                del self._clients[name]


@dataclass(frozen=True)
class ServeDecision:
    """Whether the app may be served on ``address``, and which login it then asks for."""

    allowed: bool
    auth: str  # "password", "oidc" or "none"
    reason: str = ""
    oidc_providers: tuple[str, ...] = ()


def is_loopback(address: str | None) -> bool:
    """Whether ``address`` only accepts connections from this machine (empty = every interface)."""
    host = (address or "").strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name may resolve to anything; every interface is not loopback either


def oidc_providers(secrets: Mapping[str, Any]) -> tuple[str, ...]:
    """Providers of Streamlit's OIDC login (``st.login``) configured in secrets.toml's ``[auth]``."""
    auth = secrets.get("auth")
    if not isinstance(auth, Mapping) or not all(auth.get(key) for key in _OIDC_KEYS):
        return ()
    names = [name for name, value in auth.items() if isinstance(value, Mapping) and _is_provider(value)]
    return (("default",) if _is_provider(auth) else ()) + tuple(sorted(names))


def _is_provider(section: Mapping[str, Any]) -> bool:
    return all(section.get(key) for key in _PROVIDER_KEYS)


def check_serve(address: str | None, password_hash: str | None, secrets: Mapping[str, Any], *,
                oidc_installed: bool = True) -> ServeDecision:
    """Decide whether serving on ``address`` is safe with the configured login.

    A password hash wins over OIDC; a malformed hash raises ``InvalidInput`` even on loopback, so a
    typo is found at start rather than at the first login. OIDC needs Authlib (``oidc_installed``).
    """
    if password_hash:
        parse_password_hash(password_hash)
        return ServeDecision(True, "password")
    providers = oidc_providers(secrets)
    if providers and not oidc_installed:  # a login that was asked for and cannot work is never skipped
        return ServeDecision(False, "none", "secrets.toml configures OIDC login but Authlib is not installed: run "
                             "`.venv/bin/pip install 'Authlib>=1.3.2'` or set WORKBENCH_PASSWORD_HASH instead.")
    if providers:
        return ServeDecision(True, "oidc", oidc_providers=providers)
    if is_loopback(address):
        return ServeDecision(True, "none")
    return ServeDecision(False, "none", f"Refusing to serve on {address or 'every interface'} without a login: set "
                         "WORKBENCH_PASSWORD_HASH (from `python -m services hash-password`) or OIDC [auth] in "
                         ".streamlit/secrets.toml, or use WORKBENCH_ADDRESS=127.0.0.1.")


def secrets_files(app_folder: Path, cwd: Path | None = None, home: Path | None = None) -> list[Path]:
    """Where Streamlit looks for secrets.toml, in its order (later files win)."""
    cwd = Path.cwd() if cwd is None else cwd
    home = Path.home() if home is None else home
    found: list[Path] = []
    for folder in (home, cwd, app_folder):
        path = folder / ".streamlit" / "secrets.toml"
        if path not in found:
            found.append(path)
    return found


def read_secrets(paths: Iterable[Path]) -> dict[str, Any]:
    """Merge the secrets.toml files that exist (top-level keys of later files win)."""
    merged: dict[str, Any] = {}
    for path in paths:
        if not path.is_file():
            continue
        try:
            merged.update(tomllib.loads(path.read_text(encoding="utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"{path} is not valid TOML: {exc}.", hint="Fix the file or remove it.") from exc
    return merged
