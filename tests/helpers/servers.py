"""Endpoint server processes as a client sees them: start one on a free loopback port, call it, stop it."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
JSON = {"Content-Type": "application/json"}


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]
    capture_dir: Path
    log: Path

    def call(self, path: str, body: bytes | Iterator[bytes] = b"", headers: dict[str, str] | None = None,
             method: str = "POST") -> Reply:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            chunked = not isinstance(body, bytes)
            connection.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
            response = connection.getresponse()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()

    def invoke(self, payload: Any, headers: dict[str, str] | None = None, path: str = "/invocations") -> Reply:
        return self.call(path, json.dumps(payload).encode(), JSON | (headers or {}))

    def stats(self) -> dict[str, Any]:
        return self.call("/stats", method="GET").json()  # type: ignore[no-any-return]


def unused_port() -> int:
    """A loopback port free right now (the OS picks it, so parallel test processes do not collide)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_environment() -> dict[str, str]:
    return os.environ | {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(ROOT)}


def variant(name: str, artifact: Path, weight: float = 1.0, shadow: bool = False) -> dict[str, Any]:
    return {"name": name, "model_id": f"{artifact.parent.name}/{artifact.name}", "artifact_path": str(artifact),
            "weight": weight, "shadow": shadow}


@contextlib.contextmanager
def running_server(folder: Path, variants: list[dict[str, Any]], capture_percent: int = 100) -> Iterator[Server]:
    """An endpoint server process on a free port; stopped (and waited for) on the way out."""
    folder.mkdir(parents=True, exist_ok=True)
    port = unused_port()
    config = {"name": folder.name, "host": "127.0.0.1", "port": port, "capture_percent": capture_percent,
              "capture_dir": str(folder / "data-capture"), "variants": variants}
    (folder / "endpoint.json").write_text(json.dumps(config))
    log = folder / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "services.endpoints.server", "--config", str(folder / "endpoint.json")],
                                   cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=server_environment())
        server = Server(port, process, folder / "data-capture", log)
        try:
            wait_for_ping(server)
            yield server
        finally:
            stop_process(process)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def wait_for_ping(server: Server, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"the server exited with {server.process.returncode}:\n{server.log.read_text()}")
        with contextlib.suppress(OSError):
            if server.call("/ping", method="GET").status == 200:
                return
        time.sleep(0.2)
    pytest.fail(f"the server did not answer /ping within {timeout} s:\n{server.log.read_text()}")
