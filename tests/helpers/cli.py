"""``services.cli.main`` run in the test's process: (exit code, stdout, stderr), and the two answers every command
test checks — a JSON answer with exit 0, or a one-line ``error: …`` with exit 2 and nothing on stdout."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Run = Callable[..., tuple[int, str, str]]


def in_process_cli(home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                   **settings: str) -> Run:
    """A runner on the local backend with its workspace at ``home`` (not seeded) and ``settings`` as
    ``WORKBENCH_<NAME>`` variables."""
    from services.cli import main

    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.setenv("WORKBENCH_SEED_ON_START", "false")
    monkeypatch.delenv("WORKBENCH_BACKEND", raising=False)
    for name, value in settings.items():
        monkeypatch.setenv(f"WORKBENCH_{name.upper()}", value)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def ok(cli: Run, *args: str) -> Any:
    code, out, err = cli(*args)
    assert code == 0, err
    return json.loads(out)


def refused(cli: Run, *args: str) -> str:
    code, out, err = cli(*args)
    assert (code, out) == (2, ""), err
    assert err.startswith("error: ") and err.count("\n") == 1
    return err
