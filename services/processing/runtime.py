"""Running container commands locally: the environment user code gets, and N instances at once.

Framework images (scikit-learn, PyTorch, XGBoost) run with the project's Python: ``python``/``python3`` on the
command's PATH start it, and ``pip``/``pip3`` refuse to install anything (the project's environment is shared).
Each instance runs in its own sandbox (``embedded/sandbox.py``: its folder at ``/opt/ml``, its own process group
and PID namespace), with the minimal environment (``child_env.user_code_environment``: no credentials, ``HOME``
in the job's folder) plus the request's ``Environment``. Their output goes to the job log line by line, each
line prefixed with its host when there are several instances.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.embedded.child_env import user_code_environment
from services.embedded.sandbox import end_group, start_sandboxed

PIP_REFUSAL = "pip {0} is not available in a local container job: it would change the workbench's own Python."
TAIL_LINES = 40
POLL_SECONDS = 0.2


def python_bin(folder: Path) -> Path:
    """A bin folder whose ``python``/``python3`` start the project's Python and whose ``pip`` refuses installs."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("python", "python3"):
        _script(folder / name, f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    for name in ("pip", "pip3"):
        refusal = PIP_REFUSAL.format("$1")
        _script(folder / name, f'#!/bin/sh\ncase "$1" in install|uninstall|download)\n    echo "{refusal}" >&2\n'
                               f'    exit 1;;\nesac\nexec "{sys.executable}" -m pip "$@"\n')
    return folder


def _script(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o755)


def step_environment(job_dir: Path, contract: dict[str, str], environment: Mapping[str, Any],
                     extra: dict[str, str] | None = None) -> dict[str, str]:
    """The minimal environment (no credentials, HOME in the job) + the contract + the request's Environment,
    with the project's Python first on PATH."""
    env = user_code_environment(job_dir / "home", contract)
    env |= {str(key): str(value) for key, value in {**(extra or {}), **environment}.items()}
    env["PATH"] = f"{python_bin(job_dir / 'bin')}:{env['PATH']}"
    return env


@dataclass
class Instance:
    """One instance of a job: its host name, the folder it sees at /opt/ml, and how its command ended."""

    host: str
    ml_root: Path
    exit_code: int | None = None
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=TAIL_LINES))

    def tail_text(self) -> str:
        return "\n".join(self.tail)


def run_instances(instances: list[Instance], command: list[str], env: Mapping[str, str], workdir: str,
                  log: Callable[[str], None], finished: Callable[[int], None] | None = None) -> None:
    """Run ``command`` in every instance's sandbox at once and wait for all of them; each ``exit_code`` is set,
    and ``finished(n)`` is told as the n-th instance is seen to end. On an exception here (the job's Stop arrives
    as one) every instance's whole process group is ended."""
    processes: list[subprocess.Popen[str]] = []
    readers: list[threading.Thread] = []
    try:
        for instance in instances:
            process = start_sandboxed(instance.ml_root, command, env, workdir)
            processes.append(process)
            prefix = f"[{instance.host}] " if len(instances) > 1 else ""
            reader = threading.Thread(target=_read, args=(process.stdout or [], instance, prefix, log), daemon=True)
            reader.start()
            readers.append(reader)
        for done, process in enumerate(processes, start=1):
            process.wait()
            if finished is not None:
                finished(done)
        for reader in readers:
            reader.join()
    finally:
        for instance, process in zip(instances, processes, strict=False):
            instance.exit_code = end_group(process)  # on Stop or max runtime too: every group goes
        for reader in readers:
            reader.join(timeout=5)


def _read(lines: Iterable[str], instance: Instance, prefix: str, log: Callable[[str], None]) -> None:
    try:
        for raw in lines:
            line = raw.rstrip("\r\n")
            instance.tail.append(line)
            log(prefix + line)
    except (ValueError, OSError):  # the pipe was closed as the instance was ended
        return
