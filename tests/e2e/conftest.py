"""The browser journeys' app server and chromium: one `streamlit run` on loopback over a new workspace per module,
one chromium per module, a fresh browser context per test.

Drives Debian's chromium (Playwright's own browser download cannot work offline).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.workspace import copy_empty_mlflow_store

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("Debian's chromium is missing; `make test` installs it with apt-get.")
    pytest.skip("Debian's chromium is not installed (`make chromium`).")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, server: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError("streamlit did not become healthy")


@pytest.fixture(scope="module")
def e2e_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new workspace (the app seeds it) with an empty MLflow store, as the app's first job would create it."""
    home = tmp_path_factory.mktemp("e2e-workspace")
    copy_empty_mlflow_store(tmp_path_factory, home)
    return home


@pytest.fixture(scope="module")
def app_url(e2e_home: Path) -> Iterator[str]:
    _require_chromium()
    home = e2e_home
    port = _free_port()
    env = os.environ | {"WORKBENCH_HOME": str(home), "WORKBENCH_BACKEND": "local", "WORKBENCH_SEED_ON_START": "true",
                        "WORKBENCH_DEMO": os.environ.get("WORKBENCH_DEMO", "data")}  # no full demo unless a test asks
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true",
               "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal"]
    log = (home / "streamlit.log").open("wb")
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def browser(app_url: str) -> Iterator[Any]:
    """One chromium for the module; each test gets a fresh context (no cookies, storage or session of another)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    from playwright.sync_api import expect

    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    expect.set_options(timeout=60_000)
    yield page
    context.close()
