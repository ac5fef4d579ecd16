"""Starting and stopping endpoint processes.

``python -m services.endpoints.launcher --config <home>/endpoints/<name>/endpoint.json`` prepares
the endpoint's models (``services.endpoints.prepare``, e.g. the ONNX export of a MiniLM model) and
then *becomes* the inference server (``exec``), so the pid recorded at launch is the server's pid
for the endpoint's whole life and one signal to its process group stops everything it started.
The caller points stdout and stderr at ``server.log``, so preparation, server logs and any
traceback end up in one file.

The helpers below serve the endpoints adapter for servers and the gateway alike: start a detached
process (its own session, so it outlives the app and can be stopped as a group), tell whether a pid
is still *our* process (pids get reused), stop a process group with a grace period, and the port
side: is a port free, pick one, wait until one is closed, ``GET`` a local server's JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from services.embedded.child_env import worker_environment
from services.errors import BackendUnavailable

ROOT = Path(__file__).resolve().parents[2]
GATEWAY_IDLE_SECONDS = 300.0  # a gateway with no endpoint Creating or InService for this long stops itself
# An endpoint server uses numba only through shap's text explanations, where compiling its helpers costs ~4.5 s
# before the server may listen (the explanation warm-up) and saves ~6 ms per explanation (36 vs 42 ms for a
# 60-word review on text-tfidf): interpreted, a review endpoint is InService seconds sooner.
SERVER_ENVIRONMENT = {"NUMBA_DISABLE_JIT": "1"}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.endpoints.launcher")
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--serves", default="", help="a blue/green update's new fleet: the endpoint.json it will serve")
    args = parser.parse_args(argv)
    config_path = args.config.resolve()
    config = json.loads(config_path.read_text())
    artifacts = [variant["artifact_path"] for variant in config["variants"]]
    say(f"preparing {len(artifacts)} model(s) for endpoint {config['name']}")
    prepared = subprocess.run([sys.executable, "-m", "services.endpoints.prepare", *artifacts], stdin=subprocess.DEVNULL)
    if prepared.returncode != 0:
        print(f"error: preparing the models failed (exit code {prepared.returncode}); see the lines above.", flush=True)
        return 2
    say(f"starting the inference server on {config['host']}:{config['port']}")
    serves = ["--serves", args.serves] if args.serves else []  # kept on the command line: process checks look for it
    os.environ.update(SERVER_ENVIRONMENT)
    os.execv(sys.executable, [sys.executable, "-m", "services.endpoints.server", "--config", str(config_path), *serves])
    return 0  # not reached: execv replaces this process


def say(message: str) -> None:
    print(f"launcher: {message}", flush=True)


def start_detached(arguments: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start ``python arguments…`` in its own session with stdout/stderr appended to ``log_path``.

    The process (an endpoint server, which loads users' models, or the gateway) gets
    ``child_env.worker_environment()``, not the app's environment: no credentials reach it."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, *arguments], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, cwd=str(ROOT), env=worker_environment(),
        )


def is_running(pid: int, argument: str) -> bool:
    """True when ``pid`` is alive (not a zombie) and was started with ``argument`` on its command line."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except (OSError, IndexError):
        return False
    if state == "Z":
        return False
    # Right after fork the command line reads empty for a few milliseconds: that is still ours.
    return arguments == [""] or argument in arguments


def stop_group(pid: int, argument: str, grace_seconds: float = 10.0) -> None:
    """SIGTERM the process group led by ``pid``, SIGKILL it after ``grace_seconds``; returns when it is gone."""
    if not is_running(pid, argument):
        return
    _signal_group(pid, signal.SIGTERM)
    _signal_group(pid, signal.SIGCONT)  # a stopped (hung) process handles SIGTERM only once it runs again
    if _wait_gone(pid, argument, grace_seconds):
        return
    _signal_group(pid, signal.SIGKILL)
    _wait_gone(pid, argument, 10.0)


def workspace_id(home: Path) -> str:
    """A short digest naming a workspace: what the gateway's ``/ping`` answers instead of its path."""
    return hashlib.sha256(str(Path(home).resolve()).encode()).hexdigest()[:16]


def connect_host(host: str) -> str:
    """Where to connect to a server bound to ``host`` (a wildcard bind is reachable on loopback)."""
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host


def _wait_gone(pid: int, argument: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while is_running(pid, argument):
        if time.monotonic() > deadline:
            return False
        _reap(pid)
        time.sleep(0.05)
    return True


def _reap(pid: int) -> None:
    """Collect ``pid`` if it is our own child, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    # The process was started with start_new_session, so its group id is its pid.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


# -- ports and pings ----------------------------------------------------------------------------------


def http_get(host: str, port: int, path: str, timeout: float = 2.0) -> dict[str, Any] | None:
    """The JSON a local server answers to ``GET path`` with 200, or None (no answer, error status, not JSON)."""
    connection = http.client.HTTPConnection(connect_host(host), port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        data = response.read()
        if response.status != 200:
            return None
        value = json.loads(data) if data.strip() else {}
        return value if isinstance(value, dict) else {"value": value}
    except (OSError, http.client.HTTPException, ValueError):
        return None
    finally:
        connection.close()


def ipv4_host(host: str) -> str:
    """The address to probe ports on (the probes are IPv4; an IPv6 wildcard is checked on loopback)."""
    return "127.0.0.1" if host in ("", "::") else host


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # Servers bind with SO_REUSEADDR, so connections still in TIME_WAIT do not make a port busy for them.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((ipv4_host(host), port))
        except OSError:
            return False
    return True


def free_port(host: str, taken: set[int]) -> int:
    """A port the OS says is free and no endpoint or gateway of this workspace has claimed."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((ipv4_host(host), 0))
            port = int(probe.getsockname()[1])
        if port not in taken:
            return port
    raise BackendUnavailable("Could not find a free port.", hint="Give a port explicitly.")


def wait_until_closed(host: str, port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.settimeout(0.5)
            if probe.connect_ex((connect_host(host), port)) != 0:
                return
        time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(main())
